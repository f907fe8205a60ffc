"""Locust user for bench/pages.py: the demo leader browsing the product's list pages.

bench/pages.py passes the session cookie (BENCH_SESSION) and the page URLs (BENCH_URLS, JSON).
Run by hand:  BENCH_SESSION=… BENCH_URLS='["/placements/"]' .venv/bin/locust -f bench/locustfile.py \
    --headless -u 4 -r 4 --run-time 300s --host http://127.0.0.1:8790
"""

import json
import os
import random

from locust import HttpUser, between, task

URLS = json.loads(os.environ.get("BENCH_URLS", '["/placements/"]'))


class Leader(HttpUser):
    """One page, then a pause to read it (the think time), then the next page of the mix, in turn."""

    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.client.headers.update({"X-Forwarded-Proto": "https"})
        self.client.cookies.set("sessionid", os.environ["BENCH_SESSION"])
        self.next_page = random.randrange(len(URLS))

    @task
    def browse(self):
        url = URLS[self.next_page % len(URLS)]
        self.next_page += 1
        with self.client.get(url, name=url, catch_response=True, allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
