from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from core.audit import audit_spec_of, is_project_view
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
        if settings.MFA_REQUIRED and self._needs_mfa(request):
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


class ParticipantAuditMiddleware:
    """Refuses to serve a project view that has not declared whether it shows participant data (core.audit's
    shows_participant / shows_participants / no_participant_data), so no page can show a person without the
    audit event by someone forgetting it. Django's and allauth's own views are not the project's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        app_names = request.resolver_match.app_names if request.resolver_match else ()
        if is_project_view(view_func, app_names) and audit_spec_of(view_func) is None:
            raise ImproperlyConfigured(
                f"{view_func.__module__}.{view_func.__qualname__} does not declare whether it shows participant "
                "data: decorate it with core.audit.shows_participant, shows_participants or no_participant_data.")
        return None
