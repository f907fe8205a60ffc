"""The report's figures computed on two database connections reading one snapshot (reporting.selectors._computed)
are the figures computed one after the other, and a write committed meanwhile is seen by neither connection."""

import datetime as dt
import threading

import pytest
from django.db import OperationalError, connection

from organisations.tests.factories import OrganisationFactory, ProjectFactory
from participants.tests.factories import ReferralFactory
from reporting import indicators, selectors
from reporting.selectors import final_figures, monthly_report_figures

from .conftest import MARCH, build_march_dataset


def _without_time(figures: dict) -> dict:
    return {**figures, "meta": {key: value for key, value in figures["meta"].items() if key != "generated_at"}}


@pytest.fixture
def committed_march():
    """The March data set committed (a second connection sees only committed rows; the tests are transactional,
    with the serialized rollback that keeps the next such test's content types, as in test_worker.py)."""
    owner = OrganisationFactory(name="Samordningsförbundet", employee_count=None)
    project = ProjectFactory(slug="sjalvklart-rapport", name="Självklart – rapportprojekt", owner=owner,
                             target_participants=10)
    build_march_dataset(project)
    return project


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_connections_give_the_figures_of_one_after_the_other(committed_march, monkeypatch, settings):
    threads = []
    real = selectors.exits_section

    def recording(project, start, end):
        if (start, end) == MARCH:  # not the first page's previous month, computed last
            threads.append((threading.current_thread().name, id(connection.connection)))
        return real(project, start, end)

    monkeypatch.setattr(selectors, "exits_section", recording)
    settings.REPORT_FIGURE_CONNECTIONS = 1
    monthly_one, final_one = monthly_report_figures(committed_march, *MARCH), final_figures(committed_march, *MARCH)
    settings.REPORT_FIGURE_CONNECTIONS = 2
    monthly_two, final_two = monthly_report_figures(committed_march, *MARCH), final_figures(committed_march, *MARCH)
    assert _without_time(monthly_two) == _without_time(monthly_one)
    assert list(monthly_two) == list(monthly_one)
    assert _without_time(final_two) == _without_time(final_one)
    assert list(final_two) == list(final_one)
    # One after the other in this thread, then in the second thread.
    assert [name for name, _connection in threads] == ["MainThread", "MainThread", "report-figures", "report-figures"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_both_connections_read_the_snapshot_of_the_start(committed_march, monkeypatch, settings):
    """A start committed while the second connection works is in neither connection's figures."""
    settings.REPORT_FIGURE_CONNECTIONS = 2
    before = monthly_report_figures(committed_march, *MARCH)
    real = selectors.exits_section

    def commit_a_start():
        try:
            ReferralFactory(project=committed_march, referral_date=MARCH[0], start_date=MARCH[0])
        finally:
            connection.close()

    def exits_after_a_new_start(project, start, end):
        if (start, end) == MARCH:
            writer = threading.Thread(target=commit_a_start)  # a connection of its own, committed at once
            writer.start()
            writer.join()
        return real(project, start, end)

    monkeypatch.setattr(selectors, "exits_section", exits_after_a_new_start)
    during = monthly_report_figures(committed_march, *MARCH)
    assert during["participants"]["starts"] == before["participants"]["starts"]
    assert during["trend"]["starts"] == before["trend"]["starts"]
    monkeypatch.setattr(selectors, "exits_section", real)
    assert monthly_report_figures(committed_march, *MARCH)["participants"]["starts"] == \
        before["participants"]["starts"] + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_waiting_list_is_computed_on_the_second_connection(committed_march, monkeypatch, settings):
    """The waiting list shares no read with the placements' sections on the first connection: it balances the
    second (SECOND_CONNECTION), in both reports."""
    threads = []
    real = selectors.waiting_list_section

    def recording(project, on):
        threads.append(threading.current_thread().name)
        return real(project, on)

    monkeypatch.setattr(selectors, "waiting_list_section", recording)
    settings.REPORT_FIGURE_CONNECTIONS = 2
    monthly_report_figures(committed_march, *MARCH)
    final_figures(committed_march, *MARCH)
    assert threads == ["report-figures", "report-figures"]


# Sections that share a read made once per build: on one connection, or both would make it.
SHARING_A_READ = [{"placements", "supervisors", "need_supply"}, {"outcomes", "outcomes_by_gender"},
                  {"participants", "equality", "esf"}]


@pytest.mark.parametrize("kind", ["monthly", "final"])
def test_sections_sharing_a_read_are_on_one_connection(kind):
    second = selectors.SECOND_CONNECTION[kind]
    for group in SHARING_A_READ:
        assert group <= second or not group & second


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_first_pages_previous_month_is_read_with_the_sections_not_after_them(committed_march, monkeypatch,
                                                                                 settings):
    """The first page compares with the previous month. Its waiting list on that month's last day is read on the
    second connection while the first computes its sections, not on the first after both are done; the first
    page still shows it."""
    previous_end = dt.date(2026, 2, 28)
    threads = []

    def recording(real):
        def waiting_for_placement_on(on, referrals=None):
            if on == previous_end:
                threads.append(threading.current_thread().name)
            return real(on, referrals)

        return waiting_for_placement_on

    for module in (selectors, indicators):  # wherever it is called from
        if hasattr(module, "waiting_for_placement_on"):
            monkeypatch.setattr(module, "waiting_for_placement_on", recording(module.waiting_for_placement_on))
    settings.REPORT_FIGURE_CONNECTIONS = 2
    figures = monthly_report_figures(committed_march, *MARCH)
    settings.REPORT_FIGURE_CONNECTIONS = 1
    assert threads == ["report-figures"]
    assert figures["summary"]["waiting"] == monthly_report_figures(committed_march, *MARCH)["summary"]["waiting"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_snapshot_that_cannot_be_exported_raises_here_and_leaves_no_thread_waiting(committed_march, settings):
    """The second connection is opened while the first exports the snapshot. Where the export fails, the error
    is the caller's and the second connection's thread does not wait on for a snapshot."""
    settings.REPORT_FIGURE_CONNECTIONS = 2

    def failing_export(execute, sql, params, many, context):
        if "pg_export_snapshot" in sql:
            raise OperationalError("no snapshot")
        return execute(sql, params, many, context)

    errors = []

    def build():  # in a thread of its own, so that a wait that never ends fails the test instead of hanging it
        try:
            with connection.execute_wrapper(failing_export):
                final_figures(committed_march, *MARCH)
        except OperationalError as exc:
            errors.append(exc)
        finally:
            connection.close()

    builder = threading.Thread(target=build)
    builder.start()
    builder.join(timeout=30)
    assert not builder.is_alive()
    assert [str(error) for error in errors] == ["no snapshot"]
    assert not [thread for thread in threading.enumerate() if thread.name == "report-figures"]
    assert final_figures(committed_march, *MARCH)["participants"]["starts"] > 0
