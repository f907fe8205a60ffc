#!/usr/bin/env python
"""Import benchmark: rows per second, in-process and end to end through the web.

In-process (default): a 10,000-row placement XLSX (placements.imports: read_table, then apply_import in one
transaction) and a 50,000-row participant CSV (participants.imports: read_table, then participants_import),
each in a fresh subprocess as the demo leader and rolled back at the end, so the benchmark can be repeated
on the same data. `--tracemalloc` adds Python's peak memory (it slows the run down several times, so it is
off by default; the maximum RSS is always reported).

Through the web (`--web`): gunicorn (production settings, 2 workers) and a Celery worker on this machine,
the demo leader's session; the 10,000-row placement XLSX is uploaded (the request reads it; a worker checks
every row while the job's status partial is polled for the preview), confirmed, and the status partial polled
as the page does, until the job is done. The time is upload to "done" at the client.
The placements it created are deleted afterwards.

The files are generated from the names in the database (seed_demo data):

    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/imports.py [--web] [--only placements]
"""

import datetime as dt
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from common import PROD_ENV, machine  # noqa: E402

RESULTS = ROOT / "bench" / "results"
VENV_BIN = Path(sys.executable).parent

GENERATE = r'''
import csv, datetime as dt, io, random
from openpyxl import Workbook
from organisations.models import OccupationalArea, Unit

def generate_placements(n, prefix="BENCH"):
    rng = random.Random(7)
    units = list(Unit.objects.select_related("organisation").order_by("pk")[:200])
    areas = [a.name for a in OccupationalArea.objects.all()]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Platser")
    ws.append(["kod", "benämning", "organisation", "enhet", "kommun", "yrkesområde", "arbetsuppgifter",
               "antal platser", "tillgänglig från", "tillgänglig till", "handledarens e-post", "anpassningar"])
    for i in range(n):
        u = rng.choice(units)
        ws.append([f"{prefix}-{i:06d}", f"Bänkplats {i}", u.organisation.name, u.name, u.municipality,
                   rng.choice(areas), "Sortera, packa och hjälpa till i det dagliga arbetet.", rng.randint(1, 3),
                   dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 200)), None, None,
                   "Tillgänglig för rullstol" if i % 3 == 0 else None])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

def generate_participants(n):
    rng = random.Random(7)
    out = io.StringIO()
    w = csv.writer(out, delimiter=";")
    w.writerow(["deltagar id", "kön", "födelseår", "myndighet", "anvisningsdatum"])
    for i in range(n):
        w.writerow([f"BENCH-{i:06d}", rng.choice(["kvinna", "man"]), rng.randint(1960, 2005),
                    rng.choice(["af", "fk"]),
                    (dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 300))).isoformat()])
    return out.getvalue().encode("utf-8")
'''

CHILD = r'''
import json, resource, sys, time, tracemalloc
import django
django.setup()
from django.db import transaction
from core.models import User
from organisations.models import Project
''' + GENERATE + r'''
which, n, trace = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
leader = User.objects.get(email="ledare@demo.test")

class Rollback(Exception):
    pass

data = generate_placements(n) if which == "placements" else generate_participants(n)
if trace:
    tracemalloc.start()
t0 = time.perf_counter()
result = {"which": which, "rows": n, "file_kb": len(data) // 1024}
try:
    if which == "placements":
        from placements.imports import apply_import, plan_import, read_table
        header, rows, notices = read_table(data)
        t1 = time.perf_counter()
        plan_import(header, rows, user=leader, notices=notices)
        t_plan = time.perf_counter()
        try:
            with transaction.atomic():
                plan = apply_import(header, rows, user=leader, attested=True, notices=notices)
                result["written"] = len(plan.rows)
                raise Rollback
        except Rollback:
            pass
    else:
        from participants.imports import participants_import, read_table
        header, rows, notices = read_table(data)
        t1 = time.perf_counter()
        project = Project.objects.get(slug="sjalvklart")
        participants_import(user=leader, project=project, headers=header, rows=rows, dry_run=True)
        t_plan = time.perf_counter()
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
    t_plan = t1 = time.perf_counter()
t2 = time.perf_counter()
result.update({"read_s": round(t1 - t0, 2), "preview_s": round(t_plan - t1, 2),
               "validate_and_write_s": round(t2 - t_plan, 2),
               "import_rows_per_s": round(n / (t2 - t_plan + (t1 - t0))),
               "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)})
if trace:
    result["python_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
print(json.dumps(result))
'''


