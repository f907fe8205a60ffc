"""Named actors (healthchecks' alice/bob style) and infrastructure switches shared by every test.

Tests that need PostgreSQL, Redis + a Celery worker, or Chromium are marked `postgres`, `redis` or
`browser`. Without that infrastructure they are skipped with the reason; with CI=true a skip of
any of them fails the run instead, so CI can never go green without exercising them.
"""

import datetime as dt
import importlib
import os
import shutil
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from core.models import Role
from organisations.tests.factories import (
    AgencyFactory,
    OrganisationFactory,
    ProjectFactory,
    UnitFactory,
    UserFactory,
    make_case_worker,
    make_manager,
)
from tests.celery_worker import celery_worker_process  # noqa: F401 - the real worker, for every test

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _has_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _has_redis() -> bool:
    return bool(settings.REDIS_URL)


def _has_chromium() -> bool:
    return shutil.which("chromium") is not None


def _has_checkers() -> bool:
    root = settings.BASE_DIR
    return (shutil.which("java") is not None and shutil.which("node") is not None
            and (root / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar").exists()
            and (root / "node_modules" / "pa11y").is_dir())


INFRA = {
    "postgres": (_has_postgres, "needs PostgreSQL: set DATABASE_URL=postgres://…"),
    "redis": (_has_redis, "needs Redis and a Celery worker: set REDIS_URL=redis://…"),
    "browser": (_has_chromium, "needs Debian's chromium (apt-get install chromium)"),
    "poppler": (lambda: shutil.which("pdftotext") is not None, "needs poppler-utils (pdftotext, pdfinfo)"),
    "checkers": (_has_checkers, "needs Java and the npm checkers: scripts/checkers.sh (vnu-jar, pa11y)"),
}


@pytest.hookimpl(trylast=True)  # after pytest-django's and pytest's own reordering
def pytest_collection_modifyitems(config, items):
    for item in items:
        for marker, (available, reason) in INFRA.items():
            if item.get_closest_marker(marker) and not available():
                if IN_CI:
                    item.add_marker(pytest.mark.usefixtures("_fail_missing_infrastructure"))
                    item.user_properties.append(("missing_infra", reason))
                else:
                    item.add_marker(pytest.mark.skip(reason=reason))
    _serialized_before_other_transactional_tests(items)


def _flushes(item) -> str | None:
    """"serialized" for a transactional test with serialized rollback, "post_migrate" for another transactional
    test (its flush afterwards re-runs post_migrate), None for a test that does not flush."""
    marker = item.get_closest_marker("django_db")
    kwargs = marker.kwargs if marker else {}
    if kwargs.get("serialized_rollback"):
        return "serialized"
    if kwargs.get("transaction") or {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())):
        return "post_migrate"
    return None


def _serialized_before_other_transactional_tests(items):
    """Serialized rollback puts back the migrations' rows (content types, permissions, categories) under the keys
    they had when the test database was made, assuming nothing made them again. A transactional test without it
    does: its flush re-runs post_migrate, which creates the content types and permissions under new keys, and a
    serialized test after it fails with a duplicate key, whichever order pytest and its plugins chose. So every
    serialized test runs before the first transactional test that is not, the order otherwise unchanged."""
    flushes = [_flushes(item) for item in items]
    if "post_migrate" not in flushes:
        return
    first = flushes.index("post_migrate")
    later = list(zip(items[first:], flushes[first:], strict=True))
    items[first:] = ([item for item, kind in later if kind == "serialized"]
                     + [item for item, kind in later if kind != "serialized"])


@pytest.fixture
def _fail_missing_infrastructure(request):
    reasons = [value for key, value in request.node.user_properties if key == "missing_infra"]
    pytest.fail(f"CI=true but infrastructure is missing: {'; '.join(reasons)}")


def pytest_terminal_summary(terminalreporter):
    if IN_CI and terminalreporter.stats.get("skipped"):
        terminalreporter.write_line("CI=true: skipped tests are not allowed here", red=True)


def pytest_sessionfinish(session, exitstatus):
    if IN_CI and session.config.pluginmanager.get_plugin("terminalreporter").stats.get("skipped"):
        session.exitstatus = 1


