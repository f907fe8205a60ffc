#!/usr/bin/env python
"""Import benchmark: rows per second and peak memory.

- a 10,000-row placement XLSX (placements.imports: read_table, then apply_import in one transaction);
- a 50,000-row participant CSV (participants.imports: read_table, then participants_import).
The files are generated here from the names in the database (seed_demo data: default the scale-1
database left by bench/reports.py, <DATABASE_URL>_s1). Each import runs in a fresh subprocess as the
demo leader and is rolled back at the end, so the benchmark can be repeated on the same data.

    DATABASE_URL=postgres://app:app@127.0.0.1:5450/app_s1 .venv/bin/python bench/imports.py
"""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from common import machine  # noqa: E402

CHILD = r'''
import csv, datetime as dt, io, json, random, resource, sys, time, tracemalloc
import django
django.setup()
from django.db import transaction
from openpyxl import Workbook
from core.models import User
from organisations.models import OccupationalArea, Project, Unit

which, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
leader = User.objects.get(email="ledare@demo.test")

class Rollback(Exception):
    pass

def generate_placements():
    units = list(Unit.objects.select_related("organisation")[:200])
    areas = [a.name for a in OccupationalArea.objects.all()]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Platser")
    ws.append(["kod", "benämning", "organisation", "enhet", "kommun", "yrkesområde", "arbetsuppgifter",
               "antal platser", "tillgänglig från", "tillgänglig till", "handledarens e-post", "anpassningar"])
    for i in range(n):
        u = rng.choice(units)
        ws.append([f"BENCH-{i:06d}", f"Bänkplats {i}", u.organisation.name, u.name, u.municipality, rng.choice(areas),
                   "Sortera, packa och hjälpa till i det dagliga arbetet.", rng.randint(1, 3),
                   dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 200)), None, None, None])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

def generate_participants():
    out = io.StringIO()
    w = csv.writer(out, delimiter=";")
    w.writerow(["deltagar id", "kön", "födelseår", "myndighet", "anvisningsdatum"])
    for i in range(n):
        w.writerow([f"BENCH-{i:06d}", rng.choice(["kvinna", "man"]), rng.randint(1960, 2005),
                    rng.choice(["af", "fk"]),
                    (dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 300))).isoformat()])
    return out.getvalue().encode("utf-8")

data = generate_placements() if which == "placements" else generate_participants()
tracemalloc.start()
t0 = time.perf_counter()
result = {"which": which, "rows": n, "file_kb": len(data) // 1024}
try:
    if which == "placements":
        from placements.imports import apply_import, read_table
        header, rows, notices = read_table(data)
        t1 = time.perf_counter()
        try:
            with transaction.atomic():
                plan = apply_import(header, rows, user=leader, attested=True, notices=notices)
                result["written"] = len(plan.rows)
                raise Rollback
        except Rollback:
            pass
    else:
        from participants.imports import participants_import, read_table
        try:
            header, rows, notices = read_table(data)
        except Exception as exc:  # the shared reader's limits
            result["read_table_refused"] = f"{exc.__class__.__name__}: {exc}"
            header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8")), delimiter=";"))
        t1 = time.perf_counter()
        project = Project.objects.get(slug="sjalvklart")
        try:
            with transaction.atomic():
                res = participants_import(user=leader, project=project, headers=header, rows=rows)
                result["errors"] = [str(e) for e in res.errors[:3]]
                result["written"] = res.starts
                raise Rollback
        except Rollback:
            pass
except Exception as exc:
    result["error"] = f"{exc.__class__.__name__}: {str(exc)[:300]}"
t2 = time.perf_counter()
result.update({"read_s": round(t1 - t0, 2), "import_s": round(t2 - t1, 2), "total_s": round(t2 - t0, 2),
               "rows_per_s": round(n / (t2 - t0)),
               "python_peak_mb": round(tracemalloc.get_traced_memory()[1] / 2**20, 1),
               "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)})
print(json.dumps(result))
'''


def main():
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["placements", "participants"])
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://app:app@127.0.0.1:5450/app_s1")
    env = {**os.environ, "DATABASE_URL": base, "DJANGO_SETTINGS_MODULE": "config.settings.local",
           "DJANGO_DEBUG": "false", "REDIS_URL": "", "LOG_LEVEL": "WARNING"}
    result = {"started": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine(),
              "command": " ".join([Path(sys.executable).name, *sys.argv]), "runs": []}
    for which, rows in (("placements", 10_000), ("participants", 50_000)):
        if args.only and which != args.only:
            continue
        out = subprocess.run([sys.executable, "-c", CHILD, which, str(rows)], cwd=ROOT, env=env,
                             capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(out.stderr)
        run = json.loads(out.stdout.strip().splitlines()[-1])
        result["runs"].append(run)
        print(json.dumps(run, ensure_ascii=False), flush=True)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    path = ROOT / "bench" / "results" / f"imports-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"written: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
