"""The stored number of placements (PlacementCountChange): equal to the placements there are after every writer
that adds or deletes them, and what the leader's unfiltered placement list shows as its hit count, read without
counting the placements; any filter (but the order) counts."""

import importlib
from types import SimpleNamespace

from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from placements import services
from placements.models import Placement, PlacementCountChange
from placements.selectors import placements_count_stored
from placements.tests.factories import PlacementFactory


def _stored_is_the_count():
    assert placements_count_stored() == Placement.objects.count()


def test_registering_a_placement_adds_one(leader, unit_a, area):
    _stored_is_the_count()
    services.placement_create(user=leader, title="Ny plats", unit=unit_a, occupational_area=area, tasks="Sortera",
                              capacity=2, available_from=unit_a.created_at.date(), attested=True)
    assert placements_count_stored() == 1
    _stored_is_the_count()


def test_the_migration_fills_it(unit_a):
    for _ in range(3):
        PlacementFactory(unit=unit_a)
    PlacementCountChange.objects.all().delete()
    importlib.import_module("placements.migrations.0012_placement_count_change").fill_placement_count(
        apps, SimpleNamespace(connection=connection))
    _stored_is_the_count()


def _list(client, query: str = "") -> tuple[str, list[str]]:
    url = reverse("placements:list") + query
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        html = client.get(url).content.decode()
    return html, [q["sql"] for q in captured.captured_queries]


def _counted(queries) -> bool:
    return any(q.startswith('SELECT COUNT(*) AS "__count" FROM "placements_placement"') for q in queries)


def test_the_leaders_unfiltered_list_counts_from_the_stored_number(client, leader, case_worker_af, unit_a, area,
                                                                     area_care):
    for n in range(3):
        PlacementFactory(unit=unit_a, occupational_area=area if n else area_care,
                         status=Placement.Status.OPEN if n < 2 else Placement.Status.PAUSED)
    client.force_login(leader)
    for query in ("", "?ordering=idle_since", "?page=1&per_page=10", "?q=&status=", "?status=bad"):
        html, queries = _list(client, query)
        assert "3 platser hittades" in html and not _counted(queries), query
        assert [q for q in queries if "placements_placementcountchange" in q], query
    for query, shown in ((f"?occupational_area={area.pk}", 2), ("?status=paused", 1), ("?idle_days=0", None),
                         ("?idle_days=0&status=open", None), ("?q=Plats", 3)):
        html, queries = _list(client, query)
        # the idle filter alone is counted by its own query over the idle index (placements.selectors
        # idle_placements_count), every other filter by the paginator
        idle_counts = [q for q in queries if q.lstrip().startswith("SELECT count(*) FROM (") and "UNION ALL" in q]
        if query == "?idle_days=0":
            assert len(idle_counts) == 1 and not _counted(queries), query
        else:
            assert _counted(queries) and not idle_counts, query
        if shown is not None:
            assert f"{shown} plats{'er' if shown > 1 else ''} hittades" in html, query
    client.force_login(case_worker_af)  # a case worker's list is the open placements: counted
    html, queries = _list(client)
    assert "2 platser hittades" in html and _counted(queries)
