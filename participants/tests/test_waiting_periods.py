"""The stored waiting periods (WaitingPeriod) and their count changes (WaitingCountChange) are the waiting list's
definition (waiting_list_on) after every writer of a start, its assignments or its exit; the waiting-list page's and
the leader's start page's counts by state come from them, a case worker's from their own agency's starts only."""

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import Gender
from participants import corrections, services
from participants.imports import participants_import, read_table
from participants.models import ExitKind, Participant, Referral, WaitingCountChange, WaitingPeriod
from participants.selectors import WaitingState, waiting_counts_stored, waiting_list, waiting_list_counts
from participants.tests.factories import ParticipantFactory, ReferralFactory
from participants.tests.waiting import assert_stored_waiting_periods_are_the_definition
from placements import services as placement_services
from placements.tests.factories import PlacementFactory

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


def _referral(user, project, agency, referral_date):
    return services.referral_create(user=user, project=project, agency=agency, identity=Participant.Identity.ANONYMOUS,
                                    gender=Gender.WOMAN, referral_date=referral_date).referral


@pytest.fixture
def start(case_worker_af, project, agency_af):
    return _referral(case_worker_af, project, agency_af, TODAY - 40 * DAY)


def test_a_new_start_is_waiting_from_today_on(start):
    """Referred 40 days ago: stored from today, the day it was written (days before today are not stored)."""
    assert list(WaitingPeriod.objects.values_list("state", "first_day", "until")) == [
        (WaitingState.WAITING, TODAY, WaitingPeriod.OPEN_END)]
    assert_stored_waiting_periods_are_the_definition()


def test_the_assignment_services_keep_them(start, case_worker_af, manager_a, one_place_a, categories):
    """Request, decline, request again, confirm, start, complete, exit, and the corrections of the exit and the
    referral date: after each, the stored periods are the definition on every day the data names."""
    check = assert_stored_waiting_periods_are_the_definition
    first = services.assignment_request(user=case_worker_af, referral=start, placement=one_place_a,
                                        start_date=TODAY + 5 * DAY, planned_end_date=TODAY + 60 * DAY)
    check()
    assert WaitingPeriod.objects.get(until=WaitingPeriod.OPEN_END).state == WaitingState.REQUESTED
    placement_services.assignment_decline(user=manager_a, assignment=first, reason="Full")
    check()
    second = services.assignment_request(user=case_worker_af, referral=start, placement=one_place_a,
                                         start_date=TODAY - 3 * DAY, planned_end_date=TODAY + 60 * DAY)
    check()
    placement_services.assignment_confirm(user=manager_a, assignment=second)
    check()
    assert WaitingPeriod.objects.get(until=WaitingPeriod.OPEN_END).state == WaitingState.BOOKED
    services.assignment_begin(user=case_worker_af, assignment=second, start_date=TODAY - 2 * DAY)
    check()
    assert not WaitingPeriod.objects.filter(until=WaitingPeriod.OPEN_END).exists()  # on the placement
    placement_services.assignment_complete(user=case_worker_af, assignment=second, end_date=TODAY - DAY)
    check()
    assert WaitingPeriod.objects.get(until=WaitingPeriod.OPEN_END).state == WaitingState.FINISHED
    exit_ = services.exit_record(user=case_worker_af, referral=start, exit_date=TODAY, kind=ExitKind.AS_PLANNED,
                                 reason=categories["reasons"]["arbete"]).exit
    check()
    assert not WaitingPeriod.objects.filter(until__gt=TODAY).exists()
    corrections.exit_correct(user=case_worker_af, exit=exit_, correction_reason="Fel datum", exit_date=TODAY - DAY)
    check()
    corrections.exit_correct(user=case_worker_af, exit=exit_, correction_reason="Fel",
                             kind=ExitKind.REGISTERED_IN_ERROR)
    check()
    assert not WaitingPeriod.objects.exists()  # registered in error: on no day's list
    corrections.exit_correct(user=case_worker_af, exit=exit_, correction_reason="Ändå ett avslut",
                             kind=ExitKind.AS_PLANNED, reason=categories["reasons"]["arbete"])
    check()
    start.refresh_from_db()
    corrections.referral_correct(user=case_worker_af, referral=start, correction_reason="Fel datum",
                                 referral_date=TODAY - 50 * DAY)
    check()


