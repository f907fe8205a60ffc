"""A report built again while nothing was written since uses the figures computed before (reporting.selectors.
report_figures, core.changelog): the same figures with this build's own metadata; any committed write to a table
the figures read, by any path, and a write that was still open when they were computed, has them computed again."""

import datetime as dt
import inspect
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise

from core import changelog
from organisations.models import Project
from organisations.tests.factories import ProjectFactory
from participants.models import Correction, Exit, ExitKind
from participants.tests.factories import ParticipantFactory, ReferralFactory
from reporting import selectors, services
from reporting.documents import FINAL_SECTION_KEYS
from reporting.models import ReportRun
from reporting.services import build_report, final_report_text_save

from .conftest import MARCH
from .test_pdf import pdftotext

QUARTER = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))


def _without_time(figures: dict) -> dict:
    return {**figures, "meta": {key: value for key, value in figures["meta"].items() if key != "generated_at"}}


def _figures(kind: str, project, period=MARCH) -> dict:
    return build_report(kind=kind, project=project, period_start=period[0], period_end=period[1], render=False)[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("kind", ["monthly", "final"])
def test_the_same_report_again_has_the_same_figures_and_its_own_build_time(committed_march, computed, monkeypatch,
                                                                            kind):
    first = _figures(kind, committed_march)
    later = timezone.localtime() + dt.timedelta(hours=2)

    class TwoHoursLater:  # the clock of the build's metadata only; the day the figures are kept for stays
        localtime = staticmethod(lambda *args, **kwargs: later)

        def __getattr__(self, name):
            return getattr(timezone, name)

    monkeypatch.setattr(selectors, "timezone", TwoHoursLater())
    with CaptureQueriesContext(connection) as queries:
        again = _figures(kind, committed_march)
    assert computed[kind] == 1
    assert _without_time(again) == _without_time(first)
    assert list(again) == list(first) and list(again["meta"]) == list(first["meta"])
    assert again["meta"]["generated_at"] == later.isoformat(timespec="seconds")
    # The moment, the project's row, whether anything changed since, and this build's metadata: not the sections'.
    assert len(queries) <= 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_kept_figures_count_the_corrections_since_an_earlier_report_finished_after_they_were_computed(
        committed_march, computed):
    """A report run finishing writes no watched table: the figures stay kept, and the corrections since the
    period's first report are counted again for this build."""
    exit_ = Exit.objects.filter(referral__project=committed_march).exclude(kind=ExitKind.REGISTERED_IN_ERROR).first()
    made = Correction.objects.create(referral=exit_.referral, participant=exit_.referral.participant,
                                     kind=Correction.Kind.EXIT, object_id=exit_.pk, fields="exit_date",
                                     reason="fel datum", affects_from=MARCH[0], affects_to=MARCH[1],
                                     affects_figures=True)
    Correction.objects.filter(pk=made.pk).update(corrected_at=timezone.now() - dt.timedelta(hours=1))
    assert _figures("monthly", committed_march)["meta"]["corrected_since_earlier_report"] == 0
    ReportRun.objects.create(kind=ReportRun.Kind.MONTHLY, project=committed_march, period_start=MARCH[0],
                             period_end=MARCH[1], status=ReportRun.Status.DONE,
                             finished_at=timezone.now() - dt.timedelta(hours=2), figures={"meta": {}})
    assert _figures("monthly", committed_march)["meta"]["corrected_since_earlier_report"] == 1
    assert computed["monthly"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_draft_of_the_final_report_made_again_after_a_text_is_edited_keeps_its_figures(committed_march, computed,
                                                                                         leader, tmp_path):
    build_report(kind="final", project=committed_march, period_start=MARCH[0], period_end=MARCH[1])
    final_report_text_save(user=leader, project=committed_march, section=FINAL_SECTION_KEYS[0],
                           body="Projektet nådde fler deltagare än väntat.", could_have_been_better="")
    _figures, pdf = build_report(kind="final", project=committed_march, period_start=MARCH[0], period_end=MARCH[1])
    assert computed["final"] == 1
    assert "Projektet nådde fler deltagare än väntat." in " ".join(pdftotext(pdf, tmp_path).split())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_final_editor_and_its_preview_keep_the_figures_while_only_texts_are_written(committed_march, computed,
                                                                                        leader, client):
    client.force_login(leader)
    section = FINAL_SECTION_KEYS[0]
    assert client.get(reverse("reporting:final_editor", args=[committed_march.slug])).status_code == 200
    saved = client.post(reverse("reporting:final_autosave", args=[committed_march.slug, section]),
                        {f"{section}-body": "Fler deltagare än väntat.", f"{section}-could_have_been_better": ""})
    assert saved.status_code == 200
    preview = client.get(reverse("reporting:final_preview", args=[committed_march.slug]))
    assert "Fler deltagare än väntat." in preview.content.decode()
    assert computed["final"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_committed_write_has_the_figures_computed_again(committed_march, computed):
    before = _figures("monthly", committed_march)
    ReferralFactory(participant=ParticipantFactory(), project=committed_march, referral_date=dt.date(2026, 3, 2),
                    start_date=dt.date(2026, 3, 3))
    after = _figures("monthly", committed_march)
    assert computed["monthly"] == 2
    assert after["participants"]["starts"] == before["participants"]["starts"] + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_around_the_services_and_the_orm_is_seen_too(committed_march, computed):
    before = _figures("final", committed_march)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE participants_exit SET kind = %s WHERE kind = %s",
                       [ExitKind.REGISTERED_IN_ERROR, ExitKind.INTERRUPTED])
    after = _figures("final", committed_march)
    assert computed["final"] == 2
    assert after["exits"]["total"] == before["exits"]["total"] - 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_still_open_when_the_figures_were_computed_has_them_computed_again(committed_march, computed):
    """The start is written before the figures are computed and committed after: they do not see it, so they
    cannot be used once it is committed, though it was recorded before their moment, and transactions that began
    after it had ended by then."""
    written, computed_without_it, failures, writer_xact = threading.Event(), threading.Event(), [], []

    def write_and_commit_later():
        try:
            with transaction.atomic():
                ReferralFactory(participant=ParticipantFactory(), project=committed_march,
                                referral_date=dt.date(2026, 3, 2), start_date=dt.date(2026, 3, 3))
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_current_xact_id()::text")
                    writer_xact.append(cursor.fetchone()[0])
                written.set()
                assert computed_without_it.wait(30)
        except BaseException as exc:  # noqa: BLE001 - failed in the test's thread below
            failures.append(exc)
            written.set()
        finally:
            connections.close_all()

    writer = threading.Thread(target=write_and_commit_later)
    writer.start()
    assert written.wait(30)
    with connection.cursor() as cursor:  # a later transaction, committed: the open one is then running within
        cursor.execute("UPDATE participants_exit SET kind = kind WHERE false")  # the moment's range
    # In the moment's list of transactions still running (another database's may be there too), not at its end.
    assert writer_xact[0] in changelog.moment().split(":")[2].split(",")
    before = _figures("monthly", committed_march)
    computed_without_it.set()
    writer.join(30)
    assert not failures
    after = _figures("monthly", committed_march)
    assert computed["monthly"] == 2
    assert after["participants"]["starts"] == before["participants"]["starts"] + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_another_report_period_project_code_setting_or_time_zone_is_computed_not_another_language(
        committed_march, computed, monkeypatch, settings):
    other = ProjectFactory(slug="annat-projekt", owner=committed_march.owner)  # written before any figures
    for project in (committed_march, other):
        _figures("monthly", project)
    _figures("monthly", committed_march, QUARTER)
    _figures("final", committed_march)
    assert computed == {"monthly": 3, "final": 1}
    for project in (committed_march, other):  # each kept under its own key: nothing written since
        _figures("monthly", project)
    assert computed == {"monthly": 3, "final": 1}
    # A build is in Swedish and Stockholm's time (build_report); the editor and its preview are in the user's:
    # another time zone has other days, another language the same figures.
    with translation.override("en"), timezone.override(services.STOCKHOLM):
        selectors.report_figures("monthly", committed_march, *MARCH)
    assert computed == {"monthly": 3, "final": 1}
    with translation.override("sv"), timezone.override(dt.UTC):
        selectors.report_figures("monthly", committed_march, *MARCH)
    assert computed == {"monthly": 4, "final": 1}
    monkeypatch.setattr(selectors, "figures_code_digest", lambda: "other-code")
    _figures("monthly", committed_march)
    assert computed == {"monthly": 5, "final": 1}
    settings.REPORT_EQUALITY_THRESHOLD_SHARE += 0.05
    _figures("monthly", committed_march)
    assert computed == {"monthly": 6, "final": 1}


def _translated_anywhere(value, path="figures") -> list[str]:
    """Where the figures hold a translatable (lazy) string: it would be the language of whoever computed them."""
    if isinstance(value, Promise):
        return [path]
    if isinstance(value, dict):
        return [f"{path}.{key!r} (a key)" for key in value if isinstance(key, Promise)] + [
            found for key, item in value.items() for found in _translated_anywhere(item, f"{path}.{key}")]
    if isinstance(value, (list, tuple)):
        return [found for i, item in enumerate(value) for found in _translated_anywhere(item, f"{path}[{i}]")]
    return []


@pytest.mark.parametrize("kind", ["monthly", "final"])
def test_the_figures_are_the_same_in_every_language_so_they_are_kept_for_all(report_project, march_data, kind):
    """Kept figures are looked up without the language: a text translated into them would reach an English
    dashboard in Swedish, or the Swedish PDF in English."""
    period = MARCH if kind == "monthly" else (report_project.start_date, MARCH[1])
    compute = {"monthly": selectors.monthly_report_figures, "final": selectors.final_figures}[kind]
    in_each = {}
    for language, _name in django_settings.LANGUAGES:
        with translation.override(language):
            figures = compute(report_project, *period)
        assert _translated_anywhere(figures) == []
        in_each[language] = _without_time(figures)
    assert set(in_each) == {"sv", "en"} and in_each["sv"] == in_each["en"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_project_read_before_a_write_to_it_is_read_again(committed_march):
    """The caller's project may be older than the moment: figures from it would be kept as the new data's."""
    read_before = Project.objects.get(pk=committed_march.pk)
    Project.objects.filter(pk=committed_march.pk).update(target_participants=99)
    figures = _figures("final", read_before)
    assert figures["targets"]["participants"]["target"] == 99
    assert _figures("final", Project.objects.get(pk=committed_march.pk))["targets"]["participants"]["target"] == 99


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_committed_while_the_figures_are_computed_has_them_computed_again(committed_march, computed,
                                                                                  monkeypatch):
    real = selectors.monthly_report_figures

    def with_a_write_committed_midway(*args):
        figures = real(*args)
        ReferralFactory(participant=ParticipantFactory(), project=committed_march,
                        referral_date=dt.date(2026, 3, 2), start_date=dt.date(2026, 3, 3))
        return figures

    monkeypatch.setattr(selectors, "monthly_report_figures", with_a_write_committed_midway)
    before = _figures("monthly", committed_march)
    monkeypatch.setattr(selectors, "monthly_report_figures", real)
    after = _figures("monthly", committed_march)
    assert after["participants"]["starts"] == before["participants"]["starts"] + 1


class ComputedElsewhere:
    """The monthly figures computed in a thread of their own (as by another process) that waits, once it has marked
    them as computed, until the test lets it go on; `then` runs before they are returned (a write, a failure)."""

    def __init__(self, project, monkeypatch, then=None):
        self.project, self.then = project, then
        self.computing, self.go_on, self.done = threading.Event(), threading.Event(), threading.Event()
        self.result, self.failures = [], []
        real = selectors.monthly_report_figures  # the `computed` fixture's count, where it is in use

        def held(*args):
            if threading.current_thread() is not self.thread:
                return real(*args)
            self.mark = _computing_mark(self.project)
            self.computing.set()
            assert self.go_on.wait(30)
            figures = real(*args)
            if self.then:
                self.then()
            return figures

        monkeypatch.setattr(selectors, "monthly_report_figures", held)
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        try:
            with services.as_built():
                self.result.append(selectors.report_figures_computed_unless_kept("monthly", self.project, *MARCH))
        except BaseException as exc:  # noqa: BLE001 - looked at by the test
            self.failures.append(exc)
        finally:
            connections.close_all()
            self.done.set()

    def start(self):
        self.thread.start()
        assert self.computing.wait(30)
        return self

    def finish(self):
        self.go_on.set()
        self.thread.join(30)
        assert not self.thread.is_alive()


class EitherSet:
    """Waited for like a threading.Event: set once either event is."""

    def __init__(self, *events):
        self.events = events

    def wait(self, timeout: float) -> bool:
        until = time.monotonic() + timeout
        while not any(event.is_set() for event in self.events):
            if time.monotonic() >= until:
                return False
            time.sleep(0.02)
        return True


def _mark_key(project) -> str:
    with services.as_built():
        return f"{selectors.report_figures_key('monthly', project.pk, *MARCH)}:computing"


def _computing_mark(project) -> str | None:
    return selectors.cache.get(_mark_key(project))


def _mark_goes(project, within: float = 10) -> bool:
    until = time.monotonic() + within
    while _computing_mark(project) is not None and time.monotonic() < until:
        time.sleep(0.05)
    return _computing_mark(project) is None


def _waiting(monkeypatch) -> threading.Event:
    """Set once a caller waits for figures another computes."""
    waits, real = threading.Event(), selectors._wait_while_computed

    def wait(*args):
        waits.set()
        real(*args)

    monkeypatch.setattr(selectors, "_wait_while_computed", wait)
    return waits


def _figures_in_a_thread(project) -> tuple[threading.Thread, list]:
    result = []

    def run():
        try:
            with services.as_built():
                result.append(selectors.report_figures_computed_unless_kept("monthly", project, *MARCH))
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_report_asked_for_while_another_computes_its_figures_waits_and_takes_them(committed_march, computed,
                                                                                    monkeypatch):
    waits = _waiting(monkeypatch)
    other = ComputedElsewhere(committed_march, monkeypatch).start()
    thread, result = _figures_in_a_thread(committed_march)
    assert waits.wait(30)
    other.finish()
    thread.join(5)  # at once, not after the wait's 30 s
    assert not thread.is_alive() and not other.failures
    (figures, was_computed), = result
    assert computed["monthly"] == 1 and not was_computed
    assert _without_time(figures) == _without_time(other.result[0][0])
    assert _computing_mark(committed_march) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_where_the_other_fails_to_compute_the_figures_the_waiting_one_computes_them(committed_march, computed,
                                                                                   monkeypatch):
    def fail():
        raise RuntimeError("the database went away")

    waits = _waiting(monkeypatch)
    other = ComputedElsewhere(committed_march, monkeypatch, then=fail).start()
    thread, result = _figures_in_a_thread(committed_march)
    assert waits.wait(30)
    other.finish()
    assert isinstance(other.failures[0], RuntimeError)
    assert other.mark is not None and _computing_mark(committed_march) != other.mark  # taken away as it failed
    thread.join(30)
    (figures, was_computed), = result
    assert computed["monthly"] == 2 and was_computed
    assert figures["participants"]["starts"] > 0
    assert _computing_mark(committed_march) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_figures_another_computed_before_a_write_are_not_taken_after_it(committed_march, computed, monkeypatch):
    def write():
        ReferralFactory(participant=ParticipantFactory(), project=committed_march,
                        referral_date=dt.date(2026, 3, 2), start_date=dt.date(2026, 3, 3))

    waits = _waiting(monkeypatch)
    other = ComputedElsewhere(committed_march, monkeypatch, then=write).start()
    thread, result = _figures_in_a_thread(committed_march)
    assert waits.wait(30)
    other.finish()
    thread.join(30)
    (figures, was_computed), = result
    assert computed["monthly"] == 2 and was_computed
    assert figures["participants"]["starts"] == other.result[0][0]["participants"]["starts"] + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_mark_is_renewed_while_computing_goes_once_no_longer_renewed_and_is_taken_away_only_by_its_holder(
        committed_march, computed, monkeypatch):
    """A process killed while it computes (or whose Redis failed) renews its mark no more: the mark goes after its
    own time, and the next one to need the figures marks and computes them. The first, if it still finishes, leaves
    that one's mark."""
    monkeypatch.setattr(selectors, "FIGURES_COMPUTING_MARK_SECONDS", 2)  # renewed every 0.67 s
    killed, real_renew = threading.Event(), selectors._renew_mark
    first_renewal = []

    def renew(marks, computing, token, stop):
        if not first_renewal:
            first_renewal.append(True)
            real_renew(marks, computing, token, EitherSet(killed, stop))  # the first's: until it is "killed"
        else:
            real_renew(marks, computing, token, stop)

    monkeypatch.setattr(selectors, "_renew_mark", renew)
    first = ComputedElsewhere(committed_march, monkeypatch).start()
    time.sleep(4.5)  # more than twice the mark's own time
    assert first.mark is not None and _computing_mark(committed_march) == first.mark
    killed.set()
    assert _mark_goes(committed_march) and first.thread.is_alive()
    second = ComputedElsewhere(committed_march, monkeypatch).start()
    assert second.mark not in (None, first.mark)
    time.sleep(3)  # the second's mark renewed
    first.finish()
    assert not first.failures and _computing_mark(committed_march) == second.mark
    second.finish()
    assert not second.failures and _computing_mark(committed_march) is None
    assert computed["monthly"] == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_mark_never_renewed_goes_after_its_own_time(committed_march, computed, monkeypatch):
    """Its holder killed before it first renewed it."""
    monkeypatch.setattr(selectors, "FIGURES_COMPUTING_MARK_SECONDS", 0.6)
    monkeypatch.setattr(selectors, "_renew_mark", lambda marks, computing, token, stop: None)
    other = ComputedElsewhere(committed_march, monkeypatch).start()
    assert other.mark is not None
    assert _mark_goes(committed_march) and other.thread.is_alive()
    other.finish()
    assert not other.failures


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_holder_does_not_renew_a_mark_another_made(committed_march, computed, monkeypatch):
    """Its own went unrenewed (its Redis failed) and another process marked the figures since, then died: that mark
    goes with its own time, though the first still computes."""
    monkeypatch.setattr(selectors, "FIGURES_COMPUTING_MARK_SECONDS", 1)
    other = ComputedElsewhere(committed_march, monkeypatch).start()
    selectors.cache.set(_mark_key(committed_march), "a process killed since", 1)
    assert _mark_goes(committed_march) and other.thread.is_alive()
    other.finish()
    assert not other.failures


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_caller_waits_for_figures_another_computes_for_its_own_wait_at_most(committed_march, monkeypatch):
    monkeypatch.setattr(selectors, "FIGURES_COMPUTING_WAIT_SECONDS", 0.5)
    real, computing_began = selectors.monthly_report_figures, []

    def timed(*args):
        computing_began.append(time.monotonic())
        return real(*args)

    monkeypatch.setattr(selectors, "monthly_report_figures", timed)
    selectors.cache.set(_mark_key(committed_march), "a process still computing", 20)
    with services.as_built():
        started = time.monotonic()
        figures, was_computed = selectors.report_figures_computed_unless_kept("monthly", committed_march, *MARCH)
    assert was_computed and len(computing_began) == 1 and figures["participants"]["starts"] > 0
    assert 0.5 <= computing_began[0] - started < 1.5  # its own wait, not the other's 20 s


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_not_kept_when_turned_off_or_inside_a_transaction(committed_march, computed, settings):
    _figures("monthly", committed_march)
    with transaction.atomic():
        _figures("monthly", committed_march)
    transaction.set_autocommit(False)  # a transaction as well, opened without atomic
    try:
        assert changelog.moment() is None
        _figures("monthly", committed_march)
    finally:
        transaction.rollback()
        transaction.set_autocommit(True)
    settings.REPORT_FIGURES_REUSE_SECONDS = 0
    _figures("monthly", committed_march)
    assert computed["monthly"] == 4


def _tables_in(sql: str, tables: set[str]) -> set[str]:
    return {name for name in re.findall(r'"?\b([a-z][a-z0-9_]+)\b"?', sql) if name in tables}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_table_the_figures_read_records_its_writers(committed_march, settings):
    settings.REPORT_FIGURE_CONNECTIONS = 1  # every query on this connection, where they are captured
    tables = set(connection.introspection.table_names())
    watched = changelog.watched_tables()
    assert watched == tables - changelog.NOT_WATCHED
    read = set()
    for compute, period in ((selectors.monthly_report_figures, MARCH), (selectors.monthly_report_figures, QUARTER),
                            (selectors.final_figures, MARCH)):
        with CaptureQueriesContext(connection) as queries:
            compute(committed_march, *period)
        read |= {name for query in queries.captured_queries for name in _tables_in(query["sql"], tables)}
    assert "participants_referral" in read and "placements_assignment" in read
    # The run's metadata (read again whenever kept figures are used) is the one thing read of an unwatched table.
    assert read - watched == {"reporting_reportrun"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_table_added_later_records_its_writers_once_installed():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE reporting_added_later (id integer)")
        assert changelog.install() == 1
        assert changelog.install() == 0
        since = changelog.moment()
        assert not changelog.changed_since(since)
        cursor.execute("INSERT INTO reporting_added_later VALUES (1)")
        assert changelog.changed_since(since)
        cursor.execute("DROP TABLE reporting_added_later")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_watched_table_made_again_as_a_restore_does_is_other_data():
    """A restore that drops and creates a table loads its rows before its trigger exists: nothing is recorded,
    but the moment was of another table."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE reporting_restored (id integer)")
        changelog.install()
        since = changelog.moment()
        cursor.execute("DROP TABLE reporting_restored")
        cursor.execute("CREATE TABLE reporting_restored (id integer)")
        cursor.execute("INSERT INTO reporting_restored VALUES (1)")
        changelog.install()
        assert changelog.changed_since(since)
        cursor.execute("DROP TABLE reporting_restored")
    identity, snapshot = changelog.moment().split(" ")
    assert not changelog.changed_since(f"{identity} {snapshot}")
    cluster, timeline, *rest = identity.split("/")
    assert changelog.changed_since(f"{'/'.join(['1', timeline, *rest])} {snapshot}")  # another cluster
    with connection.cursor() as cursor:
        cursor.execute("SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)")
        assert timeline == cursor.fetchone()[0]
    # The same cluster recovered to an earlier point, or its standby promoted: another timeline.
    assert changelog.changed_since(f"{'/'.join([cluster, '%08X' % (int(timeline, 16) + 1), *rest])} {snapshot}")


def _trigger_states() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tgenabled::text FROM pg_trigger WHERE tgname = %s", [changelog.TRIGGER])
        return {state for (state,) in cursor.fetchall()}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_disabled_trigger_is_a_change_and_enabled_again_by_the_next_install():
    """Enabled ALWAYS, so a session replaying changes (replication role `replica`) records its writes too; one
    disabled (as `pg_restore --disable-triggers` does while it loads, then enabling it again) records nothing, so
    the moments before it are of other data, and so are those taken while it was."""
    assert _trigger_states() == {"A"}
    since = changelog.moment()
    with connection.cursor() as cursor:
        try:
            cursor.execute(f"ALTER TABLE participants_exit DISABLE TRIGGER {changelog.TRIGGER}")
            assert changelog.changed_since(since)
            cursor.execute(f"ALTER TABLE participants_exit ENABLE TRIGGER {changelog.TRIGGER}")  # not ALWAYS
            while_not_always = changelog.moment()
            assert changelog.changed_since(since)
        finally:
            assert changelog.install() == 0
    assert _trigger_states() == {"A"}
    assert changelog.changed_since(since)  # the identity is that of `since` again: the change was recorded
    assert changelog.changed_since(while_not_always)
    assert not changelog.changed_since(changelog.moment())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_changes_older_than_two_days_are_forgotten():
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_datachange")
        cursor.execute("INSERT INTO core_datachange (xact, recorded_at) VALUES "
                       "('1'::xid8, clock_timestamp() - interval '49 hours'), "
                       "('2'::xid8, clock_timestamp() - interval '47 hours')")
    assert changelog.forget_old() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT xact::text FROM core_datachange")
        assert cursor.fetchall() == [("2",)]


def test_the_code_digest_is_read_when_the_process_starts():
    """Read at the first report instead, it could be of files replaced since this process imported its code."""
    script = ("import django; django.setup(); from reporting import selectors; "
              "print(selectors.figures_code_digest.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,  # noqa: S603
                         env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"})
    assert out.stdout.split() == ["1"]


# Read in the modules where figures are computed, but no figure depends on them (the models' are their own
# methods' and fields').
NOT_FIGURE_SETTINGS = {"BASE_DIR", "REPORT_FIGURES_REUSE_SECONDS", "REPORT_FIGURE_CONNECTIONS",
                       "ORGANISATION_TOTALS_CACHE_SECONDS", "AUTH_USER_MODEL", "AUDIT_RETENTION_DAYS",
                       "SENT_EMAIL_KEEP_DAYS"}


def _modules_computing_figures() -> set:
    """reporting.selectors and the project's modules it takes names from."""
    base = Path(django_settings.BASE_DIR).resolve()
    modules = {selectors}
    for value in vars(selectors).values():
        module = value if inspect.ismodule(value) else inspect.getmodule(value)
        path = getattr(module, "__file__", None)
        if path and Path(path).resolve().is_relative_to(base) and ".venv" not in Path(path).parts:
            modules.add(module)
    return modules


def test_every_setting_read_where_the_figures_are_computed_is_in_their_version_or_named_as_not_a_figure_setting():
    modules = _modules_computing_figures()
    assert {"reporting.suppression", "participants.selectors", "placements.selectors"} <= {m.__name__ for m in modules}
    read = set()
    for module in modules:
        read |= set(re.findall(r"\bsettings\.([A-Z][A-Z0-9_]*)", inspect.getsource(module)))
    assert {"SMALL_COUNT_THRESHOLD", "REPORT_EQUALITY_THRESHOLD_DAYS"} <= read
    assert read - NOT_FIGURE_SETTINGS <= set(selectors.FIGURE_SETTINGS)


def test_the_figures_version_changes_with_a_figures_setting_only(settings):
    version = selectors.figures_version()
    settings.REPORT_FIGURES_KEEP_CURRENT_SECONDS += 1  # a worker's and a web process's may differ
    settings.REPORT_FIGURE_CONNECTIONS += 1
    settings.REPORT_HEARTBEAT_SECONDS += 1
    assert selectors.figures_version() == version
    for name in selectors.FIGURE_SETTINGS:
        before = getattr(settings, name)
        setattr(settings, name, "Europe/Helsinki" if name == "TIME_ZONE" else before + 1)
        assert selectors.figures_version() != version, name
        setattr(settings, name, before)
    assert selectors.figures_version() == version