def in_process(args, base_env) -> list[dict]:
    env = {**base_env, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "false", "REDIS_URL": "",
           "LOG_LEVEL": "WARNING"}
    runs = []
    for which, rows in (("placements", 10_000), ("participants", 50_000)):
        if args.only and which != args.only:
            continue
        out = subprocess.run([sys.executable, "-c", CHILD, which, str(rows), "1" if args.tracemalloc else "0"],
                             cwd=ROOT, env=env, capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(out.stderr)
        run = json.loads(out.stdout.strip().splitlines()[-1])
        runs.append(run)
        print(json.dumps(run, ensure_ascii=False), flush=True)
    return runs


# --- through the web --------------------------------------------------------------------------------


def _request(port, method, path, headers, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        headers = dict(response.getheaders())
        headers["Set-Cookie"] = "; ".join(response.msg.get_all("Set-Cookie") or [])
        return response.status, headers, response.read()
    finally:
        conn.close()


def _multipart(fields: dict, file_field: str, file_name: str, data: bytes) -> tuple[str, bytes]:
    boundary = "----bench" + secrets.token_hex(8)
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{file_name}"\r\n'
                 "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n".encode())
    parts.append(data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


def _wait_for(port, deadline_s=30):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            if _request(port, "GET", "/healthz", {})[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer /healthz")


def web(args, base_env) -> dict:
    os.environ.update({k: base_env.get(k, v) for k, v in PROD_ENV.items()})
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction

    from core.models import ImportJob, User
    from placements.models import Placement
    from placements.services import placements_count_change

    namespace = {}
    exec(GENERATE, namespace)  # noqa: S102 - the generator shared with the in-process child
    prefix = f"WEB{dt.datetime.now():%H%M%S}"
    data = namespace["generate_placements"](args.rows, prefix=prefix)
    user = User.objects.get(email="ledare@demo.test")
    store = SessionStore()
    store[SESSION_KEY], store[BACKEND_SESSION_KEY] = str(user.pk), "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()

    RESULTS.mkdir(exist_ok=True)
    env = {**base_env, **{k: base_env.get(k, v) for k, v in PROD_ENV.items()}}
    # Production serves static files from the manifest (WhiteNoise), so they must be collected first.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True, env=env)
    logs = [open(RESULTS / name, "wb") for name in ("imports-gunicorn.log", "imports-celery.log")]  # noqa: SIM115
    processes = [
        subprocess.Popen([str(VENV_BIN / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{args.port}", "--workers", "2",
                          "--timeout", "60"], cwd=ROOT, env=env, stdout=logs[0], stderr=subprocess.STDOUT,
                         start_new_session=True),
        subprocess.Popen([sys.executable, "-m", "config.worker", "-l", "warning", "--concurrency", "1"],
                         cwd=ROOT, env=env, stdout=logs[1], stderr=subprocess.STDOUT, start_new_session=True),
    ]
    try:
        _wait_for(args.port)
        time.sleep(3)  # the worker connects to the broker
        origin = f"https://127.0.0.1:{args.port}"
        cookies = {"sessionid": store.session_key}
        base = {"X-Forwarded-Proto": "https", "Origin": origin, "Referer": origin + "/placements/import/"}

        def cookie_header():
            return "; ".join(f"{k}={v}" for k, v in cookies.items())

        status, headers, body = _request(args.port, "GET", "/placements/import/", {**base, "Cookie": cookie_header()})
        if status != 200:
            raise SystemExit(f"/placements/import/ answered {status}: {headers} {body[:300]!r}")
        found = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", ""))
        if found:
            cookies["csrftoken"] = found.group(1)
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
        content_type, payload = _multipart({"csrfmiddlewaretoken": csrf, "attested": "on"}, "file",
                                           "platser.xlsx", data)
        started = time.perf_counter()
        status, headers, body = _request(args.port, "POST", "/placements/import/",
                                         {**base, "Cookie": cookie_header(), "Content-Type": content_type}, payload)
        upload_s = time.perf_counter() - started
        checks, check_seen = 0, []
        if status == 302:  # the file was read; a worker checks every row while the job page shows the progress
            token = re.search(r"/core/imports/([0-9a-f-]+)/", headers["Location"]).group(1)
            while True:
                status, _headers, body = _request(args.port, "GET", f"/core/imports/{token}/status/",
                                                  {**base, "Cookie": cookie_header(), "HX-Request": "true"})
                checks += 1
                found = re.search(rb"Granskar filen: (\d+) av (\d+)", body)
                if found:
                    check_seen.append(int(found.group(1)))
                if b'name="token"' in body or b"stoppades" in body:
                    break
                if time.perf_counter() - started > 300:
                    raise SystemExit("the check did not finish in 300 s")
                time.sleep(0.2)
        elif status != 200:
            raise SystemExit(f"preview answered {status}: {body[:500]!r}")
        preview_s = time.perf_counter() - started
        if b'name="token"' not in body:
            raise SystemExit(f"no preview: {body[:500]!r}")
        token = re.search(rb'name="token" value="([0-9a-f-]+)"', body).group(1).decode()
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
        status, headers, body = _request(args.port, "POST", "/placements/import/confirm/", {
            **base, "Cookie": cookie_header(), "Content-Type": "application/x-www-form-urlencoded"},
            f"csrfmiddlewaretoken={csrf}&token={token}".encode())
        confirmed_s = time.perf_counter() - started
        if status != 302:
            raise SystemExit(f"confirm answered {status}")
        polls, seen = 0, []
        while True:
            status, _headers, body = _request(args.port, "GET", f"/core/imports/{token}/status/",
                                              {**base, "Cookie": cookie_header(), "HX-Request": "true"})
            polls += 1
            found = re.search(rb"Importerar: (\d+) av (\d+)", body)
            if found:
                seen.append(int(found.group(1)))
            if b"Importen \xc3\xa4r klar" in body or b"stoppades" in body:
                break
            if time.perf_counter() - started > 300:
                raise SystemExit("the import did not finish in 300 s")
            time.sleep(0.2)
        total_s = time.perf_counter() - started
        job = ImportJob.objects.get(token=token)
        created = Placement.objects.filter(code__startswith=prefix).count()
        result = {"which": "placements through the web", "rows": args.rows, "file_kb": len(data) // 1024,
                  "status": job.status, "created": created, "upload_request_s": round(upload_s, 2),
                  "upload_to_preview_s": round(preview_s, 2), "check_polls": checks,
                  "check_progress_seen": sorted(set(check_seen)),
                  "upload_to_confirmed_s": round(confirmed_s, 2),
                  "worker_s": round((job.finished_at - job.started_at).total_seconds(), 2),
                  "upload_to_done_s": round(total_s, 2), "rows_per_s_end_to_end": round(args.rows / total_s),
                  "polls": polls, "progress_seen": sorted(set(seen))}
        print(json.dumps(result, ensure_ascii=False), flush=True)
        return result
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        for log in logs:
            log.close()
        with transaction.atomic():
            _deleted, by_model = Placement.objects.filter(code__startswith=prefix).delete()
            placements_count_change(-by_model.get(Placement._meta.label, 0))  # as every writer of placements


def main():
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["placements", "participants"])
    parser.add_argument("--tracemalloc", action="store_true", help="also measure Python's peak memory (slow)")
    parser.add_argument("--web", action="store_true", help="through gunicorn and a Celery worker (needs Redis)")
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the web run's placement file")
    parser.add_argument("--port", type=int, default=8795)
    args = parser.parse_args()
    base_env = {**os.environ, "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://app:app@127.0.0.1:5450/app_s1")}
    result = {"started": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine(),
              "command": " ".join([Path(sys.executable).name, *sys.argv])}
    if args.web:
        if not base_env.get("REDIS_URL"):
            raise SystemExit("--web needs REDIS_URL (a broker for the Celery worker)")
        result["runs"] = [web(args, base_env)]
    else:
        result["runs"] = in_process(args, base_env)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"imports-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"written: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
