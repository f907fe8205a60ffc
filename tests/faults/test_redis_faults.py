"""Faults of the broker: Redis that hangs (accepts, never answers) and Redis that is down.

(c) A hanging Redis must not hang a web request beyond 5 s: /healthz and requesting a report.
(d) Redis down when a report is requested loses no request: the row stays queued and
    `manage.py run_pending_reports` (or the sweeper, once Redis is back) builds it later.
The Celery app is pointed at the fault for one test and its connection pools are reset around it.
"""

import shutil
import socket
import subprocess
import threading
import time

import pytest
from django.core.management import call_command
from django.urls import reverse

from config.celery import app
from reporting.models import ReportRun

LIMIT_SECONDS = 5


class HangingServer:
    """A TCP server on 127.0.0.1 that accepts connections and never sends a byte."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted.append(conn)  # held open, never read from or written to

    def close(self):
        self.stopped.set()
        self.thread.join(timeout=2)
        for conn in self.accepted:
            conn.close()
        self.sock.close()


def _reset_celery_connections():
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_at(settings):
    """Point the Celery app (and settings.CELERY_BROKER_URL, read by /healthz) at another broker URL."""
    previous = (app.conf.task_always_eager, app.conf.broker_url)

    def point(url):
        settings.CELERY_TASK_ALWAYS_EAGER = False
        settings.CELERY_BROKER_URL = url
        app.conf.task_always_eager = False
        app.conf.broker_url = url
        _reset_celery_connections()

    yield point
    app.conf.task_always_eager, app.conf.broker_url = previous
    _reset_celery_connections()


@pytest.fixture
def hanging_redis():
    server = HangingServer()
    yield server
    server.close()


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _request_report(client, project):
    return client.post(reverse("reporting:run_list"), {
        "kind": "monthly", "project": project.pk, "period_start": "2026-03-01", "period_end": "2026-03-31"})


@pytest.mark.django_db
def test_hanging_redis_does_not_hang_healthz(client, hanging_redis, broker_at):
    broker_at(f"redis://127.0.0.1:{hanging_redis.port}/0")

    response, seconds = _timed(lambda: client.get("/healthz"))

    assert hanging_redis.accepted, "the health check never reached the hanging server"
    assert seconds < LIMIT_SECONDS
    assert response.status_code == 503
    assert response.json()["broker"].startswith("down")


@pytest.mark.django_db
def test_hanging_redis_does_not_hang_a_report_request(client, leader, project, hanging_redis, broker_at,
                                                      django_capture_on_commit_callbacks):
    broker_at(f"redis://127.0.0.1:{hanging_redis.port}/0")
    client.force_login(leader)

    with django_capture_on_commit_callbacks(execute=True):
        response, seconds = _timed(lambda: _request_report(client, project))

    assert hanging_redis.accepted, "the publish never reached the hanging server"
    assert seconds < LIMIT_SECONDS
    run = ReportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reporting:run_detail", args=[run.pk])
    assert run.status == ReportRun.Status.QUEUED  # kept for the sweeper


@pytest.fixture
def stopped_redis(tmp_path):
    """A real redis-server, started and shut down again: its port now refuses connections."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subprocess.run([binary, "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "yes", "--save", "",  # noqa: S603
                    "--appendonly", "no", "--dir", str(tmp_path)], check=True)
    deadline = time.monotonic() + 5
    while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() != b"PONG":  # noqa: S603, S607
        assert time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.1)
    subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True)  # noqa: S603, S607
    return f"redis://127.0.0.1:{port}/0"


@pytest.mark.redis
@pytest.mark.django_db
def test_redis_down_loses_no_report_request(client, leader, project, stopped_redis, broker_at,
                                            django_capture_on_commit_callbacks):
    broker_at(stopped_redis)
    client.force_login(leader)

    with django_capture_on_commit_callbacks(execute=True):
        response, seconds = _timed(lambda: _request_report(client, project))

    assert seconds < LIMIT_SECONDS
    assert response.status_code == 302
    run = ReportRun.objects.get()
    assert run.status == ReportRun.Status.QUEUED and run.attempts == 0

    call_command("run_pending_reports", stdout=open("/dev/null", "w"))  # noqa: SIM115 - what an operator runs

    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE, run.error
    assert run.file.name.endswith(f"-{run.pk}.pdf")
    assert ReportRun.objects.count() == 1
