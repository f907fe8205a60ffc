"""The organisation figures summed in the database (organisation_totals_on, one row per organisation) are the
figures summed placement by placement (organisation_totals_of over placements_on), on data with
sub-organisations, full, overbooked, paused, closed, future and expired placements."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organisations.tests.factories import OrganisationFactory, UnitFactory
from placements.models import Assignment, Placement
from placements.selectors import (
    organisation_figures,
    organisation_roll_up,
    organisation_totals_of,
    organisation_totals_on,
    paused_at_end_of,
    placements_on,
)
from placements.tests.factories import AssignmentFactory, PlacementFactory

pytestmark = pytest.mark.django_db
D = dt.date
ON = D(2026, 4, 15)


def _status_in_history_until_now(placement: Placement, *, then: str, since: dt.date) -> None:
    """The placement's recorded status is `then` from `since` until it was changed to its current status now."""
    current = placement.status
    Placement.history.filter(id=placement.pk).update(
        status=then, history_date=dt.datetime.combine(since, dt.time(12), tzinfo=dt.UTC))
    placement.status = current
    placement.save()  # a new history record, dated now, with the current status


@pytest.fixture
def organisations():
    region = OrganisationFactory(name="Region", employee_count=None)
    health = OrganisationFactory(name="Hälsa", parent=region, employee_count=400)
    clinic = OrganisationFactory(name="Klinik", parent=health, employee_count=100)
    other = OrganisationFactory(name="Kommunen", employee_count=300)
    unit = {org: UnitFactory(organisation=org) for org in (region, health, clinic, other)}

    def placement(org, capacity, **kwargs):
        return PlacementFactory(unit=unit[org], capacity=capacity, available_from=kwargs.pop("since", D(2026, 1, 1)),
                                **kwargs)

    def on_it(target, **kwargs):
        values = {"status": Assignment.Status.ONGOING, "start_date": D(2026, 3, 1),
                  "planned_end_date": D(2026, 6, 30), **kwargs}
        return AssignmentFactory(placement=target, **values)

    full = placement(health, 1)
    on_it(full)
    overbooked = placement(health, 1)
    on_it(overbooked)
    on_it(overbooked)
    half = placement(clinic, 3)
    on_it(half)
    on_it(half, status=Assignment.Status.COMPLETED, start_date=D(2026, 1, 5), planned_end_date=D(2026, 2, 1),
          end_date=D(2026, 2, 1))                                       # ended before the day
    on_it(half, status=Assignment.Status.COMPLETED, end_date=ON)        # its last day is the day
    on_it(half, status=Assignment.Status.CONFIRMED, start_date=ON)      # booked, not started: not on it
    on_it(half, status=Assignment.Status.REQUESTED)
    paused = placement(clinic, 2, status=Placement.Status.PAUSED)       # counts in places, offers no slot
    on_it(paused)
    paused_then = placement(other, 4)                                   # paused on the day, reopened since
    _status_in_history_until_now(paused_then, then=Placement.Status.PAUSED, since=D(2026, 4, 1))
    open_then = placement(other, 5, status=Placement.Status.PAUSED)      # open on the day, paused since
    _status_in_history_until_now(open_then, then=Placement.Status.OPEN, since=D(2026, 4, 1))
    placement(other, 2, status=Placement.Status.CLOSED, closed_on=D(2026, 5, 1))   # closed after the day
    placement(other, 9, status=Placement.Status.CLOSED, closed_on=D(2026, 4, 1))   # closed before: absent
    placement(other, 9, since=ON + dt.timedelta(days=1))                           # future: absent
    placement(region, 9, since=D(2025, 1, 1), available_to=ON - dt.timedelta(days=1))  # expired: absent
    placement(region, 2, since=ON, available_to=ON)                                 # exactly the day
    return {"region": region, "health": health, "clinic": clinic, "other": other}


def test_the_database_sums_what_the_placements_sum_to(organisations):
    for occupancy in (True, False):
        expected = organisation_totals_of(placements_on(on=ON, occupancy=occupancy))
        assert organisation_totals_on(on=ON, occupancy=occupancy) == expected


def test_each_organisation_s_own_placements_on_the_day(organisations):
    pk = {name: org.pk for name, org in organisations.items()}
    totals = organisation_totals_on(on=ON)
    assert totals["placements"] == {pk["region"]: 1, pk["health"]: 2, pk["clinic"]: 2, pk["other"]: 3}
    assert totals["places"] == {pk["region"]: 2, pk["health"]: 2, pk["clinic"]: 5, pk["other"]: 11}
    assert totals["occupied"] == {pk["region"]: 0, pk["health"]: 3, pk["clinic"]: 3, pk["other"]: 0}
    # health: both full; clinic: 3 − 2 on the open one, none on the paused; other: 5 open then + 2 closed later.
    assert totals["free"] == {pk["region"]: 2, pk["health"]: 0, pk["clinic"]: 1, pk["other"]: 7}
    hidden = organisation_totals_on(on=ON, occupancy=False)
    assert hidden["occupied"] == dict.fromkeys(pk.values(), 0)
    assert hidden["free"] == {pk["region"]: 2, pk["health"]: 2, pk["clinic"]: 3, pk["other"]: 7}


