#!/usr/bin/env python3
"""Container health checks for docker-compose (also run by .ci/run against the real processes).

    healthcheck.py web [URL]   GET /healthz (default http://127.0.0.1:8000/healthz) must answer 200 "ok".
    healthcheck.py beat        a `celery ... beat` process is running and the broker (REDIS_URL) answers.

The worker is checked with `celery -A config inspect ping` instead. Standard library only, except
kombu (already installed with Celery) for the broker check.
"""

import json
import os
import sys
import urllib.error
import urllib.request


def check_web(url: str) -> str | None:
    hosts = [h.strip().lstrip(".") for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")]
    host = next((h for h in hosts if h and h != "*"), "localhost")
    # Behind the proxy: the app only sees http, so say it came over https (SECURE_PROXY_SSL_HEADER)
    # and use a host it accepts, or production's SSL redirect and ALLOWED_HOSTS would answer instead.
    request = urllib.request.Request(url, headers={"Host": host, "X-Forwarded-Proto": "https"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local URL
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    except OSError as exc:
        return f"{url}: {exc}"
    if status != 200:
        return f"{url}: HTTP {status} {body[:300]!r}"
    if json.loads(body).get("status") != "ok":
        return f"{url}: {body[:300]!r}"
    return None


def beat_running() -> bool:
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if is_beat_command(cmdline):
            return True
    return False


def is_beat_command(cmdline: bytes) -> bool:
    """`…/celery -A config beat …` as NUL-separated arguments, or as the single title that Celery writes
    over them when setproctitle is installed ("[celery beat] -A config beat …")."""
    words = cmdline.replace(b"\0", b" ").split()
    return any(word.endswith(b"celery") for word in words) and b"beat" in words


def check_beat() -> str | None:
    if not beat_running():
        return "no celery beat process"
    from kombu import Connection

    url = os.environ.get("REDIS_URL", "")
    if not url:
        return "REDIS_URL is not set"
    try:
        with Connection(url, connect_timeout=3, transport_options={"socket_timeout": 3}) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0.2, timeout=5)
    except Exception as exc:  # noqa: BLE001
        return f"broker: {exc.__class__.__name__}: {exc}"
    return None


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in ("web", "beat"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == "web":
        error = check_web(argv[2] if len(argv) > 2 else "http://127.0.0.1:8000/healthz")
    else:
        error = check_beat()
    if error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    print("healthy")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
