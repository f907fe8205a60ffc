from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from core.roles import may_see_individuals

# Paths an account without MFA may still use: sign-in/out, setting up MFA itself, assets, health, language.
_MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/", "/participants/survey/", "/tillganglighet/",
                        "/favicon.ico")


class RequireMFAMiddleware:
    """With settings.MFA_REQUIRED, a signed-in user whose role can see personal data must set up
    TOTP before anything else. allauth offers MFA but does not force it; this is the one place that does."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if getattr(settings, "MFA_REQUIRED", False) and self._needs_mfa(request):
            return redirect(f"{reverse('mfa_activate_totp')}?next={request.get_full_path()}")
        return self.get_response(request)

    @staticmethod
    def _needs_mfa(request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not may_see_individuals(user):
            return False
        if request.path.startswith(_MFA_EXEMPT_PREFIXES):
            return False

        return not is_mfa_enabled(user, types=[Authenticator.Type.TOTP])


class NoStoreMiddleware:
    """Every page and file the application itself answers with may carry personal data (participants, the
    audit log, report PDFs, the exit survey): no browser or proxy may keep a copy. Static assets are served
    by WhiteNoise before this middleware runs and keep their long cache lifetimes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response
