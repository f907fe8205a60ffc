"""The organisation progress rows, the idle days of a placement, the list's annotations, the pause state from
the change history and the change history itself, each on a day that is not today and on both sides of its edges."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organisations.tests.factories import OrganisationFactory, UnitFactory
from placements.models import Assignment, Placement
from placements.selectors import (
    idle_days,
    occupied_on,
    organisation_progress,
    organisation_progress_table,
    organisation_roll_up,
    paused_at_end_of,
    placement_history,
    placement_list,
    placements_lacking_trained_supervisor,
    placements_on,
    with_idle_since,
)
from placements.tests.factories import AssignmentFactory, PlacementFactory

pytestmark = pytest.mark.django_db
D = dt.date
ON = D(2026, 4, 15)  # a day long before today: a selector that counts on today instead gives other figures
S = Assignment.Status


def _on_it(placement, start=ON - dt.timedelta(days=5), end=ON + dt.timedelta(days=5), status=S.ONGOING):
    return AssignmentFactory(placement=placement, status=status, start_date=start, planned_end_date=end)


@pytest.fixture
def ranked():
    """Four organisations: share above, at, below the target, and one without employees (their names in
    another order than their shares)."""

    def organisation(name, employees, target, places, *, occupied=0, until=None):
        org = OrganisationFactory(name=name, employee_count=employees, placement_target_percent=target)
        placement = PlacementFactory(
            unit=UnitFactory(organisation=org), capacity=places, available_from=D(2026, 1, 1), available_to=until
        )
        for _ in range(occupied):
            _on_it(placement)
        return org

    return {
        "above": organisation("C över", 100, Decimal("2.00"), 3),  # 3.00 % of a 2.00 % target
        "at": organisation("B exakt", 1000, Decimal("2.00"), 20, occupied=2),  # 2.00 %: reached, 100 %
        "below": organisation("A under", 100, Decimal("1.01"), 1, until=ON),  # 1.00 % of 1.01 %: 99 %
        "none": organisation("0 utan", None, Decimal("2.00"), 5),  # no employees: no share
    }


def test_each_progress_row_on_the_day(ranked):
    above, at, below, none = (organisation_progress(ranked[k], on=ON) for k in ("above", "at", "below", "none"))
    assert (above["share"], above["of_target"], above["reached"]) == (Decimal("3.00"), 100, True)
    assert (at["share"], at["of_target"], at["reached"], at["occupied"]) == (Decimal("2.00"), 100, True, 2)
    assert (below["places"], below["share"], below["of_target"], below["reached"]) == (1, Decimal("1.00"), 99, False)
    assert none == {
        "organisation": ranked["none"],
        "places": 5,
        "employees": None,
        "share": None,
        "target": Decimal("2.00"),
        "of_target": None,
        "reached": False,
        "occupied": 0,
    }


def test_a_progress_row_without_occupancy_has_no_occupied(ranked):
    assert "occupied" not in organisation_progress(ranked["at"], on=ON, occupancy=False)
    assert organisation_progress(ranked["at"], on=ON)["occupied"] == 2


def test_a_progress_row_counts_the_day_asked_for(ranked):
    # The placement of "below" ended on ON: today (long after) it has no place and no participant.
    assert organisation_progress(ranked["below"])["places"] == 0


def test_the_progress_table_ranks_by_share_and_puts_organisations_without_employees_last(ranked):
    ours = set(ranked.values())  # the factories make other organisations too (a participant's, for instance)

    def rows(**kwargs):
        return [row for row in organisation_progress_table(**kwargs) if row["organisation"] in ours]

    table = rows(on=ON)
    assert [row["organisation"].name for row in table] == ["C över", "B exakt", "A under", "0 utan"]
    assert [row["places"] for row in table] == [3, 20, 1, 5]
    assert [row["occupied"] for row in table] == [0, 2, 0, 0]
    assert all("occupied" not in row for row in rows(on=ON, occupancy=False))
    assert [row["places"] for row in rows()] == [3, 20, 0, 5]  # today: the placement of "A under" has ended


def test_the_roll_up_without_occupancy_counts_nobody_and_from_the_days_reads_only_the_organisations(ranked):
    at = ranked["at"].pk
    assert organisation_roll_up(on=ON)[at].occupied == 2
    assert organisation_roll_up(on=ON, occupancy=False)[at].occupied == 0
    days = placements_on(on=ON)
    with CaptureQueriesContext(connection) as queries:
        from_days = organisation_roll_up(on=ON, days=days)
    assert len(queries) == 1 and from_days[at].occupied == 2


def test_placements_on_carries_each_placement_s_id(unit_a):
    placements = {PlacementFactory(unit=unit_a, available_from=D(2026, 1, 1)).pk for _ in range(2)}
    assert {day.pk for day in placements_on(on=ON)} == placements


def test_an_assignment_begun_after_the_day_is_not_on_the_placement_that_day(unit_a):
    placement = PlacementFactory(unit=unit_a, available_from=D(2026, 1, 1))
    _on_it(placement, start=ON + dt.timedelta(days=1))
    assert occupied_on(on=ON) == {}
    _on_it(placement, start=ON)
    assert occupied_on(on=ON) == {placement.pk: 1}


def test_idle_days_on_both_sides_of_each_edge(unit_a):
    plain = PlacementFactory(unit=unit_a, available_from=ON - dt.timedelta(days=10))
    assert idle_days(plain, on=ON) == 10  # not annotated: nobody counted on it
    assert idle_days(PlacementFactory(unit=unit_a, available_from=ON), on=ON) == 0
    assert idle_days(PlacementFactory(unit=unit_a, available_from=ON + dt.timedelta(days=1)), on=ON) is None
    paused = PlacementFactory(unit=unit_a, available_from=D(2026, 1, 1), status=Placement.Status.PAUSED)
    assert idle_days(paused, on=ON) is None
    occupied = PlacementFactory(unit=unit_a, available_from=D(2026, 1, 1))
    _on_it(occupied)
    hosted = PlacementFactory(unit=unit_a, available_from=D(2026, 1, 1))
    AssignmentFactory(
        placement=hosted,
        status=S.COMPLETED,
        start_date=D(2026, 2, 1),
        planned_end_date=ON - dt.timedelta(days=3),
        end_date=ON - dt.timedelta(days=3),
    )
    listed = {p.pk: p for p in placement_list(Placement.objects.all(), on=ON)}
    assert idle_days(listed[occupied.pk], on=ON) is None
    assert idle_days(listed[hosted.pk], on=ON) == 3  # since the end of its last participant's period


def test_idle_since_is_the_end_of_this_placement_s_last_hosted_period_before_the_day(unit_a):
    def placement(*periods):
        target = PlacementFactory(unit=unit_a, available_from=D(2026, 1, 1))
        for status, end in periods:
            AssignmentFactory(
                placement=target,
                status=status,
                start_date=D(2026, 1, 10),
                planned_end_date=end,
                end_date=end if status == S.COMPLETED else None,
            )
        return target

    cases = {
        "never_hosted": placement(),
        "hosted": placement((S.COMPLETED, ON - dt.timedelta(days=10))),
        "requested_only": placement((S.REQUESTED, ON - dt.timedelta(days=5))),
        # booked again, ending after the day but before today: not a period that ended before the day
        "booked_again": placement((S.COMPLETED, ON - dt.timedelta(days=20)), (S.CONFIRMED, ON + dt.timedelta(days=30))),
    }
    got = {p.pk: p.idle_since for p in with_idle_since(Placement.objects.all(), on=ON)}
    assert {key: got[p.pk] for key, p in cases.items()} == {
        "never_hosted": D(2026, 1, 1),
        "hosted": ON - dt.timedelta(days=10),
        "requested_only": D(2026, 1, 1),
        "booked_again": ON - dt.timedelta(days=20),
    }


def test_the_list_counts_occupancy_on_the_free_on_day_and_idleness_up_to_the_day(unit_a):
    placement = PlacementFactory(unit=unit_a, available_from=D(2026, 1, 1))
    AssignmentFactory(
        placement=placement,
        status=S.COMPLETED,
        start_date=D(2026, 1, 10),
        planned_end_date=D(2026, 3, 1),
        end_date=D(2026, 3, 1),
    )
    _on_it(placement, status=S.CONFIRMED, start=ON - dt.timedelta(days=5), end=ON + dt.timedelta(days=5))
    [row] = placement_list(Placement.objects.all(), on=ON)
    assert (row.occupied, row.free, row.idle_since) == (1, 1, D(2026, 3, 1))
    [later] = placement_list(Placement.objects.all(), on=ON, free_on=ON + dt.timedelta(days=10))
    assert (later.occupied, later.free, later.idle_since) == (0, 2, D(2026, 3, 1))


def _history(placement, *changes):
    """The placement's recorded history: created open on 1 January 2026, then each (day, status) at noon."""
    Placement.history.filter(id=placement.pk).update(history_date=dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC))
    for day, status in changes:
        placement.status = status
        placement.save()
        latest = Placement.history.filter(id=placement.pk).order_by("-history_id").first()
        Placement.history.filter(history_id=latest.history_id).update(
            history_date=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        )


