"""Import jobs: the preview stores the file, confirming queues a Celery task, the page polls for progress.

- `import_job_create` stores an upload that was read (its file checks passed). The job is CHECKING and a
  Celery task (`import_job_check`) validates every row with the checker its app registered, reporting
  progress, then leaves the job PREVIEW with what the preview page shows (`ImportPreview`) or FAILED with the
  per-row errors; the check writes nothing but the job's row.
- `import_job_confirm` moves PREVIEW → QUEUED with a conditional update (a second click does nothing) and
  publishes the task; if the broker cannot be reached the job runs in the request instead, so an import
  never waits for Redis.
- `import_job_run` claims QUEUED → RUNNING the same way (a duplicate delivery does nothing; a job whose
  worker died is claimable again after the hard time limit) and calls the runner its app registered for
  the kind. The runner writes all rows in one transaction or none and returns the per-row errors.
- Progress: while the write transaction is open the row cannot show it to other connections, so the
  runner's progress goes to the cache (and to the row whenever no transaction is open).
- `import_jobs_purge` (hourly beat job) deletes previews nobody confirmed within IMPORT_PREVIEW_MINUTES
  and finished jobs after IMPORT_JOB_KEEP_DAYS, with their files; an expired preview is also refused
  and deleted when someone tries to confirm it. The preview's minutes count from `checked_at`, when the
  preview became ready (the check finished), not from the upload: time the check waited in the queue is not
  the user's. A job still CHECKING is purged only once it is older than the preview time plus the hard time
  limit (its check never ran or its worker died).
"""

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass, field
from types import SimpleNamespace

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from core.models import ImportJob

logger = logging.getLogger(__name__)

RUNNERS = {}
CHECKERS = {}


@dataclass
class ImportOutcome:
    """What a runner reports: per-row errors (row, column, message) when it wrote nothing, else a summary."""

    errors: list = field(default_factory=list)
    message: str = ""
    summary: dict = field(default_factory=dict)


def register_import_runner(kind: str, runner) -> None:
    """`runner(job=…, data=…, progress=…) -> ImportOutcome`, registered by each app for its kind."""
    RUNNERS[kind] = runner


def register_import_checker(kind: str, checker) -> None:
    """`checker(job=…, data=…, progress=…) -> ImportOutcome`: validate without writing; `summary` is the preview
    (JSON: counts, notices, warnings as [row, column, message], rows as dicts, row_count)."""
    CHECKERS[kind] = checker


@dataclass(frozen=True)
class PreviewLine:
    row: int
    column: str
    message: str


@dataclass
class ImportPreview:
    """What a checked job's preview shows, read back from the job: the same attributes the templates read."""

    errors: list = field(default_factory=list)
    notices: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    row_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @classmethod
    def of(cls, job: ImportJob) -> "ImportPreview":
        stored = (job.summary or {}).get("preview") or {}
        return cls(errors=[PreviewLine(*line) for line in job.errors or []],
                   notices=list(stored.get("notices", [])),
                   warnings=[PreviewLine(*line) for line in stored.get("warnings", [])],
                   rows=[SimpleNamespace(**row) for row in stored.get("rows", [])],
                   counts=dict(stored.get("counts", {})), row_count=stored.get("row_count", 0))


def _hard_limit() -> dt.timedelta:
    return dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def _preview_time() -> dt.timedelta:
    return dt.timedelta(minutes=settings.IMPORT_PREVIEW_MINUTES)


def preview_expired(job: ImportJob, *, now: dt.datetime | None = None) -> bool:
    """Whether the preview was ready longer ago than IMPORT_PREVIEW_MINUTES (counted from the end of its check)."""
    now = now or timezone.now()
    ready_at = job.checked_at or job.created_at  # a preview stored before checked_at was recorded
    return job.status == ImportJob.Status.PREVIEW and ready_at < now - _preview_time()


def import_job_create(*, user, kind: str, data: bytes, name: str, rows_total: int, params=None) -> ImportJob:
    """Store the upload as a job and queue its check (run in the request if the broker is down, and then the
    returned job is already PREVIEW or FAILED)."""
    job = ImportJob(kind=kind, user=user, file_name=name[:100], rows_total=rows_total, params=params or {},
                    status=ImportJob.Status.CHECKING)
    job.file.save(f"{kind}-{job.token.hex}.bin", ContentFile(data), save=False)
    job.save()
    try:
        check_import_job.apply_async(args=[job.pk])
    except (BrokerError, RedisError, OSError) as exc:
        logger.warning("Import check %s runs in the request: broker unreachable (%s)", job.pk,
                       exc.__class__.__name__)
        import_job_check(job_id=job.pk)
    job.refresh_from_db()
    return job