def test_withdrawing_and_closing_the_placement_keep_them(start, case_worker_af, leader, project, agency_af,
                                                        one_place_a, unit_a, area_testvard):
    booked = services.assignment_request(user=case_worker_af, referral=start, placement=one_place_a,
                                         start_date=TODAY + 5 * DAY, planned_end_date=TODAY + 30 * DAY)
    placement_services.assignment_withdraw(user=case_worker_af, assignment=booked, reason="Ändrade planer")
    assert_stored_waiting_periods_are_the_definition()
    other = _referral(case_worker_af, project, agency_af, TODAY - 10 * DAY)
    services.assignment_request(user=case_worker_af, referral=other, placement=one_place_a,
                                start_date=TODAY + 5 * DAY, planned_end_date=TODAY + 30 * DAY)
    assert WaitingPeriod.objects.get(referral=other, until=WaitingPeriod.OPEN_END).state == WaitingState.REQUESTED
    placement_services.placement_close(user=leader, placement=one_place_a)  # withdraws the pending request
    assert_stored_waiting_periods_are_the_definition()
    assert WaitingPeriod.objects.get(referral=other, until=WaitingPeriod.OPEN_END).state == WaitingState.WAITING


def test_the_history_import_keeps_them(project, agency_af, agency_fk, one_place_a, categories):
    text = "\n".join([
        "participant_ref,gender,birth_year,agency,referral_date,start_date,end_date,exit_kind,exit_reason,"
        "support_before,activity_before,activity_after,placement_code,followup_90_status",
        "P1,kvinna,1985,af,2025-01-10,2025-01-20,2025-04-30,enligt plan,Arbete,,,arbete,PLATS-A,",
        "P1,kvinna,1985,af,2025-09-01,,,,,,,,,",
        "P2,man,1990,af,2025-02-01,2025-02-10,2025-03-15,felregistrering,,,,,PLATS-A,",
        "P3,man,1990,fk,2025-02-01,,2025-03-15,felregistrering,,,,,,",
        "P4,kvinna,1980,fk,2025-10-01,2025-10-05,,,,,,,PLATS-A,",
    ])
    headers, rows, _notices = read_table(text.encode())
    result = participants_import(user=None, project=project, headers=headers, rows=rows, dry_run=False)
    assert result.ok, result.errors
    assert Referral.objects.count() == 5
    assert_stored_waiting_periods_are_the_definition()
    # only the open starts of the file have periods (from today): P1's second start and P4, on its placement
    assert set(WaitingPeriod.objects.values_list("referral__participant__code", flat=True)) == {"P1"}


