"""The assignment selectors at their edges: which placements the case worker is offered as having a free slot on a
day, and which bookings occupy a place on a day (from the dates, the actual end before the planned one)."""

import datetime as dt

import pytest

from placements.models import Assignment, Placement
from placements.selectors import occupying_assignments, with_free_slot
from placements.tests.factories import AssignmentFactory, PlacementFactory

pytestmark = pytest.mark.django_db
D = dt.date
ON = D(2026, 4, 15)


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
