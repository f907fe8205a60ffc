"""Liveness of the database and the Celery broker, for load balancers and docker-compose."""

from django.conf import settings
from django.db import connection

from config.celery import app


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return f"down: {exc.__class__.__name__}"
    return "ok"


def broker_status() -> str:
    """"eager" when tasks run in-process (no broker configured), else "ok" or "down: …".

    Reads the broker URL from the Django settings at call time and gives up within a few
    seconds (one quick retry, socket timeouts from CELERY_BROKER_TRANSPORT_OPTIONS), so a dead
    broker makes /healthz answer 503 instead of hanging the health check."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    try:
        # One attempt with 1-second socket timeouts: a Redis that accepts but never answers used to take
        # two attempts of the broker's 3-second timeout, 5.5 s in all (tests/faults/test_redis_faults.py).
        options = {**(app.conf.broker_transport_options or {}), "socket_timeout": 1, "socket_connect_timeout": 1}
        with app.connection_for_write(url=settings.CELERY_BROKER_URL, transport_options=options) as conn:
            conn.ensure_connection(max_retries=0, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return f"down: {exc.__class__.__name__}"
    return "ok"
