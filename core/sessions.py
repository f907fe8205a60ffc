"""Sliding inactivity timeout without a session write on every request.

Django's SESSION_SAVE_EVERY_REQUEST writes the session row on every request just to push its expiry forward.
Here the expiry is pushed forward at most every SESSION_REFRESH_SECONDS: a signed-in session whose last refresh
is older than that is marked modified, so SessionMiddleware saves it (new expiry = now + SESSION_COOKIE_AGE).
A session therefore ends between SESSION_COOKIE_AGE − SESSION_REFRESH_SECONDS and SESSION_COOKIE_AGE after the
last request, never later."""

import time

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

REFRESHED_KEY = "_expiry_refreshed_at"


def _stamp(session) -> None:
    session[REFRESHED_KEY] = int(time.time())


@receiver(user_logged_in, dispatch_uid="core.sessions.stamp_on_login")
def stamp_on_login(sender, request, user, **kwargs):
    # The login writes the session anyway; stamping it here saves the first request after it a second write.
    if request is not None and hasattr(request, "session"):
        _stamp(request.session)


class SessionRefreshMiddleware:
    """Runs after SessionMiddleware. Anonymous (empty) sessions are never created or written by it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.session_key is not None:
            refreshed = session.get(REFRESHED_KEY)
            stale = refreshed is None or time.time() - refreshed >= settings.SESSION_REFRESH_SECONDS
            if stale and session.keys():
                _stamp(session)
        return self.get_response(request)
