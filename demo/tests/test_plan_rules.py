"""The demo plan books with the product's capacity rule (placements.selectors.has_room), not one of its own."""

import datetime as dt

from demo.builder import PlacementPlan
from placements.models import Placement

D = dt.date


def plan(capacity: int, available_to=None) -> PlacementPlan:
    return PlacementPlan(unit=None, area="vard", capacity=capacity, available_from=D(2026, 1, 1),
                         available_to=available_to, status=Placement.Status.OPEN, supervisor=None)


def test_a_full_period_is_refused_and_a_free_one_taken():
    pp = plan(capacity=2)
    assert pp.take(D(2026, 2, 1), D(2026, 3, 31))
    assert pp.take(D(2026, 3, 1), D(2026, 4, 30))
    assert not pp.take(D(2026, 3, 31), D(2026, 5, 31))  # 31 March: both places taken (periods include their ends)
    assert pp.take(D(2026, 4, 1), D(2026, 5, 31))       # from 1 April one place is free again
    assert pp.booked == [(D(2026, 2, 1), D(2026, 3, 31)), (D(2026, 3, 1), D(2026, 4, 30)),
                         (D(2026, 4, 1), D(2026, 5, 31))]


def test_the_availability_window_is_respected_on_both_ends():
    pp = plan(capacity=1, available_to=D(2026, 6, 30))
    assert not pp.take(D(2025, 12, 31), D(2026, 2, 1))
    assert not pp.take(D(2026, 5, 1), D(2026, 7, 1))
    assert pp.take(D(2026, 1, 1), D(2026, 6, 30))
