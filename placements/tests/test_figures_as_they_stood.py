"""A day's placement figures are the placements as they stood that day: closing and reopening a placement, or
changing its capacity, unit, occupational area or availability, changes the days from then on and leaves every
earlier day as it was. Each change is made through the services on its own day (the clock moved to noon that day),
so the change history holds what the product itself records."""

import datetime as dt

import pytest

from organisations.tests.factories import OccupationalAreaFactory
from placements import services
from placements.models import Placement
from placements.selectors import (
    organisation_roll_up,
    organisation_totals_of,
    organisation_totals_on,
    paused_at_end_of,
    placements_on,
    places_per_organisation_on,
)
from placements.tests.factories import PlacementFactory

pytestmark = pytest.mark.django_db
D = dt.date


def _created(on_day, day, **values) -> Placement:
    on_day(day)
    return PlacementFactory(available_from=D(2026, 1, 1), **values)


def _closed_then_reopened(on_day, leader, placement, *, closed: dt.date, reopened: dt.date) -> None:
    """Close the placement on `closed` and reopen it on `reopened` through the services; then today is 1 December."""
    on_day(closed)
    services.placement_close(user=leader, placement=placement)
    on_day(reopened)
    services.placement_reopen(user=leader, placement=placement)
    on_day(D(2026, 12, 1))


def _pks(on: dt.date) -> set[int]:
    return {day.pk for day in placements_on(on=on)}


def _places(on: dt.date, organisation) -> int:
    totals = organisation_totals_on(on=on)
    assert totals == organisation_totals_of(placements_on(on=on))
    return totals["places"].get(organisation.pk, 0)


def test_a_closed_placement_reopened_later_stays_closed_on_the_days_between(two_orgs, on_day, leader):
    placement = _created(on_day, D(2026, 1, 10), unit=two_orgs["health_unit"], capacity=3)
    _closed_then_reopened(on_day, leader, placement, closed=D(2026, 3, 1), reopened=D(2026, 5, 1))

    assert placement.pk in _pks(D(2026, 2, 28))
    assert placement.pk not in _pks(D(2026, 3, 1))     # closed that day
    assert placement.pk not in _pks(D(2026, 4, 30))
    assert placement.pk in _pks(D(2026, 5, 1))         # reopened that day
    assert _places(D(2026, 4, 15), two_orgs["health"]) == 0
    assert _places(D(2026, 6, 15), two_orgs["health"]) == 3
    assert organisation_roll_up(on=D(2026, 4, 15))[two_orgs["health"].pk].places == 0
    days = [D(2026, 2, 15), D(2026, 4, 15), D(2026, 6, 15)]
    assert places_per_organisation_on(days) == {two_orgs["health"].pk: [3, 0, 3]}


def test_a_capacity_raised_later_leaves_the_earlier_days_places(two_orgs, on_day, leader):
    placement = _created(on_day, D(2026, 1, 10), unit=two_orgs["health_unit"], capacity=2)
    on_day(D(2026, 6, 1))
    services.placement_update(user=leader, placement=placement, capacity=5)
    on_day(D(2026, 12, 1))

    (may,) = placements_on(on=D(2026, 5, 31))
    (june,) = placements_on(on=D(2026, 6, 1))
    assert (may.capacity, june.capacity) == (2, 5)
    assert (_places(D(2026, 5, 31), two_orgs["health"]), _places(D(2026, 6, 1), two_orgs["health"])) == (2, 5)
    assert places_per_organisation_on([D(2026, 5, 31), D(2026, 6, 1)]) == {two_orgs["health"].pk: [2, 5]}


def test_a_placement_moved_to_another_organisation_counts_where_it_was_on_the_earlier_days(two_orgs, on_day, leader):
    area_then, area_now = OccupationalAreaFactory(), OccupationalAreaFactory()
    placement = _created(on_day, D(2026, 1, 10), unit=two_orgs["health_unit"], capacity=4, occupational_area=area_then)
    on_day(D(2026, 6, 1))
    services.placement_update(user=leader, placement=placement, unit=two_orgs["school_unit"],
                              occupational_area=area_now)
    on_day(D(2026, 12, 1))

    (may,) = placements_on(on=D(2026, 5, 31))
    (july,) = placements_on(on=D(2026, 7, 1))
    assert (may.organisation_id, may.area_id) == (two_orgs["health"].pk, area_then.pk)
    assert (july.organisation_id, july.area_id) == (two_orgs["school"].pk, area_now.pk)
    assert (_places(D(2026, 5, 31), two_orgs["health"]), _places(D(2026, 5, 31), two_orgs["school"])) == (4, 0)
    assert (_places(D(2026, 7, 1), two_orgs["health"]), _places(D(2026, 7, 1), two_orgs["school"])) == (0, 4)
    # An organisation's own page sums only its tree, as the placements stood in it that day.
    within = organisation_totals_on(on=D(2026, 5, 31), within={two_orgs["health"].pk})
    assert within["places"] == {two_orgs["health"].pk: 4}
    assert organisation_totals_on(on=D(2026, 5, 31), within={two_orgs["school"].pk})["places"] == {}
    assert places_per_organisation_on([D(2026, 5, 31), D(2026, 7, 1)]) == {two_orgs["health"].pk: [4, 0],
                                                               two_orgs["school"].pk: [0, 4]}


def test_an_availability_extended_later_leaves_the_days_it_had_expired(two_orgs, on_day, leader):
    placement = _created(on_day, D(2026, 1, 10), unit=two_orgs["health_unit"], available_to=D(2026, 4, 30))
    on_day(D(2026, 6, 1))
    services.placement_update(user=leader, placement=placement, available_to=None)
    on_day(D(2026, 12, 1))

    assert placement.pk in _pks(D(2026, 4, 30))
    assert placement.pk not in _pks(D(2026, 5, 15))    # expired then, as the register stood
    assert placement.pk in _pks(D(2026, 6, 1))


def test_a_pause_counts_from_its_day_to_the_day_it_was_reopened(two_orgs, on_day, leader):
    placement = _created(on_day, D(2026, 1, 10), unit=two_orgs["health_unit"])
    on_day(D(2026, 3, 1))
    services.placement_pause(user=leader, placement=placement)
    on_day(D(2026, 5, 1))
    services.placement_reopen(user=leader, placement=placement)
    on_day(D(2026, 12, 1))

    def paused(on):
        return placement.pk in set(Placement.objects.filter(paused_at_end_of(on)).values_list("pk", flat=True))

    assert (paused(D(2026, 2, 28)), paused(D(2026, 3, 1)), paused(D(2026, 4, 30)), paused(D(2026, 5, 1))) == (
        False, True, True, False)
    assert placement.pk in _pks(D(2026, 4, 1))          # paused placements exist, with no free slot
    assert organisation_totals_on(on=D(2026, 4, 1))["free"].get(two_orgs["health"].pk, 0) == 0


def test_today_s_figures_read_the_placements_current_values(two_orgs, on_day, leader):
    placement = _created(on_day, D(2026, 1, 10), unit=two_orgs["health_unit"], capacity=2)
    on_day(D(2026, 12, 1))
    services.placement_update(user=leader, placement=placement, capacity=6)
    (today,) = placements_on(on=D(2026, 12, 1))
    assert today.capacity == 6
