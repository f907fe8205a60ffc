"""Two writers at once on PostgreSQL (one connection per thread): the stored aggregates (a placement's idle values,
a start's waiting periods and their count changes) are what the definitions give once both have committed. The
first writer holds its transaction open after its write until the second has reached the same rows; then it
commits and the second goes on."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core.models import Gender
from participants import corrections
from participants import services as participant_services
from participants.models import ExitKind, ExitReason, Participant, WaitingPeriod
from participants.tests.waiting import assert_stored_waiting_periods_are_the_definition
from placements import services
from placements.models import Assignment, Placement
from placements.tests.factories import AssignmentFactory, PlacementFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)
# Long enough for the second writer's statement to be waiting on the first one's row lock.
SECOND_WRITER_WAITS = 1.0


def _one_after_the_other(first, second) -> None:
    """Run `first` in a transaction that stays open after it until `second` (in another thread and connection) has
    started and waited a while; then commit it and let `second` finish. Raises what either raised."""
    written, errors = threading.Event(), []

    def run_first():
        try:
            with transaction.atomic():
                first()
                written.set()
                time.sleep(SECOND_WRITER_WAITS)
        except Exception as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)
            written.set()
        finally:
            connection.close()

    def run_second():
        try:
            written.wait()
            second()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]


def _stored(placement):
    return Placement.objects.values_list("idle_last_end", "idle_next_end", "idle_occupied_from").get(pk=placement.pk)


def _defined(placement):
    with transaction.atomic():
        services.placements_refresh_idle(placement_ids=[placement.pk])
        defined = _stored(placement)
        transaction.set_rollback(True)
    return defined


@pytest.fixture
def two_on_one_placement(unit_a):
    placement = PlacementFactory(unit=unit_a, capacity=2, available_from=TODAY - 400 * DAY)
    return placement, [AssignmentFactory(placement=placement, status=Assignment.Status.ONGOING,
                                         start_date=TODAY - 60 * DAY, planned_end_date=TODAY + 30 * DAY)
                       for _ in range(2)]


def test_two_assignments_completed_at_once_leave_the_placements_idle_values_right(two_on_one_placement, leader):
    placement, (first, second) = two_on_one_placement
    _one_after_the_other(
        lambda: services.assignment_complete(user=leader, assignment=first, end_date=TODAY - 2 * DAY),
        lambda: services.assignment_complete(user=leader, assignment=second, end_date=TODAY - 3 * DAY))
    assert Assignment.objects.filter(status=Assignment.Status.COMPLETED).count() == 2
    assert _stored(placement) == _defined(placement) == (TODAY - 2 * DAY, None, None)


def test_the_daily_refresh_beside_a_booking_step_leaves_the_booking_s_idle_values(two_on_one_placement, leader):
    """The daily refresh finds the placement stale, then meets the completion's lock: it must not write what it
    read before the completion committed."""
    placement, (first, _second) = two_on_one_placement
    Placement.objects.filter(pk=placement.pk).update(idle_next_end=TODAY - 5 * DAY)  # stale: renewed tonight
    _one_after_the_other(
        lambda: services.assignment_complete(user=leader, assignment=first, end_date=TODAY - 2 * DAY),
        services.placements_refresh_stale_idle)
    assert _stored(placement) == _defined(placement) == (TODAY - 2 * DAY, TODAY + 30 * DAY, TODAY - 60 * DAY)


def test_a_start_corrected_while_its_request_is_confirmed_keeps_one_set_of_waiting_periods(
        leader, manager_a, case_worker_af, project, agency_af, unit_a):
    placement = PlacementFactory(unit=unit_a, capacity=1, available_from=TODAY - 400 * DAY)
    start = participant_services.referral_create(
        user=case_worker_af, project=project, agency=agency_af, identity=Participant.Identity.ANONYMOUS,
        gender=Gender.WOMAN, referral_date=TODAY - 40 * DAY).referral
    request = participant_services.assignment_request(user=case_worker_af, referral=start, placement=placement,
                                                      start_date=TODAY + 5 * DAY, planned_end_date=TODAY + 60 * DAY)
    _one_after_the_other(
        lambda: corrections.referral_correct(user=leader, referral=start, correction_reason="Fel datum",
                                             referral_date=TODAY - 30 * DAY),
        lambda: services.assignment_confirm(user=manager_a, assignment=request))
    assert WaitingPeriod.objects.filter(referral=start, until=WaitingPeriod.OPEN_END).count() == 1
    assert_stored_waiting_periods_are_the_definition()


def test_a_host_declining_a_request_while_the_placement_is_closed_waits_instead_of_deadlocking(
        monkeypatch, leader, manager_a, case_worker_af, project, agency_af, unit_a):
    """Closing locks the placement and withdraws its pending requests; declining one locks the request, then (for
    the stored idle values) the placement. Both take the request first, so the second waits for the first."""
    placement = PlacementFactory(unit=unit_a, capacity=1, available_from=TODAY - 400 * DAY)
    start = participant_services.referral_create(
        user=case_worker_af, project=project, agency=agency_af, identity=Participant.Identity.ANONYMOUS,
        gender=Gender.WOMAN, referral_date=TODAY - 40 * DAY).referral
    request = participant_services.assignment_request(user=case_worker_af, referral=start, placement=placement,
                                                      start_date=TODAY + 5 * DAY, planned_end_date=TODAY + 60 * DAY)
    closing, set_status = threading.Event(), services._set_status

    def set_status_then_pause(**kwargs):  # the placement locked: the host answers now
        placement = set_status(**kwargs)
        closing.set()
        time.sleep(SECOND_WRITER_WAITS)
        return placement

    monkeypatch.setattr(services, "_set_status", set_status_then_pause)
    outcome = {}

    def close():
        try:
            services.placement_close(user=leader, placement=placement)
            outcome["close"] = "closed"
        finally:
            closing.set()
            connection.close()

    def decline():
        closing.wait()
        try:
            services.assignment_decline(user=manager_a, assignment=request, reason="Full")
            outcome["decline"] = "declined"
        except Exception as exc:  # noqa: BLE001 - what the host is told
            outcome["decline"] = type(exc).__name__
        finally:
            connection.close()

    threads = [threading.Thread(target=close), threading.Thread(target=decline)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcome == {"close": "closed", "decline": "ValidationError"}  # already withdrawn when its turn came
    assert Assignment.objects.get(pk=request.pk).status == Assignment.Status.WITHDRAWN
    assert _stored(placement) == _defined(placement)
    assert_stored_waiting_periods_are_the_definition()


def test_an_exit_recorded_while_the_host_confirms_the_request_waits_instead_of_deadlocking(
        monkeypatch, manager_a, case_worker_af, project, agency_af, unit_a):
    """Recording an exit locks the start, then withdraws its pending request; confirming the request locks it, then
    (for the stored waiting periods) the start. The exit takes the request first too, so the second waits."""
    placement = PlacementFactory(unit=unit_a, capacity=1, available_from=TODAY - 400 * DAY)
    start = participant_services.referral_create(
        user=case_worker_af, project=project, agency=agency_af, identity=Participant.Identity.ANONYMOUS,
        gender=Gender.WOMAN, referral_date=TODAY - 40 * DAY).referral
    request = participant_services.assignment_request(user=case_worker_af, referral=start, placement=placement,
                                                      start_date=TODAY + 5 * DAY, planned_end_date=TODAY + 60 * DAY)
    reason = ExitReason.objects.get_or_create(code="arbete", defaults={"name": "Arbete", "is_work_or_studies": True})[0]
    exiting, withdraw = threading.Event(), participant_services.placement_services.assignment_withdraw

    def pause_then_withdraw(**kwargs):  # the start locked: the host answers now
        exiting.set()
        time.sleep(SECOND_WRITER_WAITS)
        return withdraw(**kwargs)

    monkeypatch.setattr(participant_services.placement_services, "assignment_withdraw", pause_then_withdraw)
    outcome = {}

    def record_exit():
        try:
            participant_services.exit_record(user=case_worker_af, referral=start, exit_date=TODAY,
                                             kind=ExitKind.INTERRUPTED, reason=reason)
            outcome["exit"] = "recorded"
        except Exception as exc:  # noqa: BLE001
            outcome["exit"] = type(exc).__name__
        finally:
            exiting.set()
            connection.close()

    def confirm():
        exiting.wait()
        try:
            services.assignment_confirm(user=manager_a, assignment=request)
            outcome["confirm"] = "confirmed"
        except Exception as exc:  # noqa: BLE001 - what the host is told
            outcome["confirm"] = type(exc).__name__
        finally:
            connection.close()

    threads = [threading.Thread(target=record_exit), threading.Thread(target=confirm)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcome == {"exit": "recorded", "confirm": "ValidationError"}  # withdrawn by the exit when its turn came
    assert Assignment.objects.get(pk=request.pk).status == Assignment.Status.WITHDRAWN
    assert _stored(placement) == _defined(placement)
    assert_stored_waiting_periods_are_the_definition()


def test_two_starts_of_one_participant_corrected_at_once_leave_the_latest_referral_date_right(
        leader, case_worker_af, project, agency_af):
    first = participant_services.referral_create(
        user=case_worker_af, project=project, agency=agency_af, identity=Participant.Identity.PSEUDONYMOUS,
        code="AF-2026-TVAAT", gender=Gender.WOMAN, referral_date=TODAY - 100 * DAY).referral
    second = participant_services.referral_create(
        user=case_worker_af, project=project, agency=agency_af, identity=Participant.Identity.PSEUDONYMOUS,
        code="AF-2026-TVAAT", gender=Gender.WOMAN, referral_date=TODAY - 50 * DAY).referral
    assert first.participant_id == second.participant_id
    _one_after_the_other(
        lambda: corrections.referral_correct(user=leader, referral=first, correction_reason="Fel datum",
                                             referral_date=TODAY - 10 * DAY),
        lambda: corrections.referral_correct(user=leader, referral=second, correction_reason="Fel datum",
                                             referral_date=TODAY - 40 * DAY))
    assert Participant.objects.get(pk=first.participant_id).latest_referral_date == TODAY - 10 * DAY
