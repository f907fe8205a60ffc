"""The example files shipped in static/examples import cleanly into the real seeded demo data."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from core.models import User
from core.spreadsheets import read_table
from placements import imports
from placements.models import Placement

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", "--scale", "0.2", stdout=StringIO())
    return User.objects.get(email="ledare@demo.test")


@pytest.mark.parametrize("name", ["placements_example.xlsx", "placements_example.csv"])
def test_placement_examples_import_into_the_demo_data(demo, name):
    header, rows, notices = read_table((settings.BASE_DIR / "static" / "examples" / name).read_bytes())
    plan = imports.plan_import(header, rows, user=demo, notices=notices)
    assert plan.errors == [] and notices == []
    # The demo's Visby units lie in the municipality of Gotland; the file names the town: a warning, not a stop.
    assert [(w.row, w.column, w.message) for w in plan.warnings] == [
        (row, "kommun", "Enheten finns redan och ligger i Gotland (filen anger Visby). Registrets kommun behålls.")
        for row in (2, 3)]
    assert plan.counts == {"create": 4, "update": 0, "new_units": 1}
    before = Placement.objects.count()
    imports.apply_import(header, rows, user=demo, attested=True, notices=notices)
    assert Placement.objects.count() == before + 4
    assert Placement.objects.get(code="HSF-LAGER-1").unit.municipality == "Gotland"
    assert Placement.objects.get(title="Vaktmästeri").unit.name == "Norrviks bibliotek"
