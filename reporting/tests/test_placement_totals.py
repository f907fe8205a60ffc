"""The first page's previous month sums the day's placements in the database (placement_totals_on): the same
totals as the placements read one by one (placement_totals over placement_days), on data with full, overbooked,
paused, closed, future and expired placements."""

import datetime as dt

import pytest

from placements.tests.test_organisation_totals import ON, organisations  # noqa: F401 (fixture)
from reporting.selectors import placement_days, placement_totals, placement_totals_on

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("offset", [-80, -1, 0, 1, 30])
def test_the_totals_summed_in_the_database_are_the_placements_sums(organisations, offset):  # noqa: F811
    day = ON + dt.timedelta(days=offset)
    by_placement = placement_totals(placement_days(day))
    assert by_placement["total"] and by_placement["occupied"]
    assert placement_totals_on(day) == {key: by_placement[key] for key in ("total", "capacity", "occupied", "free")}
