"""The assignment selectors at their edges: which placements the case worker is offered as having a free slot on a
day, and which bookings occupy a place on a day (from the dates, the actual end before the planned one)."""

import datetime as dt

import pytest

from placements.models import Assignment, Placement
from placements.selectors import idle_days, idle_placements, occupying_assignments, placement_list, with_free_slot
from placements.tests.factories import AssignmentFactory, PlacementFactory

pytestmark = pytest.mark.django_db
D = dt.date
ON = D(2026, 4, 15)
LONG_AGO = D(2025, 1, 1)


def test_only_open_placements_available_on_the_day_with_room_are_offered(unit_a):
    offered = {
        "open": PlacementFactory(unit=unit_a, available_from=ON),
        "open_until_the_day": PlacementFactory(unit=unit_a, available_from=D(2026, 1, 1), available_to=ON),
    }
    not_offered = {
        "paused": PlacementFactory(unit=unit_a, status=Placement.Status.PAUSED, available_from=D(2026, 1, 1)),
        "closed": PlacementFactory(unit=unit_a, status=Placement.Status.CLOSED, available_from=D(2026, 1, 1)),
        "from_tomorrow": PlacementFactory(unit=unit_a, available_from=ON + dt.timedelta(days=1)),
        "ended_yesterday": PlacementFactory(unit=unit_a, available_from=D(2026, 1, 1),
                                            available_to=ON - dt.timedelta(days=1)),
        "full": PlacementFactory(unit=unit_a, capacity=1, available_from=D(2026, 1, 1)),
    }
    AssignmentFactory(placement=not_offered["full"], start_date=ON, planned_end_date=ON)
    by_pk = {p.pk: key for key, p in {**offered, **not_offered}.items()}
    got = {by_pk[pk] for pk in with_free_slot(Placement.objects.all(), on=ON).values_list("pk", flat=True)}
    assert got == set(offered)


def test_a_booking_occupies_its_place_from_its_first_to_its_last_day(unit_a):
    placement = PlacementFactory(unit=unit_a, available_from=D(2026, 1, 1))
    occupying = {
        "starts_on_the_day": AssignmentFactory(placement=placement, start_date=ON, planned_end_date=D(2026, 6, 30)),
        "ends_on_the_day": AssignmentFactory(placement=placement, start_date=D(2026, 3, 1), planned_end_date=ON),
        "ongoing": AssignmentFactory(placement=placement, status=Assignment.Status.ONGOING,
                                     start_date=D(2026, 3, 1), planned_end_date=D(2026, 3, 31),
                                     end_date=D(2026, 5, 31)),
    }
    not_occupying = {
        "starts_tomorrow": AssignmentFactory(placement=placement, start_date=ON + dt.timedelta(days=1),
                                             planned_end_date=D(2026, 6, 30)),
        "ended_yesterday": AssignmentFactory(placement=placement, start_date=D(2026, 3, 1),
                                             planned_end_date=ON - dt.timedelta(days=1)),
        "ended_early": AssignmentFactory(placement=placement, status=Assignment.Status.ONGOING,
                                         start_date=D(2026, 3, 1), planned_end_date=D(2026, 6, 30),
                                         end_date=ON - dt.timedelta(days=1)),
        "requested": AssignmentFactory(placement=placement, status=Assignment.Status.REQUESTED, start_date=ON,
                                       planned_end_date=ON),
    }
    by_pk = {a.pk: key for key, a in {**occupying, **not_occupying}.items()}
    got = {by_pk[pk] for pk in occupying_assignments(on=ON).values_list("pk", flat=True)}
    assert got == set(occupying)


def test_idle_placements_are_those_free_longer_than_the_days_by_the_definition(unit_a):
    """idle_placements (two NOT EXISTS) against idle_days of the annotated list, the definition, on both sides
    of each edge: the cut-off day, a hosted period ending on it or the day before, someone on it that day."""
    days = 60
    cut_off = ON - dt.timedelta(days=days)
    before, after = cut_off - dt.timedelta(days=1), cut_off + dt.timedelta(days=1)
    S = Assignment.Status

    def hosted(placement, end, status=S.COMPLETED, start=LONG_AGO):
        AssignmentFactory(placement=placement, status=status, start_date=start, planned_end_date=end, end_date=end
                          if status == S.COMPLETED else None)

    cases = {
        "available_before_the_cut_off": PlacementFactory(unit=unit_a, available_from=before),
        "available_on_the_cut_off": PlacementFactory(unit=unit_a, available_from=cut_off),
        "hosted_until_the_day_before_the_cut_off": PlacementFactory(unit=unit_a, available_from=D(2025, 1, 1)),
        "hosted_until_the_cut_off": PlacementFactory(unit=unit_a, available_from=D(2025, 1, 1)),
        "hosted_until_yesterday": PlacementFactory(unit=unit_a, available_from=D(2025, 1, 1)),
        "booked_long_ago_never_begun": PlacementFactory(unit=unit_a, available_from=D(2025, 1, 1)),
        "someone_on_it_today": PlacementFactory(unit=unit_a, available_from=D(2025, 1, 1), capacity=2),
        "request_only": PlacementFactory(unit=unit_a, available_from=D(2025, 1, 1)),
        "request_ending_yesterday": PlacementFactory(unit=unit_a, available_from=D(2025, 1, 1)),
        "booked_for_later": PlacementFactory(unit=unit_a, available_from=D(2025, 1, 1)),
        "paused": PlacementFactory(unit=unit_a, available_from=D(2025, 1, 1), status=Placement.Status.PAUSED),
        "expired_yesterday": PlacementFactory(unit=unit_a, available_from=D(2025, 1, 1),
                                              available_to=ON - dt.timedelta(days=1)),
        "available_until_today": PlacementFactory(unit=unit_a, available_from=D(2025, 1, 1), available_to=ON),
    }
    hosted(cases["hosted_until_the_day_before_the_cut_off"], before)
    hosted(cases["hosted_until_the_cut_off"], cut_off)
    hosted(cases["hosted_until_yesterday"], ON - dt.timedelta(days=1))
    hosted(cases["booked_long_ago_never_begun"], before, status=S.CONFIRMED, start=D(2025, 6, 1))
    hosted(cases["someone_on_it_today"], ON, status=S.ONGOING, start=after)
    AssignmentFactory(placement=cases["request_only"], status=S.REQUESTED, start_date=after, planned_end_date=ON)
    AssignmentFactory(placement=cases["request_ending_yesterday"], status=S.REQUESTED, start_date=after,
                      planned_end_date=ON - dt.timedelta(days=1))
    AssignmentFactory(placement=cases["booked_for_later"], start_date=ON + dt.timedelta(days=1),
                      planned_end_date=ON + dt.timedelta(days=30))
    by_pk = {p.pk: key for key, p in cases.items()}

    listed = placement_list(Placement.objects.all(), on=ON)
    available = {p.pk for p in listed if p.available_to is None or p.available_to >= ON}
    by_definition = {by_pk[p.pk] for p in listed if (idle_days(p, on=ON) or 0) > days and p.pk in available}
    got = {by_pk[pk] for pk in idle_placements(listed, days=days, on=ON).values_list("pk", flat=True)}
    assert got == by_definition == {
        "available_before_the_cut_off", "hosted_until_the_day_before_the_cut_off", "booked_long_ago_never_begun",
        "request_only", "request_ending_yesterday", "booked_for_later", "available_until_today"}
