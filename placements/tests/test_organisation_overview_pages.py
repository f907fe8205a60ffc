"""The organisation overview one level at a time (the top-level organisations, or ?under=<pk> the sub-organisations
of one), 25 rows a page ranked by share across its pages, the region's total on every page: the first, a middle and
the last page, a page out of range or not a number (the last page, the first), an unknown level (404); every figure
of a paged row is organisation_roll_up's; the queries do not grow with the organisations (warm, cold, a level
below); the steering group sees no occupancy on any page, also after the leader's page was cached; a write, a
renamed organisation and a changed number of employees are shown on the next request."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from organisations.models import Organisation
from organisations.services import organisation_save
from organisations.tests.factories import OrganisationFactory, ProjectFactory, UnitFactory
from placements import services
from placements.models import Assignment
from placements.selectors import organisation_roll_up
from placements.tests.factories import AssignmentFactory, PlacementFactory
from placements.tests.test_occupancy_hidden import _parse

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)
URL = reverse("placements:organisation_overview")
REGION = "Hela regionen"


@pytest.fixture
def cached(settings):
    settings.ORGANISATION_TOTALS_CACHE_SECONDS = 3600
    cache.clear()
    yield
    cache.clear()


def _organisations(count: int, *, prefix: str = "Org", parent=None) -> list[Organisation]:
    """`count` organisations of 1,000 employees each, the i-th with one placement of i + 1 places (so its share is
    (i + 1) / 10 %: the last ranks first), one of them taken today."""
    today = timezone.localdate()
    made, project = [], None
    for i in range(count):
        org = OrganisationFactory(name=f"{prefix} {i:03}", employee_count=1000, parent=parent)
        project = project or ProjectFactory(owner=org)  # one project for all the referrals: no other organisation
        placement = PlacementFactory(unit=UnitFactory(organisation=org), capacity=i + 1,
                                     available_from=today - 30 * DAY)
        if i % 3 == 0:
            AssignmentFactory(placement=placement, status=Assignment.Status.ONGOING, start_date=today - 2 * DAY,
                              planned_end_date=today + 20 * DAY, referral__project=project)
        made.append(org)
    return made


@pytest.fixture
def region():
    """60 top-level organisations, the first of them (ranked last) with 30 sub-organisations of its own, one of
    which has one below it; every organisation with a totals token (as after migrate)."""
    top = _organisations(60)
    below = _organisations(30, prefix="Under", parent=top[0])
    _organisations(1, prefix="Längst ner", parent=below[0])
    services.organisation_totals_changed()
    return {"top": top, "below": below}


def _page(client, query: str = "") -> dict:
    """The page's table: header, body rows and the footer rows by their header cell, and the pagination."""
    response = client.get(URL + query)
    html = response.content.decode()
    (table,) = _parse(response).tables
    header, rows = table[0], table[1:]
    messages = [row for row in rows if len(row) == 1]  # one cell across the columns: an empty level
    rows = [row for row in rows if len(row) > 1]
    assert all(len(row) == len(header) for row in rows)
    footer = {row[1]: row for row in rows if row[0] == ""}
    return {"header": header, "rows": [row for row in rows if row[0] != ""], "footer": footer, "html": html,
            "messages": messages, "context": response.context}


def _column(page: dict, name: str) -> list[str]:
    index = page["header"].index(name)
    return [row[index] for row in page["rows"]]


def _names(page: dict) -> list[str]:
    return [cell.removesuffix("30 underorganisationer").removesuffix("1 underorganisation")
            for cell in _column(page, "Organisation")]


def test_the_top_level_in_pages_of_25_ranked_across_them(client, leader, region):
    client.force_login(leader)
    first, middle, last = (_page(client, f"?page={n}") for n in (1, 2, 3))
    assert _column(first, "Rang") == [str(n) for n in range(1, 26)]
    assert _column(middle, "Rang") == [str(n) for n in range(26, 51)]
    assert _column(last, "Rang") == [str(n) for n in range(51, 61)]
    # The highest share first: Org 059 (60 places of 1,000 employees) down to Org 001 (2 of 1,000); Org 000 with
    # its sub-organisations has 467 places of 32,000 employees (1.46 %): after Org 014 (1.50 %), 47th
    assert _names(first)[:2] == ["Org 059", "Org 058"] and _names(last)[-1] == "Org 001"
    at = _names(middle).index("Org 000")
    assert _column(middle, "Rang")[at] == "47"
    assert _column(middle, "Organisation")[at] == "Org 00030 underorganisationer"  # the name, the link below it
    assert all(not name.startswith("Under") for page in (first, middle, last) for name in _names(page))
    assert first["html"].count('aria-current="page"><span class="page-link">1</span>') == 1
    assert '<nav aria-label="Sidor">' in first["html"] and 'href="?page=3"' in first["html"]
    assert "Visar 51–60 av 60 organisationer." in last["html"]
    assert "Värdorganisationer och deras mål. Sida 3 av 3</caption>" in last["html"]
    totals = {page["footer"][REGION][2] for page in (first, middle, last)}
    assert totals == {str(sum(range(1, 61)) + sum(range(1, 31)) + 1)}  # every organisation's places


