"""A request or a booking beside a pause or close of its placement, or beside its start's exit, on PostgreSQL (one
connection per thread): the placement's status and bookings are read with the placement locked, the exit with the
start locked, so whichever writer comes second sees what the first one committed. No request stays pending on a
closed placement or an exited start, none lands on a paused one, and no placement is closed over a booking. The
first writer holds its transaction open after its write until the second has reached the same rows
(tests.test_stored_aggregates_concurrency._one_after_the_other)."""

import datetime as dt
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from core.models import Gender
from participants import services as participant_services
from participants.models import ExitKind, ExitReason, Participant
from participants.tests.factories import ReferralFactory
from participants.tests.waiting import assert_stored_waiting_periods_are_the_definition
from placements import services
from placements.models import Assignment, Placement
from placements.tests.factories import AssignmentFactory, PlacementFactory
from tests.test_stored_aggregates_concurrency import SECOND_WRITER_WAITS, _defined, _one_after_the_other, _stored

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


@pytest.fixture
def placement(unit_a):
    return PlacementFactory(unit=unit_a, capacity=1, available_from=TODAY - 400 * DAY)


def _start(case_worker_af, project, agency_af):
    return participant_services.referral_create(
        user=case_worker_af, project=project, agency=agency_af, identity=Participant.Identity.ANONYMOUS,
        gender=Gender.WOMAN, referral_date=TODAY - 40 * DAY).referral


def _reason():
    return ExitReason.objects.get_or_create(code="arbete", defaults={"name": "Arbete", "is_work_or_studies": True})[0]


def _request(case_worker_af, start, placement):
    """The request as the case worker's page sends it: with the placement as read before the other writer
    committed (still open)."""
    return participant_services.assignment_request(user=case_worker_af, referral=start, placement=placement,
                                                   start_date=TODAY + 5 * DAY, planned_end_date=TODAY + 60 * DAY)


@pytest.mark.parametrize(("change", "status"), [(services.placement_close, Placement.Status.CLOSED),
                                                 (services.placement_pause, Placement.Status.PAUSED)])
def test_a_request_sent_while_the_placement_is_closed_or_paused_is_refused(
        change, status, leader, case_worker_af, project, agency_af, placement):
    start = _start(case_worker_af, project, agency_af)
    assert placement.status == Placement.Status.OPEN
    with pytest.raises(ValidationError) as refused:
        _one_after_the_other(lambda: change(user=leader, placement=placement),
                             lambda: _request(case_worker_af, start, placement))
    assert refused.value.messages == ["Platsen tar inte emot förfrågningar just nu."]
    assert Placement.objects.get(pk=placement.pk).status == status
    assert not Assignment.objects.filter(referral=start).exists()
    assert _stored(placement) == _defined(placement)
    assert_stored_waiting_periods_are_the_definition()


def test_a_request_sent_just_before_the_placement_is_closed_is_withdrawn_by_the_close(
        leader, case_worker_af, project, agency_af, placement):
    """The close reads the pending requests while the request is not yet committed, then waits for the placement:
    once it holds it, it finds the request and withdraws it with the others."""
    earlier, start = _start(case_worker_af, project, agency_af), _start(case_worker_af, project, agency_af)
    seen = _request(case_worker_af, earlier, placement)
    _one_after_the_other(lambda: _request(case_worker_af, start, placement),
                         lambda: services.placement_close(user=leader, placement=placement))
    assert Placement.objects.get(pk=placement.pk).status == Placement.Status.CLOSED
    assert not Assignment.objects.filter(placement=placement, status=Assignment.Status.REQUESTED).exists()
    assert set(Assignment.objects.filter(placement=placement, status=Assignment.Status.WITHDRAWN)
               .values_list("referral_id", flat=True)) == {seen.referral_id, start.pk}
    assert _stored(placement) == _defined(placement)
    assert_stored_waiting_periods_are_the_definition()


def test_a_booking_confirmed_while_the_placement_is_closed_stops_the_close(
        leader, manager_a, case_worker_af, project, agency_af, placement):
    """The close counted the bookings before the host's confirmation committed and then skipped the request it no
    longer found pending: it counts them with the placement locked, after the confirmation, and is refused."""
    request = _request(case_worker_af, _start(case_worker_af, project, agency_af), placement)
    with pytest.raises(ValidationError) as refused:
        _one_after_the_other(lambda: services.assignment_confirm(user=manager_a, assignment=request),
                             lambda: services.placement_close(user=leader, placement=placement))
    assert refused.value.messages == [
        "Platsen har bokade eller pågående placeringar. Avsluta eller flytta dem innan platsen stängs."]
    assert Placement.objects.get(pk=placement.pk).status == Placement.Status.OPEN
    assert Assignment.objects.get(pk=request.pk).status == Assignment.Status.CONFIRMED
    assert _stored(placement) == _defined(placement)
    assert_stored_waiting_periods_are_the_definition()


def test_a_request_sent_while_the_start_s_exit_is_recorded_is_refused(case_worker_af, project, agency_af, placement):
    """The request looked for the exit before the exit had committed, then waited for the start: it looks with the
    start locked, after the exit, and is refused."""
    start = _start(case_worker_af, project, agency_af)
    with pytest.raises(ValidationError) as refused:
        _one_after_the_other(
            lambda: participant_services.exit_record(user=case_worker_af, referral=start, exit_date=TODAY,
                                                     kind=ExitKind.AS_PLANNED, reason=_reason()),
            lambda: _request(case_worker_af, start, placement))
    assert refused.value.messages == ["Starten är avslutad."]
    assert not Assignment.objects.filter(referral=start).exists()
    assert_stored_waiting_periods_are_the_definition()


