#!/usr/bin/env python
"""Browse benchmark: the product's list pages against the Django admin's changelists and the "floor", in turn.

Needs a PostgreSQL database filled with `seed_demo --scale 100` (bench/seed_scale.sh leaves one
behind) and a Redis (production settings refuse to start without a broker; the cache lives there).

    DATABASE_URL=postgres://app:app@127.0.0.1:5450/app REDIS_URL=redis://127.0.0.1:6450/0 \\
        .venv/bin/python bench/pages.py [--duration 300] [--samples 40] [--skip-locust]

What it does, all in one run:
1. SQL queries per page: Django's test client in this process (production settings, DEBUG off, no
   test transaction, so the count is what production sends) under CaptureQueriesContext.
2. Starts gunicorn (config.wsgi, production settings, SECURE_SSL_REDIRECT=false, MFA_REQUIRED=false,
   --workers 2 as on a 2-core machine) on 127.0.0.1 and logs in as the demo leader (is_staff) through a
   session row, so the product and the admin see the same user.
3. Server time per page: median and p95 of sequential requests (measured at the client on 127.0.0.1), the
   product, the admin page and the floor (bench/floor.py: the same rows with one or two hand-written
   queries and a bare template) requested in turn, request by request, and the ratios of their medians.
4. Requests per second per page: 4 client threads for a few seconds; product, admin and floor side by side;
   then the page mix: the same 4 threads cycling over every product page in turn (the "≥ 55 requests/s
   on the page mix" target).
5. Locust (bench/locustfile.py) with 4 and 8 users for --duration seconds: p95 and errors.

Results: printed as Markdown and written to bench/results/pages-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import PROD_ENV, machine, percentile, setup_production_django  # noqa: E402

RESULTS = ROOT / "bench" / "results"
VENV_BIN = Path(sys.executable).parent

SIDES = ("product", "admin", "floor")
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


# --- Setup in this process -----------------------------------------------------------------------


def setup_django():
    setup_production_django()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # response.context for the test client (page counts); no test database
    from django.conf import settings

    settings.ROOT_URLCONF = "floor"  # the product's URLs with the floor pages in front (bench/floor_wsgi.py)


def login_session(email: str) -> str:
    """A session row for `email`, as django.contrib.auth.login would store it. Returns the session key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from core.models import User

    user = User.objects.get(email=email)
    if not user.is_superuser:
        raise SystemExit(f"{email} is not a superuser: the admin (superusers only) comparison needs it")
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def build_pages() -> list[dict]:
    """The pages, each with the admin changelist of the same model and the same filter."""
    from django.db.models import Count, Q

    from organisations.models import Agency, OccupationalArea, Organisation
    from placements.models import Placement

    area = (OccupationalArea.objects.annotate(n=Count("placements", filter=Q(placements__status="open")))
            .order_by("-n").first())
    agency = Agency.objects.get(code="af")
    open_in_area = Placement.objects.filter(status="open", occupational_area=area).count()
    all_placements = Placement.objects.count()
    if all_placements < 5000:
        print(f"warning: only {all_placements} placements; run seed_demo --scale 100 first", file=sys.stderr)
    typical = f"status=open&occupational_area={area.pk}"
    admin_typical = f"status__exact=open&occupational_area__id__exact={area.pk}"
    pages = []
    for size in (10, 100):
        last = max(1, math.ceil(open_in_area / size))
        for which, number in (("first", 1), ("deepest", last)):
            pages.append({
                "name": f"placements, open in «{area.name}», {size}/page, {which} page ({number})",
                "group": "placements", "size": size, "which": which,
                "product": f"/placements/?{typical}&per_page={size}&page={number}",
                "floor": f"/floor/placements/?{typical}&per_page={size}&page={number}",
                # The admin always shows 100 per page: its deepest page is that of 100 per page.
                "admin": f"/admin/placements/placement/?{admin_typical}&p={max(1, math.ceil(open_in_area / 100))}"
                if which == "deepest" else f"/admin/placements/placement/?{admin_typical}",
            })
    pages.append({"name": f"placements, no filter, 25/page, first page (of {all_placements})", "group": "placements",
                  "size": 25, "which": "first", "product": "/placements/", "floor": "/floor/placements/",
                  "admin": "/admin/placements/placement/"})
    from core.models import User
    from participants.selectors import waiting_list

    leader = User.objects.get(email="ledare@demo.test")
    waiting = waiting_list(user=leader).filter(agency=agency).count()
    last = max(1, math.ceil(waiting / 50))
    for which, number in (("first", 1), ("deepest", last)):
        pages.append({
            "name": f"waiting list, agency {agency.code}, 50/page, {which} page ({number})", "group": "waiting",
            "size": 50, "which": which,
            "product": f"/participants/waiting/?agency={agency.pk}&page={number}",
            "floor": f"/floor/waiting/?agency={agency.pk}&page={number}",
            "admin": f"/admin/participants/referral/?agency__id__exact={agency.pk}"
                     + (f"&p={max(1, math.ceil(waiting / 100))}" if which == "deepest" else ""),
        })
    pages.append({"name": f"organisation overview ({Organisation.objects.count()} organisations)",
                  "group": "organisations", "size": None, "which": "first",
                  "product": "/placements/organisations/", "admin": "/admin/organisations/organisation/",
                  "floor": "/floor/organisations/"})
    pages.append({"name": "placements, idle > 60 days, 25/page", "group": "placements", "size": 25,
                  "which": "first", "product": "/placements/?idle_days=60", "admin": None,
                  "floor": "/floor/placements/?idle_days=60"})
    pages.append({"name": "placements, Ledig längst, 25/page", "group": "placements", "size": 25,
                  "which": "first", "product": "/placements/?ordering=idle_since", "admin": None,
                  "floor": "/floor/placements/?ordering=idle_since"})
    pages.append({"name": "participant list, 50/page, first page", "group": "participants", "size": 50,
                  "which": "first", "product": "/participants/", "admin": "/admin/participants/referral/",
                  "floor": "/floor/participants/"})
    pages.append({"name": "dashboard (warm cache)", "group": "dashboard", "size": None, "which": "first",
                  "product": "/reports/", "admin": None, "floor": None})
    return pages


