"""After data were written, beat has the figures of each active project's final report so far and last month's
report computed ahead (reporting.services.report_figures_keep_current), so that a build requested later takes
them instead of computing them; nothing is computed while nothing was written, while writes come in a burst, or
while another run computes."""

import datetime as dt
import logging
import os
import time

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings as django_settings
from django.core.cache import cache, caches
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from redis.exceptions import RedisError

from core.dates import previous_month
from organisations.tests.factories import ProjectFactory
from participants.models import ExitKind
from participants.tests.factories import ParticipantFactory, ReferralFactory
from reporting import selectors, services, tasks
from reporting.selectors import final_report_period
from reporting.services import build_report, report_figures_keep_current

TODAY = dt.date(2026, 12, 7)


def _without_time(figures: dict) -> dict:
    return {**figures, "meta": {key: value for key, value in figures["meta"].items() if key != "generated_at"}}


@pytest.fixture
def ahead(settings, monkeypatch, local_today):
    """Computing ahead on, with no quiet time after a write (a test's writes are all younger than any), today
    fixed, and no earlier run's state or lock in the cache."""
    settings.REPORT_FIGURES_KEEP_CURRENT_SECONDS = 15
    monkeypatch.setattr(services, "QUIET_BEFORE_KEEPING", dt.timedelta(0))
    local_today(TODAY)
    cache.delete_many([services.KEEP_CURRENT_STATE, services.KEEP_CURRENT_LOCK])
    yield
    cache.delete_many([services.KEEP_CURRENT_STATE, services.KEEP_CURRENT_LOCK])


def _ahead() -> dict:
    """How many reports of each kind are computed ahead (the data set's other projects are active too)."""
    reports = services.reports_kept_current(TODAY)
    return {kind: sum(1 for report in reports if report[0] == kind) for kind in ("monthly", "final")}


def _times(counts: dict, n: int) -> dict:
    return {kind: count * n for kind, count in counts.items()}


