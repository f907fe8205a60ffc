"""The organisation page shows its placements (not closed, of the organisation and its sub-organisations) and its
units a page at a time: the rows of the pages are the whole list in its order, bad page numbers give the first or
last page, and the number of queries does not grow with the tree."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from organisations.tests.factories import OrganisationFactory, UnitFactory
from placements.models import Placement
from placements.permissions import placements_visible_to
from placements.tests.factories import PlacementFactory
from placements.tests.test_occupancy_hidden import _parse

pytestmark = pytest.mark.django_db

_LINK = re.compile(r'<th scope="row" class="fw-normal"><a href="/placements/(\d+)/">')


def _tree(org_a, unit_a, area, count):
    """`count` placements in org_a's tree (a third in a sub-organisation, equal titles in one unit) and a closed
    one, which the page does not list."""
    today = timezone.localdate()
    child = org_a.children.first() or OrganisationFactory(name="Underförvaltning", parent=org_a)
    other = child.units.first() or UnitFactory(organisation=child, name="Apotek", municipality="Slite")
    for n in range(count):
        PlacementFactory(unit=other if n % 3 == 0 else unit_a, occupational_area=area, capacity=1 + n % 4,
                         title="Samma titel" if n % 5 == 0 else f"Plats {n:03d}",
                         available_from=today - dt.timedelta(days=3))
    PlacementFactory(unit=unit_a, occupational_area=area, status=Placement.Status.CLOSED, title="Stängd")


def _listed(client, org, **params):
    response = client.get(reverse("placements:organisation_detail", args=[org.pk]), params)
    page = _parse(response)
    html = response.content.decode()
    return [int(pk) for pk in _LINK.findall(html)], page, html


def _definition(user, org_a):
    """The placements the page listed on one page before it was paged, in that order."""
    return list(placements_visible_to(user).filter(unit__organisation__in=[org_a, *org_a.children.all()])
                .exclude(status=Placement.Status.CLOSED).order_by("unit__name", "title", "pk")
                .values_list("pk", flat=True))


def test_the_pages_are_the_list_in_its_order(client, leader, org_a, unit_a, area):
    _tree(org_a, unit_a, area, 60)
    client.force_login(leader)
    expected = _definition(leader, org_a)
    assert len(expected) == 60
    first, page, html = _listed(client, org_a)
    assert first == expected[:25]
    assert "Visar 1–25 av 60 platser." in html
    (table,) = page.tables
    assert table[0] == ["Plats", "Enhet", "Yrkesområde", "Lediga / totalt"]
    by_pk = {p.pk: p for p in Placement.objects.select_related("unit", "occupational_area")}
    assert [row[1:] for row in table[1:]] == [
        [by_pk[pk].unit.name, by_pk[pk].occupational_area.name, f"{by_pk[pk].capacity} / {by_pk[pk].capacity}"]
        for pk in expected[:25]]
    assert table[1][0] == f"{by_pk[expected[0]].title} Öppen"
    second, _page, _html = _listed(client, org_a, page=2)
    last, _page, html = _listed(client, org_a, page=3)
    assert first + second + last == expected
    assert "Visar 51–60 av 60 platser." in html
    assert 'href="?page=2"' in html and 'aria-label="Sidor med platser"' in html


@pytest.mark.parametrize(("number", "shown"), [("abc", "first"), ("", "first"), ("0", "last"), ("-1", "last"),
                                               ("999", "last"), ("3", "last"), ("1", "first")])
def test_bad_page_numbers_give_the_first_or_last_page(client, leader, org_a, unit_a, area, number, shown):
    _tree(org_a, unit_a, area, 60)
    client.force_login(leader)
    expected = _definition(leader, org_a)
    listed, _page, _html = _listed(client, org_a, page=number)
    assert listed == (expected[:25] if shown == "first" else expected[50:])


def test_the_number_of_queries_does_not_grow_with_the_placements(client, leader, org_a, unit_a, area):
    client.force_login(leader)
    counts = []
    for more in (5, 55):
        _tree(org_a, unit_a, area, more)
        with CaptureQueriesContext(connection) as queries:
            listed, _page, _html = _listed(client, org_a)
        assert len(listed) == min(25, len(_definition(leader, org_a)))
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1], counts


def test_the_units_are_paged(client, leader, org_a, unit_a):
    for n in range(59):
        UnitFactory(organisation=org_a, name=f"Enhet {n:02d}", municipality="Visby")
    client.force_login(leader)
    units = list(org_a.units.order_by("name", "pk").values_list("name", flat=True))
    shown = re.compile(r"<li>([^<]+), Visby</li>")
    _listed_pks, _page, html = _listed(client, org_a)
    assert shown.findall(html) == units[:50]
    assert "Visar 1–50 av 60 enheter." in html
    assert 'href="?units_page=2"' in html and 'aria-label="Sidor med enheter"' in html
    for number in ("2", "99"):
        _listed_pks, _page, html = _listed(client, org_a, units_page=number)
        assert shown.findall(html) == units[50:]
    # The placements' pages keep the units' page and the other way round.
    _listed_pks, _page, html = _listed(client, org_a, units_page="2", page="1")
    assert 'href="?page=1&amp;units_page=1"' in html


def test_the_link_to_the_placement_list_and_roles(client, leader, steering, org_a, unit_a, area):
    _tree(org_a, unit_a, area, 30)
    client.force_login(leader)
    _listed_pks, _page, html = _listed(client, org_a)
    link = f"{reverse('placements:list')}?organisation={org_a.pk}"
    assert f'<a href="{link}">Visa alla i platslistan</a>' in html
    listed = client.get(link)
    # The list with the organisation filter: the same tree, closed placements too.
    assert listed.context["page"].paginator.count == 31

    client.force_login(steering)
    listed_pks, page, html = _listed(client, org_a)
    assert listed_pks == [] and page.tables == [] and "Visa alla i platslistan" not in html



@pytest.mark.postgres
def test_an_index_serves_the_page_and_count_per_unit():
    """Keys and count of the organisation page can be read per unit of the tree from one index (its unit, the
    status it excludes, then its order), not a scan of every placement joined to the units. On the few test rows
    the planner's choice varies (and fresh rows are not all-visible, so an index-only scan is priced as heap
    reads); at scale 1000 it takes this one (docs/benchmarks.md § 18, "The organisation page, 25 a page")."""
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, Placement._meta.db_table)
    assert indexes["placement_unit_title_idx"]["columns"] == ["unit_id", "status", "title", "id"]