def test_the_migration_fills_them_for_existing_starts(start, case_worker_af, manager_a, leader, project, agency_af,
                                                      agency_fk, case_worker_fk, unit_a, categories):
    """The migration's copy of the refresh, run with the models as they stood at that migration, stores what the
    services stored for starts in every state: the definition on every day the data names."""
    place = PlacementFactory(unit=unit_a, capacity=9, available_from=TODAY - 400 * DAY)
    services.assignment_request(user=case_worker_af, referral=start, placement=place,
                                start_date=TODAY + 5 * DAY, planned_end_date=TODAY + 30 * DAY)  # requested
    booked = _referral(case_worker_af, project, agency_af, TODAY - 20 * DAY)
    placement_services.assignment_confirm(user=manager_a, assignment=services.assignment_request(
        user=case_worker_af, referral=booked, placement=place, start_date=TODAY + 3 * DAY,
        planned_end_date=TODAY + 40 * DAY))
    finished = _referral(case_worker_af, project, agency_af, TODAY - 60 * DAY)
    done = services.assignment_request(user=case_worker_af, referral=finished, placement=place,
                                       start_date=TODAY - 30 * DAY, planned_end_date=TODAY + 30 * DAY)
    placement_services.assignment_confirm(user=manager_a, assignment=done)
    services.assignment_begin(user=case_worker_af, assignment=done)
    placement_services.assignment_complete(user=case_worker_af, assignment=done, end_date=TODAY - DAY)
    placed = _referral(case_worker_af, project, agency_af, TODAY - 50 * DAY)
    ongoing = services.assignment_request(user=case_worker_af, referral=placed, placement=place,
                                          start_date=TODAY - 10 * DAY, planned_end_date=TODAY + 10 * DAY)
    placement_services.assignment_confirm(user=manager_a, assignment=ongoing)
    services.assignment_begin(user=case_worker_af, assignment=ongoing)
    in_error = _referral(case_worker_fk, project, agency_fk, TODAY - 9 * DAY)
    services.exit_record(user=case_worker_fk, referral=in_error, exit_date=TODAY - 2 * DAY,
                         kind=ExitKind.REGISTERED_IN_ERROR)
    withdrawn = _referral(case_worker_fk, project, agency_fk, TODAY - 3 * DAY)
    placement_services.assignment_withdraw(user=case_worker_fk, assignment=services.assignment_request(
        user=case_worker_fk, referral=withdrawn, placement=place, start_date=TODAY + 9 * DAY,
        planned_end_date=TODAY + 20 * DAY), reason="Ändrade planer")
    _referral(case_worker_fk, project, agency_fk, TODAY - 3 * DAY)  # waiting
    columns = ("referral_id", "agency_id", "state", "first_day", "until")
    stored = set(WaitingPeriod.objects.values_list(*columns))
    assert {state for _r, _a, state, _f, _u in stored} == set(WaitingState.values)
    WaitingPeriod.objects.all().delete()

    historical = MigrationLoader(connection).project_state(("participants", "0010_waiting_period")).apps
    importlib.import_module("participants.migrations.0010_waiting_period").fill_waiting_periods(
        historical, SimpleNamespace(connection=connection))
    assert set(WaitingPeriod.objects.values_list(*columns)) == stored
    assert set(WaitingPeriod.objects.values_list("referral_date", flat=True)) == {None}  # the column came later
    importlib.import_module("participants.migrations.0014_waiting_period_referral_date").copy_referral_dates(
        apps, SimpleNamespace(connection=connection))
    assert_stored_waiting_periods_are_the_definition()
    changes = set(WaitingCountChange.objects.exclude(delta=0).values_list("agency_id", "state", "day", "delta"))
    WaitingCountChange.objects.all().delete()
    with connection.cursor() as cursor:
        importlib.import_module("participants.migrations.0012_waiting_count_change").fill_waiting_count_changes(
            apps, SimpleNamespace(execute=cursor.execute))
    assert set(WaitingCountChange.objects.values_list("agency_id", "state", "day", "delta")) == changes
    assert_stored_waiting_periods_are_the_definition()


# --- The page's counts -------------------------------------------------------------------------------------


@pytest.fixture
def two_agencies(case_worker_af, case_worker_fk, project, agency_af, agency_fk, one_place_a):
    for days in (5, 8, 13):
        _referral(case_worker_af, project, agency_af, TODAY - days * DAY)
    requested = _referral(case_worker_af, project, agency_af, TODAY - 20 * DAY)
    services.assignment_request(user=case_worker_af, referral=requested, placement=one_place_a,
                                start_date=TODAY + 5 * DAY, planned_end_date=TODAY + 30 * DAY)
    for days in (2, 4):
        _referral(case_worker_fk, project, agency_fk, TODAY - days * DAY)


def test_stored_counts_are_the_definitions_for_each_user_and_agency(two_agencies, leader, case_worker_af,
                                                                     case_worker_fk, agency_af, agency_fk):
    for user in (leader, case_worker_af, case_worker_fk):
        assert waiting_counts_stored(user=user) == waiting_list_counts(waiting_list(user=user))
        for agency in (agency_af, agency_fk):
            assert (waiting_counts_stored(user=user, agency=agency)
                    == waiting_list_counts(waiting_list(user=user).filter(agency=agency)))
    assert waiting_counts_stored(user=case_worker_af) == {"waiting": 3, "requested": 1, "booked": 0, "finished": 0}


def test_a_case_worker_counts_only_their_own_agency(two_agencies, case_worker_fk, agency_af, manager_a, steering):
    assert sum(waiting_counts_stored(user=case_worker_fk).values()) == 2
    assert sum(waiting_counts_stored(user=case_worker_fk, agency=agency_af).values()) == 0
    for user in (manager_a, steering):
        assert sum(waiting_counts_stored(user=user).values()) == 0