def _build(kind: str, project) -> dict:
    period = final_report_period(project) if kind == "final" else previous_month(TODAY)
    return build_report(kind=kind, project=project, period_start=period[0], period_end=period[1], render=False)[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_build_after_the_figures_were_computed_ahead_takes_them(committed_march, computed, ahead, settings):
    each = _ahead()
    assert each == {"monthly": 3, "final": 3}
    with translation.override("en"), timezone.override(dt.UTC):  # beat's task runs in what the worker has
        assert report_figures_keep_current() == 6
    assert computed == each
    final, monthly = _build("final", committed_march), _build("monthly", committed_march)
    assert computed == each
    # The same figures as a build that computes them.
    settings.REPORT_FIGURES_REUSE_SECONDS = 0
    assert _without_time(final) == _without_time(_build("final", committed_march))
    assert _without_time(monthly) == _without_time(_build("monthly", committed_march))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_nothing_is_computed_ahead_again_until_something_is_written(committed_march, computed, ahead):
    each = _ahead()
    assert report_figures_keep_current() == 6
    with CaptureQueriesContext(connection) as queries:
        assert report_figures_keep_current() == 0
    assert len(queries) <= 2  # the active projects, and whether anything was written since
    with connection.cursor() as cursor:  # a write around the services and the ORM is seen too
        cursor.execute("UPDATE participants_exit SET kind = %s WHERE kind = %s",
                       [ExitKind.REGISTERED_IN_ERROR, ExitKind.INTERRUPTED])
    assert report_figures_keep_current() == 6
    assert computed == _times(each, 2)
    before_the_write = _build("final", committed_march)
    assert computed == _times(each, 2)
    assert report_figures_keep_current() == 0
    ReferralFactory(participant=ParticipantFactory(), project=committed_march, referral_date=dt.date(2026, 11, 2))
    assert report_figures_keep_current() == 6
    after = _build("final", committed_march)
    assert computed == _times(each, 3)
    assert after["referrals"]["total"] == before_the_write["referrals"]["total"] + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_while_they_are_computed_ahead_has_them_computed_again(committed_march, computed, ahead,
                                                                      monkeypatch):
    real = services.report_figures_computed_unless_kept
    writes = []

    def computing_and_then_written(*args):
        result = real(*args)
        if not writes:
            writes.append(ReferralFactory(participant=ParticipantFactory(), project=committed_march,
                                          referral_date=dt.date(2026, 11, 3)))
        return result

    monkeypatch.setattr(services, "report_figures_computed_unless_kept", computing_and_then_written)
    assert report_figures_keep_current() == 6
    # Only the report computed before the write is computed again: those after it saw it.
    assert report_figures_keep_current() == 1
    assert sum(computed.values()) == 7
    assert report_figures_keep_current() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_younger_than_the_quiet_time_is_left_until_it_is_older(committed_march, computed, ahead,
                                                                      monkeypatch):
    monkeypatch.setattr(services, "QUIET_BEFORE_KEEPING", dt.timedelta(hours=1))
    assert report_figures_keep_current() == 0
    assert computed == {"final": 0, "monthly": 0}
    monkeypatch.setattr(services, "QUIET_BEFORE_KEEPING", dt.timedelta(0))
    assert report_figures_keep_current() == 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_next_day_is_computed_ahead_without_a_write(committed_march, computed, ahead, local_today):
    assert report_figures_keep_current() == 6
    local_today(TODAY + dt.timedelta(days=1))  # figures are kept for the day they were computed on
    assert report_figures_keep_current() == 6
    assert report_figures_keep_current() == 0
    assert computed == {"final": 6, "monthly": 6}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_not_computed_ahead_when_turned_off_in_a_transaction_or_while_another_run_computes(
        committed_march, computed, ahead, settings):
    settings.REPORT_FIGURES_KEEP_CURRENT_SECONDS = 0
    assert report_figures_keep_current() == 0
    settings.REPORT_FIGURES_KEEP_CURRENT_SECONDS = 15
    settings.REPORT_FIGURES_REUSE_SECONDS = 0
    assert report_figures_keep_current() == 0
    settings.REPORT_FIGURES_REUSE_SECONDS = 3600
    with transaction.atomic():
        assert report_figures_keep_current() == 0
    assert cache.add(services.KEEP_CURRENT_LOCK, "another worker")
    assert report_figures_keep_current() == 0
    assert cache.get(services.KEEP_CURRENT_LOCK) == "another worker"
    cache.delete(services.KEEP_CURRENT_LOCK)
    assert computed == {"final": 0, "monthly": 0}
    assert tasks.keep_report_figures_current.apply().get() == 6  # the task beat sends
    assert cache.get(services.KEEP_CURRENT_LOCK) is None


def _write(project) -> None:
    ReferralFactory(participant=ParticipantFactory(), project=project, referral_date=dt.date(2026, 11, 4))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_report_that_cannot_be_computed_is_logged_the_others_are_and_it_is_tried_again_after_a_write(
        committed_march, computed, ahead, monkeypatch, caplog):
    real = services.report_figures_computed_unless_kept
    first = services.reports_kept_current(TODAY)[0]
    failing = [True]

    def first_fails(*report):
        if failing[0] and report == first:
            raise DatabaseError("canceling statement due to statement timeout")
        return real(*report)

    monkeypatch.setattr(services, "report_figures_computed_unless_kept", first_fails)
    with caplog.at_level(logging.ERROR, logger="reporting.services"):
        assert report_figures_keep_current() == 5
    kind, project, start, end = first
    assert [record.getMessage() for record in caplog.records] == [
        f"The {kind} report figures of project {project.pk} for {start}–{end} could not be computed ahead"]
    assert cache.get(services.KEEP_CURRENT_LOCK) is None
    # Not tried again every few seconds: its build computes its figures itself meanwhile.
    assert report_figures_keep_current() == 0
    computed_before = dict(computed)
    _build(kind, project)
    assert computed[kind] == computed_before[kind] + 1
    failing[0] = False
    _write(committed_march)
    assert report_figures_keep_current() == 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("failure", [RuntimeError("Computing report figures ahead failed in the child process: "
                                                  "exit status -9"), SoftTimeLimitExceeded()])
def test_a_run_that_fails_as_a_whole_is_logged_lets_go_of_its_lock_and_is_tried_again_after_a_write(
        committed_march, computed, ahead, monkeypatch, caplog, failure):
    calls = []

    def failing_once(real):
        def first_fails(*args):
            calls.append(args)
            if len(calls) == 1:
                raise failure
            return real(*args)
        return first_fails

    if isinstance(failure, SoftTimeLimitExceeded):  # the task's soft time limit, in the first report: no other
        name = "report_figures_computed_unless_kept"
    else:  # the forked child lost
        name = "_compute_unless_kept"
    monkeypatch.setattr(services, name, failing_once(getattr(services, name)))
    with caplog.at_level(logging.ERROR, logger="reporting.services"):
        assert report_figures_keep_current() == 0
    assert len(calls) == 1
    assert [record.getMessage() for record in caplog.records] == ["Report figures could not be computed ahead"]
    assert cache.get(services.KEEP_CURRENT_LOCK) is None
    assert report_figures_keep_current() == 0
    assert len(calls) == 1
    _write(committed_march)
    assert report_figures_keep_current() == 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_lets_go_of_its_own_lock_only_and_holds_it_no_longer_than_its_time_limit(committed_march, ahead,
                                                                                      monkeypatch):
    backend = caches["default"]
    real = services._compute_unless_kept
    held = []

    def outlived_by_its_lock(reports):
        held.append(backend._expire_info[backend.make_and_validate_key(services.KEEP_CURRENT_LOCK)] - time.time())
        cache.set(services.KEEP_CURRENT_LOCK, "a later run's")  # this run's expired; a later run took it
        return real(reports)

    monkeypatch.setattr(services, "_compute_unless_kept", outlived_by_its_lock)
    assert report_figures_keep_current() == 6
    assert cache.get(services.KEEP_CURRENT_LOCK) == "a later run's"
    assert services.KEEP_CURRENT_TIME_LIMIT - 5 < held[0] <= services.KEEP_CURRENT_TIME_LIMIT
    task = tasks.keep_report_figures_current
    assert task.time_limit == services.KEEP_CURRENT_TIME_LIMIT
    assert 0 < task.soft_time_limit < task.time_limit


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_state_expires_before_any_figure_it_vouches_for(committed_march, ahead, settings):
    backend = caches["default"]

    def expires(key):
        return backend._expire_info[backend.make_and_validate_key(key)]

    assert report_figures_keep_current() == 6
    with services.as_built():
        figures = [selectors.report_figures_key(kind, project.pk, start, end)
                   for kind, project, start, end in services.reports_kept_current(TODAY)]
    assert expires(services.KEEP_CURRENT_STATE) is not None
    # Looked at again at the latest one beat before the first of them expires.
    assert expires(services.KEEP_CURRENT_STATE) < (min(expires(key) for key in figures)
                                                   - settings.REPORT_FIGURES_KEEP_CURRENT_SECONDS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_nothing_is_computed_ahead_while_redis_is_unavailable(committed_march, computed, ahead, settings):
    """The memory cache standing in is one process's: its lock locks nothing, its figures reach no build."""
    settings.CACHES = {"default": {"BACKEND": "core.cache.ResilientRedisCache", "LOCATION": "redis://127.0.0.1:9/0",
                                   "KEY_PREFIX": f"figures-ahead-{os.getpid()}"}}
    try:
        assert report_figures_keep_current() == 0  # found unavailable at the lock
        assert cache.redis_available is False
        with CaptureQueriesContext(connection) as queries:
            assert report_figures_keep_current() == 0  # known to be unavailable: not even looked at
        assert len(queries) == 0
        assert computed == {"final": 0, "monthly": 0}
    finally:
        caches["default"].close()


@pytest.mark.django_db
def test_the_reports_computed_ahead_are_the_final_of_projects_active_or_ended_lately_and_last_months(local_today,
                                                                                                 monkeypatch):
    local_today(TODAY)
    running = ProjectFactory(start_date=dt.date(2025, 9, 1), end_date=dt.date(2027, 6, 30))
    started_today = ProjectFactory(start_date=TODAY, end_date=dt.date(2027, 12, 31))
    started_last_days_of_november = ProjectFactory(start_date=dt.date(2026, 11, 30), end_date=dt.date(2027, 12, 31))
    ends_today = ProjectFactory(start_date=dt.date(2026, 1, 1), end_date=TODAY)
    ended_in_november = ProjectFactory(start_date=dt.date(2024, 1, 1), end_date=dt.date(2026, 11, 1))
    ended_92_days_ago = ProjectFactory(start_date=dt.date(2024, 1, 1), end_date=dt.date(2026, 9, 6))
    ProjectFactory(start_date=dt.date(2024, 1, 1), end_date=dt.date(2026, 9, 5))  # ended 93 days ago
    ProjectFactory(start_date=TODAY + dt.timedelta(days=1), end_date=dt.date(2027, 12, 31))  # not begun
    november = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert services.reports_kept_current(TODAY) == [
        ("final", running, dt.date(2025, 9, 1), TODAY),
        ("monthly", running, *november),
        ("final", started_today, TODAY, TODAY),
        ("final", started_last_days_of_november, dt.date(2026, 11, 30), TODAY),
        ("monthly", started_last_days_of_november, *november),
        ("final", ends_today, dt.date(2026, 1, 1), TODAY),
        ("monthly", ends_today, *november),
        ("final", ended_in_november, dt.date(2024, 1, 1), dt.date(2026, 11, 1)),
        ("monthly", ended_in_november, *november),
        ("final", ended_92_days_ago, dt.date(2024, 1, 1), dt.date(2026, 9, 6)),
    ]
    # The monthly reports are those the 1st's schedule builds (here without building or sending them).
    monkeypatch.setattr(services, "report_run_build", lambda run_id: None)
    monkeypatch.setattr(services, "notify_steering_group", lambda run: None)
    scheduled = {run.project for run in services.monthly_reports_schedule(today=TODAY)}
    assert scheduled == {project for kind, project, *_period in services.reports_kept_current(TODAY)
                         if kind == "monthly"}


def test_beat_looks_as_often_as_the_setting_and_drops_a_look_it_could_not_send_in_time():
    entry = django_settings.CELERY_BEAT_SCHEDULE["keep-report-figures-current"]
    assert entry["task"] == tasks.keep_report_figures_current.name
    assert entry["schedule"] == django_settings.REPORT_FIGURES_KEEP_CURRENT_SECONDS
    assert 0 < entry["options"]["expires"] <= entry["schedule"]


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_in_production_they_are_computed_in_a_forked_child_and_kept_in_redis(committed_march, computed, ahead,
                                                                            settings):
    """As the worker does: the figures' heap leaves with a child, and what it computed reaches every process."""
    settings.CACHES = {"default": {"BACKEND": "core.cache.ResilientRedisCache", "LOCATION": os.environ["REDIS_URL"],
                                   "KEY_PREFIX": f"figures-ahead-{os.getpid()}"}}
    settings.PDF_RENDER_IN_CHILD = True
    with services.as_built():
        keys = [services.KEEP_CURRENT_STATE, *(selectors.report_figures_key(kind, project.pk, start, end)
                                               for kind, project, start, end in services.reports_kept_current(TODAY))]
    try:
        cache.delete_many(keys)
        assert report_figures_keep_current() == 6
        assert computed == {"final": 0, "monthly": 0}  # not in this process
        settings.PDF_RENDER_IN_CHILD = False
        final = _build("final", committed_march)
        assert computed == {"final": 0, "monthly": 0}  # taken from the child's
        settings.REPORT_FIGURES_REUSE_SECONDS = 0
        assert _without_time(final) == _without_time(_build("final", committed_march))
    finally:
        cache.delete_many(keys)
        caches["default"].close()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_figures_that_redis_failed_to_take_in_the_child_are_computed_again_at_the_next_look(
        committed_march, ahead, settings, monkeypatch, caplog):
    """The child's cache is its own copy: where Redis failed it a call, what it kept after went to its memory and
    was lost with it, though Redis answers the parent."""
    settings.CACHES = {"default": {"BACKEND": "core.cache.ResilientRedisCache", "LOCATION": os.environ["REDIS_URL"],
                                   "KEY_PREFIX": f"figures-ahead-failed-{os.getpid()}"}}
    settings.PDF_RENDER_IN_CHILD = True
    with services.as_built():
        reports = services.reports_kept_current(TODAY)
        keys = [services.KEEP_CURRENT_STATE, *(selectors.report_figures_key(kind, project.pk, start, end)
                                               for kind, project, start, end in reports)]
    real = services.report_figures_computed_unless_kept

    def redis_fails_at_the_second(*report):
        if report == reports[1]:
            cache._redis_failed("set", RedisError("Timeout writing to socket"))
        return real(*report)

    try:
        cache.delete_many(keys)
        monkeypatch.setattr(services, "report_figures_computed_unless_kept", redis_fails_at_the_second)
        with caplog.at_level(logging.WARNING, logger="reporting.services"):
            assert report_figures_keep_current() == 6
        assert [record.getMessage() for record in caplog.records] == [
            "Report figures computed ahead while Redis failed may be this process's only; computed again at the "
            "next look"]
        assert cache.redis_available  # in this process
        assert cache.get(services.KEEP_CURRENT_STATE) is None
        monkeypatch.setattr(services, "report_figures_computed_unless_kept", real)
        assert report_figures_keep_current() == 5  # the first reached Redis before it failed
        assert report_figures_keep_current() == 0
    finally:
        cache.delete_many(keys)
        caches["default"].close()
