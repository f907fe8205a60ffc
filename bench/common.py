"""Helpers shared by the bench/ scripts (not collected by pytest: bench/ is not in testpaths)."""

import math
import os
import platform
import secrets
import time
from pathlib import Path

# The environment the benches run Django in: production settings, a throwaway secret, no HTTPS redirect or MFA.
PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "bench-" + secrets.token_hex(24),
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "false",
    "MFA_REQUIRED": "false",
    "LOG_LEVEL": "WARNING",
    "DJANGO_DEBUG": "false",
}


def setup_production_django() -> None:
    """Django set up in this process with PROD_ENV (what the environment already sets wins, but the settings module)."""
    os.environ.update({k: v for k, v in PROD_ENV.items() if k not in os.environ or k == "DJANGO_SETTINGS_MODULE"})
    import django  # noqa: PLC0415 - after the environment is set

    django.setup()


def machine() -> dict:
    """Cores, memory, load and core speed (cpu_probe_s) of this machine, for docs/benchmarks.md."""
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    return {"cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()], "cpu_probe_s": cpu_probe_s()}


def cpu_probe_s() -> float:
    """Seconds one core of this machine takes for a fixed pure-Python loop, the best of three: how fast the cores
    are at the time of a run. Machines of one kind have run twice as slow on one day as on another, quiet both times
    (docs/benchmarks.md § 32): read a run's times against its probe, not only against its load."""
    best = math.inf
    for _ in range(3):
        began = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i
        best = min(best, time.perf_counter() - began)
    return round(best, 3)


def percentile(values, pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)
