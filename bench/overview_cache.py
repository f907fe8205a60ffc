"""The organisation overview in-process: the view through Django's test client under production settings, the
demo leader logged in, against a checkout given by --code (so that the code before and after a change can be run
in turn on the same database, in separate processes).

    cd CHECKOUT && DATABASE_URL=postgres://… REDIS_URL=redis://… /path/to/.venv/bin/python \
        /path/to/bench/overview_cache.py --code . --requests 15 [--cold]

(Run it from the checkout: Celery puts the working directory first on sys.path.)

Prints one JSON line: the code's commit, the page's median and min wall and process CPU ms over --requests
requests after one warm-up, its queries, and with --cold (code that caches the totals: placements.services.
organisation_totals_changed) the same for requests each made after a new token, i.e. with nothing cached, and with
--compare the medians of the overview, the admin's organisation changelist and the floor's page (bench/floor.py)
requested in turn (the ratios bench/pages.py takes through gunicorn, here in one process), and with --after-write
the same for requests each made right after one write through a service (placement_pause, then placement_reopen,
of one open placement) in the largest organisation tree and in the median one: what a busy booking day costs the
page. The cold and after-write variants write (the tokens, the paused placement and its history): use a copy of
the database, not a shared read-only one.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import setup_production_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--code", required=True, help="root of the checkout whose code is run")
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--cold", action="store_true", help="also time requests made right after a new token")
    parser.add_argument("--after-write", action="store_true",
                        help="also time requests made right after one write in the largest and the median tree")
    parser.add_argument("--compare", action="store_true",
                        help="also the admin's organisation changelist and the floor's page (bench/floor.py), "
                             "requested in turn with the overview")
    args = parser.parse_args()
    root = Path(args.code).resolve()
    sys.path.insert(0, str(root))
    sys.path.insert(1, str(Path(__file__).resolve().parent))  # bench/floor.py for --compare
    setup_production_django()
    from django.conf import settings

    # No collectstatic for an in-process run: static URLs from the finders (the page's own work is unchanged).
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    if args.compare:
        settings.ROOT_URLCONF = "floor"  # the product's URLs with the floor pages in front, as bench/pages.py
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    import placements
    from core.models import User

    assert Path(placements.__file__).resolve().is_relative_to(root), placements.__file__
    client = Client()
    client.force_login(User.objects.get(email="ledare@demo.test"))
    url = reverse("placements:organisation_overview")

    def timed(before=None) -> tuple[list[float], list[float], int]:
        walls, cpus, queries = [], [], 0
        client.get(url)  # warm-up: connection, templates, and (warm variant) the cache
        for _ in range(args.requests):
            if before:
                before()
            with CaptureQueriesContext(connection) as captured:
                wall, cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            assert response.status_code == 200
            walls.append(wall * 1000)
            cpus.append(cpu * 1000)
            queries = len(captured)
        return walls, cpus, queries

    def summary(walls, cpus, queries) -> dict:
        return {"median_ms": round(statistics.median(walls), 1), "min_ms": round(min(walls), 1),
                "cpu_median_ms": round(statistics.median(cpus), 1), "queries": queries}

    commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or root.name
    result = {"code": str(root), "commit": commit, "database": connection.settings_dict["NAME"],
              "load": [round(x, 2) for x in os.getloadavg()], "requests": args.requests,
              "page": summary(*timed())}
    if args.cold:
        from placements.services import organisation_totals_changed

        result["cold"] = summary(*timed(before=organisation_totals_changed))
    if args.after_write:
        result["after_write"] = after_write(timed, summary)
    if args.compare:  # the three pages in turn, request by request, after one warm-up each
        urls = {"product": url, "admin": "/admin/organisations/organisation/", "floor": "/floor/organisations/"}
        times = {name: [] for name in urls}
        for name, page in urls.items():
            assert client.get(page).status_code == 200, name
        for _ in range(args.requests):
            for name, page in urls.items():
                wall = time.perf_counter()
                client.get(page)
                times[name].append((time.perf_counter() - wall) * 1000)
        medians = {name: round(statistics.median(values), 1) for name, values in times.items()}
        result["compare"] = {**medians, "product_per_admin": round(medians["product"] / medians["admin"], 2),
                             "product_per_floor": round(medians["product"] / medians["floor"], 2)}
    print(json.dumps(result))


def after_write(timed, summary) -> dict:
    """Per tree (the largest and the median by placements): the page requested right after each write, the writes
    alternately pausing and reopening one open placement there (through the services, as the leader)."""
    from django.db.models import Count

    from core.models import User
    from organisations.tree import OrganisationTree
    from placements import services
    from placements.models import Placement

    tree = OrganisationTree.load()
    per_organisation = dict(Placement.objects.order_by().values("unit__organisation_id")
                            .annotate(n=Count("*")).values_list("unit__organisation_id", "n"))
    sizes = sorted((sum(per_organisation.get(pk, 0) for pk in tree.with_descendants({root})), root)
                   for root in tree.roots())
    leader = User.objects.get(email="ledare@demo.test")
    out = {}
    for name, (size, root) in (("largest", sizes[-1]), ("median", sizes[len(sizes) // 2])):
        placement = (Placement.objects.filter(unit__organisation_id__in=tree.with_descendants({root}),
                                              status=Placement.Status.OPEN).order_by("pk").first())
        state = {"paused": False}

        def write(placement=placement, state=state):
            step = services.placement_reopen if state["paused"] else services.placement_pause
            step(user=leader, placement=placement)
            state["paused"] = not state["paused"]

        out[name] = {"tree_placements": size, "placement": placement.pk, **summary(*timed(before=write))}
        if state["paused"]:
            services.placement_reopen(user=leader, placement=placement)
    return out


if __name__ == "__main__":
    main()
