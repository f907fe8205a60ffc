"""A real Celery worker for the tests, and its fixture.

`celery_worker_process` starts a real Celery worker (the same command as the docker-compose
`worker` service) against Redis and the *test* database that pytest-django created, so a test
can send a task through the broker and see what the worker wrote. It is session-scoped: the
worker starts once, on first use, after the test database exists, and is stopped at the end.
It needs PostgreSQL (an in-memory SQLite test database cannot be shared with another process)
and REDIS_URL: mark its tests `postgres` and `redis`.

The fixture is defined here once and offered to every test by the root conftest.py: a second definition (a
test module importing it, say) would be a second session fixture, so a second worker on the same queue, taking
the other's tasks.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

WORKER_READY_TIMEOUT = 60


def _database_url(settings_dict) -> str:
    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict["HOST"] or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"


class WorkerProcess:
    def __init__(self, process: subprocess.Popen, name: str, log_path: Path):
        self.process = process
        self.name = name
        self.log_path = log_path

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(ingen logg)"


def start_celery_worker(name: str, log_path: Path, *, extra_env: dict | None = None, queues: str | None = None,
                        concurrency: int = 2) -> WorkerProcess:
    """Start a real worker against the test database and wait until it answers a ping.

    Used by the session fixture below and by tests that need a worker of their own (tests/faults:
    one they can kill, with its own queue so the shared worker never takes their tasks)."""
    from django.db import connection

    from config.celery import app

    if connection.vendor != "postgresql":
        pytest.fail("a real Celery worker needs PostgreSQL (mark the test `postgres`)")
    if not settings.REDIS_URL:
        pytest.fail("a real Celery worker needs REDIS_URL (mark the test `redis`)")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
        # Report files written by the worker must land where the test process reads them.
        "TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **(extra_env or {}),
    }
    command = [
        sys.executable, "-m", "config.worker", "-l", "info",
        "--pool=prefork", f"--concurrency={concurrency}", "-n", name, "--purge", "--without-gossip",
        "--without-mingle",
    ]
    if queues:
        command += ["-Q", queues]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed command
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    worker = WorkerProcess(process, name, log_path)
    deadline = time.monotonic() + WORKER_READY_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"Celery worker exited with {process.returncode}:\n{worker.log_tail()}")
        if app.control.ping(destination=[name], timeout=0.5):
            return worker
        if time.monotonic() > deadline:
            stop_celery_worker(worker)
            pytest.fail(f"Celery worker not ready after {WORKER_READY_TIMEOUT} s:\n{worker.log_tail()}")


def stop_celery_worker(worker: WorkerProcess) -> None:
    process = worker.process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # warm shutdown of the worker and its pool
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    name = f"pytest-{os.getpid()}@{socket.gethostname()}"
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    worker = start_celery_worker(name, log_path)
    if os.environ.get("TEST_WORKER_PIDFILE"):  # lets .ci/run stop the worker even if pytest dies
        Path(os.environ["TEST_WORKER_PIDFILE"]).write_text(str(worker.process.pid))
    try:
        yield worker
    finally:
        stop_celery_worker(worker)
