"""Report runs: request → task → file; idempotency, claim conflicts, retries, the attempt cap, the
broker being down, the sweeper, the pending-runs command and the monthly schedule."""

import datetime as dt
import time

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.celery import app
from reporting import services
from reporting.models import ReportRun
from reporting.tasks import build_report_run, requeue_stale_report_runs

from .conftest import MARCH

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _stub_pdf_renderer(request, monkeypatch):
    """The run's state machine does not depend on what the PDF looks like (test_pdf.py renders and reads the real
    one): a stub renderer keeps these tests fast. A test that needs WeasyPrint asks for `real_pdf_renderer`."""
    if "real_pdf_renderer" not in request.fixturenames:
        monkeypatch.setattr(services, "render_pdf",
                            lambda template, context, **options: b"%PDF-1.7 stub " + template.encode())


@pytest.fixture
def real_pdf_renderer():
    """Opt out of the stub above."""


def queued_run(project, **kwargs):
    defaults = {"kind": "monthly", "project": project, "period_start": MARCH[0], "period_end": MARCH[1]}
    return ReportRun.objects.create(**{**defaults, **kwargs})


def test_request_enqueues_after_commit_and_builds(report_project, march_data, leader,
                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = services.report_run_request(user=leader, kind="monthly", project=report_project,
                                          period_start=MARCH[0], period_end=MARCH[1])
        assert ReportRun.objects.get(pk=run.pk).status == ReportRun.Status.QUEUED
    assert len(callbacks) == 1
    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE
    assert run.attempts == 1
    assert run.file.name.startswith("reports/") and run.file.read(4) == b"%PDF"
    assert run.figures["participants"]["starts"] == 4    # stored raw
    assert run.enqueue_failed is False


def test_steering_group_may_not_request_the_final_report(report_project, steering):
    with pytest.raises(PermissionDenied):
        services.report_run_request(user=steering, kind="final", project=report_project,
                                    period_start=MARCH[0], period_end=MARCH[1])


def test_running_the_task_twice_gives_one_report(report_project, march_data, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    run = queued_run(report_project)
    build_report_run.apply(args=[run.pk])
    run.refresh_from_db()
    first_file = run.file.name
    assert run.status == ReportRun.Status.DONE
    build_report_run.apply(args=[run.pk])
    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE
    assert run.attempts == 1
    assert run.file.name == first_file
    assert [path.name for path in tmp_path.rglob("*.pdf")] == [first_file.rsplit("/", 1)[1]]


def test_a_build_writes_its_figures_without_reading_them_back(report_project, march_data):
    """The worker never decodes a run's stored figures (docs/benchmarks.md § 21); the run it returns still
    shows them, read from the row when asked for."""
    run = queued_run(report_project)
    with CaptureQueriesContext(connection) as queries:
        built = services.report_run_build(run_id=run.pk)
    reads = [query["sql"] for query in queries if query["sql"].startswith("SELECT")]
    assert reads and not [sql for sql in reads if '"reporting_reportrun"."figures"' in sql]
    assert built.status == ReportRun.Status.DONE
    assert built.figures == ReportRun.objects.get(pk=run.pk).figures
    assert built.figures["participants"]["starts"] == 4


def test_claim_conflict_a_running_row_is_not_built_again(report_project, march_data):
    run = queued_run(report_project, status=ReportRun.Status.RUNNING, started_at=timezone.now(), attempts=1)
    assert services.report_run_build(run_id=run.pk) is None
    run.refresh_from_db()
    assert run.status == ReportRun.Status.RUNNING and run.attempts == 1 and not run.file


def test_a_run_left_running_by_a_dead_worker_is_reclaimed(report_project, march_data):
    long_ago = timezone.now() - services.stale_after() - dt.timedelta(seconds=1)
    run = queued_run(report_project, status=ReportRun.Status.RUNNING, started_at=long_ago, attempts=1)
    services.report_run_build(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE and run.attempts == 2


def test_a_running_row_with_a_fresh_heartbeat_is_not_reclaimed(report_project, march_data):
    # Started long ago but still beating: a long build on a live worker, not a dead one.
    long_ago = timezone.now() - dt.timedelta(hours=1)
    run = queued_run(report_project, status=ReportRun.Status.RUNNING, started_at=long_ago,
                     heartbeat_at=timezone.now() - dt.timedelta(seconds=5), attempts=1)
    assert services.report_run_build(run_id=run.pk) is None
    assert services.report_runs_requeue_stale() == 0
    run.refresh_from_db()
    assert run.status == ReportRun.Status.RUNNING and run.attempts == 1


def test_the_sweeper_rebuilds_a_run_whose_heartbeat_stopped_within_minutes(report_project, march_data, settings):
    """The whole worker was killed: its message stays unacknowledged in Redis for the visibility timeout
    (an hour), but the row's heartbeat stopped, so the next sweep (beat, every minute) rebuilds it."""
    assert settings.REPORT_STALE_AFTER_SECONDS + settings.CELERY_BEAT_SCHEDULE[
        "requeue-stale-report-runs"]["schedule"] <= 3 * 60
    started = timezone.now() - dt.timedelta(minutes=3)
    silent = timezone.now() - services.stale_after() - dt.timedelta(seconds=1)
    run = queued_run(report_project, status=ReportRun.Status.RUNNING, started_at=started, heartbeat_at=silent,
                     attempts=1)
    assert requeue_stale_report_runs.apply().get() == 1
    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE and run.attempts == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_build_stamps_its_heartbeat_while_it_runs(report_project, monkeypatch, settings):
    settings.REPORT_HEARTBEAT_SECONDS = 0.05
    run = queued_run(report_project)
    beats = []

    def slow_build(**kwargs):
        first = ReportRun.objects.get(pk=run.pk).heartbeat_at
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now = ReportRun.objects.get(pk=run.pk).heartbeat_at
            if now != first:
                beats.append(now)
                break
        return {}, b"%PDF-1.7 stub"

    monkeypatch.setattr(services, "build_report", slow_build)
    services.report_run_build(run_id=run.pk)
    run.refresh_from_db()
    assert beats and beats[0] > run.started_at
    assert run.status == ReportRun.Status.DONE


def test_the_leader_may_retry_a_stuck_run_but_not_a_live_one(report_project, march_data, leader,
                                                             django_capture_on_commit_callbacks):
    live = queued_run(report_project, status=ReportRun.Status.RUNNING, started_at=timezone.now(),
                      heartbeat_at=timezone.now(), attempts=1)
    with pytest.raises(ValidationError):
        services.report_run_retry(user=leader, run=live)
    silent = timezone.now() - services.stale_after() - dt.timedelta(seconds=1)
    stuck = queued_run(report_project, status=ReportRun.Status.RUNNING, started_at=silent, heartbeat_at=silent,
                       attempts=3)
    assert services.run_is_stuck(stuck) and not services.run_is_stuck(live)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_run_retry(user=leader, run=stuck)
    stuck.refresh_from_db()
    assert stuck.status == ReportRun.Status.DONE and stuck.attempts == 1


def test_an_error_marks_the_run_failed_with_the_text(report_project, monkeypatch):
    def broken(**kwargs):
        raise ValueError("mallen saknas")

    monkeypatch.setattr(services, "build_report", broken)
    run = queued_run(report_project)
    build_report_run.apply(args=[run.pk])
    run.refresh_from_db()
    assert run.status == ReportRun.Status.FAILED
    assert "mallen saknas" in run.error and run.finished_at is not None


def test_transient_errors_are_retried_with_the_row_requeued(report_project, march_data, monkeypatch):
    real_build = services.build_report
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real_build(**kwargs)

    monkeypatch.setattr(services, "build_report", flaky)
    run = queued_run(report_project)
    build_report_run.apply(args=[run.pk], throw=False)   # eager: Celery's autoretry runs it again
    run.refresh_from_db()
    assert len(calls) == 2
    assert run.status == ReportRun.Status.DONE and run.attempts == 2


def test_attempts_are_capped(report_project, monkeypatch):
    def always_locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "build_report", always_locked)
    run = queued_run(report_project)
    for _ in range(services.MAX_ATTEMPTS):
        with pytest.raises(OperationalError):
            services.report_run_build(run_id=run.pk)
    run.refresh_from_db()
    assert run.attempts == services.MAX_ATTEMPTS and run.status == ReportRun.Status.QUEUED
    assert services.report_run_build(run_id=run.pk) is None   # the cap: not claimed a fourth time
    run.refresh_from_db()
    assert run.status == ReportRun.Status.FAILED
    assert "3 försök" in run.error


def test_task_options_survive_a_killed_worker():
    assert build_report_run.acks_late is True
    assert build_report_run.reject_on_worker_lost is True
    assert OperationalError in build_report_run.autoretry_for
    assert build_report_run.max_retries == services.MAX_ATTEMPTS - 1
    assert build_report_run.time_limit and build_report_run.soft_time_limit < build_report_run.time_limit


def test_retry_of_a_failed_run(report_project, march_data, leader, django_capture_on_commit_callbacks):
    run = queued_run(report_project, status=ReportRun.Status.FAILED, attempts=3, error="Boom")
    with django_capture_on_commit_callbacks(execute=True):
        services.report_run_retry(user=leader, run=run)
    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE and run.attempts == 1 and run.error == ""


def test_broker_down_keeps_the_row_queued_and_the_sweeper_requeues_it(
        report_project, march_data, leader, unreachable_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.report_run_request(user=leader, kind="monthly", project=report_project,
                                          period_start=MARCH[0], period_end=MARCH[1])
    assert run.enqueue_failed is True
    run.refresh_from_db()
    assert run.status == ReportRun.Status.QUEUED and run.attempts == 0
    # Still down: the sweeper publishes nothing and loses nothing.
    ReportRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - dt.timedelta(minutes=5))
    assert requeue_stale_report_runs.apply().get() == 0
    assert ReportRun.objects.get(pk=run.pk).status == ReportRun.Status.QUEUED
    # The broker is back (eager here): the sweeper publishes and the run is built.
    app.conf.task_always_eager = True
    assert services.report_runs_requeue_stale() == 1
    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE


def test_run_pending_reports_command_builds_queued_rows(report_project, march_data):
    run = queued_run(report_project)
    done = queued_run(report_project, status=ReportRun.Status.DONE)
    call_command("run_pending_reports")
    run.refresh_from_db()
    done.refresh_from_db()
    assert run.status == ReportRun.Status.DONE and run.file
    assert done.attempts == 0 and not done.file


def test_monthly_schedule_builds_last_month_and_emails_a_link(report_project, march_data, steering, leader,
                                                              settings):
    settings.SITE_URL = "https://sjalvklart.example"
    runs = services.monthly_reports_schedule(today=dt.date(2026, 4, 1))
    run = next(r for r in runs if r.project == report_project)
    assert (run.period_start, run.period_end) == MARCH
    assert run.status == ReportRun.Status.DONE and run.requested_by is None
    link = f"https://sjalvklart.example/reports/runs/{run.pk}/"
    ours = [m for m in mail.outbox if link in m.body]
    assert [m.to for m in ours] == [[steering.email]]          # the steering group only, not the leader
    assert report_project.name in ours[0].subject
    assert not ours[0].attachments
    sent = len(mail.outbox)                                     # one per active project
    assert sent == len(runs)
    # Beat firing twice: no second run, no second e-mail.
    services.monthly_reports_schedule(today=dt.date(2026, 4, 1))
    assert ReportRun.objects.filter(project=report_project, kind="monthly").count() == 1
    assert len(mail.outbox) == sent


def test_a_failed_monthly_run_retried_later_is_announced_when_it_succeeds(report_project, march_data, steering,
                                                                         leader, monkeypatch,
                                                                         django_capture_on_commit_callbacks):
    real_build = services.build_report

    def broken(**kwargs):
        raise ValueError("mallen saknas")

    monkeypatch.setattr(services, "build_report", broken)
    [run] = [r for r in services.monthly_reports_schedule(today=dt.date(2026, 4, 1)) if r.project == report_project]
    assert run.status == ReportRun.Status.FAILED
    link = f"/reports/runs/{run.pk}/"
    assert [m for m in mail.outbox if link in m.body] == []
    monkeypatch.setattr(services, "build_report", real_build)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_run_retry(user=leader, run=run)
    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE and run.notified_at is not None
    assert [m.to for m in mail.outbox if link in m.body] == [[steering.email]]
    # A run the leader requested by hand is not announced.
    own = queued_run(report_project, requested_by=leader)
    services.report_run_build(run_id=own.pk)
    assert [m for m in mail.outbox if f"/reports/runs/{own.pk}/" in m.body] == []


def test_beat_schedule_has_the_monthly_report_and_the_sweeper(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"reporting.tasks.build_monthly_reports", "reporting.tasks.requeue_stale_report_runs"} <= tasks


def test_build_report_command_json_and_pdf(report_project, march_data, tmp_path, real_pdf_renderer):
    import json

    out = tmp_path / "figures.json"
    call_command("build_report", "monthly", "--project", report_project.slug, "--from", "2026-03-01",
                 "--to", "2026-03-31", "--format", "json", "--output", str(out))
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["participants"]["unique"] == 3
    assert figures["participants"]["by_gender"]["icke-binär"] == 0
    pdf = tmp_path / "final.pdf"
    call_command("build_report", "final", "--project", report_project.slug, "--from", "2026-03-01",
                 "--to", "2026-03-31", "--output", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF") and b"stub" not in pdf.read_bytes()
