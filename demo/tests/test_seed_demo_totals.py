"""The demo builder writes in bulk, past the services: it and its reset leave the cached organisation totals
behind themselves, so the overview's figures are the definition after a seed, a reset and a reseed."""

import pytest

from demo.builder import reset_demo_data
from demo.tests.test_seed_demo import seed
from placements.tests.test_organisation_totals_cache import changes, keeps, totals_cached, written  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_seed_its_reset_and_a_reseed(changes):  # noqa: F811 (the fixture)
    # Every organisation's token replaced, the whole country summed again.
    changes(lambda: seed("--scale", "0.2"), None)
    changes(reset_demo_data, None)
    changes(lambda: seed("--scale", "0.2", "--seed", "7"), None)
