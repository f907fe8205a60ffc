"""The assignment rules one by one, each on both sides of its edge and with the message the user reads: the period,
the availability window, the programme's longest time, capacity (an assignment never counts against itself,
another placement's assignments never count), and who may ask for a place."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.dates import add_months
from core.models import Role
from organisations.tests.factories import AgencyProgrammeFactory, SupervisorFactory, UserFactory
from participants.tests.factories import ReferralFactory
from placements import services
from placements.models import Assignment, Placement
from placements.permissions import may_create_placements
from placements.selectors import has_room, peak_occupancy, peak_of_periods
from placements.tests.factories import AssignmentFactory, PlacementFactory

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def referral(agency_af, project, case_worker_af):
    return ReferralFactory(agency=agency_af, project=project, case_worker=case_worker_af,
                           referral_date=D(2026, 1, 5))


@pytest.fixture
def window(unit_a):
    return PlacementFactory(unit=unit_a, capacity=1, available_from=D(2026, 3, 1), available_to=D(2026, 6, 30))


def request(user, referral, placement, start, end):
    return services.assignment_request(user=user, referral=referral, placement=placement, start_date=start,
                                       planned_end_date=end)


def refused(user, referral, placement, start, end) -> dict:
    with pytest.raises(ValidationError) as caught:
        request(user, referral, placement, start, end)
    return caught.value.message_dict


def test_one_day_period_is_allowed_and_an_end_before_the_start_is_not(case_worker_af, referral, window):
    assert refused(case_worker_af, referral, window, D(2026, 4, 2), D(2026, 4, 1)) == {
        "planned_end_date": ["Planerat slutdatum kan inte vara före startdatum."]}
    assert request(case_worker_af, referral, window, D(2026, 4, 1), D(2026, 4, 1)).status == "requested"


def test_start_on_the_first_available_day_but_not_the_day_before(case_worker_af, referral, window):
    assert refused(case_worker_af, referral, window, D(2026, 2, 28), D(2026, 4, 30)) == {
        "start_date": ["Platsen är tillgänglig först från 2026-03-01."]}
    assert request(case_worker_af, referral, window, D(2026, 3, 1), D(2026, 4, 30)).start_date == D(2026, 3, 1)


def test_end_on_the_last_available_day_but_not_the_day_after(case_worker_af, referral, window):
    assert refused(case_worker_af, referral, window, D(2026, 5, 1), D(2026, 7, 1)) == {
        "planned_end_date": ["Platsen är bara tillgänglig till 2026-06-30."]}
    assert request(case_worker_af, referral, window, D(2026, 5, 1), D(2026, 6, 30)).planned_end_date == D(2026, 6, 30)


def test_the_programmes_longest_time_holds_to_the_day(case_worker_af, referral, agency_af, unit_a):
    referral.programme = AgencyProgrammeFactory(agency=agency_af, name="Kort arbetsträning", max_months=3)
    referral.save()
    placement = PlacementFactory(unit=unit_a, capacity=1, available_from=D(2026, 1, 1))
    start = D(2026, 3, 15)
    assert refused(case_worker_af, referral, placement, start, add_months(start, 3) + dt.timedelta(days=1)) == {
        "planned_end_date": ["Perioden är längre än programmets längsta tid (3 månader för Kort arbetsträning)."]}
    assert request(case_worker_af, referral, placement, start, add_months(start, 3)).planned_end_date == D(2026, 6, 15)


def test_a_full_period_is_refused_with_the_reason(manager_a, case_worker_af, referral, window, agency_af, project):
    AssignmentFactory(placement=window, referral=ReferralFactory(agency=agency_af, project=project),
                      status=Assignment.Status.ONGOING, start_date=D(2026, 3, 1), planned_end_date=D(2026, 4, 30))
    asked = request(case_worker_af, referral, window, D(2026, 4, 30), D(2026, 5, 31))   # overlaps on 30 April
    with pytest.raises(ValidationError) as caught:
        services.assignment_confirm(user=manager_a, assignment=asked)
    assert caught.value.messages == ["Platsen är fullbokad för perioden. Välj en annan period eller plats."]
    asked.refresh_from_db()
    assert asked.status == Assignment.Status.REQUESTED


def test_an_assignment_never_counts_against_itself(manager_a, case_worker_af, referral, window):
    """Capacity 1 and only this assignment: confirming it, and starting it on another day, both fit."""
    asked = request(case_worker_af, referral, window, D(2026, 4, 1), D(2026, 5, 31))
    services.assignment_confirm(user=manager_a, assignment=asked)
    started = services.assignment_start(user=manager_a, assignment=asked, start_date=D(2026, 4, 3))
    assert (started.status, started.start_date) == (Assignment.Status.ONGOING, D(2026, 4, 3))
    assert peak_occupancy(placement=window, start=D(2026, 4, 1), end=D(2026, 5, 31),
                          exclude_assignment_id=started.pk) == 0
    assert peak_occupancy(placement=window, start=D(2026, 4, 1), end=D(2026, 5, 31)) == 1


def test_another_placements_assignments_do_not_count(manager_a, case_worker_af, referral, window, unit_a, agency_af,
                                                  project):
    other = PlacementFactory(unit=unit_a, capacity=1, available_from=D(2026, 1, 1))
    AssignmentFactory(placement=other, referral=ReferralFactory(agency=agency_af, project=project),
                      status=Assignment.Status.CONFIRMED, start_date=D(2026, 4, 1), planned_end_date=D(2026, 5, 31))
    assert peak_occupancy(placement=window, start=D(2026, 4, 1), end=D(2026, 5, 31)) == 0
    asked = request(case_worker_af, referral, window, D(2026, 4, 1), D(2026, 5, 31))
    assert services.assignment_confirm(user=manager_a, assignment=asked).status == Assignment.Status.CONFIRMED


def test_confirming_needs_an_open_placement(manager_a, case_worker_af, referral, window):
    asked = request(case_worker_af, referral, window, D(2026, 4, 1), D(2026, 5, 31))
    Placement.objects.filter(pk=window.pk).update(status=Placement.Status.PAUSED)
    with pytest.raises(ValidationError) as caught:
        services.assignment_confirm(user=manager_a, assignment=asked)
    assert caught.value.messages == [
        "Platsen är pausad eller stängd. Öppna platsen igen innan förfrågan bekräftas."]


def test_who_may_ask_for_a_place(leader, case_worker_af, case_worker_fk, manager_a, referral, window):
    with pytest.raises(PermissionDenied):
        request(case_worker_fk, referral, window, D(2026, 4, 1), D(2026, 4, 30))   # another agency's participant
    with pytest.raises(PermissionDenied):
        request(manager_a, referral, window, D(2026, 4, 1), D(2026, 4, 30))
    assert request(leader, referral, window, D(2026, 4, 1), D(2026, 4, 30)).requested_by == leader


def test_only_confirmed_and_ongoing_assignments_take_a_place(window, agency_af, project):
    for status in (Assignment.Status.REQUESTED, Assignment.Status.DECLINED, Assignment.Status.WITHDRAWN,
                   Assignment.Status.COMPLETED):
        AssignmentFactory(placement=window, referral=ReferralFactory(agency=agency_af, project=project),
                          status=status, start_date=D(2026, 4, 1), planned_end_date=D(2026, 5, 31),
                          end_date=D(2026, 4, 15) if status == Assignment.Status.COMPLETED else None)
    assert peak_occupancy(placement=window, start=D(2026, 4, 1), end=D(2026, 5, 31)) == 0
    AssignmentFactory(placement=window, referral=ReferralFactory(agency=agency_af, project=project),
                      status=Assignment.Status.CONFIRMED, start_date=D(2026, 5, 31), planned_end_date=D(2026, 6, 30))
    assert peak_occupancy(placement=window, start=D(2026, 4, 1), end=D(2026, 5, 31)) == 1  # from its last day


def test_a_booked_placement_paused_afterwards_still_starts_on_another_day(manager_a, case_worker_af, referral,
                                                                         window):
    """Pausing stops new requests; the assignments it has keep going (and may start a few days late)."""
    asked = request(case_worker_af, referral, window, D(2026, 4, 1), D(2026, 5, 31))
    services.assignment_confirm(user=manager_a, assignment=asked)
    Placement.objects.filter(pk=window.pk).update(status=Placement.Status.PAUSED)
    started = services.assignment_start(user=manager_a, assignment=asked, start_date=D(2026, 4, 6))
    assert (started.status, started.start_date) == (Assignment.Status.ONGOING, D(2026, 4, 6))


@pytest.mark.parametrize(("periods", "peak"), [
    ([], 0),
    ([(D(2026, 1, 1), D(2026, 3, 31))], 0),                           # ends the day before the window
    ([(D(2026, 5, 1), D(2026, 6, 30))], 0),                           # starts the day after
    ([(D(2026, 1, 1), D(2026, 4, 1))], 1),                            # ends on the window's first day
    ([(D(2026, 4, 30), D(2026, 6, 30))], 1),                          # starts on its last day
    ([(D(2026, 4, 1), D(2026, 4, 10)), (D(2026, 4, 11), D(2026, 4, 30))], 1),   # one after the other
    ([(D(2026, 4, 1), D(2026, 4, 10)), (D(2026, 4, 10), D(2026, 4, 30))], 2),   # share 10 April
    ([(D(2026, 1, 1), D(2026, 12, 31)), (D(2026, 4, 20), D(2026, 4, 25)), (D(2026, 4, 22), D(2026, 5, 9))], 3),
])
def test_peak_of_periods_counts_days_inside_the_window_only(periods, peak):
    assert peak_of_periods(periods, start=D(2026, 4, 1), end=D(2026, 4, 30)) == peak
    assert has_room(capacity=peak, periods=periods, start=D(2026, 4, 1), end=D(2026, 4, 30)) is False
    assert has_room(capacity=peak + 1, periods=periods, start=D(2026, 4, 1), end=D(2026, 4, 30)) is True


def test_a_manager_without_a_scope_may_not_register_placements(manager_a, unit_a):
    assert may_create_placements(manager_a) is True
    assert may_create_placements(UserFactory(role=Role.MANAGER)) is False   # a manager bound to nothing


# --- A placement's values (placement_value_errors): the rules of create, update and the import ------------------

PERIOD_ORDER = "Tillgänglig till kan inte vara före tillgänglig från."
AT_LEAST_ONE = "Antal platser måste vara minst 1."


def value_errors(*, current=None, peak=None, **values):
    """The errors for these values, and how often the booked peak was asked for."""
    asked = []

    def booked():
        asked.append(peak)
        return peak

    return services.placement_value_errors(values=values, current_capacity=current, booked=booked), len(asked)


def test_the_period_may_end_on_its_first_day_but_not_before():
    start = D(2026, 3, 10)
    assert value_errors(capacity=1, available_from=start, available_to=start - dt.timedelta(days=1)) == (
        {"available_to": PERIOD_ORDER}, 0)
    assert value_errors(capacity=1, available_from=start, available_to=start) == ({}, 0)
    assert value_errors(capacity=1, available_from=start, available_to=start + dt.timedelta(days=1)) == ({}, 0)
    assert value_errors(capacity=1, available_from=start, available_to=None) == ({}, 0)
    assert value_errors(capacity=1, available_from=None, available_to=start) == ({}, 0)


def test_a_placement_has_at_least_one_slot():
    assert value_errors(capacity=0) == ({"capacity": AT_LEAST_ONE}, 0)
    assert value_errors(capacity=-1) == ({"capacity": AT_LEAST_ONE}, 0)
    assert value_errors(capacity=None) == ({"capacity": AT_LEAST_ONE}, 0)
    assert value_errors() == ({"capacity": AT_LEAST_ONE}, 0)
    assert value_errors(capacity=1) == ({}, 0)
    assert value_errors(capacity=0, current=3, peak=0) == ({"capacity": AT_LEAST_ONE}, 0)


def test_both_errors_are_given_together():
    assert value_errors(capacity=0, available_from=D(2026, 3, 2), available_to=D(2026, 3, 1)) == (
        {"available_to": PERIOD_ORDER, "capacity": AT_LEAST_ONE}, 0)


def test_the_capacity_may_drop_to_the_booked_peak_and_not_below_and_the_peak_is_asked_only_when_it_drops():
    below = "Antal platser kan inte vara lägre än det största antalet bokade deltagare framöver (3)."
    assert value_errors(capacity=2, current=4, peak=3) == ({"capacity": below}, 1)
    assert value_errors(capacity=3, current=4, peak=3) == ({}, 1)
    assert value_errors(capacity=4, current=4, peak=9) == ({}, 0)  # unchanged: not asked
    assert value_errors(capacity=5, current=4, peak=9) == ({}, 0)
    assert value_errors(capacity=1, current=None, peak=9) == ({}, 0)  # a new placement has nothing booked


# --- Scope and codes of a placement (placements_out_of_scope, placement_codes_taken) ----------------------------


def test_out_of_scope_are_the_units_and_supervisors_outside_the_managers_organisation(
        manager_a, leader, unit_a, unit_b, django_assert_num_queries):
    mine, theirs = SupervisorFactory(unit=unit_a), SupervisorFactory(unit=unit_b)
    out = services.placements_out_of_scope(manager_a, unit_ids=[unit_a.pk, unit_b.pk],
                                           supervisor_ids=[mine.pk, theirs.pk, None])  # reads the scope once
    assert out == ({unit_b.pk}, {theirs.pk})
    with django_assert_num_queries(2):
        assert services.placements_out_of_scope(manager_a, unit_ids=[unit_a.pk], supervisor_ids=[mine.pk]) == (
            set(), set())
    with django_assert_num_queries(2):
        assert services.placements_out_of_scope(leader, unit_ids=[unit_a.pk, unit_b.pk],
                                                supervisor_ids=[mine.pk, theirs.pk]) == (set(), set())
    with django_assert_num_queries(0):
        assert services.placements_out_of_scope(manager_a, unit_ids=[], supervisor_ids=[None]) == (set(), set())
    with django_assert_num_queries(1):
        assert services.placements_out_of_scope(manager_a, unit_ids=[unit_b.pk], supervisor_ids=[]) == (
            {unit_b.pk}, set())
    with django_assert_num_queries(1):
        assert services.placements_out_of_scope(manager_a, unit_ids=[], supervisor_ids=[theirs.pk]) == (
            set(), {theirs.pk})


def test_codes_taken_are_those_another_placement_has(unit_a, django_assert_num_queries):
    one, _other = PlacementFactory(unit=unit_a, code="K-1"), PlacementFactory(unit=unit_a, code="K-2")
    with django_assert_num_queries(1):
        assert services.placement_codes_taken(["K-1", "K-2", "K-3", "", None]) == {"K-1", "K-2"}
    with django_assert_num_queries(1):
        assert services.placement_codes_taken(["K-1", "K-2", "K-3"], except_pk=one.pk) == {"K-2"}
    with django_assert_num_queries(1):
        assert services.placement_codes_taken(["K-1"], except_pk=one.pk) == set()
    with django_assert_num_queries(0):
        assert services.placement_codes_taken(["", None]) == set()
    with django_assert_num_queries(0):
        assert services.placement_codes_taken([None], except_pk=one.pk) == set()


def test_validating_a_placement_applies_the_rules_of_create_and_update_and_writes_nothing(leader, manager_b, unit_a,
                                                                                          unit_b):
    placement = PlacementFactory(unit=unit_a, code="V-1", capacity=2)
    values = {name: getattr(placement, name) for name in services.PLACEMENT_FIELDS}
    services.placement_validate(user=leader, placement=placement, values=values)  # its own code is not taken
    with pytest.raises(PermissionDenied) as denied:
        services.placement_validate(user=manager_b, placement=placement, values=values)
    assert str(denied.value) == "Du kan bara registrera platser vid dina egna enheter."
    with pytest.raises(PermissionDenied) as denied:
        services.placement_validate(user=manager_b, placement=None, values=values | {
            "unit": unit_b, "code": None,
            "supervisor": SupervisorFactory(unit=unit_a)})
    assert str(denied.value) == "Du kan bara välja handledare i din egen organisation."
    with pytest.raises(PermissionDenied) as denied:
        services.placement_validate(user=leader, placement=None, values=values | {"unit": None, "code": None})
    assert str(denied.value) == "Du kan bara registrera platser vid dina egna enheter."  # a placement needs a unit
    with pytest.raises(ValidationError) as caught:
        services.placement_validate(user=leader, placement=None, values=values)  # a new one with that code
    assert caught.value.message_dict == {"code": ["Platskoden används redan av en annan plats."]}
    with pytest.raises(ValidationError) as caught:
        services.placement_validate(user=leader, placement=placement, values=values | {"capacity": 0})
    assert caught.value.message_dict == {"capacity": [AT_LEAST_ONE]}
    placement.refresh_from_db()
    assert (Placement.objects.count(), placement.capacity) == (1, 2)
