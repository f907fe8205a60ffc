"""A day's placement figures are the placements as they stood that day: closing and reopening a placement, or
changing its capacity, unit, occupational area or availability, changes the days from then on and leaves every
earlier day as it was. Each change is made through the services on its own day (the clock moved to noon that day),
so the change history holds what the product itself records."""

import datetime as dt

import pytest
from django.utils import timezone

from organisations.tests.factories import OccupationalAreaFactory, OrganisationFactory, UnitFactory
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
from reporting.indicators import goals_section
from reporting.selectors import placements_section, trend_section

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def on_day(monkeypatch):
    """Run the next writes at noon of `day` (the services' today and the history's dates)."""
    def move_to(day: dt.date) -> None:
        noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
        monkeypatch.setattr(timezone, "now", lambda: noon)
    return move_to


@pytest.fixture
def region(db):
    health = OrganisationFactory(name="Hälsa", employee_count=100)
    school = OrganisationFactory(name="Skola", employee_count=100)
    return {"health": health, "school": school,
            "health_unit": UnitFactory(organisation=health), "school_unit": UnitFactory(organisation=school)}


def _created(on_day, day, **values) -> Placement:
    on_day(day)
    return PlacementFactory(available_from=D(2026, 1, 1), **values)


def _pks(on: dt.date) -> set[int]:
    return {day.pk for day in placements_on(on=on)}


def _places(on: dt.date, organisation) -> int:
    totals = organisation_totals_on(on=on)
    assert totals == organisation_totals_of(placements_on(on=on))
    return totals["places"].get(organisation.pk, 0)


def test_a_closed_placement_reopened_later_stays_closed_on_the_days_between(region, on_day, leader):
    placement = _created(on_day, D(2026, 1, 10), unit=region["health_unit"], capacity=3)
    on_day(D(2026, 3, 1))
    services.placement_close(user=leader, placement=placement)
    on_day(D(2026, 5, 1))
    services.placement_reopen(user=leader, placement=placement)
    on_day(D(2026, 12, 1))

    assert placement.pk in _pks(D(2026, 2, 28))
    assert placement.pk not in _pks(D(2026, 3, 1))     # closed that day
    assert placement.pk not in _pks(D(2026, 4, 30))
    assert placement.pk in _pks(D(2026, 5, 1))         # reopened that day
    assert _places(D(2026, 4, 15), region["health"]) == 0
    assert _places(D(2026, 6, 15), region["health"]) == 3
    assert organisation_roll_up(on=D(2026, 4, 15))[region["health"].pk].places == 0
    days = [D(2026, 2, 15), D(2026, 4, 15), D(2026, 6, 15)]
    assert places_per_organisation_on(days) == {region["health"].pk: [3, 0, 3]}


def test_the_closing_stays_in_its_month_after_the_placement_is_reopened(region, on_day, leader, project):
    placement = _created(on_day, D(2026, 1, 10), unit=region["health_unit"])
    on_day(D(2026, 3, 10))
    services.placement_close(user=leader, placement=placement)
    on_day(D(2026, 5, 1))
    services.placement_reopen(user=leader, placement=placement)
    on_day(D(2026, 12, 1))

    march = placements_section(project, D(2026, 3, 1), D(2026, 3, 31))
    assert (march["total"], march["closed"]) == (0, 1)
    may = placements_section(project, D(2026, 5, 1), D(2026, 5, 31))
    assert (may["total"], may["closed"]) == (1, 0)


def test_the_trend_counts_the_placements_that_existed_at_each_month_end(region, on_day, leader, project):
    placement = _created(on_day, D(2026, 1, 10), unit=region["health_unit"])
    on_day(D(2026, 9, 10))
    services.placement_close(user=leader, placement=placement)
    on_day(D(2026, 10, 5))
    services.placement_reopen(user=leader, placement=placement)
    on_day(D(2026, 12, 1))

    trend = trend_section(project, D(2026, 11, 30))
    counts = dict(zip(trend["months"], trend["placements"], strict=True))
    assert (counts["2026-08"], counts["2026-09"], counts["2026-10"], counts["2026-11"]) == (1, 0, 1, 1)


