from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied

from core.audit import client_ip
from core.mail import email_queue


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

    def send_mail(self, template_prefix, email, context):
        """allauth's mails (password reset, security notices) go through the same queue as every other mail:
        sent by a Celery task with a timeout and retries, failures visible to the project leader."""
        message = self.render_mail(template_prefix, email, context)
        email_queue(to=list(message.to), subject=message.subject, body=message.body,
                    reply_to=list(message.reply_to or []))