def test_paused_at_the_end_of_the_day_from_the_change_on_that_day_not_the_day_after(unit_a):
    paused_on_the_day = PlacementFactory(unit=unit_a, available_from=D(2026, 1, 1))
    _history(paused_on_the_day, (ON, Placement.Status.PAUSED))
    paused_the_day_after = PlacementFactory(unit=unit_a, available_from=D(2026, 1, 1))
    _history(paused_the_day_after, (ON + dt.timedelta(days=1), Placement.Status.PAUSED))
    paused = set(Placement.objects.filter(paused_at_end_of(ON)).values_list("pk", flat=True))
    assert paused == {paused_on_the_day.pk}


def test_closed_placements_are_not_listed_as_lacking_a_trained_supervisor(unit_a):
    lacking = PlacementFactory(unit=unit_a, supervisor=None)
    PlacementFactory(unit=unit_a, supervisor=None, status=Placement.Status.CLOSED, closed_on=D(2026, 1, 1))
    assert list(placements_lacking_trained_supervisor(Placement.objects.all())) == [lacking]


def test_the_history_holds_thirty_changes_by_default_or_the_limit_and_hides_the_bookkeeping_fields(unit_a):
    placement = PlacementFactory(unit=unit_a, title="Plats 0")
    for n in range(1, 32):
        placement.title = f"Plats {n}"
        placement.save()
    entries = placement_history(placement)
    assert len(entries) == 30
    assert entries[0]["changes"] == [{"field": "benämning", "old": "Plats 30", "new": "Plats 31"}]
    assert len(placement_history(placement, limit=2)) == 2
    placement.attested_at = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    placement.title = "Plats 32"
    placement.save()
    assert placement_history(placement, limit=1)[0]["changes"] == [
        {"field": "benämning", "old": "Plats 31", "new": "Plats 32"}
    ]
