"""Writes of the reporting app: requesting, building, retrying and sweeping report runs.

The ReportRun row is the state (queued → running → done / failed); Celery only carries the run id.
- `report_run_request` creates the row and enqueues the build after the transaction commits. If the
  broker is unreachable the row simply stays queued (`run.enqueue_failed` is set so the view can say
  so) and the periodic sweeper or `manage.py run_pending_reports` builds it later.
- `report_run_build` claims the row with a conditional UPDATE (queued → running, or a running row
  whose worker died), so a duplicate delivery does nothing; attempts are counted and capped; a
  transient database error puts the row back in the queue and re-raises for Celery's retry with
  backoff; any other error marks it failed with the text.
- While a build runs, a heartbeat thread stamps `heartbeat_at` every REPORT_HEARTBEAT_SECONDS. A running
  row without a heartbeat for REPORT_STALE_AFTER_SECONDS belongs to a dead worker (the whole worker
  killed, not just its pool process, leaves the message unacknowledged in Redis for the visibility
  timeout): the sweeper, run by beat every minute, re-publishes it, and the leader may retry it from
  the run's page.
- A scheduled monthly run is announced to the steering group when it is done, whichever attempt
  finished it (once per run, `notified_at`).
"""

import datetime as dt
import logging
import os
import threading
import time
import uuid
from contextlib import contextmanager
from functools import partial
from zoneinfo import ZoneInfo

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, InterfaceError, connection, transaction
from django.db import OperationalError as DatabaseOperationalError
from django.db.models import F, Q
from django.template.loader import get_template
from django.template.loader_tags import ExtendsNode, IncludeNode
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core import changelog
from core.cache import delete_if_holds
from core.dates import previous_month
from core.mail import email_queue, render_plain
from core.models import Role
from core.pdf import prepare_render, render_pdf, renders_in_child, run_in_child
from organisations.models import Project
from reporting.documents import FINAL_SECTION_KEYS, final_context, monthly_context
from reporting.exports import figures_json, figures_xlsx
from reporting.models import FinalReportText, ReportRun
from reporting.permissions import may_edit_final_texts, may_request, sees_suppressed_figures
from reporting.selectors import (
    final_report_period,
    projects_active_between,
    report_figures,
    report_figures_computed_unless_kept,
    report_figures_key,
)
from reporting.suppression import steering_period_refusal, suppress_small_counts

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
STOCKHOLM = ZoneInfo("Europe/Stockholm")
# Errors worth retrying: the database went away for a moment.
TRANSIENT_ERRORS = (DatabaseOperationalError, InterfaceError)


def broker_errors() -> tuple[type[BaseException], ...]:
    """What publishing a task raises when Redis is unreachable."""
    return (KombuOperationalError, ConnectionError, TimeoutError, OSError, RedisConnectionError, RedisTimeoutError)


def stale_after() -> dt.timedelta:
    """A running build that has not stamped its heartbeat for this long has lost its worker."""
    return dt.timedelta(seconds=settings.REPORT_STALE_AFTER_SECONDS)


def _stale_running(now: dt.datetime) -> Q:
    limit = now - stale_after()
    return Q(status=ReportRun.Status.RUNNING) & (
        Q(heartbeat_at__lt=limit) | Q(heartbeat_at__isnull=True, started_at__lt=limit))


def run_is_stuck(run: ReportRun, *, now: dt.datetime | None = None) -> bool:
    """Running without a sign of life, or queued for longer than a build takes to start: the page offers
    "Försök igen" for such a run."""
    now = now or timezone.now()
    if run.status == ReportRun.Status.RUNNING:
        alive_at = run.heartbeat_at or run.started_at
        return alive_at is None or alive_at < now - stale_after()
    if run.status == ReportRun.Status.QUEUED:
        return run.created_at is not None and run.created_at < now - stale_after()
    return False


# --- documents ------------------------------------------------------------------------------------


def build_report(*, kind: str, project: Project, period_start: dt.date, period_end: dt.date,
                 render: bool = True) -> tuple[dict, bytes]:
    """(figures, PDF bytes). Figures are raw; the monthly PDF is the steering group's, so it is suppressed.

    Where PDFs are rendered in a forked child (settings.PDF_RENDER_IN_CHILD) and no transaction is open here, the
    figures are computed in that child too, on its own connections: the heap their rows grow (≈ 10 MB for the
    final report at scale 100, not given back to the system) leaves with the child instead of staying in the
    worker (docs/benchmarks.md § 19). Inside a transaction (whose writes another connection would not see) they
    are computed here."""
    build = partial(_build_report, kind=kind, project=project, period_start=period_start, period_end=period_end,
                    render=render)
    if render and renders_in_child() and not changelog.in_transaction(connection):
        _compile_template(kind)
        return run_in_child(build, raise_as_is=True, what="The report build")
    return build()


