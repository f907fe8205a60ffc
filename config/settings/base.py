"""Settings shared by every environment. Everything that differs comes from the environment."""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_filters",
    "django_htmx",
    "simple_history",
    "csp",
    "core",
    "organisations",
    "placements",
    "participants",
    "reporting",
    "demo",
    "django.forms",  # Django's widget templates for the project's FORM_RENDERER
]

MIDDLEWARE = [
    "core.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.sessions.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "core.middleware.RequireMFAMiddleware",
    "core.middleware.ParticipantAuditMiddleware",
    "csp.middleware.CSPMiddleware",
]

# One field template and Bootstrap classes on every widget (core/forms.py, core/templates/forms/).
FORM_RENDERER = "core.forms.FormRenderer"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
            ],
        },
    },
]

# SQLite by default so that a fresh checkout runs with nothing else installed.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# A reused connection is pinged before the first query of a request, so one dropped by the server (restart,
# idle timeout) is replaced instead of failing the request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A hanging database must not hang a request for ever.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int("DB_CONNECT_TIMEOUT", default=5)
    # No JIT compilation: the reports' grouped counts with per-referral EXISTS are estimated far above
    # jit_above_cost, and compiling them took 2.3 s of a 2.8 s query that runs in 0.4 s without it (scale
    # 100). No query of this application runs long enough to win that back.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: e-mail login, no open sign-up (accounts are created by the project leader).
ACCOUNT_ADAPTER = "core.adapters.NoSignupAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Failed sign-ins (wrong passwords, and wrong TOTP codes, which allauth counts under the same action with the
# account as key): 5 per account in 5 minutes, and 20 per client address, so one office behind one NAT address is
# not locked out by a few typos. The client address is read through TRUSTED_PROXY_COUNT below.
ACCOUNT_RATE_LIMITS = {"login_failed": "20/5m/ip,5/5m/key"}
# How many reverse proxies in front of gunicorn append to X-Forwarded-For: the client's address is that many
# entries from the right (entries further left are whatever the client sent). 1 = the docker-compose shape (the
# organisation's TLS proxy in front of `web`); 0 when gunicorn is reached directly (then REMOTE_ADDR is the
# client). Used by allauth's rate limits and by the audit log (core.audit.client_ip, also allauth's adapter).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ACCOUNT_SESSION_REMEMBER = False
# Changing e-mail addresses (and, through MFA's own default, TOTP and recovery codes) asks for the password
# again unless the user re-authenticated within ACCOUNT_REAUTHENTICATION_TIMEOUT seconds.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
MFA_REAUTHENTICATION_REQUIRED = True
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Självklart"
# Roles that can see personal data must use TOTP. On in production; off in the embedded demo so the
# demo accounts work at once.
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=False)

# Content-Security-Policy (django-csp 4): no inline scripts anywhere; every asset is served from here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],  # width of progress bars; no style elements, no scripts
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Svenska")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
# Report files and uploads are private: no MEDIA_URL is served; views check permission and stream them.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": "/private/"}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Självklart <noreply@sjalvklart.test>")
SITE_URL = env("SITE_URL", default="http://localhost:8000")
# E-mail goes out through core.mail (a Celery task): a hung SMTP server fails a send after EMAIL_TIMEOUT seconds,
# the task retries with backoff, and after EMAIL_MAX_ATTEMPTS the mail is listed as failed for the leader.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=5)
SENT_EMAIL_KEEP_DAYS = env.int("SENT_EMAIL_KEEP_DAYS", default=30)
# Where users report accessibility problems (the accessibility statement names it).
ACCESSIBILITY_CONTACT_EMAIL = env("ACCESSIBILITY_CONTACT_EMAIL", default="tillganglighet@sjalvklart.test")