def count_queries(pages, session_key):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.cookies["sessionid"] = session_key
    for page in pages:
        for side in SIDES:
            url = page.get(side)
            if not url:
                page[f"{side}_queries"] = page[f"{side}_statements"] = None
                continue
            client.get(url)  # warm: the filter option cache, the templates
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            sql = [q["sql"] for q in ctx.captured_queries]
            # Transaction control (BEGIN/COMMIT around the session save, logged by psycopg 3) is not a query.
            page[f"{side}_queries"] = sum(1 for q in sql if q.split(" ", 1)[0].upper() not in TRANSACTION_CONTROL)
            page[f"{side}_statements"] = len(sql)
            page[f"{side}_sql"] = [q[:200] for q in sql]


# --- gunicorn ---------------------------------------------------------------------------------------


class Server:
    def __init__(self, port: int, workers: int, *, env: dict | None = None, log_name: str = "gunicorn.log"):
        """gunicorn with production settings; `env` overrides this process's environment (another database)."""
        self.port, self.workers = port, workers
        self.log = open(RESULTS / log_name, "wb")  # noqa: SIM115 - closed in stop()
        base = {**os.environ, **(env or {})}
        env = {**base, **{k: base.get(k, v) for k, v in PROD_ENV.items()}}
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "floor_wsgi", "--pythonpath", "bench", "-b", f"127.0.0.1:{port}",
             "--workers", str(workers),
             "--timeout", "60"], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited; see bench/results/{log_name}")
            try:
                status, _ = get(port, "/healthz", {})
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not answer /healthz in 30 s")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def get(port: int, path: str, headers: dict) -> tuple[int, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        return response.status, len(body)
    finally:
        conn.close()


