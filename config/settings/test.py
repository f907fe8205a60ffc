"""Test settings: fast hashing, in-memory e-mail, temporary media. DATABASE_URL/REDIS_URL still apply."""

import os
import tempfile

from .base import *  # noqa: F403
from .base import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A Celery worker started by tests/celery_worker.py gets the test process's media root through TEST_MEDIA_ROOT.
MEDIA_ROOT = os.environ.get("TEST_MEDIA_ROOT") or tempfile.mkdtemp(prefix="sjalvklart-test-media-")
STORAGES = {
    **STORAGES,
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": MEDIA_ROOT, "base_url": "/private/"}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests decide per test whether Celery runs eagerly; the default is eager with propagation.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
ACCOUNT_RATE_LIMITS = False
DEBUG = False
# Serve static files straight from the finders (no collectstatic in tests, e.g. for live_server).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tests see fresh figures; reporting/tests/test_dashboard_cache.py turns the cache on explicitly.
DASHBOARD_CACHE_SECONDS = 0
CHART_CACHE_SECONDS = 0  # every test draws its charts; reporting/tests/test_charts.py turns the cache on
# Renders stay in the test process: tests look inside a render (a patched WeasyPrint records what it computes);
# reporting/tests/test_pdf_child.py renders in a forked child as production does.
PDF_RENDER_IN_CHILD = False
# Tests that patch how a figure is computed build the same report twice with no write between; the tests of
# reusing figures turn it on (reporting/tests/test_figure_reuse.py).
REPORT_FIGURES_REUSE_SECONDS = 0
# Tests write placements with factories, which replace no token (placements.services.organisation_totals_changed):
# placements/tests/test_organisation_totals_cache.py turns the cache on and writes through the services.
ORGANISATION_TOTALS_CACHE_SECONDS = 0