# One hour without a request signs the user out: the registry holds health and social-services data.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60)
# Inactivity rather than absolute timeout, without writing the session row on every request: the expiry is
# pushed forward at most every SESSION_REFRESH_SECONDS (core.sessions), so a session ends between
# SESSION_COOKIE_AGE − SESSION_REFRESH_SECONDS and SESSION_COOKIE_AGE after the last request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=5 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# Imports: the largest file and the most data rows one import takes (core/spreadsheets.py). The size is also
# the upload cap, enforced while the body streams in (core/uploads.py), so no larger file is ever buffered.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
# 50,000 rows: the job writes them in well under a minute and the preview (read + validate in the request)
# stays inside gunicorn's 60 s timeout; measured in docs/benchmarks.md § 4.
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=50_000)
# An unconfirmed preview (and its stored file) is deleted after this many minutes; finished import jobs (their
# per-row errors name participant codes) after this many days (core/importjobs.py, hourly beat job).
IMPORT_PREVIEW_MINUTES = env.int("IMPORT_PREVIEW_MINUTES", default=60)
IMPORT_JOB_KEEP_DAYS = env.int("IMPORT_JOB_KEEP_DAYS", default=7)
DATA_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES
FILE_UPLOAD_HANDLERS = [
    "core.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Celery: with no broker configured the tasks run eagerly in-process (embedded default).
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool child is replaced after a task that leaves it above this resident size (kB). A warm child that has built
# reports holds ≈ 150 MB (the warm renderer; each render and its charts in a forked child: docs/benchmarks.md
# § 3); the ceiling catches growth beyond that. Near the idle size (≈ 90 MB) every report would pay a fresh child.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD_KB", default=400_000)
CELERY_TASK_TIME_LIMIT = 15 * 60
# Render each PDF in a child forked from the (warm) process, so the render's memory goes with the child
# (core.pdf.render_in_child; docs/benchmarks.md § 3).
PDF_RENDER_IN_CHILD = env.bool("PDF_RENDER_IN_CHILD", default=True)
# A PDF whose template marks a part break is laid out as two parts at once, in two processes, where it is
# rendered in such a child and more than one core is there (core.pdf.renders_in_parts; docs/benchmarks.md § 31).
PDF_RENDER_IN_PARTS = env.bool("PDF_RENDER_IN_PARTS", default=True)
# Database connections a report's figures are computed on at once, reading one snapshot (PostgreSQL;
# reporting.selectors._computed); 1 = one after the other.
REPORT_FIGURE_CONNECTIONS = env.int("REPORT_FIGURE_CONNECTIONS", default=2)
# A report built again for the same period, while no data was written since its figures were computed (told by
# PostgreSQL: core.changelog), uses those figures instead of computing them again (reporting.selectors.
# report_figures); kept in the cache this long, at most a day. 0 = always computed.
REPORT_FIGURES_REUSE_SECONDS = min(env.int("REPORT_FIGURES_REUSE_SECONDS", default=6 * 3600), 24 * 3600)
# After data were written, the figures of each active project's final report so far and last month's report are
# computed ahead (reporting.services.report_figures_keep_current), so that a build requested later uses them:
# beat looks this often whether anything was written since (one query). 0 = not computed ahead.
REPORT_FIGURES_KEEP_CURRENT_SECONDS = env.int("REPORT_FIGURES_KEEP_CURRENT_SECONDS", default=15)
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 3,
    "socket_timeout": 3,
    "visibility_timeout": 60 * 60,
    "max_retries": 1,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE = {
    "hourly-purge-import-jobs": {
        "task": "core.importjobs.purge_import_jobs",
        "schedule": crontab(minute=40),
    },
    "weekly-free-placements-digest": {
        "task": "placements.tasks.send_free_placements_digest",
        "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
    },
    "daily-refresh-stale-idle-placements": {
        "task": "placements.tasks.refresh_stale_idle",
        "schedule": crontab(minute=10, hour=0),
    },
    "daily-warm-organisation-totals": {
        "task": "placements.tasks.warm_organisation_totals",
        "schedule": crontab(minute=20, hour=0),
    },
    "daily-followup90-reminders": {
        "task": "participants.tasks.send_followup90_reminders",
        "schedule": crontab(minute=30, hour=7),
    },
    "daily-followup6m-reminders": {
        "task": "participants.tasks.send_followup6m_reminders",
        "schedule": crontab(minute=35, hour=7),
    },
    "monthly-steering-group-report": {
        "task": "reporting.tasks.build_monthly_reports",
        "schedule": crontab(minute=0, hour=6, day_of_month=1),
    },
    "daily-purge-expired-personal-data": {
        "task": "participants.tasks.purge_expired",
        "schedule": crontab(minute=15, hour=2),
    },
    "daily-forget-old-data-changes": {
        "task": "core.tasks.forget_old_data_changes",
        "schedule": crontab(minute=25, hour=2),
    },
    "send-pending-emails": {
        "task": "core.tasks.send_pending_emails",
        "schedule": 300.0,
    },
    "requeue-stale-report-runs": {
        "task": "reporting.tasks.requeue_stale_report_runs",
        "schedule": 60.0,
    },
}
if REPORT_FIGURES_KEEP_CURRENT_SECONDS > 0 and REPORT_FIGURES_REUSE_SECONDS > 0:
    CELERY_BEAT_SCHEDULE["keep-report-figures-current"] = {
        "task": "reporting.tasks.keep_report_figures_current",
        "schedule": float(REPORT_FIGURES_KEEP_CURRENT_SECONDS),
        "options": {"expires": float(REPORT_FIGURES_KEEP_CURRENT_SECONDS)},
    }

# Domain settings
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=300)
# A chart drawn for the same figures is kept this long (reporting.charts): drawing is the costly part of a build.
CHART_CACHE_SECONDS = env.int("CHART_CACHE_SECONDS", default=24 * 60 * 60)
# The organisation totals of a day are cached under a token every writer replaces (placements.selectors.
# organisation_totals_cached): exact at any age, so this only bounds how long a past day's totals are kept. 0: off.
ORGANISATION_TOTALS_CACHE_SECONDS = env.int("ORGANISATION_TOTALS_CACHE_SECONDS", default=24 * 60 * 60)
SMALL_COUNT_THRESHOLD = env.int("SMALL_COUNT_THRESHOLD", default=5)  # counts 1..4 shown as "<5"
REPORT_EQUALITY_THRESHOLD_DAYS = env.int("REPORT_EQUALITY_THRESHOLD_DAYS", default=14)
# An occupational area is flagged when women's and men's shares of their placements there differ by more.
REPORT_EQUALITY_THRESHOLD_SHARE = env.float("REPORT_EQUALITY_THRESHOLD_SHARE", default=0.20)
IDLE_PLACEMENT_DAYS = env.int("IDLE_PLACEMENT_DAYS", default=60)
# A report build stamps a heartbeat this often; a running build silent for REPORT_STALE_AFTER_SECONDS lost
# its worker and is built again by the next sweep (every minute) or from the run's page.
REPORT_HEARTBEAT_SECONDS = env.int("REPORT_HEARTBEAT_SECONDS", default=15)
REPORT_STALE_AFTER_SECONDS = env.int("REPORT_STALE_AFTER_SECONDS", default=90)
# Per person: report runs waiting or building at once, and requests per hour.
REPORT_MAX_WAITING_PER_USER = env.int("REPORT_MAX_WAITING_PER_USER", default=2)
REPORT_MAX_PER_HOUR_PER_USER = env.int("REPORT_MAX_PER_HOUR_PER_USER", default=20)
# Gallring: participants' personal data is anonymised this many years after their last exit
# (participants/retention.py, `manage.py purge_expired`, daily beat job); audit events are kept this many days.
RETENTION_YEARS = env.int("RETENTION_YEARS", default=2)
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=3 * 365)
DEMO_PASSWORD = "demo-losen-2026"
ALLOW_DEMO_SEED = True

# Logs go to stderr; production switches the formatter to one JSON object per line (core.logs.JsonFormatter).
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