@contextmanager
def as_built():
    """The language and time zone a report is built in, whoever asked for it (the figures kept for a build are
    kept under its time zone: they hold no translated text)."""
    with translation.override("sv"), timezone.override(STOCKHOLM):
        yield


PDF_TEMPLATES = {ReportRun.Kind.MONTHLY: "reporting/pdf/monthly.html", ReportRun.Kind.FINAL: "reporting/pdf/final.html"}
_compiled: set[str] = set()


def _compile_template(kind: str) -> None:
    """The report's template, the template it extends and those it includes by name, compiled in this process
    once (the Swedish catalogue loaded with them): Django's cached template loader keeps them, so each build's
    forked child renders compiled templates instead of looking for, reading and compiling them again (16 for the
    monthly; ≈ 25–30 ms a build, lost with the child). `{% extends %}` and `{% include %}` find theirs when
    rendering, so their names are read from the compiled nodes here."""
    if kind not in PDF_TEMPLATES or kind in _compiled:
        return
    with translation.override("sv"):
        names, seen = [PDF_TEMPLATES[kind]], set()
        while names:
            name = names.pop()
            if name in seen:
                continue
            seen.add(name)
            template = get_template(name).template
            for node in template.nodelist.get_nodes_by_type((ExtendsNode, IncludeNode)):
                expression = node.parent_name if isinstance(node, ExtendsNode) else node.template
                if isinstance(expression.var, str):  # a name written in the template, not a variable
                    names.append(expression.var)
    _compiled.add(kind)


def _build_report(*, kind: str, project: Project, period_start: dt.date, period_end: dt.date,
                  render: bool) -> tuple[dict, bytes]:
    pdf = b""
    if render:
        prepare_render()  # what the render imports, imported while the figures' SQL runs
    with as_built():
        if kind == ReportRun.Kind.MONTHLY:
            figures = report_figures(kind, project, period_start, period_end)
            if render:
                pdf = render_pdf(PDF_TEMPLATES[kind], monthly_context(figures, suppress=True, pdf=True),
                                 template_in_child=True)
        elif kind == ReportRun.Kind.FINAL:
            figures = report_figures(kind, project, period_start, period_end)
            texts = {text.section: text for text in FinalReportText.objects.filter(project=project)}
            if render:
                pdf = render_pdf(PDF_TEMPLATES[kind], final_context(figures, texts), template_in_child=True)
        else:
            raise ValueError(f"Unknown report kind {kind!r}")
    return figures, pdf


def figures_file(figures: dict, *, fmt: str, suppress: bool) -> bytes:
    """A run's figures as the JSON or XLSX download: suppressed for the steering group, raw for the leader."""
    shown = suppress_small_counts(figures) if suppress else figures
    return figures_json(shown) if fmt == "json" else figures_xlsx(shown)


def report_output(*, kind: str, project: Project, period_start: dt.date, period_end: dt.date, fmt: str,
                  suppress: bool) -> bytes:
    """What the web gives for a run of this report in this format (build_report's contract)."""
    figures, pdf = build_report(kind=kind, project=project, period_start=period_start, period_end=period_end,
                                render=fmt == "pdf")
    return pdf if fmt == "pdf" else figures_file(figures, fmt=fmt, suppress=suppress)


def report_filename(run: ReportRun) -> str:
    return f"{run.kind}-{run.project.slug}-{run.period_start:%Y%m%d}-{run.period_end:%Y%m%d}-{run.pk}.pdf"


# --- requesting -----------------------------------------------------------------------------------


def _validate_period(period_start: dt.date, period_end: dt.date) -> None:
    if period_start is None or period_end is None:
        raise ValidationError({"period_start": _("Ange periodens första och sista dag.")})
    if period_end < period_start:
        raise ValidationError({"period_end": _("Periodens slut kan inte vara före dess början.")})
    if (period_end - period_start).days > 366 * 10:
        raise ValidationError({"period_end": _("Perioden får vara högst tio år.")})


