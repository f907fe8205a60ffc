"""The settings modules, each loaded in a fresh interpreter with a controlled environment.

A developer's .env must not leak in, so the child process disables django-environ's read_env."""

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import json
import environ
environ.Env.read_env = classmethod(lambda cls, *args, **kwargs: None)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
try:
    result = {
        "engine": settings.DATABASES["default"]["ENGINE"],
        "eager": settings.CELERY_TASK_ALWAYS_EAGER,
        "broker": settings.CELERY_BROKER_URL,
        "debug": settings.DEBUG,
        "allow_demo_seed": settings.ALLOW_DEMO_SEED,
        "allowed_hosts": settings.ALLOWED_HOSTS,
        "ssl_redirect": getattr(settings, "SECURE_SSL_REDIRECT", False),
        "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
        "cache_options": settings.CACHES["default"].get("OPTIONS", {}),
        "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
        "conn_health_checks": settings.DATABASES["default"]["CONN_HEALTH_CHECKS"],
        "database_options": settings.DATABASES["default"].get("OPTIONS", {}),
    }
except ImproperlyConfigured as exc:
    result = {"improperly_configured": str(exc)}
print(json.dumps(result))
"""

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "a-long-random-test-secret-key-0123456789-Xq7!pL2#vR9@mK4$",
    "DJANGO_ALLOWED_HOSTS": "sjalvklart.example.se",
    "DATABASE_URL": "postgres://app:app@db.invalid:5432/app",
    "REDIS_URL": "redis://redis.invalid:6379/0",
}


def run_in_production(script: str, **extra) -> subprocess.CompletedProcess:
    """Run `script` in a child interpreter with the production settings (PRODUCTION, then `extra`) and only the
    machine's basic variables; it must succeed."""
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(PRODUCTION, **extra)
    completed = subprocess.run(  # noqa: S603 - fixed interpreter and script
        [sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
        timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    return completed


def load_settings(**env_vars) -> dict:
    """Import the settings named by DJANGO_SETTINGS_MODULE in a child process with only `env_vars`."""
    env = {key: value for key, value in os.environ.items()
           if key in ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")}
    env.update(env_vars)
    completed = subprocess.run(  # noqa: S603 - fixed interpreter and script
        [sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_production_refuses_sqlite():
    env = {**PRODUCTION}
    del env["DATABASE_URL"]

    result = load_settings(**env)

    assert "PostgreSQL" in result["improperly_configured"]


def test_production_refuses_explicit_sqlite_url():
    result = load_settings(**{**PRODUCTION, "DATABASE_URL": "sqlite:////tmp/prod.sqlite3"})

    assert "PostgreSQL" in result["improperly_configured"]


def test_production_refuses_missing_redis():
    env = {**PRODUCTION}
    del env["REDIS_URL"]

    result = load_settings(**env)

    assert "REDIS_URL" in result["improperly_configured"]


def test_production_refuses_missing_secret_key():
    env = {**PRODUCTION}
    del env["DJANGO_SECRET_KEY"]

    result = load_settings(**env)

    assert "DJANGO_SECRET_KEY" in result["improperly_configured"]


def _example_secret_key() -> str:
    for line in (settings.BASE_DIR / ".env.example").read_text().splitlines():
        if line.startswith("DJANGO_SECRET_KEY="):
            return line.split("=", 1)[1]
    raise AssertionError(".env.example names no DJANGO_SECRET_KEY")


def test_production_refuses_the_example_secret_key():
    result = load_settings(**{**PRODUCTION, "DJANGO_SECRET_KEY": _example_secret_key()})

    assert "känt exempelvärde" in result["improperly_configured"]


def test_production_refuses_the_development_default_secret_key():
    result = load_settings(**{**PRODUCTION, "DJANGO_SECRET_KEY": "dev-only-insecure-key-change-me"})

    assert "känt exempelvärde" in result["improperly_configured"]


def test_production_refuses_a_short_secret_key():
    result = load_settings(**{**PRODUCTION, "DJANGO_SECRET_KEY": "x8Yq!z#2Lm9@Wp4$Rt7&Vb1*Nc6^Hd3(Jf5)Gs0abcdefghi"})

    assert "för kort" in result["improperly_configured"]


def test_production_with_postgres_and_redis_is_strict():
    result = load_settings(**PRODUCTION)

    assert result == {
        "engine": "django.db.backends.postgresql",
        "eager": False,
        "broker": "redis://redis.invalid:6379/0",
        "debug": False,
        "allow_demo_seed": False,
        "allowed_hosts": ["sjalvklart.example.se"],
        "ssl_redirect": True,
        "session_cookie_secure": True,
        "cache_options": {"socket_connect_timeout": 1, "socket_timeout": 1},
        "conn_max_age": 300,
        "conn_health_checks": True,
        "database_options": {"connect_timeout": 5, "options": "-c jit=off"},
    }


def test_local_settings_without_environment_use_sqlite_and_eager_celery():
    result = load_settings(DJANGO_SETTINGS_MODULE="config.settings.local")

    assert result["engine"] == "django.db.backends.sqlite3"
    assert result["eager"] is True
    assert result["broker"] == "memory://"
    assert result["debug"] is True
    assert result["allow_demo_seed"] is True


def test_local_settings_follow_database_and_redis_urls():
    result = load_settings(DJANGO_SETTINGS_MODULE="config.settings.local",
                           DATABASE_URL="postgres://app:app@127.0.0.1:5433/app",
                           REDIS_URL="redis://127.0.0.1:6390/0")

    assert result["engine"] == "django.db.backends.postgresql"
    assert result["eager"] is False
    assert result["broker"] == "redis://127.0.0.1:6390/0"


def test_production_keeps_database_connections_with_health_checks():
    result = load_settings(**PRODUCTION)
    assert result["conn_max_age"] > 0
    assert result["conn_health_checks"] is True
    assert load_settings(**{**PRODUCTION, "CONN_MAX_AGE": "0"})["conn_max_age"] == 0


def test_postgresql_connections_run_without_jit_compilation():
    """JIT compiling the reports' grouped queries cost seconds per query at scale 100."""
    assert load_settings(**PRODUCTION)["database_options"]["options"] == "-c jit=off"
    local = load_settings(DJANGO_SETTINGS_MODULE="config.settings.local",
                          DATABASE_URL="postgres://app:app@127.0.0.1:5433/app")
    assert local["database_options"]["options"] == "-c jit=off"


def test_development_opens_a_connection_per_request_by_default():
    result = load_settings(DJANGO_SETTINGS_MODULE="config.settings.base")
    assert result["conn_max_age"] == 0


def test_a_celery_pool_child_is_replaced_above_what_a_warm_report_build_leaves():
    from config.celery import app

    assert app.conf.worker_max_memory_per_child == settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD
    assert settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD >= 300_000  # kB: a warm child holds 230–260 MB