def _delete(job: ImportJob) -> None:
    if job.file:
        default_storage.delete(job.file.name)
    job.delete()


def import_job_confirm(*, user, job: ImportJob) -> ImportJob:
    """The user confirms their own preview; raises ValidationError (Swedish) if it expired or was used."""
    if job.user_id != user.pk:
        raise ValidationError(_("Förhandsgranskningen finns inte. Ladda upp filen igen."))
    if preview_expired(job):
        _delete(job)
        raise ValidationError(_("Förhandsgranskningen har gått ut. Ladda upp filen igen."))
    changed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEW).update(
        status=ImportJob.Status.QUEUED)
    job.refresh_from_db()
    if changed == 1:
        import_job_enqueue(job)
        job.refresh_from_db()
    return job


def import_job_enqueue(job: ImportJob) -> None:
    try:
        run_import_job.apply_async(args=[job.pk])
    except (BrokerError, RedisError, OSError) as exc:
        logger.warning("Import job %s runs in the request: broker unreachable (%s)", job.pk, exc.__class__.__name__)
        import_job_run(job_id=job.pk)


def _progress_key(job_id: int) -> str:
    return f"import-job-progress:{job_id}"


class _Progress:
    """Reports rows done to the cache (shared with the web processes) and, outside a transaction, to the row.
    A cache that fails once is not asked again for this job."""

    def __init__(self, job: ImportJob):
        self.job, self.cache_ok = job, True

    def __call__(self, done: int, total: int | None = None) -> None:
        if self.cache_ok:
            try:
                cache.set(_progress_key(self.job.pk), [done, total or self.job.rows_total], 3600)
            except Exception:  # any cache backend's error: progress is a nicety, the import goes on
                self.cache_ok = False
        if not connection.in_atomic_block:
            ImportJob.objects.filter(pk=self.job.pk).update(rows_done=done)


def import_job_progress(job: ImportJob) -> tuple[int, int]:
    """(rows done, rows in all) for the progress bar."""
    if job.status == ImportJob.Status.DONE:
        return job.rows_total, job.rows_total
    if job.status in (ImportJob.Status.CHECKING, ImportJob.Status.RUNNING):
        try:
            cached = cache.get(_progress_key(job.pk))
        except Exception:  # the cache is down: show what the row knows
            cached = None
        if cached:
            return min(cached[0], cached[1]), cached[1]
    return min(job.rows_done, job.rows_total), job.rows_total


def _technical_error() -> ImportOutcome:
    return ImportOutcome(errors=[(0, "", _("Importen kunde inte göras på grund av ett tekniskt fel. Ingenting "
                                           "har sparats. Försök igen eller kontakta förvaltningen."))])


def import_job_check(*, job_id: int, redelivered: bool = False) -> ImportJob | None:
    """Claim and check one CHECKING job (None when another worker has it, it is checked or it was purged): its
    kind's checker validates every row; the job becomes PREVIEW with the preview in `summary` and `checked_at`,
    or FAILED with the errors (and its file deleted, by the delivery whose FAILED update applied). Writes only
    the job's row. Claimed like import_job_run: a check whose worker died is claimable again after the hard
    time limit, or at once on redelivery."""
    now = timezone.now()
    claimable = Q(status=ImportJob.Status.CHECKING) & (Q(started_at__isnull=True)
                                                        | Q(started_at__lt=now - _hard_limit()))
    if redelivered:
        claimable = Q(status=ImportJob.Status.CHECKING)
    if ImportJob.objects.filter(pk=job_id).filter(claimable).update(started_at=now, rows_done=0) != 1:
        return None
    job = ImportJob.objects.select_related("user").filter(pk=job_id).first()
    if job is None:  # purged between the claim and now
        return None
    outcome = _outcome_of(job, CHECKERS, "Import check")
    checking = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.CHECKING)
    if outcome.errors:
        failed = checking.update(status=ImportJob.Status.FAILED, finished_at=timezone.now(), file="", rows_done=0,
                                 errors=[list(e) for e in outcome.errors], summary={"message": outcome.message})
        if failed == 1 and job.file:  # else another delivery finished the check and the file is its job's
            default_storage.delete(job.file.name)
    else:
        checking.update(status=ImportJob.Status.PREVIEW, started_at=None, rows_done=0, checked_at=timezone.now(),
                        summary={"preview": outcome.summary})
    with contextlib.suppress(Exception):  # a stale progress entry expires by itself
        cache.delete(_progress_key(job_id))
    return ImportJob.objects.filter(pk=job_id).first()