def _page(client, user, **params):
    client.force_login(user)
    client.get(reverse("participants:waiting_list"), params)  # warm the option-list cache
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("participants:waiting_list"), params)
    assert response.status_code == 200
    return response, [q["sql"] for q in captured.captured_queries]


def test_the_page_counts_from_the_stored_periods(client, two_agencies, case_worker_af, leader, agency_fk):
    response, queries = _page(client, case_worker_af)
    assert [count for _value, _label, count in response.context["states"]] == [3, 1, 0, 0]
    assert response.context["total"] == 4 and len(response.context["rows"]) == 4
    counting = [q for q in queries if "participants_waitingcountchange" in q]
    assert len(counting) == 1 and "participants_referral" not in counting[0]
    response, _queries = _page(client, leader, agency=agency_fk.pk)
    assert response.context["total"] == 2


def test_narrowed_by_gender_the_page_counts_the_list(client, two_agencies, case_worker_af):
    man = Referral.objects.filter(agency__code="af").order_by("pk").first()
    Participant.objects.filter(pk=man.participant_id).update(gender=Gender.MAN)
    response, queries = _page(client, case_worker_af, gender=Gender.MAN)
    assert response.context["total"] == 1
    assert not [q for q in queries if "participants_waitingcountchange" in q]


def test_a_factory_start_is_stored_like_a_service_one(agency_af, project):
    ReferralFactory(participant=ParticipantFactory(), agency=agency_af, project=project)
    assert_stored_waiting_periods_are_the_definition()


def test_the_leaders_start_page_counts_from_the_stored_periods(client, two_agencies, leader):
    client.force_login(leader)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    definition = waiting_list_counts(waiting_list(user=leader))
    assert definition == {"waiting": 5, "requested": 1, "booked": 0, "finished": 0}
    html = response.content.decode()
    for label, n in (("Väntar på plats", 5), ("Förfrågan väntar på svar", 1)):
        assert f'<th scope="row" class="fw-normal">{label}</th><td class="text-end fw-bold">{n}</td>' in html
    assert [q for q in captured.captured_queries if "participants_waitingcountchange" in q["sql"]]


def test_a_start_is_deleted_only_after_its_periods_leave_the_counts(start, two_agencies, leader):
    """A cascade would delete the start's periods and leave the counts they added: the deletion is refused until
    waiting_periods_delete has taken them out."""
    with pytest.raises(ProtectedError):
        start.participant.delete()
    services.waiting_periods_delete(referrals=Referral.objects.filter(pk=start.pk))
    start.participant.delete()
    assert_stored_waiting_periods_are_the_definition()
    assert waiting_counts_stored(user=leader) == waiting_list_counts(waiting_list(user=leader))


def _count_upserts(captured) -> int:
    return sum(1 for q in captured.captured_queries
               if q["sql"].startswith("INSERT") and "participants_waitingcountchange" in q["sql"])


def test_an_exit_writes_the_count_changes_once(start, case_worker_af, one_place_a, categories):
    """The request the exit withdraws is refreshed with the exit, once: one statement writes the count changes,
    in key order (two statements each could hold rows the other waits for)."""
    services.assignment_request(user=case_worker_af, referral=start, placement=one_place_a,
                                start_date=TODAY + 10 * DAY, planned_end_date=TODAY + 60 * DAY)
    assert WaitingPeriod.objects.get().state == WaitingState.REQUESTED
    with CaptureQueriesContext(connection) as captured:  # withdraws the request
        services.exit_record(user=case_worker_af, referral=start, exit_date=TODAY, kind=ExitKind.INTERRUPTED,
                             reason=categories["reasons"]["arbete"])
    assert _count_upserts(captured) == 1
    assert not WaitingPeriod.objects.exists()
    assert_stored_waiting_periods_are_the_definition()


def test_a_collecting_block_inside_another_collects_into_the_outer_one(db):
    with services.waiting_periods_collected() as outer:
        with services.waiting_periods_collected() as inner:
            services.assignments_changed_received(referral_ids=[1])
        services.assignments_changed_received(referral_ids=[2])
    assert inner is outer and outer == {1, 2}
    assert not WaitingPeriod.objects.exists()  # collected, not refreshed
