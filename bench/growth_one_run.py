#!/usr/bin/env python
"""Growth in one run: the same product pages at two or more scales, requested in turn, request by request.

bench/growth.py divides medians from separate bench/pages.py runs, minutes apart; on a shared 2-core machine the
same page at the same scale moves by up to 50 % between such runs, more than the growth targets allow for. Here one
gunicorn per scale (production settings, 2 sync workers each, its own database and Redis db) serves the pages, and
each round requests a page from every scale in turn (the order rotated round by round), so that a change of load
hits every scale alike and the ratios of the medians compare like with like, as bench/pages.py's product ÷ floor.

    REDIS_URL=redis://127.0.0.1:6400/20 .venv/bin/python bench/growth_one_run.py \\
        --scale 1=postgres://tiny:tiny@127.0.0.1:5440/tiny \\
        --scale 100=postgres://base:base@127.0.0.1:5440/base \\
        --scale 1000=postgres://s1:s1@127.0.0.1:5440/s1 [--samples 40]

The first scale is the base. Each scale's pages are the bench/pages.py pages of its own data (its area, agency and
deepest page numbers), matched across scales by their data-independent key. Each server gets Redis db n + i (n from
REDIS_URL), so no scale reads another's cache. Targets (issue "Fast at every scale"): ≤ 1.3× at scale 100, ≤ 1.5×
at scale 1000. Results: Markdown on stdout and bench/results/growth-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import PROD_ENV, machine, percentile  # noqa: E402
from pages import RESULTS, Server, get  # noqa: E402


def redis_url(base: str, offset: int) -> str:
    head, _, db = base.rpartition("/")
    return f"{head}/{int(db or 0) + offset}"


def prepare() -> None:
    """In a child with the scale's DATABASE_URL: a session for the demo leader and the pages, as JSON on stdout."""
    import pages

    pages.setup_django()
    session_key = pages.login_session("ledare@demo.test")
    rows = [{"key": pages.page_key(p["name"]), "name": p["name"], "url": p["product"]} for p in pages.build_pages()]
    print(json.dumps({"session": session_key, "pages": rows}))


def prepared(env: dict) -> dict:
    done = subprocess.run([sys.executable, __file__, "--prepare"], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", action="append", default=[], metavar="LABEL=DATABASE_URL",
                        help="a scale and its database; the first is the base (two or more)")
    parser.add_argument("--samples", type=int, default=40, help="rounds per page (one request per scale a round)")
    parser.add_argument("--port", type=int, default=8800, help="the first server's port (then +1 per scale)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        return prepare()
    if len(args.scale) < 2:
        raise SystemExit("give two or more --scale LABEL=DATABASE_URL")
    redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6400/20")
    scales = []
    for i, spec in enumerate(args.scale):
        label, _, url = spec.partition("=")
        env = {"DATABASE_URL": url, "REDIS_URL": redis_url(redis, i)}
        scales.append({"label": label, "env": env, "port": args.port + i,
                       **prepared({**os.environ, **PROD_ENV, **env})})
    RESULTS.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True,
                   env={**os.environ, **PROD_ENV, **scales[0]["env"]})
    result = {"started": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine(),
              "command": " ".join([Path(sys.executable).name, *sys.argv]), "workers": args.workers,
              "scales": [s["label"] for s in scales], "pages": []}
    keys = [p["key"] for p in scales[0]["pages"] if all(p["key"] in {q["key"] for q in s["pages"]} for s in scales)]
    servers = []
    try:
        for s in scales:
            servers.append(Server(s["port"], args.workers, env=s["env"], log_name=f"gunicorn-{s['label']}.log"))
        for key in keys:
            targets = []
            for s in scales:
                page = next(p for p in s["pages"] if p["key"] == key)
                headers = {"Cookie": f"sessionid={s['session']}", "X-Forwarded-Proto": "https"}
                targets.append((s["port"], page["url"], headers))
            for port, url, headers in targets:
                for _ in range(3):
                    get(port, url, headers)
            times = [[] for _ in targets]
            for round_ in range(args.samples):
                for i in range(len(targets)):
                    which = (i + round_) % len(targets)
                    port, url, headers = targets[which]
                    started = time.perf_counter()
                    status, _size = get(port, url, headers)
                    times[which].append((time.perf_counter() - started) * 1000)
                    if status != 200:
                        raise SystemExit(f"{url} answered {status} at scale {scales[which]['label']}")
            medians = [statistics.median(t) for t in times]
            row = {"key": key, "median_ms": [round(m, 1) for m in medians],
                   "p95_ms": [round(percentile(t, 95), 1) for t in times],
                   "growth": [round(m / medians[0], 2) for m in medians[1:]]}
            result["pages"].append(row)
            print(f"{key}: " + " / ".join(f"{m} ms" for m in row["median_ms"]) + "  ×" +
                  " ×".join(str(g) for g in row["growth"]), file=sys.stderr, flush=True)
    finally:
        for server in servers:
            server.stop()
    result["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    out = RESULTS / f"growth-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    header = ["page", f"scale {scales[0]['label']} ms"]
    for s in scales[1:]:
        header += [f"scale {s['label']} ms", "×"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in result["pages"]:
        cells = [row["key"], str(row["median_ms"][0])]
        for ms, growth in zip(row["median_ms"][1:], row["growth"], strict=True):
            cells += [str(ms), f"{growth:.2f}"]
        print("| " + " | ".join(cells) + " |")
    print(f"\n{args.samples} rounds a page; load {result['machine'].get('load_average_at_start')} at the start, "
          f"{result['load_average_at_end']} at the end; written: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
