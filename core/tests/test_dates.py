"""Month arithmetic: the one add_months the assignment rules, the imports and the reports use."""

import datetime as dt

import pytest

from core.dates import add_months, month_end, month_start, previous_month

D = dt.date


@pytest.mark.parametrize(("day", "months", "expected"), [
    (D(2026, 1, 15), 1, D(2026, 2, 15)),
    (D(2026, 1, 31), 1, D(2026, 2, 28)),   # clamped to the shorter month
    (D(2028, 1, 31), 1, D(2028, 2, 29)),   # leap year
    (D(2026, 3, 31), 1, D(2026, 4, 30)),
    (D(2026, 11, 30), 2, D(2027, 1, 30)),  # over the year end
    (D(2026, 12, 1), 1, D(2027, 1, 1)),
    (D(2026, 1, 1), -1, D(2025, 12, 1)),   # backwards over the year start
    (D(2026, 3, 31), -1, D(2026, 2, 28)),
    (D(2026, 5, 20), 0, D(2026, 5, 20)),
    (D(2026, 5, 20), 12, D(2027, 5, 20)),
    (D(2026, 5, 20), -13, D(2025, 4, 20)),
])
def test_add_months_keeps_the_day_and_clamps_to_the_month_end(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(("day", "first", "last"), [
    (D(2026, 2, 14), D(2026, 2, 1), D(2026, 2, 28)),
    (D(2028, 2, 1), D(2028, 2, 1), D(2028, 2, 29)),
    (D(2026, 12, 31), D(2026, 12, 1), D(2026, 12, 31)),
    (D(2026, 4, 30), D(2026, 4, 1), D(2026, 4, 30)),
])
def test_month_start_and_end(day, first, last):
    assert (month_start(day), month_end(day)) == (first, last)


@pytest.mark.parametrize(("today", "expected"), [
    (D(2026, 3, 1), (D(2026, 2, 1), D(2026, 2, 28))),    # first day of the month: the whole previous month
    (D(2026, 3, 31), (D(2026, 2, 1), D(2026, 2, 28))),
    (D(2026, 1, 10), (D(2025, 12, 1), D(2025, 12, 31))),  # over the year start
])
def test_previous_month(today, expected):
    assert previous_month(today) == expected
