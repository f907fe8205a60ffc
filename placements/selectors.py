"""Reads about placements: occupancy and free capacity. Occupancy counts confirmed and ongoing
assignments whose period covers the date (end = actual end, else planned end)."""

import datetime as dt

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from placements.models import Assignment, Placement


def _assignment_end():
    return Coalesce("end_date", "planned_end_date")


def occupying_assignments(*, on: dt.date) -> QuerySet[Assignment]:
    return Assignment.objects.annotate(period_end=_assignment_end()).filter(
        status__in=Assignment.OCCUPYING, start_date__lte=on, period_end__gte=on
    )


def with_occupancy(queryset: QuerySet[Placement], *, on: dt.date | None = None) -> QuerySet[Placement]:
    """Annotate `occupied` and `free` (never below 0) on the given date, default today, in one query."""
    on = on or timezone.localdate()
    occupied = (
        occupying_assignments(on=on)
        .filter(placement=OuterRef("pk"))
        .order_by()
        .values("placement")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        occupied=Coalesce(Subquery(occupied, output_field=IntegerField()), Value(0)),
    ).annotate(free=Greatest(F("capacity") - F("occupied"), Value(0)))


def with_free_slot(queryset: QuerySet[Placement], *, on: dt.date | None = None) -> QuerySet[Placement]:
    """Open placements available on the date that have at least one free slot then."""
    on = on or timezone.localdate()
    return (
        with_occupancy(queryset, on=on)
        .filter(status=Placement.Status.OPEN, available_from__lte=on)
        .filter(Q(available_to__isnull=True) | Q(available_to__gte=on))
        .filter(free__gt=0)
    )


def peak_occupancy(*, placement: Placement, start: dt.date, end: dt.date,
                   exclude_assignment_id: int | None = None) -> int:
    """The largest number of occupying assignments on any one day within [start, end].

    Concurrency only changes where an assignment starts, so checking those days (and `start`) suffices.
    """
    overlapping = list(
        Assignment.objects.annotate(period_end=_assignment_end())
        .filter(placement=placement, status__in=Assignment.OCCUPYING, start_date__lte=end, period_end__gte=start)
        .exclude(pk=exclude_assignment_id)
        .values_list("start_date", "period_end")
    )
    checkpoints = {start} | {max(s, start) for s, _e in overlapping}
    return max((sum(1 for s, e in overlapping if s <= day <= e) for day in checkpoints), default=0)