def _outcome_of(job: ImportJob, handlers: dict, what: str):
    """The job's file through its kind's checker or runner; anything it raises is a technical error (logged)."""
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        return handlers[job.kind](job=job, data=data, progress=_Progress(job))
    except Exception:
        logger.exception("%s %s failed", what, job.pk)
        return _technical_error()


@shared_task(bind=True, name="core.importjobs.check_import_job", acks_late=True, reject_on_worker_lost=True,
             ignore_result=True)
def check_import_job(self, job_id: int) -> str:
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    job = import_job_check(job_id=job_id, redelivered=redelivered)
    return job.status if job is not None else "skipped"


def import_job_run(*, job_id: int, redelivered: bool = False) -> ImportJob | None:
    """Claim and run one job; None when another worker has it or it is finished. `redelivered`: the broker hands
    the task out again because the worker running it died (acks_late), so a job left "running" is taken over at
    once; its write was one transaction, so the dead worker left nothing behind."""
    now = timezone.now()
    claimable = Q(status=ImportJob.Status.QUEUED) | Q(status=ImportJob.Status.RUNNING,
                                                      started_at__lt=now - _hard_limit())
    if redelivered:
        claimable |= Q(status=ImportJob.Status.RUNNING)
    if ImportJob.objects.filter(pk=job_id).filter(claimable).update(
            status=ImportJob.Status.RUNNING, started_at=now, rows_done=0) != 1:
        return None
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    outcome = _outcome_of(job, RUNNERS, "Import job")
    status = ImportJob.Status.FAILED if outcome.errors else ImportJob.Status.DONE
    ImportJob.objects.filter(pk=job_id).update(
        status=status, finished_at=timezone.now(), errors=[list(e) for e in outcome.errors],
        summary={"message": outcome.message, **outcome.summary}, file="",
        rows_done=job.rows_total if status == ImportJob.Status.DONE else 0)
    if job.file:
        default_storage.delete(job.file.name)
    with contextlib.suppress(Exception):  # a stale progress entry expires by itself
        cache.delete(_progress_key(job_id))
    job.refresh_from_db()
    return job


@shared_task(bind=True, name="core.importjobs.run_import_job", acks_late=True, reject_on_worker_lost=True,
             ignore_result=True)
def run_import_job(self, job_id: int) -> str:
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    job = import_job_run(job_id=job_id, redelivered=redelivered)
    return job.status if job is not None else "skipped"


def import_jobs_purge(*, now: dt.datetime | None = None) -> int:
    """Delete unconfirmed previews ready longer than IMPORT_PREVIEW_MINUTES ago, checks that cannot be running
    any more (uploaded longer ago than the preview time plus the hard time limit), and finished jobs past
    IMPORT_JOB_KEEP_DAYS, with their files, and any stray file under imports/ as old as an expired preview.
    Returns jobs deleted."""
    now = now or timezone.now()
    expired = now - _preview_time()
    old = ImportJob.objects.filter(
        Q(status=ImportJob.Status.PREVIEW, checked_at__lt=expired)
        | Q(status=ImportJob.Status.PREVIEW, checked_at__isnull=True, created_at__lt=expired)
        | (Q(status=ImportJob.Status.CHECKING, created_at__lt=expired - _hard_limit())
           & (Q(started_at__isnull=True) | Q(started_at__lt=now - _hard_limit())))
        | Q(status__in=(ImportJob.Status.DONE, ImportJob.Status.FAILED),
            finished_at__lt=now - dt.timedelta(days=settings.IMPORT_JOB_KEEP_DAYS))
    )
    deleted = 0
    for job in old:
        _delete(job)
        deleted += 1
    kept = set(ImportJob.objects.exclude(file="").values_list("file", flat=True))
    cutoff = expired
    try:
        _dirs, files = default_storage.listdir("imports")
    except FileNotFoundError:
        files = []
    for name in files:
        path = f"imports/{name}"
        if path not in kept and default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
    return deleted


@shared_task(name="core.importjobs.purge_import_jobs", ignore_result=True)
def purge_import_jobs() -> int:
    return import_jobs_purge()


__all__ = ["ImportOutcome", "ImportPreview", "import_job_check", "import_job_confirm", "import_job_create",
           "import_job_progress", "import_job_run", "import_jobs_purge", "register_import_checker",
           "register_import_runner"]
