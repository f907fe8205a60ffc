"""The reports' placement figures of a past period are the placements as they stood then (placements.selectors): a
closing stays in its month after the placement is reopened, the trend counts each month end as it was, and the
final report's goals count each month's places in the organisation the placement was in. The changes are made
through the services on their own days (placements/tests/test_figures_as_they_stood.py)."""

import datetime as dt

import pytest

from placements import services
from placements.tests.test_figures_as_they_stood import _closed_then_reopened, _created
from reporting.indicators import goals_section
from reporting.selectors import placements_section, trend_section

pytestmark = pytest.mark.django_db
D = dt.date


def test_the_closing_stays_in_its_month_after_the_placement_is_reopened(two_orgs, on_day, leader, project):
    placement = _created(on_day, D(2026, 1, 10), unit=two_orgs["health_unit"])
    _closed_then_reopened(on_day, leader, placement, closed=D(2026, 3, 10), reopened=D(2026, 5, 1))

    march = placements_section(project, D(2026, 3, 1), D(2026, 3, 31))
    assert (march["total"], march["closed"]) == (0, 1)
    may = placements_section(project, D(2026, 5, 1), D(2026, 5, 31))
    assert (may["total"], may["closed"]) == (1, 0)


def test_the_trend_counts_the_placements_that_existed_at_each_month_end(two_orgs, on_day, leader, project):
    placement = _created(on_day, D(2026, 1, 10), unit=two_orgs["health_unit"])
    _closed_then_reopened(on_day, leader, placement, closed=D(2026, 9, 10), reopened=D(2026, 10, 5))

    trend = trend_section(project, D(2026, 11, 30))
    counts = dict(zip(trend["months"], trend["placements"], strict=True))
    assert (counts["2026-08"], counts["2026-09"], counts["2026-10"], counts["2026-11"]) == (1, 0, 1, 1)


def test_the_final_report_s_goals_count_each_month_s_places_where_they_were_then(two_orgs, on_day, leader, project):
    """The goals table's share per organisation, month by month: places over employees (100 each here)."""
    placement = _created(on_day, D(2025, 12, 10), unit=two_orgs["health_unit"], capacity=4)
    on_day(D(2026, 6, 10))
    services.placement_update(user=leader, placement=placement, unit=two_orgs["school_unit"], capacity=2)
    _closed_then_reopened(on_day, leader, placement, closed=D(2026, 8, 10), reopened=D(2026, 10, 5))

    goals = goals_section(project, D(2026, 1, 1), D(2026, 11, 30), {})
    assert goals["months"][5:12] == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    rows = {row["name"]: row for row in goals["by_organisation"]}
    assert rows["Hälsa"]["trend"][5:12] == [0.04, 0, 0, 0, 0, 0, 0]
    assert rows["Skola"]["trend"][5:12] == [0, 0.02, 0.02, 0, 0, 0.02, 0.02]
