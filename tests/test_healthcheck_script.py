"""scripts/healthcheck.py recognises the beat process however its command line is written."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "healthcheck.py"
spec = importlib.util.spec_from_file_location("healthcheck", SCRIPT)
healthcheck = importlib.util.module_from_spec(spec)
spec.loader.exec_module(healthcheck)


@pytest.mark.parametrize("cmdline", [
    b"/app/.venv/bin/python\0/app/.venv/bin/celery\0-A\0config\0beat\0-l\0info\0",
    # With setproctitle installed, Celery replaces the arguments by one title.
    b"[celery beat] -A config beat -l info -s /tmp/celerybeat-schedule\0\0\0",
])
def test_a_beat_process_is_recognised(cmdline):
    assert healthcheck.is_beat_command(cmdline)


@pytest.mark.parametrize("cmdline", [
    b"/app/.venv/bin/python\0/app/.venv/bin/celery\0-A\0config\0worker\0",
    b"celery worker -A config worker\0",
    b"/usr/bin/python3\0beat.py\0",
])
def test_other_processes_are_not_beat(cmdline):
    assert not healthcheck.is_beat_command(cmdline)
