"""Fault: the Celery worker process building a report is killed with SIGKILL in the middle of it.

A worker of this test's own (tests/celery_worker.py::start_celery_worker) consumes a queue of its own,
with REPORT_TEST_DELAY_SECONDS set so that each build pauses after claiming the run
(reporting.services._fault_test_delay). The test kills the pool process that runs the build;
task_reject_on_worker_lost + acks_late make the broker deliver the message again (marked
redelivered), the pool starts a new process, and the run, left "running" by the dead process, is
taken over and finished: exactly one report, on the second attempt.
"""

import os
import signal
import time
import uuid
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from config.celery import app
from reporting.models import ReportRun
from reporting.services import report_filename
from reporting.tasks import build_report_run
from tests.celery_worker import start_celery_worker, stop_celery_worker

MARCH = ("2026-03-01", "2026-03-31")


@pytest.fixture
def through_the_broker():
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = previous


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def _wait(condition, seconds: float, worker, what: str):
    deadline = time.monotonic() + seconds
    while not condition():
        assert worker.process.poll() is None, worker.log_tail()
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds} s:\n{worker.log_tail()}")
        time.sleep(0.2)


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_report_gives_exactly_one_report(project, leader, through_the_broker, tmp_path):
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    worker = start_celery_worker(f"{queue}@localhost", tmp_path / "worker.log", queues=queue, concurrency=1,
                                 extra_env={"REPORT_TEST_DELAY_SECONDS": "4"})
    try:
        run = ReportRun.objects.create(kind=ReportRun.Kind.MONTHLY, project=project, period_start=MARCH[0],
                                       period_end=MARCH[1], requested_by=leader)
        build_report_run.apply_async(args=[run.pk], queue=queue)
        _wait(lambda: ReportRun.objects.get(pk=run.pk).status == ReportRun.Status.RUNNING, 30, worker,
              "the worker did not start the build")
        [child] = _children(worker.process.pid)  # concurrency 1: the one pool process, now mid-build
        os.kill(child, signal.SIGKILL)

        _wait(lambda: ReportRun.objects.get(pk=run.pk).status in (ReportRun.Status.DONE, ReportRun.Status.FAILED),
              90, worker, "the report was not finished after the kill")
        run.refresh_from_db()
        log = worker.log_path.read_text(errors="replace")
    finally:
        stop_celery_worker(worker)

    assert "WorkerLostError" in log  # the kill really hit the build
    assert run.status == ReportRun.Status.DONE, run.error
    assert run.attempts == 2  # the killed attempt and the one that finished
    assert ReportRun.objects.count() == 1
    stem = Path(report_filename(run)).stem  # the storage appends a suffix to a name already taken
    _dirs, files = default_storage.listdir(str(Path(run.file.name).parent))
    assert [f for f in files if f.startswith(stem)] == [Path(run.file.name).name]  # the killed attempt wrote none
    assert default_storage.open(run.file.name).read(5) == b"%PDF-"


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_whole_worker_killed_mid_report_is_rebuilt_by_the_next_sweep(project, leader, through_the_broker, tmp_path,
                                                                     settings, monkeypatch):
    """SIGKILL to the worker's whole process group: nobody is left to requeue the message, which stays
    unacknowledged in Redis for the visibility timeout (an hour). The run's heartbeat stops, so the next
    sweep (beat runs it every minute) publishes it again and a second worker builds it."""
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    settings.REPORT_STALE_AFTER_SECONDS = 4
    publish = build_report_run.apply_async
    monkeypatch.setattr(build_report_run, "apply_async", lambda *a, **kw: publish(*a, **{**kw, "queue": queue}))
    beating = {"REPORT_HEARTBEAT_SECONDS": "1", "REPORT_STALE_AFTER_SECONDS": "4"}
    first = start_celery_worker(f"{queue}-a@localhost", tmp_path / "a.log", queues=queue, concurrency=1,
                                extra_env={**beating, "REPORT_TEST_DELAY_SECONDS": "60"})
    second = None
    try:
        run = ReportRun.objects.create(kind=ReportRun.Kind.MONTHLY, project=project, period_start=MARCH[0],
                                       period_end=MARCH[1], requested_by=leader)
        build_report_run.apply_async(args=[run.pk])
        _wait(lambda: ReportRun.objects.get(pk=run.pk).heartbeat_at not in (None, ReportRun.objects.get(
            pk=run.pk).started_at), 30, first, "the build did not stamp a heartbeat")
        os.killpg(first.process.pid, signal.SIGKILL)
        first.process.wait()
        killed_at = time.monotonic()

        second = start_celery_worker(f"{queue}-b@localhost", tmp_path / "b.log", queues=queue, concurrency=1,
                                     extra_env=beating)
        from reporting import services

        _wait(lambda: services.run_is_stuck(ReportRun.objects.get(pk=run.pk)), 30, second,
              "the run was not seen as stuck")
        assert services.report_runs_requeue_stale() == 1  # what beat's sweep does every minute
        _wait(lambda: ReportRun.objects.get(pk=run.pk).status in (ReportRun.Status.DONE, ReportRun.Status.FAILED),
              90, second, "the report was not rebuilt after the whole worker was killed")
        recovered_in = time.monotonic() - killed_at
        run.refresh_from_db()
    finally:
        if second is not None:
            stop_celery_worker(second)

    assert run.status == ReportRun.Status.DONE, run.error
    assert run.attempts == 2
    assert recovered_in < 60
    assert default_storage.open(run.file.name).read(5) == b"%PDF-"
