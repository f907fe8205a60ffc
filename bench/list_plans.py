#!/usr/bin/env python
"""The participant list and the waiting list in this process: time per page, queries, and the plans of the
slowest queries, for the demo leader and the AF case worker.

Needs a PostgreSQL database filled by `seed_demo --scale N` and a Redis (production settings):

    DATABASE_URL=postgres://app:app@127.0.0.1:5450/app REDIS_URL=redis://127.0.0.1:6450/0 \\
        .venv/bin/python bench/list_plans.py [--rounds 15] [--plans] [--json out.json]

The pages are requested in turn, round by round (leader and case worker, first and deepest page), so a change
in the machine's load touches all of them alike. Each query of a page is timed separately on the connection
(EXPLAIN ANALYZE of the slowest two with --plans).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import PROD_ENV, machine  # noqa: E402
from pages import TRANSACTION_CONTROL, setup_django  # noqa: E402

USERS = {"leader": "ledare@demo.test", "af": "af@demo.test"}


def pages_to_measure():
    from core.models import User
    from participants.selectors import participant_list, waiting_list

    pages = []
    for who, email in USERS.items():
        user = User.objects.get(email=email)
        waiting = waiting_list(user=user).count()
        listed = participant_list(user=user).count()
        for name, path, total in (("waiting list", "/participants/waiting/", waiting),
                                  ("participant list", "/participants/", listed)):
            last = max(1, math.ceil(total / 50))
            for which, number in (("first", 1), ("deepest", last)):
                pages.append({"name": f"{name}, {who}, {which} page ({number} of {last}, {total} rows)",
                              "who": who, "url": f"{path}?page={number}" if number > 1 else path})
    return pages


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--plans", action="store_true", help="EXPLAIN ANALYZE the two slowest queries per page")
    parser.add_argument("--json")
    args = parser.parse_args()
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True,
                   env={**os.environ, **{k: os.environ.get(k, v) for k, v in PROD_ENV.items()}})
    setup_django()

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from core.models import User

    clients = {}
    for who, email in USERS.items():
        client = Client(HTTP_X_FORWARDED_PROTO="https")
        client.force_login(User.objects.get(email=email))
        clients[who] = client
    pages = pages_to_measure()
    for page in pages:
        client = clients[page["who"]]
        client.get(page["url"])  # warm
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(page["url"])
        assert response.status_code == 200, (page["url"], response.status_code)
        page["sql"] = [q["sql"] for q in ctx.captured_queries
                       if q["sql"].split(" ", 1)[0].upper() not in TRANSACTION_CONTROL]
        page["queries"] = len(page["sql"])
        page["times"] = []
    load_before = os.getloadavg()
    for _round in range(args.rounds):
        for page in pages:
            start = time.perf_counter()
            clients[page["who"]].get(page["url"])
            page["times"].append((time.perf_counter() - start) * 1000)
    load_after = os.getloadavg()

    with connection.cursor() as cursor:
        for page in pages:
            timed = []
            for sql in page["sql"]:
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                start = time.perf_counter()
                cursor.execute(sql)
                cursor.fetchall()
                timed.append(((time.perf_counter() - start) * 1000, sql))
            timed.sort(reverse=True)
            page["slowest"] = [(round(ms, 1), sql[:160]) for ms, sql in timed[:3]]
            if args.plans:
                page["plans"] = []
                for _ms, sql in timed[:2]:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    page["plans"].append("\n".join(row[0] for row in cursor.fetchall()))

    print(f"machine {machine()}; load average during the rounds {load_before[0]:.2f} → {load_after[0]:.2f}")
    print("| page | queries | median ms | min ms | slowest query ms |")
    print("|---|---|---|---|---|")
    for page in pages:
        print(f"| {page['name']} | {page['queries']} | {statistics.median(page['times']):.1f} | "
              f"{min(page['times']):.1f} | {', '.join(str(ms) for ms, _sql in page['slowest'])} |")
    if args.plans:
        for page in pages:
            print(f"\n### {page['name']}")
            for plan in page["plans"]:
                print(plan, "\n")
    if args.json:
        Path(args.json).write_text(json.dumps(pages, indent=1, default=str))


if __name__ == "__main__":
    main()
