#!/usr/bin/env python
"""Report benchmark: monthly and final report at scale 1, 10 and 100.

For each scale a PostgreSQL database filled by `seed_demo --scale N` (created here if missing:
<dbname>_s1, <dbname>_s10; scale 100 uses DATABASE_URL itself, as left by bench/seed_scale.sh).
Each build runs in a fresh subprocess and is split into figure computation (reporting.selectors)
and PDF rendering (core.pdf.render_pdf with the report's template), like services.build_report:
wall time, SQL queries (CaptureQueriesContext), Python peak allocation (tracemalloc) and the
process's peak RSS (ru_maxrss); times and RSS come from a run without tracemalloc.
Targets: monthly at scale 100 < 5 s and < 300 MB.

    DATABASE_URL=postgres://app:app@127.0.0.1:5450/app .venv/bin/python bench/reports.py [--scales 1,10,100]
"""

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from common import machine  # noqa: E402

CHILD = r'''
import json, resource, sys, time, tracemalloc
import django
django.setup()
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from core.pdf import render_pdf
from organisations.models import Project
from reporting.documents import final_context, monthly_context
from reporting.models import FinalReportText
from core.dates import previous_month
from reporting.selectors import final_figures, monthly_figures
from reporting.services import STOCKHOLM

kind, trace = sys.argv[1], sys.argv[2] == "trace"
project = Project.objects.get(slug="sjalvklart")
if kind == "monthly":
    start, end = previous_month()
else:
    start, end = project.start_date, timezone.localdate()
with translation.override("sv"), timezone.override(STOCKHOLM):
    if trace:  # tracemalloc slows allocation-heavy code (WeasyPrint) several times: a separate run
        tracemalloc.start()
    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        figures = monthly_figures(project, start, end) if kind == "monthly" else final_figures(project, start, end)
    t1 = time.perf_counter()
    figures_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    if kind == "monthly":
        pdf = render_pdf("reporting/pdf/monthly.html", monthly_context(figures, suppress=True, pdf=True))
    else:
        texts = {t.section: t for t in FinalReportText.objects.filter(project=project)}
        pdf = render_pdf("reporting/pdf/final.html", final_context(figures, texts))
    t2 = time.perf_counter()
    render_peak = tracemalloc.get_traced_memory()[1]
import subprocess, tempfile
with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
    fh.write(pdf)
    fh.flush()
    info = subprocess.run(["pdfinfo", fh.name], capture_output=True, text=True).stdout
pages = next((int(line.split()[-1]) for line in info.splitlines() if line.startswith("Pages:")), None)
print(json.dumps({"kind": kind, "period": [str(start), str(end)], "figures_s": round(t1 - t0, 2),
                  "render_s": round(t2 - t1, 2), "total_s": round(t2 - t0, 2), "queries": len(queries),
                  "figures_peak_mb": round(figures_peak / 2**20, 1), "render_peak_mb": round(render_peak / 2**20, 1),
                  "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  "pdf_kb": len(pdf) // 1024, "pages": pages}))
'''


def db_url(base: str, scale: int) -> str:
    if scale == 100:
        return base
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"{parts.path}_s{scale}"))


def ensure_seeded(url: str, scale: int, env: dict) -> None:
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    name = parts.path.lstrip("/")
    exists = subprocess.run(["psql", admin, "-Atc", f"SELECT 1 FROM pg_database WHERE datname='{name}'"],  # noqa: S608
                            capture_output=True, text=True, check=True).stdout.strip()
    if exists:
        return
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    env = {**env, "DATABASE_URL": url}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "seed_demo", "--scale", str(scale)], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10,100")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://app:app@127.0.0.1:5450/app")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "false",
           "REDIS_URL": "", "LOG_LEVEL": "WARNING"}
    result = {"started": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine(),
              "command": " ".join([Path(sys.executable).name, *sys.argv]), "runs": []}
    for scale in [int(s) for s in args.scales.split(",")]:
        url = db_url(base, scale)
        ensure_seeded(url, scale, env)
        for kind in ("monthly", "final"):
            measured = {}
            for mode in ("time", "trace"):  # times and RSS from a plain run, Python peaks from a traced one
                out = subprocess.run([sys.executable, "-c", CHILD, kind, mode], cwd=ROOT,
                                     env={**env, "DATABASE_URL": url}, capture_output=True, text=True)
                if out.returncode:
                    raise SystemExit(out.stderr)
                measured[mode] = json.loads(out.stdout.strip().splitlines()[-1])
            run = {"scale": scale, **measured["time"],
                   "figures_peak_mb": measured["trace"]["figures_peak_mb"],
                   "render_peak_mb": measured["trace"]["render_peak_mb"]}
            result["runs"].append(run)
            print(json.dumps(run), flush=True)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    path = ROOT / "bench" / "results" / f"reports-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2))
    print("| scale | report | figures s | PDF s | total s | queries | peak Python MB (figures / PDF) "
          "| max RSS MB | pages |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in result["runs"]:
        print(f"| {r['scale']} | {r['kind']} | {r['figures_s']} | {r['render_s']} | {r['total_s']} | {r['queries']} | "
              f"{r['figures_peak_mb']} / {r['render_peak_mb']} | {r['max_rss_mb']} | {r['pages']} |")
    print(f"written: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
