import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
# Celery's Django fix-up runs Django's system checks when a worker starts and throws their result away; the
# URL checks import the URLconf and with it every view, form and allauth's WebAuthn stack (≈ 13 MB of every
# pool child, docs/benchmarks.md § 19). The checks run where they count (`migrate`, `manage.py check`, the
# tests). Celery's own switch (`celery worker --skip-checks` sets the same variable); set it empty to run them.
os.environ.setdefault("CELERY_SKIP_CHECKS", "true")

app = Celery("sjalvklart")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
