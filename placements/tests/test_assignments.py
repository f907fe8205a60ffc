import datetime as dt
import threading
import time

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, close_old_connections, connection, transaction

from organisations.tests.factories import AgencyProgrammeFactory, make_manager
from participants.tests.factories import ReferralFactory
from placements import services
from placements.models import Assignment
from placements.selectors import peak_occupancy, with_free_slot, with_occupancy
from placements.tests.factories import AssignmentFactory, PlacementFactory

JAN = dt.date(2026, 1, 1)
JUN = dt.date(2026, 6, 30)


@pytest.fixture
def placement(unit_a):
    return PlacementFactory(unit=unit_a, capacity=1, available_from=dt.date(2025, 1, 1))


def test_case_worker_requests_and_manager_confirms(placement, case_worker_af, manager_a, agency_af,
                                                   django_capture_on_commit_callbacks):
    referral = ReferralFactory(agency=agency_af)
    with django_capture_on_commit_callbacks(execute=True):
        assignment = services.assignment_request(user=case_worker_af, referral=referral, placement=placement,
                                                 start_date=JAN, planned_end_date=JUN)
    assert assignment.status == Assignment.Status.REQUESTED
    assert [m.to for m in mail.outbox] == [[manager_a.email]]

    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_confirm(user=manager_a, assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.CONFIRMED
    assert assignment.decided_by == manager_a
    assert sorted(mail.outbox[-1].to) == sorted([case_worker_af.email, manager_a.email])


def test_case_worker_of_other_agency_may_not_request(placement, case_worker_fk, agency_af):
    referral = ReferralFactory(agency=agency_af)
    with pytest.raises(PermissionDenied):
        services.assignment_request(user=case_worker_fk, referral=referral, placement=placement,
                                    start_date=JAN, planned_end_date=JUN)


def test_manager_of_other_organisation_may_not_confirm(placement, manager_b, agency_af):
    assignment = AssignmentFactory(placement=placement, referral=ReferralFactory(agency=agency_af),
                                   status=Assignment.Status.REQUESTED)
    with pytest.raises(PermissionDenied):
        services.assignment_confirm(user=manager_b, assignment=assignment)


def test_confirming_beyond_capacity_is_refused(placement, manager_a, agency_af):
    AssignmentFactory(placement=placement, status=Assignment.Status.ONGOING, start_date=JAN, planned_end_date=JUN)
    second = AssignmentFactory(placement=placement, status=Assignment.Status.REQUESTED,
                               start_date=dt.date(2026, 3, 1), planned_end_date=dt.date(2026, 8, 31))
    with pytest.raises(ValidationError, match="fullbokad"):
        services.assignment_confirm(user=manager_a, assignment=second)
    second.refresh_from_db()
    assert second.status == Assignment.Status.REQUESTED


def test_back_to_back_periods_fit_in_one_slot(placement, manager_a):
    AssignmentFactory(placement=placement, status=Assignment.Status.ONGOING, start_date=JAN, planned_end_date=JUN)
    later = AssignmentFactory(placement=placement, status=Assignment.Status.REQUESTED,
                              start_date=dt.date(2026, 7, 1), planned_end_date=dt.date(2026, 12, 31))
    services.assignment_confirm(user=manager_a, assignment=later)
    assert peak_occupancy(placement=placement, start=JAN, end=dt.date(2026, 12, 31)) == 1


def test_decline_needs_a_reason(placement, manager_a):
    assignment = AssignmentFactory(placement=placement, status=Assignment.Status.REQUESTED)
    with pytest.raises(ValidationError):
        services.assignment_decline(user=manager_a, assignment=assignment, reason="  ")
    services.assignment_decline(user=manager_a, assignment=assignment, reason="Ingen handledare i juli")
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.DECLINED


def test_planned_length_is_checked_against_programme_maximum(placement, case_worker_af, agency_af):
    programme = AgencyProgrammeFactory(agency=agency_af, max_months=3)
    referral = ReferralFactory(agency=agency_af, programme=programme)
    with pytest.raises(ValidationError) as excinfo:
        services.assignment_request(user=case_worker_af, referral=referral, placement=placement,
                                    start_date=JAN, planned_end_date=dt.date(2026, 4, 2))
    assert "3 månader" in str(excinfo.value)
    services.assignment_request(user=case_worker_af, referral=referral, placement=placement,
                                start_date=JAN, planned_end_date=dt.date(2026, 4, 1))


def test_occupancy_annotation_counts_only_covering_assignments(placement):
    placement.capacity = 3
    placement.save()
    AssignmentFactory(placement=placement, status=Assignment.Status.ONGOING, start_date=JAN, planned_end_date=JUN)
    AssignmentFactory(placement=placement, status=Assignment.Status.REQUESTED, start_date=JAN, planned_end_date=JUN)
    AssignmentFactory(placement=placement, status=Assignment.Status.COMPLETED, start_date=JAN,
                      planned_end_date=JUN, end_date=dt.date(2026, 2, 1))
    row = with_occupancy(type(placement).objects.filter(pk=placement.pk), on=dt.date(2026, 3, 1)).get()
    assert (row.occupied, row.free) == (1, 2)
    assert with_free_slot(type(placement).objects.all(), on=dt.date(2026, 3, 1)).count() == 1
    placement.capacity = 1
    placement.save()
    assert with_free_slot(type(placement).objects.all(), on=dt.date(2026, 3, 1)).count() == 0


def test_managers_are_notified_through_parent_organisation(org_a, case_worker_af, agency_af,
                                                           django_capture_on_commit_callbacks):
    from organisations.tests.factories import OrganisationFactory, UnitFactory

    child = OrganisationFactory(parent=org_a, name="Förvaltningens barn")
    placement = PlacementFactory(unit=UnitFactory(organisation=child), capacity=1)
    boss = make_manager(organisation=org_a, email="boss@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_request(user=case_worker_af, referral=ReferralFactory(agency=agency_af),
                                    placement=placement, start_date=JAN, planned_end_date=JUN)
    assert mail.outbox[0].to == [boss.email]


def test_database_refuses_invalid_assignment_dates(placement):
    with pytest.raises(IntegrityError), transaction.atomic():
        AssignmentFactory(placement=placement, start_date=JUN, planned_end_date=JAN)


def test_database_refuses_non_positive_capacity(unit_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        PlacementFactory(unit=unit_a, capacity=0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_confirmations_of_the_last_slot_give_exactly_one(unit_a, manager_a, monkeypatch):
    # Widen the window between counting and writing, so that a missing lock would let several through.
    original_peak = services.peak_occupancy

    def slow_peak(**kwargs):
        result = original_peak(**kwargs)
        time.sleep(0.1)
        return result

    monkeypatch.setattr(services, "peak_occupancy", slow_peak)
    placement = PlacementFactory(unit=unit_a, capacity=1)
    requests = [AssignmentFactory(placement=placement, status=Assignment.Status.REQUESTED,
                                  start_date=JAN, planned_end_date=JUN) for _ in range(20)]
    barrier = threading.Barrier(len(requests))
    outcomes = []

    def confirm(assignment):
        close_old_connections()
        try:
            barrier.wait()
            services.assignment_confirm(user=manager_a, assignment=assignment)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("full")
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(a,)) for a in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["full"] * 19 + ["ok"]
    assert Assignment.objects.filter(placement=placement, status=Assignment.Status.CONFIRMED).count() == 1


def test_a_request_to_a_host_without_a_manager_goes_to_the_active_leaders_with_an_address(
        unit_b, case_worker_af, agency_af, leader, django_capture_on_commit_callbacks):
    from core.models import Role
    from organisations.tests.factories import UserFactory

    UserFactory(role=Role.LEADER, email="former-leader@example.test", is_active=False)
    UserFactory(role=Role.LEADER, email="")
    UserFactory(role=Role.STEERING, email="steering-only@example.test")
    host = PlacementFactory(unit=unit_b, capacity=1, available_from=dt.date(2025, 1, 1))  # no manager account
    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_request(user=case_worker_af, referral=ReferralFactory(agency=agency_af), placement=host,
                                    start_date=JAN, planned_end_date=JUN)
    assert [m.to for m in mail.outbox] == [[leader.email]]
    assert mail.outbox[0].subject == f"Förfrågan om arbetsträningsplats: {host.title}"


def test_pause_close_and_reopen_from_where_each_is_allowed(placement, manager_a):
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from placements.models import Placement

    with CaptureQueriesContext(connection) as queries:
        paused = services.placement_pause(user=manager_a, placement=placement)
    (update,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "placements_placement"')]
    assert '"title"' not in update and '"capacity"' not in update  # only the status, its day and the time
    assert (paused.status, paused.closed_on) == (Placement.Status.PAUSED, None)
    assert placement.history.first().history_user == manager_a
    with pytest.raises(ValidationError) as caught:
        services.placement_pause(user=manager_a, placement=placement)
    assert caught.value.messages == ["Bara öppna platser kan pausas."]
    closed = services.placement_close(user=manager_a, placement=placement)
    assert (closed.status, closed.closed_on) == (Placement.Status.CLOSED, timezone.localdate())
    with pytest.raises(ValidationError) as caught:
        services.placement_close(user=manager_a, placement=placement)
    assert caught.value.messages == ["Platsen är redan stängd."]
    reopened = services.placement_reopen(user=manager_a, placement=placement)
    assert (reopened.status, reopened.closed_on) == (Placement.Status.OPEN, None)
    with pytest.raises(ValidationError) as caught:
        services.placement_reopen(user=manager_a, placement=placement)
    assert caught.value.messages == ["Platsen är redan öppen."]
    placement.refresh_from_db()
    assert (placement.status, placement.closed_on) == (Placement.Status.OPEN, None)


def test_an_imported_period_is_ongoing_from_its_first_day_booked_before_and_history_with_an_end():
    from placements.services import ImportedAssignment

    today = dt.date(2026, 5, 10)

    def status(start, end=None):
        return ImportedAssignment(row=2, placement=None, start_date=start, planned_end_date=JUN,
                                  end_date=end).status(today)

    assert status(today) == Assignment.Status.ONGOING
    assert status(today - dt.timedelta(days=1)) == Assignment.Status.ONGOING
    assert status(today + dt.timedelta(days=1)) == Assignment.Status.CONFIRMED
    assert status(today - dt.timedelta(days=30), today - dt.timedelta(days=1)) == Assignment.Status.COMPLETED


def test_the_history_imports_check_names_each_row_a_placement_cannot_take(placement, unit_a, agency_af):
    """Closed, or full on a day of the period counting the register's occupying assignments (not requested ones,
    not another placement's) and the earlier rows of the file; a refused row does not take the slot."""
    from django.utils import timezone

    from placements.models import Placement
    from placements.services import ImportedAssignment, assignments_import_check

    today = timezone.localdate()
    day = dt.timedelta(days=1)
    AssignmentFactory(placement=placement, status=Assignment.Status.ONGOING, start_date=today - 10 * day,
                      planned_end_date=today + 10 * day)
    AssignmentFactory(placement=placement, status=Assignment.Status.REQUESTED, start_date=today + 20 * day,
                      planned_end_date=today + 30 * day)
    other = PlacementFactory(unit=unit_a, capacity=1, code="ANNAN")
    AssignmentFactory(placement=other, status=Assignment.Status.ONGOING, start_date=today + 40 * day,
                      planned_end_date=today + 50 * day)
    AssignmentFactory(placement=PlacementFactory(unit=unit_a, capacity=1), status=Assignment.Status.ONGOING,
                      start_date=today, planned_end_date=today + 60 * day)  # a placement outside the file
    closed = PlacementFactory(unit=unit_a, code="STANGD", status=Placement.Status.CLOSED)
    placement.code = "EN"
    placement.save()

    def row(number, where, start, end):
        return ImportedAssignment(row=number, placement=where, start_date=today + start * day,
                                  planned_end_date=today + end * day)

    rows = [row(2, closed, 1, 2), row(3, placement, 5, 15), row(4, placement, 20, 30), row(5, placement, 25, 26),
            row(6, other, 1, 39), row(7, other, 50, 60), ImportedAssignment(
                row=8, placement=closed, start_date=today - 90 * day, planned_end_date=today - 80 * day,
                end_date=today - 80 * day)]
    full = "Platsen {} är fullbokad under perioden {}–{} (1 platser)."
    assert assignments_import_check(rows=rows) == [
        (2, "Platsen STANGD är stängd och kan inte ta en pågående eller kommande placering."),
        (3, full.format("EN", today + 5 * day, today + 15 * day)),
        (5, full.format("EN", today + 25 * day, today + 26 * day)),
        (7, full.format("ANNAN", today + 50 * day, today + 60 * day)),
    ]
    assert assignments_import_check(rows=rows[-1:]) == []


def test_the_history_imports_write_checks_again_and_writes_each_period_as_it_was(placement, unit_a, leader,
                                                                                 agency_af):
    from django.utils import timezone

    from organisations.tests.factories import SupervisorFactory
    from placements.services import ImportedAssignment, ImportRowError, assignments_import

    today = timezone.localdate()
    day = dt.timedelta(days=1)
    placement.supervisor = SupervisorFactory(unit=unit_a)
    placement.save()
    referrals = [ReferralFactory(agency=agency_af) for _ in range(3)]
    past = ImportedAssignment(row=2, placement=placement, start_date=today - 90 * day,
                              planned_end_date=today - 60 * day, end_date=today - 70 * day, referral_id=referrals[0].pk)
    now = ImportedAssignment(row=3, placement=placement, start_date=today, planned_end_date=today + 9 * day,
                             referral_id=referrals[1].pk)
    AssignmentFactory(placement=placement, status=Assignment.Status.CONFIRMED, start_date=today + 5 * day,
                      planned_end_date=today + 6 * day)  # booked since the file was checked
    later = ImportedAssignment(row=4, placement=placement, start_date=today + 6 * day,
                               planned_end_date=today + 7 * day, referral_id=referrals[2].pk)
    with pytest.raises(ImportRowError) as refused:
        assignments_import(user=leader, rows=[past, now, later], today=today)
    assert refused.value.row == 3
    assert Assignment.objects.filter(referral__in=referrals).count() == 0
    Assignment.objects.exclude(referral__in=referrals).delete()
    written = assignments_import(user=leader, rows=[past, now], today=today)
    got = {a.referral_id: (a.status, a.start_date, a.planned_end_date, a.end_date, a.supervisor, a.requested_by,
                           a.decided_by)
           for a in Assignment.objects.filter(pk__in=[a.pk for a in written])}
    assert got == {
        referrals[0].pk: ("completed", today - 90 * day, today - 60 * day, today - 70 * day, placement.supervisor,
                          leader, leader),
        referrals[1].pk: ("ongoing", today, today + 9 * day, None, placement.supervisor, leader, leader)}
    assert all(a.decided_at is not None for a in Assignment.objects.filter(pk__in=[a.pk for a in written]))


def test_a_request_is_logged_under_the_participant(placement, case_worker_af, agency_af):
    from core.models import AuditEvent

    referral = ReferralFactory(agency=agency_af)
    asked = services.assignment_request(user=case_worker_af, referral=referral, placement=placement, start_date=JAN,
                                        planned_end_date=JUN)
    event = AuditEvent.objects.filter(detail__startswith="Placering").get()
    assert (event.user, event.action, event.object_type, event.object_id, event.object_repr, event.detail) == (
        case_worker_af, AuditEvent.Action.CREATE, "participants.Participant", str(referral.participant_id),
        str(asked)[:200], f"Placering {asked.pk}: förfrågad")


def test_the_history_import_refreshes_the_idle_values_of_its_own_placements_only(placement, unit_a, leader,
                                                                                 agency_af):
    from django.utils import timezone

    from placements.models import Placement
    from placements.services import ImportedAssignment, assignments_import

    today = timezone.localdate()
    day = dt.timedelta(days=1)
    other = PlacementFactory(unit=unit_a, capacity=1)
    left_wrong = dt.date(2020, 1, 1)
    Placement.objects.filter(pk__in=[placement.pk, other.pk]).update(idle_last_end=left_wrong)  # by another writer
    past = ImportedAssignment(row=2, placement=placement, start_date=today - 90 * day,
                              planned_end_date=today - 60 * day, end_date=today - 70 * day,
                              referral_id=ReferralFactory(agency=agency_af).pk)
    assignments_import(user=leader, rows=[past])
    stored = dict(Placement.objects.filter(pk__in=[placement.pk, other.pk]).values_list("pk", "idle_last_end"))
    assert stored == {placement.pk: today - 70 * day, other.pk: left_wrong}


def test_a_booking_step_tells_the_layers_above_as_the_assignment_model(placement, case_worker_af, agency_af):
    from placements.signals import assignments_changed

    received = []

    def receiver(sender, referral_ids, **kwargs):
        received.append(referral_ids)

    assignments_changed.connect(receiver, sender=Assignment, weak=False, dispatch_uid="test-booking-step")
    try:
        referral = ReferralFactory(agency=agency_af)
        services.assignment_request(user=case_worker_af, referral=referral, placement=placement, start_date=JAN,
                                    planned_end_date=JUN)
    finally:
        assignments_changed.disconnect(sender=Assignment, dispatch_uid="test-booking-step")
    assert received == [[referral.pk]]
