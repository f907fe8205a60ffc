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

With --worker: the reports as the product builds them. A real Celery worker (production settings, prefork,
concurrency 1; `python -m config.worker`, as docker-compose.yml starts it) is started against DATABASE_URL and
REDIS_URL; the monthly and the final report are requested through reporting.services.report_run_request (what
the run list's form calls) as the project leader, and each is timed from the request to the stored PDF (the run
row done, its file on disk), --runs times each, alternating (the first monthly and final runs are the worker's
first: imports done, nothing drawn or rendered yet). After every run the worker child's RSS and peak RSS (VmRSS,
VmHWM in /proc) and the CPU seconds it spent on the run (utime + stime, with those of the children it waited for:
a PDF rendered in a forked child; the machine's load hardly changes them) are read, and the CPU seconds this
machine's PostgreSQL spent meanwhile (where the database runs here): the two divided by the cores are the
shortest the build could take.
The worker writes report runs: use a database of your own (a copy of a scale-100 database).
Nothing else is written between the runs, so from the second run of each report on, the build uses the figures
the first computed (reporting.selectors.report_figures); with --write-between, a write that changes nothing
(one UPDATE of no row, to a table the figures read) precedes every request, so that every build computes its
figures, as the first build after any change does. With --write-then-ahead, the same write, and then what beat
does after it (reporting.tasks.keep_report_figures_current, sent once the write is as old as the quiet time the
task waits for): the request follows once the figures are computed ahead, as a build requested later than that
after a write does; how long that took from the write and what it cost the worker and the database are printed.
Targets: monthly ≤ 1.5 s, final ≤ 1.0 s, worker memory ≤ 115 MB.

    DATABASE_URL=postgres://me:me@127.0.0.1:5440/me REDIS_URL=redis://127.0.0.1:6400/5 \
        .venv/bin/python bench/reports.py --worker [--runs 4] [--write-between | --write-then-ahead] \
        [--worker-args "--max-memory-per-child=…"]
"""

import argparse
import datetime as dt
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from common import PROD_ENV as COMMON_PROD_ENV  # noqa: E402
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


PROD_ENV = {
    **COMMON_PROD_ENV,
    # The bench requests more reports in an hour than one person may (the throttle is the submitter's).
    "REPORT_MAX_PER_HOUR_PER_USER": "1000",
}
WORKER_NAME = "bench-reports@localhost"


def _proc_status(pid: int) -> dict:
    """VmRSS, VmHWM (peak RSS) and Pss (shared pages divided among the processes sharing them) in MB."""
    fields = {}
    for name in ("status", "smaps_rollup"):
        try:
            text = Path(f"/proc/{pid}/{name}").read_text()
        except (FileNotFoundError, ProcessLookupError):  # a pool child replaced meanwhile
            return {}
        for line in text.splitlines():
            key, _sep, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Pss"):
                fields[key] = round(int(value.split()[0]) / 1024, 1)
    return fields


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process so far (/proc/<pid>/stat), or None if it is gone."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # utime, stime, and cutime, cstime: the children it has waited for (a PDF rendered in a forked child)
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / os.sysconf("SC_CLK_TCK")


def _database_cpu_seconds() -> float:
    """User + system CPU time so far of this machine's PostgreSQL processes (named `postgres`): each live one's
    own, and the postmaster's count of its children that have exited (connections closed, parallel workers).
    Where the database runs on this machine, the figures' SQL is spent here and not in the worker."""
    total = 0.0
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            is_postgres = comm.read_text().strip() == "postgres"
        except (FileNotFoundError, ProcessLookupError, PermissionError):  # gone meanwhile
            continue
        if is_postgres:
            total += _cpu_seconds(int(comm.parent.name)) or 0.0
    return total


def _pool_children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _pdf_pages(path: str) -> int | None:
    info = subprocess.run(["pdfinfo", path], capture_output=True, text=True).stdout
    return next((int(line.split()[-1]) for line in info.splitlines() if line.startswith("Pages:")), None)


def _computed_ahead(worker_pid: int, cache, services, task) -> dict:
    """After a write: the task beat sends, sent once the write is as old as the quiet time it waits for; returns
    when it has computed the figures ahead (its state in the cache replaced), with how long that took from the
    write and what it cost the worker's pool child and the database."""
    written = time.perf_counter()
    state = cache.get(services.KEEP_CURRENT_STATE)
    child = (_pool_children(worker_pid) or [None])[0]
    cpu_before, database_cpu_before = _cpu_seconds(child), _database_cpu_seconds()
    time.sleep(services.QUIET_BEFORE_KEEPING.total_seconds())
    task.delay()
    while cache.get(services.KEEP_CURRENT_STATE) == state:
        if time.perf_counter() - written > 120:
            raise SystemExit("the figures were not computed ahead in 120 s")
        time.sleep(0.02)
    ahead_s = time.perf_counter() - written
    time.sleep(0.5)  # the task's end, its child reaped
    cpu_after = _cpu_seconds(child)
    return {"ahead_after_write_s": round(ahead_s, 2),
            "ahead_worker_cpu_s": round(cpu_after - cpu_before, 2) if None not in (cpu_before, cpu_after) else None,
            "ahead_database_cpu_s": round(_database_cpu_seconds() - database_cpu_before, 2)}


def worker_runs(args) -> dict:
    """Start a worker, request the reports through the service the UI uses, time them to the stored PDF."""
    media = tempfile.mkdtemp(prefix="bench-reports-media-")
    env = {**os.environ, **{k: os.environ.get(k, v) for k, v in PROD_ENV.items()}, "MEDIA_ROOT": media}
    if not env.get("REDIS_URL"):
        raise SystemExit("--worker needs REDIS_URL (the broker)")
    os.environ.update(env)
    import django  # noqa: PLC0415 - configured above, for this process and the worker alike

    django.setup()
    from django.core.cache import cache  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    from config.celery import app  # noqa: PLC0415
    from core.dates import previous_month  # noqa: PLC0415
    from core.models import User  # noqa: PLC0415
    from organisations.models import Project  # noqa: PLC0415
    from reporting import services  # noqa: PLC0415
    from reporting.models import ReportRun  # noqa: PLC0415
    from reporting.selectors import final_report_period  # noqa: PLC0415
    from reporting.services import report_run_request  # noqa: PLC0415
    from reporting.tasks import keep_report_figures_current  # noqa: PLC0415

    leader = User.objects.get(email="ledare@demo.test")
    project = Project.objects.get(slug="sjalvklart")
    periods = {"monthly": previous_month(),
               "final": final_report_period(project)}
    command = [sys.executable, "-m", "config.worker", "-l", "warning",
               "--pool=prefork", "--concurrency=1", "-n", WORKER_NAME, "--without-gossip", "--without-mingle",
               "--purge", *shlex.split(args.worker_args)]
    log_path = ROOT / "bench" / "results" / "reports-worker.log"
    log_path.parent.mkdir(exist_ok=True)
    result = {"worker_command": " ".join(command[1:]), "runs": []}
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,  # noqa: S603
                                  start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[WORKER_NAME], timeout=0.5):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not start: {log_path.read_text()[-2000:]}")
        children = _pool_children(worker.pid)
        result["worker_rss_mb"] = {"main": _proc_status(worker.pid),
                                   "child_before_first_task": _proc_status(children[0]) if children else None}
        print(json.dumps(result["worker_rss_mb"]), flush=True)
        for index in range(args.runs):
            for kind in ("monthly", "final"):
                start, end = periods[kind]
                if args.write_between or args.write_then_ahead:
                    with connection.cursor() as cursor:
                        cursor.execute("UPDATE participants_exitreason SET code = code WHERE false")
                ahead = _computed_ahead(worker.pid, cache, services, keep_report_figures_current) \
                    if args.write_then_ahead else {}
                before = _pool_children(worker.pid)
                cpu_before = _cpu_seconds(before[0] if before else None)
                database_cpu_before = _database_cpu_seconds()
                submitted = time.perf_counter()
                run = report_run_request(user=leader, kind=kind, project=project, period_start=start, period_end=end)
                while True:
                    run.refresh_from_db()
                    if run.status in (ReportRun.Status.DONE, ReportRun.Status.FAILED):
                        break
                    if time.perf_counter() - submitted > 600:
                        raise SystemExit(f"run {run.pk} not done in 600 s")
                    time.sleep(0.02)
                stored_s = time.perf_counter() - submitted
                if run.status != ReportRun.Status.DONE:
                    raise SystemExit(f"run {run.pk} failed: {run.error}")
                # A child replaced after the task (--max-memory-per-child) is forked again; the render child, whose
                # exit the worker waits for in the background, is reaped (its CPU counted in the worker's) by now.
                time.sleep(0.5)
                cpu_after = _cpu_seconds(before[0] if before else None)
                database_cpu = _database_cpu_seconds() - database_cpu_before
                children = _pool_children(worker.pid)
                measured = {
                    "kind": kind, "run": index + 1, "period": [str(start), str(end)],
                    "figures": ("computed ahead" if args.write_then_ahead
                                else "computed" if args.write_between or index == 0 else "kept unless changed"),
                    **ahead,
                    "request_to_stored_pdf_s": round(stored_s, 2),
                    "worker_build_s": round((run.finished_at - run.started_at).total_seconds(), 2),
                    # CPU of the pool child during the run: what the build costs, whatever the machine's load.
                    "worker_cpu_s": (round(cpu_after - cpu_before, 2)
                                     if cpu_before is not None and cpu_after is not None else None),
                    # The database's CPU over the same time (the figures' SQL, the worker's writes and this
                    # script's polling): with the worker's, what the cores had to do for the build. Divided by
                    # the cores, the shortest the build could take, were every core busy throughout.
                    "database_cpu_s": round(database_cpu, 2),
                    "cores_busy_bound_s": (round((cpu_after - cpu_before + database_cpu) / (os.cpu_count() or 1), 2)
                                           if cpu_before is not None and cpu_after is not None else None),
                    "pdf_kb": run.file.size // 1024, "pages": _pdf_pages(run.file.path),
                    "worker_child": children[0] if children else None,
                    "child_rss_mb": _proc_status(children[0]) if children else None,
                    "load_average": [round(x, 2) for x in os.getloadavg()],
                }
                result["runs"].append(measured)
                print(json.dumps(measured), flush=True)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--worker", action="store_true", help="time the reports in a running Celery worker")
    parser.add_argument("--runs", type=int, default=4, help="--worker: runs of each report")
    parser.add_argument("--worker-args", default="", help="--worker: extra arguments of `celery worker`")
    parser.add_argument("--write-between", action="store_true",
                        help="--worker: a write before every request, so that every build computes its figures")
    parser.add_argument("--write-then-ahead", action="store_true",
                        help="--worker: a write before every request, and the figures computed ahead after it")
    args = parser.parse_args()
    if args.worker:
        result = {"started": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine(),
                  "command": " ".join([Path(sys.executable).name, *sys.argv]), **worker_runs(args),
                  "load_average_at_end": [round(x, 2) for x in os.getloadavg()]}
        path = ROOT / "bench" / "results" / f"reports-worker-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
        path.write_text(json.dumps(result, indent=2))
        print("| report | run | request → stored PDF s | worker build s | worker CPU s | database CPU s | "
              "CPU ÷ cores s | child RSS MB (peak) | pages | load |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in result["runs"]:
            rss = r["child_rss_mb"] or {}
            print(f"| {r['kind']} | {r['run']} | {r['request_to_stored_pdf_s']} | {r['worker_build_s']} | "
                  f"{r['worker_cpu_s']} | {r['database_cpu_s']} | {r['cores_busy_bound_s']} | "
                  f"{rss.get('VmRSS')} ({rss.get('VmHWM')}) | {r['pages']} | "
                  f"{r['load_average'][0]} |")
        print(f"written: {path.relative_to(ROOT)}")
        return
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
