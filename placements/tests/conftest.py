import datetime as dt

import pytest

from organisations.tests.factories import AdaptationFactory, OccupationalAreaFactory, SupervisorFactory
from placements.filters import choice_cache
from placements.tests.factories import PlacementFactory


@pytest.fixture(autouse=True)
def _fresh_filter_options():
    """The filter's option cache outlives a test's rolled-back rows (a rollback sends no signals)."""
    choice_cache.clear()
    yield
    choice_cache.clear()


@pytest.fixture
def area(db):
    return OccupationalAreaFactory(code="lager", name="Transport, distribution, lager")


@pytest.fixture
def area_care(db):
    return OccupationalAreaFactory(code="vard", name="Hälso- och sjukvård")


@pytest.fixture
def wheelchair(db):
    return AdaptationFactory(code="rullstol", name="Tillgänglig för rullstol")


@pytest.fixture
def quiet(db):
    return AdaptationFactory(code="lugn-miljo", name="Lugn miljö")


@pytest.fixture
def supervisor_a(unit_a):
    return SupervisorFactory(unit=unit_a, name="Hanna Handledare", email="hanna@example.test",
                             training_completed_on=dt.date(2025, 3, 1))


@pytest.fixture
def placement_a(unit_a, area, supervisor_a):
    return PlacementFactory(unit=unit_a, occupational_area=area, title="Lagerarbete", supervisor=supervisor_a,
                            capacity=2, available_from=dt.date(2025, 1, 1))


@pytest.fixture
def placement_b(unit_b, area_care):
    return PlacementFactory(unit=unit_b, occupational_area=area_care, title="Kök och servering", capacity=3,
                            available_from=dt.date(2025, 1, 1))


@pytest.fixture
def rows(org_a, unit_a, area, supervisor_a, wheelchair, quiet):
    """Two good placement import rows: one for an existing unit, one that creates a unit."""
    return [
        ["P-1", "Lagerplats", org_a.name, unit_a.name, "Visby", area.name, "Plocka varor", "2", "2026-01-01", "",
         supervisor_a.email, "Tillgänglig för rullstol; lugn-miljo"],
        ["P-2", "Ny enhet-plats", org_a.name, "Nya köket", "Visby", "lager", "", "1", "", "", "", ""],
    ]
