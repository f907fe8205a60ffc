"""Import as a background job: confirm queues it, a worker writes all or nothing, the page shows progress,
unconfirmed previews expire."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from core import importjobs
from core.importjobs import import_job_check, import_job_progress, import_job_run, import_jobs_purge
from core.models import AuditEvent, ImportJob
from organisations.models import Unit
from placements.models import Placement
from placements.tests.test_import import csv_bytes, upload, xlsx_bytes


@pytest.fixture
def leader_client(client, leader):
    client.force_login(leader)
    return client


def preview(client, rows) -> ImportJob:
    response = upload(client, csv_bytes(rows), name="platser.csv")
    assert response.status_code == 200
    return ImportJob.objects.get(token=response.context["token"])


def confirm(client, job):
    return client.post(reverse("placements:import_confirm"), {"token": str(job.token)})


def test_preview_stores_a_job_and_writes_no_placement(leader_client, rows, leader):
    job = preview(leader_client, rows)
    assert (job.status, job.kind, job.user, job.rows_total) == ("preview", "placements", leader, 2)
    assert default_storage.exists(job.file.name)
    assert not Placement.objects.exists()


def test_the_preview_writes_nothing_but_its_job(leader_client, rows):
    """Reading, validating (the job's check) and showing the file (an XLSX whose rows add a unit and adaptations)
    writes one row: the stored job (inserted, then the check's claim and result). No placement, unit, history,
    adaptation link or audit event, not even rolled back."""
    tables = (Placement, Placement.history.model, Placement.adaptations.through, Unit, Unit.history.model,
              AuditEvent)
    before = [model.objects.count() for model in tables]
    with CaptureQueriesContext(connection) as queries:
        response = upload(leader_client, xlsx_bytes(rows))
    assert response.status_code == 200 and response.context["plan"].counts == {"create": 2, "update": 0,
                                                                                "new_units": 1}
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "SAVEPOINT", "COPY"))]
    assert 'INSERT INTO "core_importjob"' in writes[0]
    assert all(sql.startswith(('INSERT INTO "core_importjob"', 'UPDATE "core_importjob"')) for sql in writes), writes
    assert [model.objects.count() for model in tables] == before


def test_confirm_runs_the_job_and_the_page_shows_the_result(leader_client, rows):
    job = preview(leader_client, rows)
    response = confirm(leader_client, job)
    assert response.status_code == 302 and response["Location"] == reverse("core:import_job", args=[job.token])
    job.refresh_from_db()
    assert job.status == "done" and Placement.objects.count() == 2
    assert not job.file and not default_storage.exists(f"imports/placements-{job.token.hex}.bin")
    html = leader_client.get(response["Location"]).content.decode()
    assert '<p class="mb-0">2 nya platser, 0 ändrade och 1 nya enheter.</p>' in html
    assert "data-hx-trigger" not in html  # finished: no more polling


def test_second_confirm_writes_nothing_more(leader_client, rows):
    job = preview(leader_client, rows)
    confirm(leader_client, job)
    confirm(leader_client, job)
    assert Placement.objects.count() == 2
    assert import_job_run(job_id=job.pk) is None  # a duplicate delivery of the task does nothing


def test_rows_invalid_by_the_time_of_confirming_fail_the_job_with_row_errors(leader_client, rows, org_a):
    job = preview(leader_client, rows)
    org_a.name = "Bytt namn"
    org_a.save()
    confirm(leader_client, job)
    job.refresh_from_db()
    assert job.status == "failed" and not Placement.objects.exists()
    assert [row for row, _column, _message in job.errors] == [2, 3]
    html = leader_client.get(reverse("core:import_job", args=[job.token])).content.decode()
    assert "Importen stoppades – ingenting har sparats" in html
    assert "<td>2</td><td>organisation</td><td>Organisationen ”" in html


def test_running_job_shows_progress_and_keeps_polling(leader_client, leader):
    job = ImportJob.objects.create(kind="placements", user=leader, status="running", rows_total=1000,
                                   started_at=timezone.now(), params={"back_url": "/", "back_label": "x"})
    cache.set(importjobs._progress_key(job.pk), [500, 1000])
    html = leader_client.get(reverse("core:import_job_status", args=[job.token])).content.decode()
    assert 'data-hx-trigger="every 1s"' in html
    assert "Importerar: 500 av 1000 rader." in html
    assert '<progress id="import-progress" class="w-100" max="1000" value="500">' in html
    assert import_job_progress(job) == (500, 1000)


def test_only_the_uploader_sees_the_job(client, leader_client, rows, manager_a):
    job = preview(leader_client, rows)
    confirm(leader_client, job)
    client.force_login(manager_a)
    assert client.get(reverse("core:import_job", args=[job.token])).status_code == 404
    assert client.get(reverse("core:import_job_status", args=[job.token])).status_code == 404


def test_someone_elses_preview_cannot_be_confirmed(client, leader_client, rows, leader):
    job = preview(leader_client, rows)
    other = type(leader).objects.create_user(email="ledare2@example.test", password="x", role=leader.role)
    client.force_login(other)
    response = confirm(client, job)
    assert response.status_code == 302 and response["Location"] == reverse("placements:import")
    job.refresh_from_db()
    assert job.status == "preview" and not Placement.objects.exists()


def test_an_expired_preview_is_refused_and_deleted(leader_client, rows, settings):
    job = preview(leader_client, rows)
    ready_long_ago = timezone.now() - dt.timedelta(minutes=settings.IMPORT_PREVIEW_MINUTES + 1)
    ImportJob.objects.filter(pk=job.pk).update(created_at=ready_long_ago, checked_at=ready_long_ago)
    response = confirm(leader_client, job)
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Förhandsgranskningen har gått ut. Ladda upp filen igen."]
    assert not ImportJob.objects.filter(pk=job.pk).exists() and not default_storage.exists(job.file.name)
    assert not Placement.objects.exists()


def test_purge_deletes_unconfirmed_previews_and_old_jobs_with_their_files(leader_client, rows, settings):
    old, fresh = preview(leader_client, rows), preview(leader_client, rows)
    finished = preview(leader_client, rows)
    confirm(leader_client, finished)
    stray = default_storage.save("imports/placements-old.bin", ContentFile(b"x"))
    now, minutes, days = timezone.now(), settings.IMPORT_PREVIEW_MINUTES, settings.IMPORT_JOB_KEEP_DAYS
    ImportJob.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(minutes=minutes + 1),
                                               checked_at=now - dt.timedelta(minutes=minutes + 1))
    ImportJob.objects.filter(pk=finished.pk).update(finished_at=now - dt.timedelta(days=days + 1))
    later = now + dt.timedelta(minutes=minutes + 1)
    ImportJob.objects.filter(pk=fresh.pk).update(created_at=later - dt.timedelta(minutes=1),
                                                 checked_at=later - dt.timedelta(minutes=1))
    assert import_jobs_purge(now=later) == 2
    assert list(ImportJob.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not default_storage.exists(old.file.name) and default_storage.exists(fresh.file.name)
    assert not default_storage.exists(stray)


def test_broker_down_runs_the_job_in_the_request(leader_client, rows, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis")

    monkeypatch.setattr(importjobs.run_import_job, "apply_async", unreachable)
    job = preview(leader_client, rows)
    assert confirm(leader_client, job).status_code == 302
    job.refresh_from_db()
    assert job.status == "done" and Placement.objects.count() == 2


def test_a_job_left_running_by_a_dead_worker_is_taken_over_on_redelivery(leader_client, rows):
    job = preview(leader_client, rows)
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())
    assert import_job_run(job_id=job.pk) is None  # an ordinary duplicate delivery leaves it to its worker
    assert import_job_run(job_id=job.pk, redelivered=True).status == "done"
    assert Placement.objects.count() == 2


# --- the check (validation) as a job of its own -----------------------------------------------------


@pytest.fixture
def worker_later(monkeypatch):
    """The broker takes the check's task, and no worker has run it yet."""
    queued = []
    monkeypatch.setattr(importjobs.check_import_job, "apply_async", lambda args: queued.append(args[0]))
    return queued


def test_the_upload_only_reads_and_the_check_runs_as_a_job_with_progress(leader_client, rows, worker_later):
    response = upload(leader_client, xlsx_bytes(rows))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("core:import_job", args=[job.token])
    assert (job.status, worker_later) == ("checking", [job.pk])
    cache.set(importjobs._progress_key(job.pk), [1, 2])
    html = leader_client.get(reverse("core:import_job_status", args=[job.token])).content.decode()
    assert "Granskar filen: 1 av 2 rader. Ingenting sparas." in html and 'data-hx-trigger="every 1s"' in html
    assert 'name="token"' not in html  # nothing to confirm before the check is done

    assert import_job_check(job_id=job.pk).status == "preview"
    assert import_job_check(job_id=job.pk) is None  # a duplicate delivery does nothing
    html = leader_client.get(reverse("core:import_job", args=[job.token])).content.decode()
    assert "Förhandsgranskning – inget har sparats än" in html and f'value="{job.token}"' in html
    assert "2 nya platser, 0 ändrade platser och 1 nya enheter." in html and "Nya köket" in html
    assert "data-hx-trigger" not in html  # the preview waits for the user
    assert not Placement.objects.exists()
    assert confirm(leader_client, job).status_code == 302
    assert Placement.objects.count() == 2


def test_a_job_cannot_be_confirmed_while_it_is_checked(leader_client, rows, worker_later):
    upload(leader_client, xlsx_bytes(rows))
    job = ImportJob.objects.get()
    response = confirm(leader_client, job)
    assert response["Location"] == reverse("core:import_job", args=[job.token])
    job.refresh_from_db()
    assert job.status == "checking" and not Placement.objects.exists()


def test_a_failed_check_shows_the_row_errors_on_the_job_page_and_deletes_the_file(leader_client, rows, org_a,
                                                                                  worker_later):
    rows[1][7] = "många"
    upload(leader_client, xlsx_bytes(rows))
    job = ImportJob.objects.get()
    name = job.file.name
    assert import_job_check(job_id=job.pk).status == "failed"
    job.refresh_from_db()
    assert [(row, column) for row, column, _message in job.errors] == [(3, "antal platser")]
    assert not job.file and not default_storage.exists(name)
    html = leader_client.get(reverse("core:import_job", args=[job.token])).content.decode()
    assert "Importen stoppades – ingenting har sparats" in html and "<td>3</td><td>antal platser</td>" in html
    assert confirm(leader_client, job)["Location"] == reverse("core:import_job", args=[job.token])
    assert not Placement.objects.exists()


def test_the_check_reports_its_progress(leader_client, leader, org_a, unit_a, area, worker_later, monkeypatch):
    lines = [[f"K-{i}", f"Plats {i}", org_a.name, unit_a.name, "", area.name, "", "1", "", "", "", ""]
             for i in range(1200)]
    upload(leader_client, csv_bytes(lines), name="platser.csv")
    job = ImportJob.objects.get()
    seen = []
    monkeypatch.setattr(importjobs.cache, "set", lambda key, value, timeout: seen.append(value))
    import_job_check(job_id=job.pk)
    assert seen == [[500, 1200], [1000, 1200]]


def test_the_check_runs_in_the_request_when_the_broker_is_down(leader_client, rows, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis")

    monkeypatch.setattr(importjobs.check_import_job, "apply_async", unreachable)
    response = upload(leader_client, xlsx_bytes(rows))
    assert response.status_code == 200 and response.context["plan"].counts["create"] == 2
    assert ImportJob.objects.get().status == "preview"


def test_a_job_waiting_for_its_check_is_purged_only_when_its_check_cannot_be_running(leader_client, rows,
                                                                                       worker_later, settings):
    """The check may wait in the queue and then run up to the hard time limit: the purge leaves it alone until
    the preview time plus that limit has passed since the upload."""
    upload(leader_client, xlsx_bytes(rows))
    job = ImportJob.objects.get()
    preview_time = dt.timedelta(minutes=settings.IMPORT_PREVIEW_MINUTES)
    hard_limit = dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    assert import_jobs_purge(now=timezone.now() + preview_time + dt.timedelta(minutes=1)) == 0
    assert ImportJob.objects.get().status == "checking" and default_storage.exists(job.file.name)
    assert import_jobs_purge(now=timezone.now() + preview_time + hard_limit + dt.timedelta(minutes=1)) == 1
    assert not ImportJob.objects.exists() and not default_storage.exists(job.file.name)


def test_a_check_claimed_late_is_not_purged_while_it_runs(leader_client, rows, worker_later, settings):
    upload(leader_client, xlsx_bytes(rows))
    job = ImportJob.objects.get()
    long_ago = timezone.now() - dt.timedelta(minutes=settings.IMPORT_PREVIEW_MINUTES,
                                             seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    ImportJob.objects.filter(pk=job.pk).update(created_at=long_ago, started_at=timezone.now())
    assert import_jobs_purge() == 0 and default_storage.exists(job.file.name)


def test_a_check_that_finishes_late_leaves_the_whole_preview_time_to_confirm(leader_client, rows, worker_later,
                                                                              settings):
    """The check waited in the queue (behind report builds) until the preview time since the upload had passed:
    the preview's minutes count from when it became ready, so it can still be confirmed, and the purge keeps it."""
    upload(leader_client, xlsx_bytes(rows))
    job = ImportJob.objects.get()
    preview_time = dt.timedelta(minutes=settings.IMPORT_PREVIEW_MINUTES)
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - preview_time - dt.timedelta(minutes=1))
    job = import_job_check(job_id=job.pk)
    assert job.status == "preview" and job.checked_at is not None
    assert not importjobs.preview_expired(job, now=job.checked_at + preview_time - dt.timedelta(minutes=1))
    assert importjobs.preview_expired(job, now=job.checked_at + preview_time + dt.timedelta(minutes=1))
    assert import_jobs_purge() == 0 and default_storage.exists(job.file.name)
    assert confirm(leader_client, job)["Location"] == reverse("core:import_job", args=[job.token])
    job.refresh_from_db()
    assert job.status == "done" and Placement.objects.count() == 2


def test_a_redelivered_check_that_fails_after_the_first_set_the_preview_keeps_the_file(leader_client, rows,
                                                                                       worker_later, monkeypatch):
    """Two deliveries of one check: the first leaves the preview while the second is still reading; the second
    then fails. Its FAILED update does not apply, so the file the user can confirm stays."""
    upload(leader_client, xlsx_bytes(rows))
    job = ImportJob.objects.get()
    check_placements = importjobs.CHECKERS["placements"]

    def first_delivery_finishes_meanwhile(*, job, data, progress):
        ImportJob.objects.filter(pk=job.pk).update(
            status="preview", checked_at=timezone.now(),
            summary={"preview": check_placements(job=job, data=data, progress=progress).summary})
        raise OSError("the second delivery's worker lost its disk")

    monkeypatch.setitem(importjobs.CHECKERS, "placements", first_delivery_finishes_meanwhile)
    assert import_job_check(job_id=job.pk, redelivered=True).status == "preview"
    assert default_storage.exists(job.file.name)
    monkeypatch.setitem(importjobs.CHECKERS, "placements", check_placements)
    confirm(leader_client, job)
    job.refresh_from_db()
    assert job.status == "done" and Placement.objects.count() == 2


def test_a_check_whose_job_was_deleted_meanwhile_ends_quietly(leader_client, rows, worker_later, monkeypatch):
    upload(leader_client, xlsx_bytes(rows))
    job = ImportJob.objects.get()
    check_placements = importjobs.CHECKERS["placements"]

    def deleted_while_checking(*, job, data, progress):
        importjobs._delete(ImportJob.objects.get(pk=job.pk))
        return check_placements(job=job, data=data, progress=progress)

    monkeypatch.setitem(importjobs.CHECKERS, "placements", deleted_while_checking)
    assert importjobs.check_import_job.apply(args=[job.pk]).get() == "skipped"
    assert not ImportJob.objects.exists()