def test_the_roll_up_is_the_same_from_the_database_and_from_the_days(organisations):
    from_days = organisation_roll_up(on=ON, days=placements_on(on=ON))
    with CaptureQueriesContext(connection) as queries:
        from_database = organisation_roll_up(on=ON)
    assert len(queries) == 2  # organisations, and one row of totals per organisation
    assert from_database == from_days
    region = from_database[organisations["region"].pk]
    assert (region.placements, region.places, region.occupied, region.free, region.employees) == (5, 9, 6, 3, 500)


def test_one_organisation_s_figures_are_its_row_of_the_roll_up_from_its_own_placements(organisations):
    """Read from the organisation's and its sub-organisations' placements only, in two queries whatever the data."""
    for occupancy in (True, False):
        roll_up = organisation_roll_up(on=ON, occupancy=occupancy)
        for organisation in organisations.values():
            with CaptureQueriesContext(connection) as queries:
                figures = organisation_figures(organisation, on=ON, occupancy=occupancy)
            assert len(queries) == 2  # organisations, and the totals of its part of the tree
            assert figures == roll_up[organisation.pk]
    health = organisation_figures(organisations["health"], on=ON)
    assert (health.placements, health.places, health.occupied, health.free) == (4, 7, 6, 1)


def test_on_the_placement_up_to_its_actual_last_day_and_while_no_end_is_recorded():
    """Only the actual end decides (not the planned one): empty means still there, whatever the planned end."""
    organisation = OrganisationFactory(employee_count=10)
    placement = PlacementFactory(unit=UnitFactory(organisation=organisation), capacity=6, available_from=D(2026, 1, 1))
    S = Assignment.Status
    day_before, day_after = ON - dt.timedelta(days=1), ON + dt.timedelta(days=1)
    for status, start, planned_end, end in (
        (S.COMPLETED, D(2026, 3, 1), day_before, day_before),    # its last day was the day before: not on it
        (S.COMPLETED, D(2026, 3, 1), ON, ON),                     # its last day is the day
        (S.COMPLETED, D(2026, 3, 1), D(2026, 3, 31), day_after),  # ended after the day (late, as recorded)
        (S.ONGOING, D(2026, 3, 1), D(2026, 3, 31), None),         # past its planned end, no end recorded: still on it
        (S.ONGOING, ON, D(2026, 6, 30), None),                    # begins on the day
        (S.ONGOING, day_after, D(2026, 6, 30), None),             # begins the day after: not on it
    ):
        AssignmentFactory(placement=placement, status=status, start_date=start, planned_end_date=planned_end,
                          end_date=end)
    totals = organisation_totals_on(on=ON)
    assert totals == organisation_totals_of(placements_on(on=ON))
    assert (totals["occupied"][organisation.pk], totals["free"][organisation.pk]) == (4, 2)


def _changed(placement: Placement, *changes: tuple[dt.date, str]) -> None:
    """Record each (day, status) as a change saved at noon that day, after the placement's creation."""
    Placement.history.filter(id=placement.pk).update(history_date=dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC))
    for day, status in changes:
        placement.status = status
        placement.save()
        Placement.history.filter(history_id=placement.history.latest("history_id").history_id).update(
            history_date=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC))


def test_paused_on_the_day_is_decided_by_the_last_change_before_its_end():
    """Paused and reopened before the day: open; paused again since: paused; a change after the day does not count."""
    organisation = OrganisationFactory(employee_count=10)
    unit = UnitFactory(organisation=organisation)
    P = Placement.Status
    reopened = PlacementFactory(unit=unit, capacity=1, available_from=D(2026, 1, 1))
    _changed(reopened, (D(2026, 4, 1), P.PAUSED), (D(2026, 4, 10), P.OPEN))
    paused_again = PlacementFactory(unit=unit, capacity=2, available_from=D(2026, 1, 1))
    _changed(paused_again, (D(2026, 4, 1), P.PAUSED), (D(2026, 4, 10), P.OPEN), (ON, P.PAUSED))
    reopened_after = PlacementFactory(unit=unit, capacity=4, available_from=D(2026, 1, 1))
    _changed(reopened_after, (D(2026, 4, 1), P.PAUSED), (ON + dt.timedelta(days=1), P.OPEN))
    assert set(Placement.objects.filter(paused_at_end_of(ON)).values_list("pk", flat=True)) == {
        paused_again.pk, reopened_after.pk}
    totals = organisation_totals_on(on=ON)
    assert totals == organisation_totals_of(placements_on(on=ON))
    assert (totals["places"][organisation.pk], totals["free"][organisation.pk]) == (7, 1)
