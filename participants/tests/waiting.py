"""The check that the stored waiting periods are the definition: shared by the tests of every writer."""

import datetime as dt
from collections import Counter

from django.db.models import F, Sum
from django.utils import timezone

from participants.models import Referral, WaitingCountChange, WaitingPeriod
from participants.selectors import waiting_list_on
from placements.models import Assignment

ONE_DAY = dt.timedelta(days=1)


def _dates_in_the_data() -> set[dt.date]:
    days = set()
    for referral_date, closed_on in Referral.objects.values_list("referral_date", "closed_on"):
        days.update(day for day in (referral_date, closed_on) if day)
    for *dates, created_at, decided_at in Assignment.objects.values_list(
            "start_date", "end_date", "planned_end_date", "withdrawn_on", "created_at", "decided_at"):
        days.update(day for day in dates if day)
        days.update(timezone.localtime(instant).date() for instant in (created_at, decided_at) if instant)
    return days


def assert_stored_waiting_periods_are_the_definition(*days: dt.date) -> None:
    """On today, on `days` and on each later date the data holds (and the day before and after it): the stored
    periods holding that day give exactly the starts and states waiting_list_on gives, and the stored count changes
    summed up to that day give its count per agency and state. (Days before today are not stored.)"""
    today = timezone.localdate()
    asked = {today, *days}
    for day in _dates_in_the_data():
        asked.update((day - ONE_DAY, day, day + ONE_DAY))
    for day in sorted(day for day in asked if day >= today):
        defined = set(waiting_list_on(day).values_list("pk", "waiting_state"))
        stored = set(WaitingPeriod.objects.filter(first_day__lte=day, until__gt=day)
                     .values_list("referral_id", "state"))
        assert stored == defined, (day, sorted(stored - defined), sorted(defined - stored))
        counted = Counter(waiting_list_on(day).values_list("agency_id", "waiting_state"))
        summed = {(agency_id, state): n for agency_id, state, n in WaitingCountChange.objects.filter(day__lte=day)
                  .order_by().values_list("agency_id", "state").annotate(n=Sum("delta")) if n}
        assert summed == dict(counted), day
    # Each period carries its start's referral date, so today's periods in (referral date, start) order are the
    # waiting list's keys in its order (the page's keys, participants.selectors.waiting_keys_stored).
    assert not WaitingPeriod.objects.exclude(referral_date=F("referral__referral_date")).exists()
    keys = list(WaitingPeriod.objects.filter(first_day__lte=today, until__gt=today)
                .order_by("referral_date", "referral_id").values_list("referral_id", flat=True))
    assert keys == list(waiting_list_on(today).order_by("referral_date", "pk").values_list("pk", flat=True))