def test_a_capacity_raised_later_leaves_the_earlier_days_places(region, on_day, leader):
    placement = _created(on_day, D(2026, 1, 10), unit=region["health_unit"], capacity=2)
    on_day(D(2026, 6, 1))
    services.placement_update(user=leader, placement=placement, capacity=5)
    on_day(D(2026, 12, 1))

    (may,) = placements_on(on=D(2026, 5, 31))
    (june,) = placements_on(on=D(2026, 6, 1))
    assert (may.capacity, june.capacity) == (2, 5)
    assert (_places(D(2026, 5, 31), region["health"]), _places(D(2026, 6, 1), region["health"])) == (2, 5)
    assert places_per_organisation_on([D(2026, 5, 31), D(2026, 6, 1)]) == {region["health"].pk: [2, 5]}


def test_a_placement_moved_to_another_organisation_counts_where_it_was_on_the_earlier_days(region, on_day, leader):
    area_then, area_now = OccupationalAreaFactory(), OccupationalAreaFactory()
    placement = _created(on_day, D(2026, 1, 10), unit=region["health_unit"], capacity=4, occupational_area=area_then)
    on_day(D(2026, 6, 1))
    services.placement_update(user=leader, placement=placement, unit=region["school_unit"],
                              occupational_area=area_now)
    on_day(D(2026, 12, 1))

    (may,) = placements_on(on=D(2026, 5, 31))
    (july,) = placements_on(on=D(2026, 7, 1))
    assert (may.organisation_id, may.area_id) == (region["health"].pk, area_then.pk)
    assert (july.organisation_id, july.area_id) == (region["school"].pk, area_now.pk)
    assert (_places(D(2026, 5, 31), region["health"]), _places(D(2026, 5, 31), region["school"])) == (4, 0)
    assert (_places(D(2026, 7, 1), region["health"]), _places(D(2026, 7, 1), region["school"])) == (0, 4)
    # An organisation's own page sums only its tree, as the placements stood in it that day.
    within = organisation_totals_on(on=D(2026, 5, 31), within={region["health"].pk})
    assert within["places"] == {region["health"].pk: 4}
    assert organisation_totals_on(on=D(2026, 5, 31), within={region["school"].pk})["places"] == {}
    assert places_per_organisation_on([D(2026, 5, 31), D(2026, 7, 1)]) == {region["health"].pk: [4, 0],
                                                               region["school"].pk: [0, 4]}


def test_an_availability_extended_later_leaves_the_days_it_had_expired(region, on_day, leader):
    placement = _created(on_day, D(2026, 1, 10), unit=region["health_unit"], available_to=D(2026, 4, 30))
    on_day(D(2026, 6, 1))
    services.placement_update(user=leader, placement=placement, available_to=None)
    on_day(D(2026, 12, 1))

    assert placement.pk in _pks(D(2026, 4, 30))
    assert placement.pk not in _pks(D(2026, 5, 15))    # expired then, as the register stood
    assert placement.pk in _pks(D(2026, 6, 1))


def test_a_pause_counts_from_its_day_to_the_day_it_was_reopened(region, on_day, leader):
    placement = _created(on_day, D(2026, 1, 10), unit=region["health_unit"])
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
    assert organisation_totals_on(on=D(2026, 4, 1))["free"].get(region["health"].pk, 0) == 0


def test_today_s_figures_read_the_placements_current_values(region, on_day, leader):
    placement = _created(on_day, D(2026, 1, 10), unit=region["health_unit"], capacity=2)
    on_day(D(2026, 12, 1))
    services.placement_update(user=leader, placement=placement, capacity=6)
    (today,) = placements_on(on=D(2026, 12, 1))
    assert today.capacity == 6


def test_the_final_report_s_goals_count_each_month_s_places_where_they_were_then(region, on_day, leader, project):
    """The goals table's share per organisation, month by month: places over employees (100 each here)."""
    placement = _created(on_day, D(2025, 12, 10), unit=region["health_unit"], capacity=4)
    on_day(D(2026, 6, 10))
    services.placement_update(user=leader, placement=placement, unit=region["school_unit"], capacity=2)
    on_day(D(2026, 8, 10))
    services.placement_close(user=leader, placement=placement)
    on_day(D(2026, 10, 5))
    services.placement_reopen(user=leader, placement=placement)
    on_day(D(2026, 12, 1))

    goals = goals_section(project, D(2026, 1, 1), D(2026, 11, 30), {})
    assert goals["months"][5:12] == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    rows = {row["name"]: row for row in goals["by_organisation"]}
    assert rows["Hälsa"]["trend"][5:12] == [0.04, 0, 0, 0, 0, 0, 0]
    assert rows["Skola"]["trend"][5:12] == [0, 0.02, 0.02, 0, 0, 0.02, 0.02]
