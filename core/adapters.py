from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied

from core.audit import client_ip


class NoSignupAccountAdapter(DefaultAccountAdapter):
    """Accounts are created by the project leader; nobody signs up on their own."""

    def is_open_for_signup(self, request):
        return False

    def get_client_ip(self, request):
        """The rate limits count per client address behind the trusted proxies (settings.TRUSTED_PROXY_COUNT),
        the same address the audit log records."""
        address = client_ip(request)
        if not address:
            raise PermissionDenied("Unable to determine client IP address")
        return address
