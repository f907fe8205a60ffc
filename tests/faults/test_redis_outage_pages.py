"""Redis down or hanging never means a server error: signing in (with the rate-limit counters in the cache),
every page of the URL walk for every role, and the dashboard answer below 500, with the production cache backend
(core.cache.ResilientRedisCache) pointed at the fault and Celery's broker too. Only /healthz says 503: reporting
the broker's state is its job."""

import pytest
from django.core.cache import caches
from django.urls import reverse

from config.settings import base as base_settings
from tests.faults.test_redis_faults import HangingServer, broker_at, stopped_redis  # noqa: F401 (fixtures)
from tests.test_url_authorization import ACTORS, TABLE, _login, _url, categories, world  # noqa: F401 (fixtures)

PASSWORD = "test-losen-123"  # organisations.tests.factories.UserFactory


@pytest.fixture
def cache_at(settings, broker_at):  # noqa: F811
    def point(url):
        settings.CACHES = {"default": {
            "BACKEND": "core.cache.ResilientRedisCache", "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }}
        settings.ACCOUNT_RATE_LIMITS = base_settings.ACCOUNT_RATE_LIMITS
        settings.DASHBOARD_CACHE_SECONDS = 300
        broker_at(url)

    yield point
    caches["default"].close()


def _walk(client, world):  # noqa: F811
    errors = []
    for actor in ("leader", "case_worker_af"):
        client.logout()
        response = client.post(reverse("account_login"), {"login": world[actor].email, "password": PASSWORD})
        if response.status_code >= 500 or "_auth_user_id" not in client.session:
            errors.append(("login", actor, response.status_code))
    for row in TABLE:
        if row.name == "healthz":
            continue
        url = _url(row, world)
        for actor in ACTORS:
            _login(client, world, actor)
            status = client.get(url, row.query).status_code
            if status >= 500:
                errors.append((row.id, actor, status))
    health = client.get("/healthz")
    return errors, health


def _assert_degraded(errors, health, client, world):  # noqa: F811
    assert errors == []
    assert health.status_code == 503 and health.json()["broker"].startswith("down")
    client.force_login(world["steering"])
    dashboard = client.get(reverse("reporting:dashboard"))
    assert dashboard.status_code == 200
    assert not caches["default"].redis_available  # the pages were served from the fallback, not by luck


@pytest.mark.redis
@pytest.mark.django_db
def test_no_page_fails_with_redis_stopped(client, world, stopped_redis, cache_at):  # noqa: F811
    cache_at(stopped_redis)
    errors, health = _walk(client, world)
    _assert_degraded(errors, health, client, world)


@pytest.mark.django_db
def test_no_page_fails_with_redis_hanging(client, world, cache_at):  # noqa: F811
    server = HangingServer()
    try:
        cache_at(f"redis://127.0.0.1:{server.port}/0")
        errors, health = _walk(client, world)
        assert server.accepted, "the cache never reached the hanging server"
        _assert_degraded(errors, health, client, world)
    finally:
        server.close()
