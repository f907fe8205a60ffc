"""The dashboard's cold build (figures cache and chart cache empty), in this process, on the database in
DATABASE_URL (production settings, the cache in REDIS_URL, emptied of the dashboard's keys before each build).

    DATABASE_URL=postgres://base:base@127.0.0.1:5440/base REDIS_URL=redis://127.0.0.1:6400/6 \
        nice .venv/bin/python bench/dashboard_cold.py --builds 4 [--json figures.json] [--view]

One warm-up build (connections, imports, matplotlib), then `--builds` cold builds of the default project's
default month (the previous month) for the leader (unsuppressed) and the steering group (suppressed), each
timed as wall, CPU of this process, SQL (sum of the captured queries' times) and query count. With `--view`,
the dashboard view itself through RequestFactory (no middleware), the figures cache emptied each time. With
`--kept`, the month's report figures are computed and kept (reporting.selectors.report_figures, as a build or the
figures computed ahead keep them) after the cache is emptied and before each timed build: the dashboard's first
request after they were computed ahead.
`--json` writes the figures of the month, a quarter and the final period (unsuppressed and suppressed) for a
before/after comparison (`generated_at` left out). Prints one JSON line of results.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import machine, setup_production_django  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--builds", type=int, default=4)
    parser.add_argument("--json", help="write the figures (month, quarter, final; both suppressions) here")
    parser.add_argument("--view", action="store_true", help="time the view (RequestFactory) too")
    parser.add_argument("--kept", action="store_true", help="the month's report figures kept before each build")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    setup_production_django()
    from django.conf import settings
    from django.core.management import call_command

    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():  # the manifest the templates' {% static %}
        call_command("collectstatic", interactive=False, verbosity=0)
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from core.dates import add_months
    from reporting import charts, views
    from reporting.forms import DashboardForm
    from reporting.models import ReportRun
    from reporting.selectors import final_figures, monthly_figures, monthly_report_figures, report_figures
    from reporting.suppression import suppress_small_counts

    def clear():
        cache.clear()  # the bench's own Redis database: figures, their HTML and the drawn charts
        if args.kept:
            report_figures(ReportRun.Kind.MONTHLY, project, start, end)

    User = get_user_model()
    leader = User.objects.get(email="ledare@demo.test")
    steering = User.objects.get(email="styrgrupp@demo.test")
    form = DashboardForm({}, user=leader)
    project = form.selected_project()
    start, end = form.selected_period()
    charts._matplotlib()
    factory = RequestFactory()

    def build(suppress):
        return views._dashboard_figures(project, start, end, suppress=suppress)

    def timed(fn):
        clear()
        with CaptureQueriesContext(connection) as queries:
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        sql = sum(float(q["time"]) for q in queries.captured_queries)
        return {"wall": round(wall, 3), "cpu": round(cpu, 3), "sql": round(sql, 3), "queries": len(queries)}

    def view(user):
        request = factory.get("/rapporter/")
        request.user = user
        return views.dashboard.__wrapped__(request) if hasattr(views.dashboard, "__wrapped__") else \
            views.dashboard(request)

    def charts_after_the_page(user, *, drawn_before: bool):
        """The page's cold view, then each chart's own request (when the view has them), the drawings cached
        or not: the wall and CPU of the chart requests alone."""
        clear()
        view(user)
        if not hasattr(views, "dashboard_chart"):
            return None
        keys = list(views._dashboard_figures(project, start, end, suppress=False)["charts"])
        query = {"project": project.pk, "month": f"{start:%Y-%m}"}

        def each():
            for key in keys:
                request = factory.get(f"/reports/charts/{key}.svg", query)
                request.user = user
                assert views.dashboard_chart(request, key=key).status_code == 200

        if drawn_before:
            each()
        with CaptureQueriesContext(connection) as queries:
            wall, cpu = time.perf_counter(), time.process_time()
            each()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        return {"wall": round(wall, 3), "cpu": round(cpu, 3), "queries": len(queries), "charts": len(keys)}

    timed(lambda: build(False))  # warm-up
    results = {"leader": [], "steering": [], "view_leader": [], "chart_requests_drawn": [],
               "chart_requests_from_cache": []}
    for _i in range(args.builds):
        results["leader"].append(timed(lambda: build(False)))
        results["steering"].append(timed(lambda: build(True)))
        if args.view:
            results["view_leader"].append(timed(lambda: view(leader)))
    if args.view:
        for _i in range(2):
            results["chart_requests_drawn"].append(charts_after_the_page(leader, drawn_before=False))
            results["chart_requests_from_cache"].append(charts_after_the_page(leader, drawn_before=True))
    summary = {"label": args.label, "kept": args.kept, "db": connection.settings_dict["NAME"],
               "period": [str(start), str(end)], "load": os.getloadavg(), "machine": machine(), **results}
    print(json.dumps(summary))
    if args.json:
        def clean(figures):
            figures = json.loads(json.dumps(figures, default=str))
            figures["meta"].pop("generated_at", None)
            return figures

        quarter_start = add_months(start, -2)
        out = {}
        for name, figures in (
            ("month", monthly_figures(project, start, end)),
            ("previous_month", monthly_figures(project, add_months(start, -1), add_months(start, 0)
                                               - __import__("datetime").timedelta(days=1))),
            ("quarter", monthly_report_figures(project, quarter_start, end)),
            ("final", final_figures(project, project.start_date, end)),
        ):
            out[name] = clean(figures)
            out[name + "_suppressed"] = clean(suppress_small_counts(figures))
        Path(args.json).write_text(json.dumps(out, indent=1, sort_keys=True, ensure_ascii=False))
    del steering


if __name__ == "__main__":
    main()
