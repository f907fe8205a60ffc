"""Correcting an exit's date moves the end of the assignment the exit completed (placements.services.
assignment_end_correct): the placement is free from the day after the corrected date, its occupancy, stored idle
values and the stored waiting periods follow; an end moved later needs room at the placement on the added days."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.models import AuditEvent
from participants import corrections
from participants.models import Correction, Exit, ExitKind, ExitReason
from participants.services import exit_record
from participants.tests.factories import ReferralFactory
from participants.tests.waiting import assert_stored_waiting_periods_are_the_definition
from placements.models import Assignment, Placement
from placements.selectors import occupied_on
from placements.services import assignment_end_correct
from placements.tests.factories import AssignmentFactory, PlacementFactory
from placements.tests.test_idle_state import _assert_current, _stored

pytestmark = pytest.mark.django_db
S = Assignment.Status
TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


@pytest.fixture
def place(unit_a):
    return PlacementFactory(unit=unit_a, capacity=1, available_from=TODAY - 400 * DAY, title="Lagret")


@pytest.fixture
def start(agency_af, project, case_worker_af):
    return ReferralFactory(agency=agency_af, project=project, case_worker=case_worker_af,
                           referral_date=TODAY - 100 * DAY)


def _on_placement(place, start, *, begun: int) -> Assignment:
    return AssignmentFactory(placement=place, referral=start, status=S.ONGOING, start_date=TODAY + begun * DAY,
                             planned_end_date=TODAY + 50 * DAY)


def _exit(user, start, *, on: int) -> Exit:
    return exit_record(user=user, referral=start, exit_date=TODAY + on * DAY, kind=ExitKind.AS_PLANNED,
                       reason=ExitReason.objects.first()).exit


def _correct(user, exit_, *, to: int):
    return corrections.exit_correct(user=user, exit=exit_, correction_reason="Fel datum", exit_date=TODAY + to * DAY)


def _occupied(place, day: int) -> int:
    return occupied_on(on=TODAY + day * DAY).get(place.pk, 0)


def _assert_stored_values_are_the_definition():
    _assert_current()
    assert_stored_waiting_periods_are_the_definition()


def test_an_exit_corrected_earlier_frees_the_placement_from_the_day_after(case_worker_af, place, start):
    assignment = _on_placement(place, start, begun=-50)
    exit_ = _exit(case_worker_af, start, on=-3)
    assignment.refresh_from_db()
    assert (assignment.status, assignment.end_date) == (S.COMPLETED, TODAY - 3 * DAY)
    assert _occupied(place, -5) == 1

    _correct(case_worker_af, exit_, to=-13)

    assignment.refresh_from_db()
    assert (assignment.status, assignment.end_date) == (S.COMPLETED, TODAY - 13 * DAY)
    assert [_occupied(place, day) for day in (-14, -13, -12, -5, -3)] == [1, 1, 0, 0, 0]
    assert _stored()[place.pk] == (TODAY - 13 * DAY, None, None)
    _assert_stored_values_are_the_definition()


def test_an_exit_corrected_later_keeps_the_placement_occupied_until_then(case_worker_af, place, start):
    assignment = _on_placement(place, start, begun=-50)
    exit_ = _exit(case_worker_af, start, on=-13)
    assert _occupied(place, -5) == 0

    _correct(case_worker_af, exit_, to=-3)

    assignment.refresh_from_db()
    assert assignment.end_date == TODAY - 3 * DAY
    assert [_occupied(place, day) for day in (-13, -5, -3, -2)] == [1, 1, 1, 0]
    assert _stored()[place.pk] == (TODAY - 3 * DAY, None, None)
    _assert_stored_values_are_the_definition()


def test_an_assignment_that_began_after_the_corrected_date_keeps_its_one_day(case_worker_af, place, start):
    """exit_record ends it on its first day when the exit came before it; so does the correction."""
    assignment = _on_placement(place, start, begun=-8)
    exit_ = _exit(case_worker_af, start, on=-3)
    _correct(case_worker_af, exit_, to=-13)
    assignment.refresh_from_db()
    assert assignment.end_date == TODAY - 8 * DAY
    _assert_stored_values_are_the_definition()


def test_no_room_on_the_added_days_refuses_the_correction_and_changes_nothing(case_worker_af, place, start):
    """Someone else was on the one place from the day after the recorded exit (and has since left): the exit
    cannot move onto that day, and nothing is saved: not the assignment, not the exit, no correction."""
    assignment = _on_placement(place, start, begun=-50)
    exit_ = _exit(case_worker_af, start, on=-20)
    AssignmentFactory(placement=place, status=S.COMPLETED, start_date=TODAY - 19 * DAY,
                      planned_end_date=TODAY - 19 * DAY, end_date=TODAY - 19 * DAY)
    stored = _stored()

    with pytest.raises(ValidationError) as refused:
        _correct(case_worker_af, exit_, to=-16)

    first, last = (TODAY - 19 * DAY).isoformat(), (TODAY - 16 * DAY).isoformat()
    assert refused.value.message_dict == {"exit_date": [
        f"Platsen Lagret har ingen ledig plats {first}–{last}, så placeringen kan inte pågå till det nya "
        "slutdatumet."]}
    assignment.refresh_from_db()
    exit_.refresh_from_db()
    assert (assignment.end_date, exit_.exit_date) == (TODAY - 20 * DAY, TODAY - 20 * DAY)
    assert not Correction.objects.exists()
    assert _stored() == stored
    _assert_stored_values_are_the_definition()


def test_room_from_a_second_place_or_before_the_other_began_lets_it_move(case_worker_af, place, start):
    assignment = _on_placement(place, start, begun=-50)
    exit_ = _exit(case_worker_af, start, on=-20)
    AssignmentFactory(placement=place, status=S.COMPLETED, start_date=TODAY - 15 * DAY,
                      planned_end_date=TODAY - 10 * DAY, end_date=TODAY - 10 * DAY)
    _correct(case_worker_af, exit_, to=-16)  # the day before the other began
    assignment.refresh_from_db()
    assert assignment.end_date == TODAY - 16 * DAY
    with pytest.raises(ValidationError):
        _correct(case_worker_af, exit_, to=-15)
    Placement.objects.filter(pk=place.pk).update(capacity=2)
    _correct(case_worker_af, exit_, to=-12)
    assignment.refresh_from_db()
    assert assignment.end_date == TODAY - 12 * DAY
    assert _occupied(place, -12) == 2
    _assert_stored_values_are_the_definition()


def test_an_assignment_completed_on_its_own_or_withdrawn_is_left_alone(case_worker_af, place, start, unit_a):
    earlier = AssignmentFactory(placement=place, referral=start, status=S.COMPLETED, start_date=TODAY - 60 * DAY,
                                planned_end_date=TODAY - 40 * DAY, end_date=TODAY - 45 * DAY)
    later = PlacementFactory(unit=unit_a, capacity=1, available_from=TODAY - 400 * DAY)
    booked = AssignmentFactory(placement=later, referral=start, status=S.CONFIRMED, start_date=TODAY - 2 * DAY,
                               planned_end_date=TODAY + 30 * DAY, decided_at=timezone.now() - 20 * DAY)
    exit_ = _exit(case_worker_af, start, on=-4)  # before the booked period began: it is withdrawn
    booked.refresh_from_db()
    assert booked.status == S.WITHDRAWN

    _correct(case_worker_af, exit_, to=-1)

    earlier.refresh_from_db()
    booked.refresh_from_db()
    assert (earlier.status, earlier.end_date) == (S.COMPLETED, TODAY - 45 * DAY)
    assert (booked.status, booked.end_date, booked.withdrawn_on) == (S.WITHDRAWN, None, TODAY - 4 * DAY)
    _assert_stored_values_are_the_definition()


def test_the_service_checks_who_asks_and_what(case_worker_af, case_worker_fk, manager_a, manager_b, leader, place,
                                              start):
    assignment = AssignmentFactory(placement=place, referral=start, status=S.COMPLETED,
                                   start_date=TODAY - 30 * DAY, planned_end_date=TODAY, end_date=TODAY - 10 * DAY)
    for outsider in (case_worker_fk, manager_b):
        with pytest.raises(PermissionDenied):
            assignment_end_correct(user=outsider, assignment=assignment, end_date=TODAY - 20 * DAY)
    with pytest.raises(ValidationError) as before_start:
        assignment_end_correct(user=leader, assignment=assignment, end_date=TODAY - 31 * DAY)
    assert before_start.value.message_dict == {"end_date": ["Slutdatum kan inte vara före startdatum."]}
    assignment.refresh_from_db()
    assert assignment.end_date == TODAY - 10 * DAY
    assert not AuditEvent.objects.exists()

    unchanged = assignment_end_correct(user=leader, assignment=assignment, end_date=TODAY - 10 * DAY)
    assert unchanged == assignment
    assert (assignment.history.count(), AuditEvent.objects.count()) == (1, 0)  # nothing written

    for user, day in ((case_worker_af, -20), (manager_a, -15), (leader, -12)):
        moved = assignment_end_correct(user=user, assignment=assignment, end_date=TODAY + day * DAY)
        assert moved.end_date == TODAY + day * DAY
        assert assignment.history.first().history_user == user
    assert list(AuditEvent.objects.order_by("pk").values_list("user", "detail")) == [
        (user.pk, f"Placering {assignment.pk}: slutdatum rättat {a.isoformat()} → {b.isoformat()}")
        for user, a, b in ((case_worker_af, TODAY - 10 * DAY, TODAY - 20 * DAY),
                           (manager_a, TODAY - 20 * DAY, TODAY - 15 * DAY),
                           (leader, TODAY - 15 * DAY, TODAY - 12 * DAY))]
    _assert_current()

    ongoing = AssignmentFactory(placement=place, status=S.ONGOING, start_date=TODAY - 5 * DAY,
                                planned_end_date=TODAY + 5 * DAY)
    with pytest.raises(ValidationError) as not_completed:
        assignment_end_correct(user=leader, assignment=ongoing, end_date=TODAY)
    assert not_completed.value.messages == ["Bara avslutade placeringar kan få ett rättat slutdatum."]
    ongoing.refresh_from_db()
    assert ongoing.end_date is None
    with pytest.raises(ValidationError) as no_room:
        assignment_end_correct(user=leader, assignment=assignment, end_date=TODAY - 5 * DAY)
    assert list(no_room.value.message_dict) == ["end_date"]
    assignment.refresh_from_db()
    assert assignment.end_date == TODAY - 12 * DAY



def _state_on(start, day: int):
    from participants.selectors import waiting_list_on

    return waiting_list_on(TODAY + day * DAY).filter(pk=start.pk).values_list("waiting_state", flat=True).first()


@pytest.mark.parametrize("to", [-3, -20])
def test_a_request_the_exit_withdrew_is_withdrawn_on_the_corrected_date(case_worker_af, place, start, to):
    """exit_record withdraws a pending request on the exit date; corrected later, the request was pending until the
    corrected date (the waiting list shows it so on the days between), corrected earlier, it ends with the exit.
    A request withdrawn on another day stays as it was."""
    from participants.selectors import WaitingState

    other = PlacementFactory(unit=place.unit, capacity=1, available_from=TODAY - 400 * DAY)
    withdrawn_before = AssignmentFactory(placement=other, referral=start, status=S.WITHDRAWN,
                                         start_date=TODAY + 30 * DAY, planned_end_date=TODAY + 60 * DAY,
                                         withdrawn_on=TODAY - 40 * DAY)
    pending = AssignmentFactory(placement=place, referral=start, status=S.REQUESTED, start_date=TODAY + 30 * DAY,
                                planned_end_date=TODAY + 60 * DAY)
    Assignment.objects.filter(pk=pending.pk).update(created_at=timezone.now() - 30 * DAY)
    exit_ = _exit(case_worker_af, start, on=-13)
    pending.refresh_from_db()
    assert (pending.status, pending.withdrawn_on) == (S.WITHDRAWN, TODAY - 13 * DAY)

    _correct(case_worker_af, exit_, to=to)

    pending.refresh_from_db()
    withdrawn_before.refresh_from_db()
    assert (pending.status, pending.withdrawn_on) == (S.WITHDRAWN, TODAY + to * DAY)
    assert withdrawn_before.withdrawn_on == TODAY - 40 * DAY
    if to > -13:
        assert [_state_on(start, day) for day in (-13, -8, -4, -3)] == [WaitingState.REQUESTED] * 3 + [None]
    _assert_stored_values_are_the_definition()


@pytest.mark.parametrize(("to", "withdrawn_on"), [(-20, -20), (-10, -10), (-8, -13), (-3, -13)])
def test_a_booking_the_exit_withdrew_moves_only_while_it_had_not_begun(case_worker_af, place, start, to,
                                                                       withdrawn_on):
    """A booking for day -8 withdrawn by an exit on day -13: corrected to a day before -8 it is withdrawn then;
    corrected to -8 or later it would have begun, which nobody knows, so it stays withdrawn as recorded."""
    from participants.selectors import WaitingState

    booked = AssignmentFactory(placement=place, referral=start, status=S.CONFIRMED, start_date=TODAY - 8 * DAY,
                               planned_end_date=TODAY + 60 * DAY, decided_at=timezone.now() - 30 * DAY)
    exit_ = _exit(case_worker_af, start, on=-13)
    booked.refresh_from_db()
    assert (booked.status, booked.withdrawn_on) == (S.WITHDRAWN, TODAY - 13 * DAY)

    _correct(case_worker_af, exit_, to=to)

    booked.refresh_from_db()
    assert (booked.status, booked.withdrawn_on) == (S.WITHDRAWN, TODAY + withdrawn_on * DAY)
    if to == -10:
        assert [_state_on(start, day) for day in (-13, -11, -10)] == [WaitingState.BOOKED] * 2 + [None]
    _assert_stored_values_are_the_definition()


def test_the_withdrawal_day_service_checks_who_asks_and_what(case_worker_af, case_worker_fk, manager_b, leader,
                                                             place, start):
    from placements.services import assignment_withdrawn_on_correct

    withdrawn = AssignmentFactory(placement=place, referral=start, status=S.WITHDRAWN, start_date=TODAY + 5 * DAY,
                                  planned_end_date=TODAY + 50 * DAY, withdrawn_on=TODAY - 10 * DAY)
    for outsider in (case_worker_fk, manager_b):
        with pytest.raises((PermissionDenied, Assignment.DoesNotExist)):
            assignment_withdrawn_on_correct(user=outsider, assignment=withdrawn, withdrawn_on=TODAY - 5 * DAY)
    moved = assignment_withdrawn_on_correct(user=case_worker_af, assignment=withdrawn, withdrawn_on=TODAY - 5 * DAY)
    assert moved.withdrawn_on == TODAY - 5 * DAY
    withdrawn.refresh_from_db()
    assert withdrawn.withdrawn_on == TODAY - 5 * DAY
    assert AuditEvent.objects.filter(user=case_worker_af, action=AuditEvent.Action.UPDATE).exists()
    withdrawn.status = S.DECLINED
    withdrawn.save(update_fields=["status"])
    with pytest.raises(ValidationError) as refused:
        assignment_withdrawn_on_correct(user=leader, assignment=withdrawn, withdrawn_on=TODAY)
    assert refused.value.messages == ["Bara återtagna placeringar kan få ett rättat återtagandedatum."]
