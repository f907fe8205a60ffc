"""The placement list as a user meets it: "Lediga" on the chosen "Ledig plats den" date, Swedish sort labels,
filters kept when coming back through the breadcrumb, and the filter panel that collapses on a phone."""

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone

from participants.tests.factories import ReferralFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory

LIST = reverse("placements:list")


def _free_cell(html: str, title: str) -> str:
    row = re.search(r">" + re.escape(title) + r"</a>.*?</tr>", html, re.S).group(0)
    cell = re.findall(r'<td data-label="Lediga[^"]*" class="text-end text-nowrap">(.*?)</td>', row, re.S)[0]
    return re.sub(r"<[^>]+>", "", cell).strip()


def test_free_column_counts_for_the_chosen_date(client, leader, placement_a, agency_af):
    today = timezone.localdate()
    later = today + dt.timedelta(days=40)
    # Both places taken from day 30 on; free today.
    for _ in range(2):
        AssignmentFactory(placement=placement_a, referral=ReferralFactory(agency=agency_af),
                          status=Assignment.Status.CONFIRMED, start_date=today + dt.timedelta(days=30),
                          planned_end_date=today + dt.timedelta(days=90))
    client.force_login(leader)
    assert _free_cell(client.get(LIST).content.decode(), "Lagerarbete") == "Lediga 2 / 2"
    html = client.get(LIST, {"free_on": (today + dt.timedelta(days=10)).isoformat()}).content.decode()
    assert _free_cell(html, "Lagerarbete") == "Lediga 2 / 2"
    assert f"Lediga den {(today + dt.timedelta(days=10)).isoformat()} / totalt" in html
    # On a day both are taken the place is not listed as free at all …
    assert "Lagerarbete" not in client.get(LIST, {"free_on": later.isoformat()}).content.decode().split("<tbody>")[-1]
    # … and without the free filter but sorted, the column still follows no date: today.
    assert _free_cell(client.get(LIST, {"ordering": "title"}).content.decode(), "Lagerarbete") == "Lediga 2 / 2"


def test_free_column_on_a_date_when_one_place_is_taken(client, leader, placement_a, agency_af):
    today = timezone.localdate()
    AssignmentFactory(placement=placement_a, referral=ReferralFactory(agency=agency_af),
                      status=Assignment.Status.CONFIRMED, start_date=today + dt.timedelta(days=30),
                      planned_end_date=today + dt.timedelta(days=90))
    client.force_login(leader)
    html = client.get(LIST, {"free_on": (today + dt.timedelta(days=40)).isoformat()}).content.decode()
    assert _free_cell(html, "Lagerarbete") == "Lediga 1 / 2"
    assert _free_cell(client.get(LIST).content.decode(), "Lagerarbete") == "Lediga 2 / 2"


def test_sort_menu_is_swedish(client, leader, placement_a):
    client.force_login(leader)
    html = client.get(LIST).content.decode()
    menu = re.search(r'<select name="ordering".*?</select>', html, re.S).group(0)
    labels = re.findall(r">([^<]+)</option>", menu)
    assert "Benämning Ö–A" in labels and "Lediga platser, flest först" in labels
    assert not [label for label in labels if "descending" in label]


def test_breadcrumb_back_to_the_list_keeps_the_filters(client, leader, placement_a):
    client.force_login(leader)
    client.get(LIST, {"status": "open", "ordering": "-title"})
    html = client.get(reverse("placements:detail", args=[placement_a.pk])).content.decode()
    assert '<li class="breadcrumb-item"><a href="/placements/?status=open&amp;ordering=-title">Platser</a></li>' in html
    client.get(LIST)
    html = client.get(reverse("placements:detail", args=[placement_a.pk])).content.decode()
    assert '<li class="breadcrumb-item"><a href="/placements/">Platser</a></li>' in html


def test_participant_breadcrumb_keeps_the_filters(client, leader, agency_af):
    referral = ReferralFactory(agency=agency_af)
    client.force_login(leader)
    client.get(reverse("participants:list"), {"agency": agency_af.pk})
    html = client.get(reverse("participants:detail", args=[referral.participant_id])).content.decode()
    assert f'<a href="/participants/?agency={agency_af.pk}">Deltagare</a>' in html


def test_filter_panel_collapses_and_rows_are_cards_on_a_phone(client, leader, placement_a):
    client.force_login(leader)
    html = client.get(LIST).content.decode()
    assert '<table class="table table-hover align-middle placement-table table-cards">' in html
    assert '<td data-label="Lediga / totalt" class="text-end text-nowrap">' in html
    dated = client.get(LIST, {"free_on": "2030-01-02"}).content.decode()
    assert '<td data-label="Lediga den 2030-01-02 / totalt" class="text-end text-nowrap">' in dated
    assert '<details class="filter-panel card" open data-collapse-narrow>' in html
    assert 'src="/static/js/filters.js"' in html