def enqueue_run(run: ReportRun) -> bool:
    """Publish the build task. On a broker error the row stays queued for the sweeper; returns success."""
    # reporting.tasks imports this module at its top (the tasks call the services): the one import cycle,
    # broken here rather than by a task registry.
    from reporting.tasks import build_report_run  # noqa: PLC0415

    try:
        build_report_run.apply_async(args=[run.pk])
    except broker_errors() as exc:
        logger.warning("Report run %s stays queued: broker unreachable (%s)", run.pk, exc.__class__.__name__)
        run.enqueue_failed = True
        return False
    run.enqueue_failed = False
    return True


def _throttle(user) -> None:
    """A build takes a worker for up to minutes: one person may have a few waiting at a time, and a limited
    number per hour. Counted in the database (not the cache), under a lock on the user's row, so concurrent
    requests cannot slip past and a Redis outage changes nothing."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    mine = ReportRun.objects.filter(requested_by=user)
    waiting = mine.filter(status__in=(ReportRun.Status.QUEUED, ReportRun.Status.RUNNING)).count()
    if waiting >= settings.REPORT_MAX_WAITING_PER_USER:
        raise ValidationError(_(
            "Du har redan %(n)s rapporter som väntar på att byggas. Vänta tills de är klara och beställ "
            "sedan nästa.") % {"n": waiting})
    recent = mine.filter(created_at__gte=timezone.now() - dt.timedelta(hours=1)).count()
    if recent >= settings.REPORT_MAX_PER_HOUR_PER_USER:
        raise ValidationError(_(
            "Du har beställt %(n)s rapporter den senaste timmen, vilket är det högsta antalet. Försök igen "
            "om en stund.") % {"n": recent})


def report_run_request(*, user, kind: str, project: Project, period_start: dt.date,
                       period_end: dt.date) -> ReportRun:
    if not may_request(user, kind):
        raise PermissionDenied(_("Du får inte beställa den här rapporten."))
    _validate_period(period_start, period_end)
    if sees_suppressed_figures(user):
        refusal = steering_period_refusal(period_start, period_end)
        if refusal:
            raise ValidationError({"period_end": refusal})
    with transaction.atomic():
        _throttle(user)
        run = ReportRun.objects.create(kind=kind, project=project, period_start=period_start,
                                       period_end=period_end, requested_by=user)
        transaction.on_commit(partial(enqueue_run, run))
    return run


def report_run_retry(*, user, run: ReportRun) -> ReportRun:
    if not may_request(user, run.kind):
        raise PermissionDenied(_("Du får inte beställa den här rapporten."))
    now = timezone.now()
    retryable = (Q(status=ReportRun.Status.FAILED) | _stale_running(now)
                 | Q(status=ReportRun.Status.QUEUED, created_at__lt=now - stale_after()))
    with transaction.atomic():
        changed = ReportRun.objects.filter(retryable, pk=run.pk).update(
            status=ReportRun.Status.QUEUED, attempts=0, error="", started_at=None, heartbeat_at=None,
            finished_at=None)
        if changed != 1:
            raise ValidationError(_("Bara en misslyckad rapport eller en som har fastnat kan köras igen."))
        run.refresh_from_db()
        transaction.on_commit(partial(enqueue_run, run))
    return run


# --- building -------------------------------------------------------------------------------------


def _claim(run_id: int, *, redelivered: bool = False) -> dt.datetime | None:
    now = timezone.now()
    claimable = Q(status=ReportRun.Status.QUEUED) | _stale_running(now)
    if redelivered:
        # The broker hands a message out again only when the worker holding it is gone (its process was
        # killed: task_reject_on_worker_lost requeues it; or the visibility timeout, longer than the hard
        # time limit, ran out), so the run that worker left "running" is orphaned: take it over now.
        claimable |= Q(status=ReportRun.Status.RUNNING)
    changed = (
        ReportRun.objects.filter(pk=run_id, attempts__lt=MAX_ATTEMPTS).filter(claimable)
        .update(status=ReportRun.Status.RUNNING, started_at=now, heartbeat_at=now, finished_at=None, error="",
                attempts=F("attempts") + 1)
    )
    return now if changed == 1 else None


def _fail_exhausted(queryset, *, orphaned: bool = False) -> int:
    now = timezone.now()
    running = Q(status=ReportRun.Status.RUNNING) if orphaned else _stale_running(now)
    exhausted = queryset.filter(attempts__gte=MAX_ATTEMPTS).filter(Q(status=ReportRun.Status.QUEUED) | running)
    return exhausted.update(
        status=ReportRun.Status.FAILED, finished_at=now,
        error=_("Rapporten kunde inte byggas efter %(n)s försök.") % {"n": MAX_ATTEMPTS},
    )


def _fault_test_delay() -> None:
    """Fault-test hook: tests/faults/test_worker_killed.py starts its own worker with
    REPORT_TEST_DELAY_SECONDS set, so it can kill the worker in the middle of a build. Unset anywhere else."""
    seconds = float(os.environ.get("REPORT_TEST_DELAY_SECONDS") or 0)
    if seconds > 0:
        time.sleep(seconds)


class _Heartbeat:
    """Stamps `heartbeat_at` on the claimed row from a thread of its own while the build runs (rendering
    a PDF is one long call that cannot stamp it itself). Stops when the build ends, or when the row is no
    longer this build's."""

    def __init__(self, queryset):
        self.queryset = queryset
        self.interval = float(settings.REPORT_HEARTBEAT_SECONDS)
        self.stopped = threading.Event()
        self.thread = None

    def __enter__(self):
        if self.interval > 0:
            self.thread = threading.Thread(target=self._beat, name="report-heartbeat", daemon=True)
            self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopped.set()
        if self.thread is not None:
            self.thread.join()

    def _beat(self):
        try:
            while not self.stopped.wait(self.interval):
                try:
                    if self.queryset.update(heartbeat_at=timezone.now()) != 1:
                        return
                except DatabaseError:
                    logger.warning("Report heartbeat could not be written", exc_info=True)
        finally:
            connection.close()


