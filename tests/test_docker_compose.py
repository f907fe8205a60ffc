"""docker-compose.yml, Dockerfile and .env.example kept honest without a Docker engine.

.ci/run additionally starts each service's command for real (gunicorn + /healthz, the worker, beat)."""

import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")
LONG_RUNNING = ("db", "redis", *APP_SERVICES)


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def command(service) -> list[str]:
    value = service["command"]
    return shlex.split(value) if isinstance(value, str) else value


def settings_env_names() -> set[str]:
    """Every environment variable that config/settings/*.py reads through django-environ."""
    pattern = re.compile(r"\benv(?:\.\w+)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']")
    names = set()
    for path in (ROOT / "config" / "settings").glob("*.py"):
        names |= set(pattern.findall(path.read_text()))
    return names


def test_services_and_images(services):
    assert set(LONG_RUNNING) <= set(services)
    assert services["db"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    for name in (*APP_SERVICES, "migrate"):
        assert services[name]["build"] == "."
        assert services[name]["image"] == "sjalvklart:latest"


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_long_running_service_has_a_healthcheck(services, name):
    healthcheck = services[name]["healthcheck"]
    assert healthcheck["test"][0] in ("CMD", "CMD-SHELL")
    assert len(healthcheck["test"]) >= 2
    for key in ("interval", "timeout", "retries"):
        assert key in healthcheck
    assert services[name]["restart"] == "unless-stopped"


def test_healthchecks_use_the_real_tools(services):
    assert services["db"]["healthcheck"]["test"][1].startswith("pg_isready")
    assert services["redis"]["healthcheck"]["test"][1:] == ["redis-cli", "ping"]
    assert services["web"]["healthcheck"]["test"][1:] == [
        "python", "scripts/healthcheck.py", "web", "http://127.0.0.1:8000/healthz"]
    assert services["worker"]["healthcheck"]["test"][1].startswith("celery -A config inspect ping")
    assert services["beat"]["healthcheck"]["test"][1:] == ["python", "scripts/healthcheck.py", "beat"]
    assert (ROOT / "scripts" / "healthcheck.py").is_file()


def test_commands(services):
    web = command(services["web"])
    assert web[:2] == ["gunicorn", "config.wsgi"]
    assert "0.0.0.0:8000" in web
    assert command(services["worker"])[:4] == ["python", "-m", "config.worker", "-l"]
    assert "--pool=prefork" in command(services["worker"])
    assert command(services["beat"])[:4] == ["celery", "-A", "config", "beat"]
    assert command(services["migrate"]) == ["python", "manage.py", "migrate", "--noinput"]


@pytest.mark.parametrize("name", (*APP_SERVICES, "migrate"))
def test_app_services_use_production_settings_postgres_and_redis(services, name):
    service = services[name]
    env = service["environment"]
    assert service["env_file"] == ".env"
    assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert env["DATABASE_URL"].startswith("postgres://")
    assert "@db:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"] == "redis://redis:6379/0"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_dependencies_and_migrations(services, name):
    depends = services[name]["depends_on"]
    assert depends["db"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"
    assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_named_volumes_for_database_and_shared_private_media(compose, services):
    assert {"pgdata", "media"} <= set(compose["volumes"])
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    # Reports are written by the worker and streamed by web: both mount the same volume at MEDIA_ROOT.
    for name in ("web", "worker"):
        media_root = services[name]["environment"]["MEDIA_ROOT"]
        assert f"media:{media_root}" in services[name]["volumes"]
    assert "media" not in str(services["web"].get("ports"))


def test_only_web_publishes_a_port(services):
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"web"}


def test_env_example_lists_every_variable_the_settings_read():
    text = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))
    names = settings_env_names()

    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "MEDIA_ROOT"} <= names  # the regex works
    assert names - listed == set()


def test_env_example_covers_compose_interpolation(compose):
    text = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))
    interpolated = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "docker-compose.yml").read_text()))

    assert interpolated
    assert interpolated - listed == set()


def test_env_file_is_not_committed_but_example_is():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in ignored
    assert (ROOT / ".env.example").is_file()


def test_dockerfile():
    text = (ROOT / "Dockerfile").read_text()
    assert text.startswith("#") or text.startswith("FROM")
    assert re.search(r"^FROM python:3\.11-slim$", text, flags=re.MULTILINE)
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"):
        assert package in text
    assert "pip install -r requirements/runtime.txt" in text
    assert "collectstatic --noinput" in text
    assert "USER app" in text
    assert "MEDIA_ROOT=/app/var/media" in text


def read_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def test_lock_files_name_no_hosts_and_agree():
    lock = read_pins(ROOT / "requirements" / "lock.txt")
    runtime = read_pins(ROOT / "requirements" / "runtime.txt")
    for path in ("lock.txt", "runtime.txt"):
        assert "http" not in (ROOT / "requirements" / path).read_text()
    assert {"django", "celery", "gunicorn", "psycopg", "weasyprint"} <= set(runtime)
    assert {"pytest", "ruff", "pyyaml"} <= set(lock) - set(runtime)
    assert {name: version for name, version in runtime.items() if lock.get(name) != version} == {}