# --- Category lists ----------------------------------------------------------------------------
# The category lists are created by data migrations. A transactional test (live_server, real worker,
# concurrency) flushes every table afterwards, so tests after it would run without them; this puts
# them back, from the very same migration code, before each test that uses the database.

_CATEGORY_SEEDS = (
    "organisations.migrations.0002_seed_categories",
    "organisations.migrations.0004_seed_cost_categories",
    "participants.migrations.0003_seed_categories",
)


@pytest.fixture(autouse=True)
def _category_lists(request, django_db_blocker):
    if request.node.get_closest_marker("django_db") is None and not {"db", "transactional_db"} & set(
        request.fixturenames
    ):
        return
    request.getfixturevalue("django_db_setup")
    from django.apps import apps

    from organisations.models import Agency
    from participants.models import SurveyStatement

    with django_db_blocker.unblock():
        if not (Agency.objects.exists() and SurveyStatement.objects.exists()):
            migrating_default = SimpleNamespace(connection=connections["default"])  # what the seeds read of it
            for module in _CATEGORY_SEEDS:
                importlib.import_module(module).seed(apps, migrating_default)


@pytest.fixture(autouse=True)
def _fresh_filter_choices():
    """The placement list keeps its filter options in the process for a minute; a rolled-back test
    leaves no signal behind, so every test starts with an empty copy."""
    from placements.filters import choice_cache

    choice_cache.clear()


# --- Named actors -------------------------------------------------------------------------------


@pytest.fixture
def agency_af(db):
    return AgencyFactory(code="af", name="Arbetsförmedlingen")


@pytest.fixture
def agency_fk(db):
    return AgencyFactory(code="fk", name="Försäkringskassan")


@pytest.fixture
def org_a(db):
    return OrganisationFactory(name="Region Testland – Hälso- och sjukvårdsförvaltningen")


@pytest.fixture
def org_b(db):
    return OrganisationFactory(name="Testby kommun", kind="kommun")


@pytest.fixture
def unit_a(org_a):
    return UnitFactory(organisation=org_a, name="Vårdavdelning 1", municipality="Visby")


@pytest.fixture
def unit_b(org_b):
    return UnitFactory(organisation=org_b, name="Kommunförrådet", municipality="Slite")


@pytest.fixture
def project(org_a):
    return ProjectFactory(slug="sjalvklart", name="Självklart", owner=org_a)


@pytest.fixture
def leader(db):
    return UserFactory(email="leader@example.test", role=Role.LEADER, first_name="Lena")


@pytest.fixture
def manager_a(org_a):
    return make_manager(organisation=org_a, email="manager-a@example.test")


@pytest.fixture
def manager_b(org_b):
    return make_manager(organisation=org_b, email="manager-b@example.test")


@pytest.fixture
def case_worker_af(agency_af):
    return make_case_worker(agency=agency_af, email="af@example.test")


@pytest.fixture
def case_worker_fk(agency_fk):
    return make_case_worker(agency=agency_fk, email="fk@example.test")


@pytest.fixture
def steering(db):
    return UserFactory(email="steering@example.test", role=Role.STEERING)


@pytest.fixture
def actors(leader, manager_a, manager_b, case_worker_af, case_worker_fk, steering):
    return {
        "leader": leader,
        "manager_a": manager_a,
        "manager_b": manager_b,
        "case_worker_af": case_worker_af,
        "case_worker_fk": case_worker_fk,
        "steering": steering,
    }


# --- Browser (Debian's Chromium; Playwright cannot download its own here) ------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": shutil.which("chromium"),
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ],
    }


@pytest.fixture
def on_day(monkeypatch):
    """on_day(day): run the next writes at noon of `day` (the services' today and the change history's dates)."""
    def move_to(day: dt.date) -> None:
        noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
        monkeypatch.setattr(timezone, "now", lambda: noon)
    return move_to


@pytest.fixture
def two_orgs(db):
    """Two organisations of 100 employees each, "Hälsa" and "Skola", with a unit each."""
    health = OrganisationFactory(name="Hälsa", employee_count=100)
    school = OrganisationFactory(name="Skola", employee_count=100)
    return {"health": health, "school": school,
            "health_unit": UnitFactory(organisation=health), "school_unit": UnitFactory(organisation=school)}
