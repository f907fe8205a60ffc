"""Both PDFs built by a REAL Celery worker through Redis (CI), checked with pdftotext.

Uses the project's worker fixture (tests/celery_worker.py::celery_worker_process), which runs the
worker against the test database; it needs PostgreSQL and Redis, hence both marks.
"""

import shutil
import subprocess
import time

import pytest
from celery.result import EagerResult

from config.celery import app
from reporting.models import ReportRun
from reporting.tasks import build_report_run

from .conftest import MARCH, build_march_dataset


@pytest.fixture
def through_the_broker():
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = previous


@pytest.mark.poppler
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_real_worker_builds_both_pdfs(celery_worker_process, through_the_broker, report_project,  # noqa: F811
                                      tmp_path):
    build_march_dataset(report_project)
    runs = [ReportRun.objects.create(kind=kind, project=report_project, period_start=MARCH[0],
                                     period_end=MARCH[1]) for kind in ("monthly", "final")]
    for run in runs:
        assert not isinstance(build_report_run.apply_async(args=[run.pk]), EagerResult)
    deadline = time.monotonic() + 120
    while ReportRun.objects.filter(pk__in=[r.pk for r in runs]).exclude(status__in=["done", "failed"]).exists():
        assert celery_worker_process.process.poll() is None, celery_worker_process.log_tail()
        if time.monotonic() > deadline:
            pytest.fail(f"the worker did not build the reports in 120 s:\n{celery_worker_process.log_tail()}")
        time.sleep(0.5)
    texts = {}
    for run in runs:
        run.refresh_from_db()
        assert run.status == ReportRun.Status.DONE, run.error
        assert run.attempts == 1
        path = tmp_path / f"{run.kind}.pdf"
        with run.file.open("rb") as handle:
            path.write_bytes(handle.read())
        texts[run.kind] = subprocess.run([shutil.which("pdftotext"), str(path), "-"],  # noqa: S603
                                         check=True, capture_output=True, text=True).stdout
    assert "Månadsrapport till styrgruppen" in texts["monthly"] and "<5" in texts["monthly"]
    assert "Slutrapport genomförande" in texts["final"] and "Deltagande aktörer" in texts["final"]
    assert "Självklart – rapportprojekt" in texts["final"]