@pytest.mark.parametrize(("query", "shown"), [("?page=99", 3), ("?page=0", 3), ("?page=-1", 3),
                                              ("?page=tre", 1), ("?page=", 1), ("?page=2.5", 1)])
def test_a_page_out_of_range_or_not_a_number(client, leader, region, query, shown):
    client.force_login(leader)
    page = _page(client, query)
    assert page["context"]["page"].number == shown
    assert _column(page, "Rang")[0] == str((shown - 1) * 25 + 1)
    assert REGION in page["footer"]


@pytest.mark.parametrize(("query", "shown"), [("?page=99", 3), ("?page=0", 3), ("?page=tre", 1), ("?page=2", 2),
                                              ("?page=3", 3)])
def test_a_page_from_the_cache_is_the_page_summed(client, leader, region, cached, query, shown, settings):
    """Cold (every page of every level stored), then warm (the page's entry; out of range, the level's last): the
    same page, and the same as without the cache."""
    client.force_login(leader)
    cold = _page(client, query)
    with CaptureQueriesContext(connection) as warm_queries:
        warm = _page(client, query)
    assert len(warm_queries) == 3  # session, user, the fingerprint
    settings.ORGANISATION_TOTALS_CACHE_SECONDS = 0
    summed = _page(client, query)
    assert cold["rows"] == warm["rows"] == summed["rows"] and cold["footer"] == warm["footer"] == summed["footer"]
    assert warm["context"]["page"].number == shown and _column(warm, "Rang")[0] == str((shown - 1) * 25 + 1)


def test_one_level_below_with_its_organisation_and_the_region(client, leader, region):
    client.force_login(leader)
    parent = region["top"][0]
    first, second = _page(client, f"?under={parent.pk}"), _page(client, f"?under={parent.pk}&page=2")
    assert _column(first, "Rang") == [str(n) for n in range(1, 26)]
    assert _column(second, "Rang") == [str(n) for n in range(26, 31)]
    assert set(_names(first) + _names(second)) == {org.name for org in region["below"]}
    assert _names(second)[-1] == "Under 000"
    assert 'href="?under=' + str(parent.pk) + '&amp;page=1"' in second["html"]
    roll_up = organisation_roll_up()
    own = second["footer"][f"{parent.name} med underorganisationer"]
    assert own[2:5] == [str(roll_up[parent.pk].places), str(roll_up[parent.pk].occupied),
                        str(roll_up[parent.pk].employees)]
    assert second["footer"][REGION] == _page(client)["footer"][REGION]
    assert "<h1 class=\"h2\">Underorganisationer till Org 000</h1>" in first["html"]
    leaf = region["below"][1]
    empty = _page(client, f"?under={leaf.pk}")
    assert empty["rows"] == [] and empty["messages"] == [[f"{leaf.name} har inga underorganisationer."]]
    assert set(empty["footer"]) == {f"{leaf.name} med underorganisationer", REGION}


@pytest.mark.parametrize("under", ["abc", "-1", "²", "999999", "99999999999999999999"])
def test_an_unknown_level_is_not_found(client, leader, region, under):
    client.force_login(leader)
    assert client.get(URL, {"under": under}).status_code == 404


