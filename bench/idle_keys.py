"""The placement list's idle filter and "Ledig längst" sort: the definition (per-placement subqueries over the
assignments) against the stored idle values (Placement.idle_last_end, …), the queries the list page sends.

Run against a seeded, migrated database: `manage.py shell < bench/idle_keys.py` (ROUNDS in the environment,
default 15). For each page it checks that both variants give the same count and the same keys, then times
the COUNT, the page's keys and the page's rows (25 a page, first page) over alternating rounds and prints the
medians and the stored variant's EXPLAIN ANALYZE. Results: docs/benchmarks.md (§12).
"""

import os
import statistics
import time

from django.db import connection
from django.utils import timezone

from core.paging import page_keys, page_rows
from placements.models import Placement
from placements.selectors import (
    idle_placements,
    idle_placements_from_history,
    order_by_idle_since,
    placement_list,
    with_idle_since_from_history,
    with_occupancy,
)

ON = timezone.localdate()
ROUNDS = int(os.environ.get("ROUNDS", "15"))
PER_PAGE = 25


def definition_list():
    """placement_list as it was: both annotations from the assignments."""
    return with_idle_since_from_history(with_occupancy(Placement.objects.all(), on=ON), on=ON).select_related(
        "unit__organisation", "occupational_area", "supervisor").prefetch_related("adaptations")


def stored_list():
    return placement_list(Placement.objects.all(), on=ON)


PAGES = {
    "idle > 60 days": {
        "definition": lambda: idle_placements_from_history(definition_list(), days=60, on=ON),
        "stored": lambda: idle_placements(stored_list(), days=60, on=ON),
    },
    "Ledig längst": {
        "definition": lambda: definition_list().order_by("idle_since", "pk"),
        "stored": lambda: order_by_idle_since(stored_list(), on=ON),
    },
    "Ledig kortast": {
        "definition": lambda: definition_list().order_by("-idle_since", "-pk"),
        "stored": lambda: order_by_idle_since(stored_list(), descending=True, on=ON),
    },
}


def page(build):
    """What the list sends for the first page: building the queryset (the ordering's staleness check), COUNT, the
    page's keys, the page's rows."""
    timings = {}
    start = time.perf_counter()
    queryset = build()
    timings["build"] = time.perf_counter() - start
    start = time.perf_counter()
    count = queryset.count()
    timings["count"] = time.perf_counter() - start
    start = time.perf_counter()
    keys = list(page_keys(queryset)[:PER_PAGE])
    timings["keys"] = time.perf_counter() - start
    start = time.perf_counter()
    rows = page_rows(queryset, keys)
    timings["rows"] = time.perf_counter() - start
    return count, keys, [(p.pk, p.idle_since) for p in rows], timings


def explain(queryset):
    sql, params = page_keys(queryset)[:PER_PAGE].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


print(f"{Placement.objects.count()} placements, on {ON}, {ROUNDS} rounds, load {os.getloadavg()}")
for name, variants in PAGES.items():
    answers = {variant: page(build)[:3] for variant, build in variants.items()}
    same = answers["definition"] == answers["stored"]
    print(f"\n## {name}: count {answers['stored'][0]}, same count, keys and rows: {same}")
    if not same:
        raise SystemExit(f"{name}: the stored values disagree with the definition")
    samples = {variant: [] for variant in variants}
    for _ in range(ROUNDS):
        for variant, build in variants.items():
            samples[variant].append(page(build)[3])
    for variant, rounds in samples.items():
        medians = {part: statistics.median(r[part] for r in rounds) * 1000
                   for part in ("build", "count", "keys", "rows")}
        total = statistics.median(sum(r.values()) for r in rounds) * 1000
        print(f"{variant:>10}: build {medians['build']:.1f} ms, count {medians['count']:.1f} ms, "
              f"keys {medians['keys']:.1f} ms, rows {medians['rows']:.1f} ms, total {total:.1f} ms")
    print(explain(variants["stored"]()))
print(f"\nload after {os.getloadavg()}")
