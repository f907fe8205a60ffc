"""Each section's SQL wall in one build of the report figures, one section after the other on one connection
(REPORT_FIGURE_CONNECTIONS=1), on the database in DATABASE_URL: the input of the split of the sections between
the two connections (reporting.selectors.SECOND_CONNECTION).

    DATABASE_URL=postgres://base:base@127.0.0.1:5440/base nice .venv/bin/python bench/report_sections.py --builds 3

For the dashboard's month (monthly_figures of the default project's default month) and the final report
(final_figures over the project's life): per section the median over `--builds` of its wall and its queries'
summed time, in the order the build calls them (a read shared within a build is paid by its first section).
Prints one JSON line.
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

from common import cpu_probe_s, setup_production_django  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--builds", type=int, default=3)
    args = parser.parse_args()
    os.environ["REPORT_FIGURE_CONNECTIONS"] = "1"
    setup_production_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.models import User
    from reporting import selectors
    from reporting.forms import DashboardForm

    form = DashboardForm({}, user=User.objects.get(email="ledare@demo.test"))
    project = form.selected_project()
    start, end = form.selected_period()
    timings: dict = {}
    real = selectors._computed

    def timed_computed(calls, on_second, then=None):
        def timed(key, call):
            def run():
                with CaptureQueriesContext(connection) as queries:
                    wall = time.perf_counter()
                    value = call()
                    wall = time.perf_counter() - wall
                timings.setdefault(key, []).append(
                    (wall, sum(float(q["time"]) for q in queries.captured_queries), len(queries)))
                return value
            return run
        return real({key: timed(key, call) for key, call in calls.items()}, on_second, then)

    selectors._computed = timed_computed
    out = {"db": connection.settings_dict["NAME"], "load": os.getloadavg(), "cpu_probe_s": cpu_probe_s()}
    for name, build in (("monthly", lambda: selectors.monthly_figures(project, start, end)),
                        ("final", lambda: selectors.final_figures(project, project.start_date, end))):
        build()  # warm-up
        timings.clear()
        for _i in range(args.builds):
            build()
        out[name] = {key: {"wall_ms": round(1000 * statistics.median(t[0] for t in runs)),
                           "sql_ms": round(1000 * statistics.median(t[1] for t in runs)),
                           "queries": runs[0][2]}
                     for key, runs in timings.items()}
        out[name + "_total_wall_ms"] = sum(v["wall_ms"] for v in out[name].values())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