def time_pages_alternating(port, urls: dict, headers, samples) -> dict:
    """Median and p95 per side, the sides requested in turn (product, admin, …) so that a load change on the
    machine hits every side alike; ratios are then comparable even on a busy machine."""
    urls = {side: url for side, url in urls.items() if url}
    for url in urls.values():
        for _ in range(3):
            get(port, url, headers)
    times = {side: [] for side in urls}
    sizes = {}
    for _ in range(samples):
        for side, url in urls.items():
            started = time.perf_counter()
            status, sizes[side] = get(port, url, headers)
            times[side].append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise SystemExit(f"{url} answered {status} under gunicorn")
    return {side: {"median_ms": round(statistics.median(t), 1), "p95_ms": round(percentile(t, 95), 1),
                   "bytes": sizes[side]} for side, t in times.items()}


def time_page(port, url, headers, samples) -> dict:
    for _ in range(3):
        get(port, url, headers)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        status, size = get(port, url, headers)
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"{url} answered {status} under gunicorn")
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(percentile(times, 95), 1),
            "bytes": size}


def throughput(port, url, headers, seconds, threads=4) -> float:
    """Requests/s of `threads` clients requesting one URL as fast as they can."""
    return mix_throughput(port, [url], headers, seconds, threads, name=url)


def mix_throughput(port, urls, headers, seconds, threads=4, name="page mix") -> float:
    """Requests/s of `threads` clients each cycling over every URL in turn, from a different start."""
    done, errors = [0] * threads, [0] * threads
    stop_at = time.perf_counter() + seconds

    def run(i):
        n = i
        while time.perf_counter() < stop_at:
            status, _ = get(port, urls[n % len(urls)], headers)
            n += 1
            if status == 200:
                done[i] += 1
            else:
                errors[i] += 1

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if sum(errors):
        raise SystemExit(f"{name}: {sum(errors)} errors under load")
    return round(sum(done) / (time.perf_counter() - started), 1)


def locust_command() -> str:
    """The venv's locust, else LOCUST (locust lives in the `bench` extra, or a venv of its own)."""
    own = VENV_BIN / "locust"
    return str(own) if own.exists() else os.environ.get("LOCUST", "locust")


def page_key(name: str) -> str:
    """The page's name without what depends on the data (counts, page numbers, the area's name), so that
    runs at different scales can be compared page by page (bench/growth.py)."""
    without_counts = re.sub(r"\([^)]*\)", "", re.sub(r"«[^»]*»", "one area", name))
    return re.sub(r"\s+", " ", without_counts).strip(" ,")


def run_locust(port, session_key, pages, users, duration) -> dict:
    prefix = RESULTS / f"locust-{users}u"
    env = {**os.environ, "BENCH_SESSION": session_key,
           "BENCH_URLS": json.dumps([p["product"] for p in pages])}
    command = [locust_command(), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
               "-u", str(users), "-r", str(users), "--run-time", f"{duration}s", "--host", f"http://127.0.0.1:{port}",
               "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10"]
    subprocess.run(command, cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL)
    rows = list(csv_rows(Path(f"{prefix}_stats.csv")))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    return {"users": users, "seconds": duration, "requests": int(total["Request Count"]),
            "failures": int(total["Failure Count"]), "median_ms": float(total["50%"]), "p95_ms": float(total["95%"]),
            "p99_ms": float(total["99%"]), "rps": round(float(total["Requests/s"]), 1),
            "per_page": {r["Name"]: {"p95_ms": float(r["95%"]), "requests": int(r["Request Count"])}
                         for r in rows if r["Name"] != "Aggregated"}}


def csv_rows(path: Path):
    import csv

    with open(path, newline="") as fh:
        yield from csv.DictReader(fh)


