"""/healthz: the liveness check for load balancers, docker-compose and CI."""

import time
from unittest import mock

import pytest
from django.conf import settings
from django.db.utils import OperationalError
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_embedded_default_is_healthy_with_eager_broker(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "eager"}
    assert "no-cache" in response["Cache-Control"]


def test_needs_no_login(client):
    response = client.get("/healthz")

    assert response.status_code == 200  # not a redirect to the login page


def test_only_get(client):
    assert client.post("/healthz").status_code == 405


def test_database_down_gives_503_naming_the_database(client):
    broken = mock.MagicMock()
    broken.cursor.side_effect = OperationalError("connection refused")
    with mock.patch("core.health.connection", broken):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "down: OperationalError"
    assert body["broker"] == "eager"


@override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_broker_down_gives_503_naming_the_broker_quickly(client):
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["broker"].startswith("down: ")
    assert elapsed < 5


@pytest.mark.redis
def test_real_redis_broker_is_ok(client):
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=settings.REDIS_URL):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
