#!/usr/bin/env python
"""Time the placement list's pages in this process, to set two checkouts side by side.

    cd CHECKOUT && DATABASE_URL=postgres://... REDIS_URL=redis://... /path/to/.venv/bin/python \\
        /path/to/bench/list_rows_time.py
    (run it in the other checkout in turn, a few rounds each; it imports the code of the current directory)

Production settings, the Django test client, the demo leader; 5 warm-up requests, then 25 timed, per URL.
Prints median (min) ms per URL.
"""

import os
import statistics
import sys
import time

ROOT = os.getcwd()
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

from pages import setup_django  # noqa: E402

URLS = ("/placements/?per_page=100", "/placements/?per_page=25", "/placements/?per_page=100&ordering=-free")


def main() -> None:
    setup_django()
    from django.test import Client

    from core.models import User

    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.force_login(User.objects.get(email="ledare@demo.test"))
    out = []
    for url in URLS:
        for _ in range(5):
            client.get(url)
        times = []
        for _ in range(25):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        out.append(f"{url} {statistics.median(times):.1f} ({min(times):.1f})")
    print(ROOT, " | ".join(out))


if __name__ == "__main__":
    main()
