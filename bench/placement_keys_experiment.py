"""Placement list keys: the correlated subqueries of placement_list vs one aggregated LEFT JOIN.

Run against a seeded database: `manage.py shell < bench/placement_keys_experiment.py`. Prints whether both
variants return the same keys, their EXPLAIN ANALYZE plans and median times over alternating rounds.
Results: docs/benchmarks.md (§7, "Placement list keys").
"""

import datetime as dt
import statistics
import time

from django.db import connection
from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from core.paging import page_keys
from placements.models import Assignment, Placement
from placements.selectors import HAS_HOSTED, idle_placements, organisation_roll_up, placement_list

on = timezone.localdate()
cut = on - dt.timedelta(days=60)


def current_idle():
    queryset = idle_placements(placement_list(Placement.objects.all()), days=60, on=on)
    return page_keys(queryset.order_by("idle_since", "pk"))[:25]


def current_sort():
    return page_keys(placement_list(Placement.objects.all()).order_by("idle_since", "pk"))[:25]


def aggregated(queryset):
    end = Coalesce("assignments__end_date", "assignments__planned_end_date")
    occupying = Q(assignments__status__in=Assignment.OCCUPYING, assignments__start_date__lte=on)
    covers = Q(assignments__end_date__gte=on) | Q(assignments__end_date__isnull=True,
                                                    assignments__planned_end_date__gte=on)
    ended = Q(assignments__end_date__lt=on) | Q(assignments__end_date__isnull=True,
                                                  assignments__planned_end_date__lt=on)
    return queryset.annotate(
        occupied=Count("assignments", distinct=True, filter=occupying & covers),
        last_hosted_end=Max(end, filter=Q(assignments__status__in=HAS_HOSTED) & ended),
    ).annotate(idle_since=Greatest("available_from", Coalesce("last_hosted_end", "available_from")))


def aggregated_idle():
    queryset = aggregated(Placement.objects.all()).filter(
        status=Placement.Status.OPEN, occupied=0, idle_since__lt=cut
    ).filter(Q(available_to__isnull=True) | Q(available_to__gte=on))
    return queryset.order_by("idle_since", "pk").values_list("pk", flat=True)[:25]


def aggregated_sort():
    return aggregated(Placement.objects.all()).order_by("idle_since", "pk").values_list("pk", flat=True)[:25]


def explain(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def timed(make):
    start = time.perf_counter()
    result = make()
    if not isinstance(result, dict):
        list(result)
    return (time.perf_counter() - start) * 1000


print("same keys, idle:", list(current_idle()) == list(aggregated_idle()),
      "sort:", list(current_sort()) == list(aggregated_sort()))
variants = {"current_idle": current_idle, "aggregated_idle": aggregated_idle, "current_sort": current_sort,
            "aggregated_sort": aggregated_sort, "roll_up": lambda: organisation_roll_up(on=on)}
for name in ("current_idle", "aggregated_idle", "current_sort", "aggregated_sort"):
    print("=====", name)
    print("\n".join(explain(variants[name]())))
times = {name: [] for name in variants}
for _ in range(7):
    for name, make in variants.items():
        times[name].append(timed(make))
for name, values in times.items():
    print(f"{name} median {statistics.median(values):.1f} ms", [f"{v:.0f}" for v in values])
print("placements", Placement.objects.count(), "assignments", Assignment.objects.count())
