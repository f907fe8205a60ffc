"""The suite's own order: a test with serialized rollback never runs after a transactional test without it.

Such a test's flush re-runs post_migrate, which makes the content types and permissions again under new keys;
the serialized test after it then puts back the old keys and fails with a duplicate key (seen when the real-worker
tests of tests/ and reporting/ ran in one pytest run)."""

import os
import subprocess
import sys

from django.conf import settings

NOT_SERIALIZED = "tests/test_celery_worker.py::test_real_worker_executes_task_through_redis"
SERIALIZED = "reporting/tests/test_worker.py::test_real_worker_builds_both_pdfs"


def test_a_serialized_test_is_run_before_a_transactional_test_without_serialized_rollback():
    collected = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         NOT_SERIALIZED.split("::")[0], SERIALIZED.split("::")[0]],
        cwd=settings.BASE_DIR, env={**os.environ, "CI": ""}, capture_output=True, text=True, timeout=120,
    )
    order = [line for line in collected.stdout.splitlines() if "::" in line]

    assert NOT_SERIALIZED in order and SERIALIZED in order, collected.stdout + collected.stderr
    assert order.index(SERIALIZED) < order.index(NOT_SERIALIZED)