def test_a_request_sent_just_before_the_start_s_exit_is_withdrawn_by_the_exit(case_worker_af, project, agency_af,
                                                                             placement):
    start = _start(case_worker_af, project, agency_af)
    _one_after_the_other(
        lambda: _request(case_worker_af, start, placement),
        lambda: participant_services.exit_record(user=case_worker_af, referral=start, exit_date=TODAY,
                                                 kind=ExitKind.AS_PLANNED, reason=_reason()))
    assert list(Assignment.objects.filter(referral=start).values_list("status", flat=True)) == [
        Assignment.Status.WITHDRAWN]
    assert _stored(placement) == _defined(placement)
    assert_stored_waiting_periods_are_the_definition()


def test_a_request_answered_while_the_exit_withdraws_it_does_not_deadlock(manager_a, case_worker_af, project,
                                                                          agency_af, placement):
    """The request commits while the exit waits for the start (the exit found no open assignment to lock first);
    the host answers it as soon as it is committed, locking it, its placement and then the start, which the exit
    holds. The exit must not then wait for the request the host holds: it gives the start back and takes the
    request first, then the start. The exit is held for a while right after it has locked the start (a wrapper
    on its connection), so that the host's answer is waiting for the start by then."""
    start = _start(case_worker_af, project, agency_af)
    requested, start_locked, errors, answered = threading.Event(), threading.Event(), [], []

    def hold_after_the_start_is_locked(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not start_locked.is_set() and 'FROM "participants_referral"' in sql and "FOR UPDATE" in sql:
            start_locked.set()
            time.sleep(SECOND_WRITER_WAITS)
        return result

    def in_thread(run):
        def target():
            try:
                run()
            except Exception as exc:  # noqa: BLE001 - handed to the test thread
                errors.append(exc)
                requested.set()
                start_locked.set()
            finally:
                connection.close()
        return threading.Thread(target=target)

    def request():
        with transaction.atomic():
            _request(case_worker_af, start, placement)
            requested.set()
            time.sleep(SECOND_WRITER_WAITS)  # the exit reads the start's open assignments and waits for the start

    def record_exit():
        requested.wait()
        with connection.execute_wrapper(hold_after_the_start_is_locked):
            participant_services.exit_record(user=case_worker_af, referral=start, exit_date=TODAY,
                                             kind=ExitKind.AS_PLANNED, reason=_reason())

    def answer():
        start_locked.wait()
        try:
            services.assignment_confirm(user=manager_a, assignment=Assignment.objects.get(referral=start))
        except ValidationError as refused:  # the exit withdrew it first
            answered.append(refused.messages)
        else:
            answered.append("confirmed")

    threads = [in_thread(request), in_thread(record_exit), in_thread(answer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert answered in (["confirmed"], [["Bara förfrågade placeringar kan bekräftas."]])
    assert list(Assignment.objects.filter(referral=start).values_list("status", flat=True)) == [
        Assignment.Status.WITHDRAWN]
    assert _stored(placement) == _defined(placement)
    assert_stored_waiting_periods_are_the_definition()


def test_an_exit_completing_a_booking_beside_another_booking_s_start_does_not_deadlock(
        leader, case_worker_af, project, agency_af, unit_a):
    """Two placements in one organisation, two starts of one agency booked there from today: one start's exit
    completes its booking while the host starts the other. Both change the agency's waiting count rows of today
    (booked) and the organisation's totals token; the host's step takes the count rows first, then the token, and
    so must the exit. The exit is held for a while right after its first write of a token (a wrapper on its
    connection), so that the host's step has taken the count rows and waits for the token by then."""
    starts, assignments = [], []
    for _ in range(2):
        placement = PlacementFactory(unit=unit_a, capacity=1, available_from=TODAY - 400 * DAY)
        start = ReferralFactory(agency=agency_af, project=project, case_worker=case_worker_af,
                                referral_date=TODAY - 100 * DAY)
        assignments.append(AssignmentFactory(placement=placement, referral=start, status=Assignment.Status.CONFIRMED,
                                             start_date=TODAY, planned_end_date=TODAY + 30 * DAY))
        participant_services.waiting_periods_refresh(referral_ids=[start.pk])
        starts.append(start)
    token_written, errors = threading.Event(), []

    def hold_after_the_token(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not token_written.is_set() and "placements_organisationtotalstoken" in sql and "INSERT" in sql:
            token_written.set()
            time.sleep(SECOND_WRITER_WAITS)
        return result

    def record_exit():
        try:
            with connection.execute_wrapper(hold_after_the_token):
                participant_services.exit_record(user=case_worker_af, referral=starts[0], exit_date=TODAY,
                                                 kind=ExitKind.AS_PLANNED, reason=_reason())
        except Exception as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)
        finally:
            token_written.set()
            connection.close()

    def complete():
        try:
            token_written.wait()
            services.assignment_start(user=leader, assignment=assignments[1])
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=record_exit), threading.Thread(target=complete)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert [Assignment.objects.get(pk=a.pk).status for a in assignments] == [Assignment.Status.COMPLETED,
                                                                              Assignment.Status.ONGOING]
    assert_stored_waiting_periods_are_the_definition()
