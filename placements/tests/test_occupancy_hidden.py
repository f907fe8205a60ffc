"""The organisation pages count who is on placement today: the project leader sees it, the steering group
does not (its reports hide such counts below five, and the page would give the exact figure)."""

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from placements.models import Assignment
from placements.tests.factories import AssignmentFactory


class _Tables(HTMLParser):
    """Every table's rows as lists of cell texts (th and td alike), and every h2's text."""

    def __init__(self):
        super().__init__()
        self.tables, self.headings, self._cell, self._heading = [], [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []
        elif tag == "h2":
            self._heading = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "h2" and self._heading is not None:
            self.headings.append(" ".join("".join(self._heading).split()))
            self._heading = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._heading is not None:
            self._heading.append(data)


def _parse(response) -> _Tables:
    assert response.status_code == 200
    parser = _Tables()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture
def occupied_today(placement_a):
    """One of placement_a's two places is taken today."""
    today = timezone.localdate()
    return AssignmentFactory(placement=placement_a, status=Assignment.Status.ONGOING,
                             start_date=today - dt.timedelta(days=3), planned_end_date=today + dt.timedelta(days=30))


def _org_row(table, org):
    return next(row for row in table if org.name in row[1])


def test_overview_occupancy_column_for_leader_only(client, leader, steering, org_a, occupied_today):
    client.force_login(leader)
    (table,) = _parse(client.get(reverse("placements:organisation_overview"))).tables
    header = table[0]
    assert "Upptagna idag" in header
    assert _org_row(table[1:], org_a)[header.index("Upptagna idag")] == "1"
    assert all(len(row) == len(header) for row in table)

    client.force_login(steering)
    response = client.get(reverse("placements:organisation_overview"))
    (table,) = _parse(response).tables
    header = table[0]
    assert header == ["Rang", "Organisation", "Platser", "Anställda", "Andel mot mål"]
    row = _org_row(table[1:], org_a)
    assert len(row) == len(header) and row[2] == "2"
    assert all("occupied" not in progress for progress in response.context["table"])


def test_detail_occupancy_for_leader_only(client, leader, steering, org_a, placement_a, occupied_today):
    url = reverse("placements:organisation_detail", args=[org_a.pk])
    client.force_login(leader)
    page = _parse(client.get(url))
    assert "Upptagna idag" in page.headings
    (table,) = page.tables
    assert table[0] == ["Plats", "Enhet", "Yrkesområde", "Lediga / totalt"]
    assert table[1][0].startswith(placement_a.title) and table[1][3] == "1 / 2"

    client.force_login(steering)
    response = client.get(url)
    page = _parse(response)
    assert "Upptagna idag" not in page.headings and "Platser" not in page.headings
    assert page.tables == []  # no per-placement free / capacity list
    assert "occupied" not in response.context["progress"] and response.context["placements"] is None
    assert "Platser (med underorganisationer)" in page.headings
