from allauth.account.adapter import DefaultAccountAdapter


class NoSignupAccountAdapter(DefaultAccountAdapter):
    """Accounts are created by the project leader; nobody signs up on their own."""

    def is_open_for_signup(self, request):
        return False