# --- Main ----------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=60, help="seconds per locust run (the target run is 300)")
    parser.add_argument("--samples", type=int, default=40, help="sequential requests per page for median/p95")
    parser.add_argument("--rps-seconds", type=float, default=5, help="seconds of 4-thread load per page for req/s")
    parser.add_argument("--mix-seconds", type=float, default=20, help="seconds of 4-thread load on the page mix")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2 on a 2-core machine)")
    parser.add_argument("--users", default="4,8", help="locust user counts")
    parser.add_argument("--skip-locust", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("DATABASE_URL", "postgres://app:app@127.0.0.1:5450/app")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6450/0")
    RESULTS.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True,
                   env={**os.environ, **{k: os.environ.get(k, v) for k, v in PROD_ENV.items()}})
    setup_django()
    result = {"started": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine(),
              "command": " ".join([Path(sys.executable).name, *sys.argv]), "workers": args.workers}
    session_key = login_session("ledare@demo.test")
    pages = build_pages()
    count_queries(pages, session_key)

    headers = {"Cookie": f"sessionid={session_key}", "X-Forwarded-Proto": "https"}
    server = Server(args.port, args.workers)
    try:
        for page in pages:
            timed = time_pages_alternating(args.port, {side: page.get(side) for side in SIDES},
                                           headers, args.samples)
            for side in SIDES:
                page[f"{side}_time"] = timed.get(side, {"median_ms": None, "p95_ms": None, "bytes": None})
                page[f"{side}_rps"] = throughput(args.port, page[side], headers, args.rps_seconds) \
                    if page.get(side) else None
            page["rps_ratio"] = round(page["product_rps"] / page["admin_rps"], 2) if page["admin_rps"] else None
            for other in ("admin", "floor"):
                page[f"time_ratio_{other}"] = (
                    round(page["product_time"]["median_ms"] / page[f"{other}_time"]["median_ms"], 2)
                    if page[f"{other}_time"]["median_ms"] else None)
            print(" | ".join(f"{side} {page[f'{side}_time']} {page[f'{side}_rps']} req/s {page[f'{side}_queries']} q"
                             for side in SIDES) + f"  ← {page['name']}", flush=True)
        for page in pages:
            page["key"] = page_key(page["name"])
        result["pages"] = pages
        result["mix_rps"] = mix_throughput(args.port, [p["product"] for p in pages], headers, args.mix_seconds)
        print(f"page mix (4 threads over {len(pages)} product pages): {result['mix_rps']} req/s", flush=True)
        result["locust"] = []
        if not args.skip_locust:
            for users in [int(u) for u in args.users.split(",")]:
                run = run_locust(args.port, session_key, pages, users, args.duration)
                print(f"locust {users} users: {json.dumps({k: v for k, v in run.items() if k != 'per_page'})}",
                      flush=True)
                result["locust"].append(run)
    finally:
        server.stop()
    result["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    out = RESULTS / f"pages-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(markdown(result))
    print(f"\nwritten: {out.relative_to(ROOT)}")


def markdown(result) -> str:
    lines = ["| page | product median / p95 ms | queries | req/s | admin median / p95 ms | queries | req/s "
             "| floor median / p95 ms | queries | req/s | ÷ admin (time) | ÷ floor (time) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for p in result["pages"]:
        cells = [p["name"]]
        for side in SIDES:
            t = p[f"{side}_time"]
            cells += [f"{t['median_ms']} / {t['p95_ms']}" if t["median_ms"] else "–",
                      str(p[f"{side}_queries"] if p[f"{side}_queries"] is not None else "–"),
                      str(p[f"{side}_rps"] or "–")]
        cells += [f"{p['time_ratio_admin']}×" if p["time_ratio_admin"] else "–",
                  f"{p['time_ratio_floor']}×" if p["time_ratio_floor"] else "–"]
        lines.append("| " + " | ".join(cells) + " |")
    if "mix_rps" in result:
        lines.append(f"\npage mix, 4 threads over every product page: {result['mix_rps']} req/s")
    for run in result.get("locust", []):
        lines.append(f"\nlocust {run['users']} users, {run['seconds']} s: {run['requests']} requests, "
                     f"{run['failures']} failures, median {run['median_ms']} ms, p95 {run['p95_ms']} ms, "
                     f"p99 {run['p99_ms']} ms, {run['rps']} req/s")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
