"""The organisation page (/placements/organisations/<pk>/) in-process: the view through Django's test client under
production settings, the demo leader logged in, against a checkout given by --code (so that the code before and
after a change can be run in turn on the same database, in separate processes).

    cd CHECKOUT && DATABASE_URL=postgres://… REDIS_URL=redis://… /path/to/.venv/bin/python \
        /path/to/bench/organisation_detail.py --code . --pk 1 --requests 15 [--page 99]

Prints one JSON line: the code's commit, the page's median and min wall and process CPU ms over --requests requests
after one warm-up, its queries, its bytes and the number of placement rows drawn.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup_production_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--code", required=True, help="root of the checkout whose code is run")
    parser.add_argument("--pk", type=int, default=1, help="the organisation")
    parser.add_argument("--page", default=None, help="the placements' page (?page=)")
    parser.add_argument("--requests", type=int, default=15)
    args = parser.parse_args()
    root = Path(args.code).resolve()
    sys.path.insert(0, str(root))
    setup_production_django()
    from django.conf import settings

    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    import placements
    from core.models import User

    assert Path(placements.__file__).resolve().is_relative_to(root), placements.__file__
    client = Client()
    client.force_login(User.objects.get(email="ledare@demo.test"))
    url = reverse("placements:organisation_detail", args=[args.pk])
    params = {"page": args.page} if args.page else {}
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    walls, cpus = [], []
    for _ in range(args.requests):
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url, params)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    html = response.content.decode()
    commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or root.name
    print(json.dumps({
        "code": commit, "db": connection.settings_dict["NAME"], "pk": args.pk, "page": args.page,
        "wall_median_ms": round(statistics.median(walls), 1), "wall_min_ms": round(min(walls), 1),
        "cpu_median_ms": round(statistics.median(cpus), 1), "cpu_min_ms": round(min(cpus), 1),
        "queries": len(queries.captured_queries), "bytes": len(response.content),
        "rows": html.count('<th scope="row" class="fw-normal">'), "load": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
