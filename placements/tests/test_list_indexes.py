"""The placement list's default order and its most common filter (open placements in an occupational area) are
read from indexes: a page's keys and the hit count do not sort or scan every placement (PostgreSQL plans)."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from placements.models import Assignment, Placement
from placements.tests.factories import AssignmentFactory, PlacementFactory


def _plans(client, url: str, off=("sort", "seqscan")) -> dict[str, str]:
    """The plans of the page's COUNT and keys queries, with sorting and sequential scans (or the plan kinds `off`)
    priced out, so that an index that can serve them is the one chosen whatever the few test rows."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    plans = {}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE placements_placement")  # the few test rows' statistics, as autovacuum keeps them
        for kind in off:
            cursor.execute(f"SET enable_{kind} = off")
        try:
            for query in captured.captured_queries:
                sql = query["sql"]
                kind = ("count" if sql.startswith('SELECT COUNT(*) AS "__count" FROM "placements_placement"')
                        or sql.lstrip().startswith("SELECT count(*) FROM (") else
                        "keys" if sql.startswith('SELECT "placements_placement"."id" AS "pk"') else None)
                if kind:
                    cursor.execute("EXPLAIN " + sql)
                    plans[kind] = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            for kind in off:
                cursor.execute(f"RESET enable_{kind}")
    return plans


@pytest.mark.postgres
def test_the_default_order_and_the_area_filter_read_their_page_and_count_from_an_index(client, leader, unit_a, area,
                                                                                        area_care):
    for n in range(30):
        PlacementFactory(unit=unit_a, occupational_area=area if n % 2 else area_care, title=f"Plats {n:02d}",
                         status=Placement.Status.OPEN if n % 3 else Placement.Status.PAUSED)
    client.force_login(leader)
    unfiltered = _plans(client, reverse("placements:list"))
    assert "placement_title_idx" in unfiltered["keys"] and "Sort" not in unfiltered["keys"]
    filtered = _plans(client, reverse("placements:list") + f"?status=open&occupational_area={area.pk}&per_page=10")
    # in order from either index (on a few rows the planner may walk the titles and check the filter)
    assert re.search(r"Index (Only )?Scan using placement_(area_)?title_idx", filtered["keys"])
    assert "Sort" not in filtered["keys"]
    # The area filter's count can be read from one index holding both its conditions (which index the planner takes
    # for a few test rows varies; at scale it is this one, docs/benchmarks.md § 16).
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, Placement._meta.db_table)
    assert indexes["placement_area_title_idx"]["columns"][:2] == ["occupational_area_id", "status"]
    assert "placement_area_title_idx" in filtered["keys"] + filtered["count"] or "Index" in filtered["count"]
    page = client.get(reverse("placements:list") + f"?status=open&occupational_area={area.pk}&per_page=10")
    shown = [p.title for p in page.context["page"].object_list]
    assert shown == sorted(p.title for p in Placement.objects.filter(status="open", occupational_area=area))


@pytest.mark.postgres
def test_the_idle_filter_reads_its_count_and_its_keys_from_the_open_placements_idle_index(client, leader, unit_a,
                                                                                           area):
    """The idle filter's stored path as two ranges of placement_open_idle_idx (nobody on it: idle_occupied_from
    empty or later than today; idle since before the cut-off), not a bitmap of every open placement available
    before the cut-off checked row by row (docs/benchmarks.md § 18, "The idle filter from one index")."""
    today = timezone.localdate()
    for n in range(40):
        placement = PlacementFactory(unit=unit_a, occupational_area=area, title=f"Plats {n:02d}",
                                     available_from=today - dt.timedelta(days=400 if n % 2 else 30))
        if n % 5 == 0:
            AssignmentFactory(placement=placement, status=Assignment.Status.ONGOING,
                              start_date=today - dt.timedelta(days=3), planned_end_date=today + dt.timedelta(days=30))
    client.force_login(leader)
    url = reverse("placements:list") + "?idle_days=60&per_page=10"
    # The count (the leader's list narrowed by the idle filter alone: a UNION ALL of its parts): a stored part can be
    # read from this index alone, which holds every column the part reads (sequential and bitmap scans priced out;
    # on a few test rows the planner may take another index for the other part, at scale it is this one).
    count = _plans(client, url, off=("seqscan", "bitmapscan"))["count"]
    count_conds = re.findall(r"Index Only Scan using placement_open_idle_idx.*\n\s+Index Cond: (.*)", count)
    assert count_conds, count
    assert all("idle_occupied_from" in cond and "GREATEST(available_from" in cond for cond in count_conds), count
    # The keys of a page once they are not read in title order from placement_title_idx (as the first pages are, at
    # scale too: plain index scans priced out here): from this index, then sorted.
    keys = _plans(client, url, off=("seqscan", "indexscan"))["keys"]
    key_conds = re.findall(r"Index Scan on placement_open_idle_idx.*\n\s+Index Cond: (.*)", keys)
    assert key_conds, keys
    assert all("idle_occupied_from" in cond and "GREATEST(available_from" in cond for cond in key_conds), keys
    shown = [p.title for p in client.get(url).context["page"].object_list]
    assert shown == [f"Plats {n:02d}" for n in range(1, 40, 2) if n % 5][:10]