def report_run_build(*, run_id: int, redelivered: bool = False) -> ReportRun | None:
    """Build one run if it can be claimed; None when another worker has it or it is already final.

    `redelivered`: the broker delivers this task's message again because the worker running it died;
    a run still marked running is then taken over (once per attempt, capped by MAX_ATTEMPTS)."""
    started = _claim(run_id, redelivered=redelivered)
    if started is None:
        _fail_exhausted(ReportRun.objects.filter(pk=run_id), orphaned=redelivered)
        return None
    mine = ReportRun.objects.filter(pk=run_id, status=ReportRun.Status.RUNNING, started_at=started)
    # The figures (tens of kB of JSON) are read from the row only where they are shown, never by the build:
    # decoding them in a worker leaves ≈ 0.25 MB of its heap behind per report (docs/benchmarks.md § 21).
    # `run.figures` still reads them, on first access.
    runs = ReportRun.objects.select_related("project").defer("figures")
    run = runs.get(pk=run_id)
    try:
        with _Heartbeat(mine):
            _fault_test_delay()
            figures, pdf = build_report(kind=run.kind, project=run.project, period_start=run.period_start,
                                        period_end=run.period_end)
    except TRANSIENT_ERRORS:
        logger.warning("Report run %s: transient database error, back to the queue", run_id, exc_info=True)
        mine.update(status=ReportRun.Status.QUEUED)
        raise
    except Exception as exc:
        logger.exception("Report run %s failed", run_id)
        mine.update(status=ReportRun.Status.FAILED, finished_at=timezone.now(),
                    error=f"{exc.__class__.__name__}: {exc}"[:4000])
        run.refresh_from_db()
        return run

    previous_file = run.file.name
    run.file.save(report_filename(run), ContentFile(pdf), save=False)
    changed = mine.update(status=ReportRun.Status.DONE, file=run.file.name, figures=figures,
                          finished_at=timezone.now(), error="")
    if changed != 1:
        # Another worker reclaimed the row meanwhile: keep its result, drop ours.
        default_storage.delete(run.file.name)
        return None
    if previous_file and previous_file != run.file.name:
        default_storage.delete(previous_file)
    run = runs.get(pk=run_id)
    if run.kind == ReportRun.Kind.MONTHLY and run.requested_by_id is None:
        notify_steering_group(run=run)  # the scheduled report, on whichever attempt finished it
    return run


def _pending(*, older_than: dt.timedelta) -> list[int]:
    now = timezone.now()
    return list(
        ReportRun.objects.filter(attempts__lt=MAX_ATTEMPTS).filter(
            Q(status=ReportRun.Status.QUEUED, created_at__lt=now - older_than) | _stale_running(now)
        ).order_by("created_at").values_list("pk", flat=True)
    )