@pytest.mark.parametrize("show_occupancy", [True, False])
def test_every_figure_of_every_paged_row_is_the_roll_ups(client, leader, steering, region, show_occupancy):
    client.force_login(leader if show_occupancy else steering)
    roll_up = organisation_roll_up(occupancy=show_occupancy)
    by_name = {figures.organisation.name: figures for figures in roll_up.values()}
    seen = set()
    for query in ("?page=1", "?page=2", "?page=3", f"?under={region['top'][0].pk}",
                  f"?under={region['top'][0].pk}&page=2", f"?under={region['below'][0].pk}"):
        page = _page(client, query)
        for row, name in zip(page["rows"], _names(page), strict=True):
            figures = by_name[name]
            cells = dict(zip(page["header"], row, strict=True))
            assert cells["Platser"] == str(figures.places)
            assert cells["Anställda"] == str(figures.employees)
            share = f"{figures.places * 100 / figures.employees:.2f}".replace(".", ",")
            assert f"{figures.places} platser = {share} % av anställda (mål 3,00 %)" in cells["Andel mot mål"]
            if show_occupancy:
                assert cells["Upptagna idag"] == str(figures.occupied)
            else:
                assert "Upptagna idag" not in cells
            seen.add(name)
    assert seen == set(by_name)  # every organisation is on one of the pages
    assert any(figures.occupied for figures in roll_up.values()) == show_occupancy


def _queries(client, query: str = "") -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL + query).status_code == 200
    return len(captured)


@pytest.mark.parametrize("organisations", [3, 70])
def test_the_queries_do_not_grow_with_the_organisations(client, leader, cached, organisations):
    top = _organisations(organisations)
    _organisations(2, prefix="Under", parent=top[0])
    services.organisation_totals_changed()
    client.force_login(leader)
    # session, user, the organisations' fingerprint, organisations with their tokens, the totals
    assert _queries(client) == 5
    # session, user, the fingerprint: the level's rows from the cache
    assert _queries(client) == 3
    assert _queries(client, "?page=3") == 3
    # session, user, the organisation asked for, the fingerprint: its level was cached with the others
    assert _queries(client, f"?under={top[0].pk}") == 4
    services.placement_pause(user=leader, placement=top[1].units.get().placements.get())
    # after a write: session, user, the fingerprint, organisations with their tokens, the written tree's totals
    assert _queries(client) == 5


def test_the_steering_group_sees_no_occupancy_after_the_leaders_page_was_cached(client, leader, steering, region,
                                                                                 cached):
    client.force_login(leader)
    for query in ("", f"?under={region['top'][0].pk}"):
        assert "Upptagna idag" in _page(client, query)["header"]
    client.force_login(steering)
    for query in ("", "?page=3", f"?under={region['top'][0].pk}"):
        page = _page(client, query)
        assert page["header"] == ["Rang", "Organisation", "Platser", "Anställda", "Andel mot mål"]
        assert all(len(row) == 5 for row in page["footer"].values())
        assert all("occupied" not in row for row in page["context"]["table"])
        assert "occupied" not in page["context"]["level"].total


def test_anonymous_is_sent_to_log_in(client, region):
    response = client.get(URL, {"under": region["top"][0].pk, "page": 2})
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_write_a_rename_new_employees_a_new_target_and_a_move_are_shown_on_the_next_request(client, leader, region,
                                                                                             cached, area):
    """Each change alone, the page read (and cached) before it: a write through a service (a new token), then
    changes of an organisation that replace no token (its name, employees, target, parent), each named by the
    fingerprint."""
    client.force_login(leader)
    parent, child = region["top"][0], region["below"][1]
    below = f"?under={parent.pk}"

    def row(query: str, name: str) -> list[str]:
        pages = [_page(client, f"{query}{'&' if query else '?'}page={n}") for n in (1, 2, 3)]
        return next(r for page in pages for r, shown in zip(page["rows"], _names(page), strict=True) if shown == name)

    def change(**values):
        organisation_save(user=leader, organisation=Organisation.objects.get(pk=child.pk), **values)

    before = row(below, child.name)
    assert row(below, child.name) == before  # from the cache
    services.placement_create(user=leader, title="Ny plats", unit=child.units.get(), occupational_area=area,
                              capacity=5, available_from=timezone.localdate(), attested=True)
    assert int(row(below, child.name)[2]) == int(before[2]) + 5
    change(name="Omdöpt förvaltning")
    assert row(below, "Omdöpt förvaltning")[2] == str(int(before[2]) + 5)
    change(employee_count=2000)
    assert row(below, "Omdöpt förvaltning")[4] == "2000"
    assert int(_page(client)["footer"][REGION][4]) == 91 * 1000 + 1000
    change(placement_target_percent=Decimal("0.25"))
    assert "(mål 0,25 %)" in row(below, "Omdöpt förvaltning")[5]
    change(parent=region["top"][1])
    assert "Omdöpt förvaltning" not in [name for n in (1, 2) for name in _names(_page(client, f"{below}&page={n}"))]
    assert row(f"?under={region['top'][1].pk}", "Omdöpt förvaltning")[4] == "2000"
