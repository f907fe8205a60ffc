"""The organisation page lists its placements by unit and title, and placements with the same unit and title by
their key: the same order on every request and every database."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from placements.tests.factories import PlacementFactory
from placements.tests.test_occupancy_hidden import _parse

pytestmark = pytest.mark.django_db


def test_placements_with_the_same_unit_and_title_are_listed_by_their_key(client, leader, org_a, unit_a):
    today = timezone.localdate()
    made = [PlacementFactory(unit=unit_a, title="Samma titel", capacity=capacity,
                             available_from=today - dt.timedelta(days=3)) for capacity in (3, 1, 2)]
    client.force_login(leader)
    with CaptureQueriesContext(connection) as queries:
        page = _parse(client.get(reverse("placements:organisation_detail", args=[org_a.pk])))
    (table,) = page.tables
    assert table[0] == ["Plats", "Enhet", "Yrkesområde", "Lediga / totalt"]
    by_key = sorted(made, key=lambda p: p.pk)
    assert [row[3] for row in table[1:]] == [f"{p.capacity} / {p.capacity}" for p in by_key]
    # The listing's ORDER BY ends with the key, so the rows cannot swap between requests.
    listing = [q["sql"] for q in queries.captured_queries if 'ORDER BY "organisations_unit"."name"' in q["sql"]]
    assert listing, [q["sql"] for q in queries.captured_queries]
    # (Paged: its key is the selected column 1, and the page is cut after the order.)
    ends = re.compile(r'("placements_placement"\."id"|1) ASC( LIMIT \d+( OFFSET \d+)?)?$')
    assert all(ends.search(sql.rstrip()) for sql in listing), listing
