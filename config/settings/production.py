"""Production only tightens the base settings; it refuses SQLite, eager Celery and demo data."""

from django.core.exceptions import ImproperlyConfigured

from core.errors import init_error_reporting

from .base import *  # noqa: F403
from .base import DATABASES, LOGGING, REDIS_URL, env

# Keys published with the code (the base default, .env.example's placeholder) sign nobody's session safely.
KNOWN_SECRET_KEYS = frozenset({"dev-only-insecure-key-change-me", "change-me-to-a-long-random-string"})
SECRET_KEY_MIN_LENGTH = 50

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
if SECRET_KEY in KNOWN_SECRET_KEYS or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY är ett känt exempelvärde: skapa en egen slumpmässig nyckel.")
if len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY är för kort: minst {SECRET_KEY_MIN_LENGTH} slumpmässiga tecken, t.ex. från "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`.")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production kräver PostgreSQL: sätt DATABASE_URL=postgres://…")
if not REDIS_URL:
    raise ImproperlyConfigured("Production kräver en Redis-broker: sätt REDIS_URL=redis://…")
CELERY_TASK_ALWAYS_EAGER = False
# Persistent connections: a new PostgreSQL connection per request costs ~5 ms (docs/benchmarks.md). Health
# checks (base settings) replace a connection the server dropped.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=300)
ALLOW_DEMO_SEED = False
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=True)
# Login rate limits (allauth) count in the cache: shared across gunicorn workers, not per process.
CACHES = {
    "default": {
        # Degrades to a per-process memory cache while Redis is down or hangs (core/cache.py): never a 500.
        "BACKEND": "core.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        # A Redis that hangs must fail a request within seconds, not hang it (login counters live here).
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)

# One JSON object per log line (time, level, logger, message, request id); LOG_FORMAT=text for reading by eye.
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT
# Errors to Sentry or a Sentry-compatible service only when a DSN is given; personal data scrubbed (core.errors).
SENTRY_DSN = env("SENTRY_DSN", default="")
ERROR_REPORTING = init_error_reporting(SENTRY_DSN, environment=env("SENTRY_ENVIRONMENT", default="production"),
                                       release=env("SENTRY_RELEASE", default=None))