def report_runs_requeue_stale(*, older_than: dt.timedelta = dt.timedelta(minutes=1)) -> int:
    """The sweeper: re-publish runs left queued (broker was down) or running on a dead worker."""
    _fail_exhausted(ReportRun.objects.all())
    published = 0
    for run in ReportRun.objects.filter(pk__in=_pending(older_than=older_than)).order_by("created_at"):
        if not enqueue_run(run):
            break  # the broker is still down; try again at the next sweep
        published += 1
    return published


def report_runs_build_pending(*, older_than: dt.timedelta = dt.timedelta(0)) -> list[ReportRun]:
    """Build pending runs in this process (manage.py run_pending_reports; no broker needed)."""
    _fail_exhausted(ReportRun.objects.all())
    built = []
    for run_id in _pending(older_than=older_than):
        run = report_run_build(run_id=run_id)
        if run is not None:
            built.append(run)
    return built


# --- the monthly schedule -------------------------------------------------------------------------


def notify_steering_group(*, run: ReportRun) -> int:
    """E-mail the steering group a link to the run's page (never the file). Once per run."""
    if run.status != ReportRun.Status.DONE or run.notified_at is not None:
        return 0
    claimed = ReportRun.objects.filter(pk=run.pk, notified_at__isnull=True).update(notified_at=timezone.now())
    if claimed != 1:
        return 0
    recipients = list(
        get_user_model().objects.filter(role=Role.STEERING, is_active=True).exclude(email="")
        .values_list("email", flat=True)
    )
    link = settings.SITE_URL.rstrip("/") + reverse("reporting:run_detail", args=[run.pk])
    with translation.override("sv"):
        subject = _("Månadsrapporten för %(project)s, %(month)s, finns att hämta") % {
            "project": run.project.name, "month": run.period_start.strftime("%Y-%m")}
        body = render_plain("reporting/email/monthly_ready.txt", {"run": run, "link": link})
    for email in recipients:
        email_queue(to=[email], subject=subject, body=body)
    return len(recipients)


def monthly_reports_schedule(*, today: dt.date | None = None) -> list[ReportRun]:
    """On the 1st: build last month's report for each project active then, and e-mail the steering group."""
    period_start, period_end = previous_month(today or timezone.localdate())
    runs = []
    for project in projects_active_between(period_start, period_end):
        run, _created = ReportRun.objects.get_or_create(
            kind=ReportRun.Kind.MONTHLY, project=project, period_start=period_start, period_end=period_end,
            requested_by=None,
        )
        if run.status in (ReportRun.Status.QUEUED, ReportRun.Status.RUNNING):
            report_run_build(run_id=run.pk)
            run.refresh_from_db()
        notify_steering_group(run=run)
        runs.append(run)
    return runs


# --- report figures computed ahead ---------------------------------------------------------------

KEEP_CURRENT_LOCK = "reporting:figures-keep-current:lock"
KEEP_CURRENT_STATE = "reporting:figures-keep-current:state"
# The newest write is left this long before the figures after it are computed: in a burst of writes (a list edited
# row by row) the next one would make them old at once.
QUIET_BEFORE_KEEPING = dt.timedelta(seconds=5)
# The final report is written in the months after a project ends: its figures are kept current that long.
FINAL_KEPT_AFTER_END = dt.timedelta(days=92)
# A run is stopped after this long (its task's time limit), and the lock it holds expires with it: a worker killed
# in a run keeps the next runs waiting no longer than this.
KEEP_CURRENT_TIME_LIMIT = 5 * 60


def reports_kept_current(today: dt.date) -> list[tuple[str, Project, dt.date, dt.date]]:
    """The reports whose figures are computed ahead: the final report of each project active today or ended
    within FINAL_KEPT_AFTER_END (the project so far: the period its editor, preview and request form offer), and
    the last ended month's report of each project active in that month (those monthly_reports_schedule builds on
    the 1st; the request form's default)."""
    month_start, month_end = previous_month(today)
    ended_since = today - FINAL_KEPT_AFTER_END
    reports = []
    for project in projects_active_between(min(month_start, ended_since), today).order_by("pk"):
        if project.end_date >= ended_since:
            reports.append((ReportRun.Kind.FINAL, project, *final_report_period(project, today)))
        if project.start_date <= month_end and project.end_date >= month_start:
            reports.append((ReportRun.Kind.MONTHLY, project, month_start, month_end))
    return reports


