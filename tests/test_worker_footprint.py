"""What a Celery worker loads when it starts, with production settings (docs/benchmarks.md § 19): a pool child
holds only what its tasks need, the rest is loaded by the task that needs it."""

import os
import subprocess
import sys

from django.conf import settings

from tests.test_settings import PRODUCTION

# What `celery -A config worker` does before its pool forks: import the app, then every task module, which sends
# the signal Celery's Django fix-up answers (django.setup() and, unless skipped, Django's system checks).
WORKER_START = """
import sys
import environ
environ.Env.read_env = classmethod(lambda cls, *args, **kwargs: None)
from config.celery import app
app.loader.import_default_modules()
from django.apps import apps
print("READY", apps.ready, "reporting.tasks.build_report_run" in app.tasks)
print("LOADED", sorted(name for name in ("config.urls", "allauth.mfa.webauthn.internal.auth", "fido2")
                       if name in sys.modules))
"""


def _worker_start(**extra) -> list[str]:
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(PRODUCTION, **extra)
    completed = subprocess.run(  # noqa: S603 - fixed interpreter and script
        [sys.executable, "-c", WORKER_START], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
        timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip().splitlines()[-2:]


def test_a_starting_worker_loads_its_tasks_but_not_the_urlconf_and_the_views():
    assert _worker_start() == ["READY True True", "LOADED []"]


def test_the_checks_at_worker_start_can_be_switched_back_on():
    # An empty CELERY_SKIP_CHECKS runs Django's checks as Celery does by default: the URL checks load the views.
    assert _worker_start(CELERY_SKIP_CHECKS="") == [
        "READY True True", "LOADED ['allauth.mfa.webauthn.internal.auth', 'config.urls', 'fido2']"]
