"""The same report's figures asked for by two processes at once, after a write: a build requested while the figures
computed ahead are being computed, or two builds of one report. With the figures computed once (the second waits
for the first's: reporting.selectors.report_figures_computed_unless_kept), against each computing them (the wait
set to 0), alternated round by round, on the database in DATABASE_URL and the cache in REDIS_URL.

    DATABASE_URL=postgres://base:base@127.0.0.1:5440/qrep_w REDIS_URL=redis://127.0.0.1:6400/21 \
        .venv/bin/python bench/figures_at_once.py [--kind final] [--rounds 6] [--lag 0.3]

Each round: a write that changes nothing (one UPDATE of no row, to a table the figures read), so that the figures
kept are old; then two processes forked from this one, the second `--lag` seconds after the first, each computing
the report's figures (the final over the project so far, or last month's) as a build does. Printed, medians per
side: each process's wall from its start to its figures, the wall until both have them, whether the second
computed them, and the CPU seconds this machine's PostgreSQL spent in the round. One JSON line.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import machine, setup_production_django  # noqa: E402
from reports import _database_cpu_seconds  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=("final", "monthly"), default="final")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--lag", type=float, default=0.3)
    args = parser.parse_args()
    setup_production_django()
    from django.db import connection, connections
    from django.utils import timezone

    from core.dates import previous_month
    from organisations.models import Project
    from reporting import selectors
    from reporting.services import as_built

    project = Project.objects.get(slug="sjalvklart")
    with as_built():
        period = (selectors.final_report_period(project) if args.kind == "final"
                  else previous_month(timezone.localdate()))
    selectors.report_figures(args.kind, project, *period)  # imports and first connections warm in this process

    def compute_in_child(write_end, delay: float, wait: bool) -> int:
        pid = os.fork()
        if pid:
            return pid
        code = 1
        try:
            if not wait:
                selectors.FIGURES_COMPUTING_WAIT_SECONDS = 0
            time.sleep(delay)
            began = time.perf_counter()
            with as_built():
                computed = selectors.report_figures_computed_unless_kept(args.kind, project, *period)[1]
            os.write(write_end, (json.dumps({"wall_s": time.perf_counter() - began, "computed": computed,
                                             "done_at": time.perf_counter()}) + "\n").encode())
            code = 0
        finally:
            os._exit(code)

    results = {"once": [], "twice": []}
    for index in range(args.rounds * 2):
        side = ("once", "twice")[index % 2]
        with connection.cursor() as cursor:
            cursor.execute("UPDATE participants_exitreason SET code = code WHERE false")
        connections.close_all()
        read_end, write_end = os.pipe()
        database_cpu_before = _database_cpu_seconds()
        started = time.perf_counter()
        pids = [compute_in_child(write_end, delay, side == "once") for delay in (0, args.lag)]
        for pid in pids:
            _pid, status = os.waitpid(pid, 0)
            if status:
                raise SystemExit(f"a child failed ({status})")
        os.close(write_end)
        with os.fdopen(read_end) as lines:
            done = [json.loads(line) for line in lines]
        first, second = sorted(done, key=lambda d: d["done_at"] - d["wall_s"])  # by when each began
        results[side].append({"first_s": first["wall_s"], "second_s": second["wall_s"],
                              "both_s": max(d["done_at"] for d in done) - started,
                              "second_computed": second["computed"], "first_computed": first["computed"],
                              "database_cpu_s": _database_cpu_seconds() - database_cpu_before})

    def medians(rows):
        return {name: round(statistics.median(row[name] for row in rows), 3)
                for name in ("first_s", "second_s", "both_s", "database_cpu_s")} | {
            "second_computed": sum(row["second_computed"] for row in rows),
            "first_computed": sum(row["first_computed"] for row in rows), "n": len(rows)}

    print(json.dumps({"kind": args.kind, "lag_s": args.lag, "db": connection.settings_dict["NAME"], **machine(),
                      "once": medians(results["once"]), "twice": medians(results["twice"])}))


if __name__ == "__main__":
    main()
