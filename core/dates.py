"""Calendar arithmetic shared by the assignment rules, the forms, the imports and the reports."""

import calendar
import datetime as dt

from django.utils import timezone


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier), clamped to the month's last day: 31 Jan + 1 → 28/29 Feb."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def previous_month(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """(first, last) day of the month before `today` (default: today in Stockholm)."""
    last = month_start(today or timezone.localdate()) - dt.timedelta(days=1)
    return month_start(last), last