def report_figures_keep_current() -> int:
    """After data were written, the figures of the reports in reports_kept_current computed as their build
    computes them and kept (reporting.selectors.report_figures), so that a build requested later takes them
    instead of computing them; the number of reports computed. Run by beat every
    settings.REPORT_FIGURES_KEEP_CURRENT_SECONDS. Nothing where figures are not kept (the setting 0, not
    PostgreSQL, inside a transaction, the cache not shared while Redis is unavailable), while another run is
    computing, while nothing was written since the last run (and the reports are the same), or while the newest
    write is younger than QUIET_BEFORE_KEEPING. The figures are computed in a forked child where PDFs are (their
    rows' heap leaves with it).

    A report that cannot be computed is logged and the others are computed; a run that fails as a whole (its
    child lost, its time limit reached) is logged too. Either way the run counts as done: what failed is tried
    again after the next write, the next day or the state's expiry, not every few seconds (its build computes
    its figures itself meanwhile)."""
    seconds = settings.REPORT_FIGURES_REUSE_SECONDS
    if (seconds <= 0 or settings.REPORT_FIGURES_KEEP_CURRENT_SECONDS <= 0 or connection.vendor != "postgresql"
            or changelog.in_transaction(connection) or not _cache_shared()):
        return 0
    token = uuid.uuid4().hex
    if not cache.add(KEEP_CURRENT_LOCK, token, timeout=KEEP_CURRENT_TIME_LIMIT):
        return 0
    try:
        with as_built():
            reports = reports_kept_current(timezone.localdate())
            keys = sorted(report_figures_key(kind, project.pk, start, end) for kind, project, start, end in reports)
            state = cache.get(KEEP_CURRENT_STATE)
            if state is not None and state["keys"] == keys and not changelog.changed_since(state["since"]):
                return 0
            age = changelog.newest_change_age()
            if age is not None and age < QUIET_BEFORE_KEEPING:
                return 0
            since = changelog.moment()
            if since is None or not _cache_shared():
                return 0
            compute = partial(_compute_unless_kept, reports)
            try:
                computed, shared = (run_in_child(compute, what="Computing report figures ahead")
                                    if renders_in_child() else compute())
            except Exception:
                logger.exception("Report figures could not be computed ahead")
                computed, shared = 0, True
            if not (shared and _cache_shared()):
                logger.warning("Report figures computed ahead while Redis failed may be this process's only; "
                               "computed again at the next look")
                return computed
            # Looked at again after half the figures' time in the cache: a figure that expires is computed again
            # within two looks of it (the look before took it as kept).
            cache.set(KEEP_CURRENT_STATE, {"since": since, "keys": keys}, max(seconds // 2, 1))
            return computed
    finally:
        # Only its own lock: one that expired in a run too long may be another run's by now. (While Redis is
        # unavailable here, the lock there is not seen: it expires with the time limit.)
        delete_if_holds(cache, KEEP_CURRENT_LOCK, token)


def _cache_shared() -> bool:
    """Whether the cache is the one every process shares: while Redis is unavailable, a process's memory cache
    stands in (core.cache.ResilientRedisCache), where a lock or figures are this process's own."""
    return getattr(cache, "redis_available", True)


def _compute_unless_kept(reports: list[tuple[str, Project, dt.date, dt.date]]) -> tuple[int, bool]:
    """How many were computed, and whether Redis took every call meanwhile (where it failed one, the figures
    after it went to this process's memory cache: in a forked child, lost with it). In the language and time
    zone of the caller (a forked child has its parent's)."""
    failures = _cache_failures()
    computed = 0
    for report in reports:
        try:
            computed += report_figures_computed_unless_kept(*report)[1]
        except SoftTimeLimitExceeded:
            raise
        except Exception:
            kind, project, start, end = report
            logger.exception("The %s report figures of project %s for %s–%s could not be computed ahead",
                             kind, project.pk, start, end)
    return computed, _cache_failures() == failures


def _cache_failures() -> int:
    return getattr(cache, "failures", 0)


# --- final report texts ---------------------------------------------------------------------------


def final_report_text_save(*, user, project: Project, section: str, body: str,
                           could_have_been_better: str) -> FinalReportText:
    if not may_edit_final_texts(user):
        raise PermissionDenied(_("Bara projektledaren skriver slutrapporten."))
    if section not in FINAL_SECTION_KEYS:
        raise ValidationError({"section": _("Okänt avsnitt.")})
    text, _created = FinalReportText.objects.update_or_create(
        project=project, section=section,
        defaults={"body": body.strip(), "could_have_been_better": could_have_been_better.strip(),
                  "updated_by": user},
    )
    return text
