"""The participant list: each row's stage, agency, current placement and days waiting, from the latest start
the user may see, in a constant number of queries; rows become cards and filters collapse at phone width."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from organisations.models import Project
from participants.models import Assessment, ExitKind
from participants.tests.factories import ExitFactory, ReferralFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory


def _cells(html: str, code: str) -> list[str]:
    row = re.search(r"<tr>\s*<th scope=\"row\"><a [^>]*>" + re.escape(code) + r"</a></th>(.*?)</tr>", html, re.S)
    assert row, code
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


@pytest.fixture
def flow(agency_af, agency_fk, project, one_place_a):
    today = timezone.localdate()
    new = ReferralFactory(agency=agency_af, project=project, participant__code="NY-1",
                          referral_date=today - dt.timedelta(days=9))
    assessed = ReferralFactory(agency=agency_af, project=project, participant__code="KART-1",
                               referral_date=today - dt.timedelta(days=30))
    Assessment.objects.create(referral=assessed, completed_on=today - dt.timedelta(days=20))
    training = ReferralFactory(agency=agency_af, project=project, participant__code="PLATS-1",
                               referral_date=today - dt.timedelta(days=60))
    AssignmentFactory(referral=training, placement=one_place_a, status=Assignment.Status.ONGOING,
                      start_date=today - dt.timedelta(days=10), planned_end_date=today + dt.timedelta(days=50))
    done = ReferralFactory(agency=agency_fk, project=project, participant__code="KLAR-1",
                           referral_date=today - dt.timedelta(days=200))
    ExitFactory(referral=done, kind=ExitKind.AS_PLANNED, exit_date=today - dt.timedelta(days=5))
    return {"new": new, "assessed": assessed, "training": training, "done": done}


def test_rows_show_stage_agency_one_place_and_days_waiting(client, leader, flow, one_place_a):
    client.force_login(leader)
    html = client.get(reverse("participants:list")).content.decode()
    # Deltagare | Skede | Myndighet | Aktuell plats | Dagar i väntan | Registrering | Kön | Senaste anvisning
    assert _cells(html, "NY-1")[:4] == ["Kartläggning", "Arbetsförmedlingen", "–", "9"]
    assert _cells(html, "KART-1")[:4] == ["Matchning", "Arbetsförmedlingen", "–", "30"]
    assert _cells(html, "PLATS-1")[:4] == ["Arbetsträning", "Arbetsförmedlingen", one_place_a.title, "–"]
    assert _cells(html, "KLAR-1")[:4] == ["Avslutad", "Försäkringskassan", "–", "–"]
    assert _cells(html, "NY-1")[6] == flow["new"].referral_date.isoformat()


def test_days_waiting_is_the_waiting_lists_figure(client, leader, flow):
    client.force_login(leader)
    waiting = {r.code: days for r, days in client.get(reverse("participants:waiting_list")).context["rows"]}
    listed = {p.code: days for p, _stage, days in client.get(reverse("participants:list")).context["rows"]
              if days is not None}
    assert listed == waiting == {"NY-1": 9, "KART-1": 30}


def test_case_worker_sees_the_latest_start_of_their_own_agency(client, case_worker_af, agency_af, project, flow):
    # The same person referred again later by Försäkringskassan: Af's case worker still sees Af's start.
    ReferralFactory(participant=flow["assessed"].participant, agency=flow["done"].agency, project=project,
                    referral_date=timezone.localdate())
    client.force_login(case_worker_af)
    html = client.get(reverse("participants:list")).content.decode()
    assert _cells(html, "KART-1")[:2] == ["Matchning", "Arbetsförmedlingen"]
    assert "KLAR-1" not in html


@pytest.mark.parametrize("extra", [0, 12])
def test_query_count_does_not_grow_with_rows(client, leader, flow, agency_af, project, one_place_a, extra,
                                             django_assert_num_queries):
    for index in range(extra):
        referral = ReferralFactory(agency=agency_af, project=project, participant__code=f"EXTRA-{index}")
        AssignmentFactory(referral=referral, placement=one_place_a, status=Assignment.Status.CONFIRMED)
    client.force_login(leader)
    client.get(reverse("participants:list"))   # warm the session and the option caches
    # session, user, count, the page's keys in order (core.paging), the page's rows (stage, agency, placement
    # in the same query), the audit events
    # (one bulk insert in a savepoint: 1 more); the filter options (agencies, projects) are cached by the warm-up
    # and the session is
    # not written again (its expiry was pushed forward less than SESSION_REFRESH_SECONDS ago).
    with django_assert_num_queries(6):
        response = client.get(reverse("participants:list"))
    assert len(response.context["rows"]) == 4 + extra


def test_rows_are_cards_and_filters_collapse_on_a_phone(client, leader, flow):
    client.force_login(leader)
    html = client.get(reverse("participants:list")).content.decode()
    assert '<table class="table table-striped align-middle table-cards">' in html
    assert '<td data-label="Dagar i väntan" class="text-end">9</td>' in html
    assert '<details class="filter-panel card mb-4" open data-collapse-narrow>' in html
    assert 'src="/static/js/filters.js"' in html


def test_a_new_project_is_in_the_filter_options_at_once(client, leader, flow, org_a):
    client.force_login(leader)
    client.get(reverse("participants:list"))  # fills the option cache
    Project.objects.create(name="Nytt projekt", slug="nytt", owner=org_a, start_date=dt.date(2026, 1, 1),
                           end_date=dt.date(2027, 12, 31))
    assert "Nytt projekt" in client.get(reverse("participants:list")).content.decode()


def test_the_list_kept_for_one_scope_and_day_is_not_another_ones(client, case_worker_af, case_worker_fk, leader,
                                                                  flow):
    """participant_list keeps its built query per scope and day (selectors._PARTICIPANT_LISTS): each case
    worker still sees only their agency's, the leader everyone, and another day's stage is that day's."""
    from participants import selectors

    def codes(user, on=None):
        return {p.code: p.stage for p in selectors.participant_list(user=user, on=on)}

    today = timezone.localdate()
    assert set(codes(case_worker_af)) == {"NY-1", "KART-1", "PLATS-1"}
    assert set(codes(case_worker_fk)) == {"KLAR-1"}
    assert set(codes(leader)) == {"NY-1", "KART-1", "PLATS-1", "KLAR-1"}
    assert set(codes(case_worker_af)) == {"NY-1", "KART-1", "PLATS-1"}
    # Before the exit (5 days ago) the Fk start was still open; a kept query of today must not answer for then.
    assert codes(case_worker_fk)["KLAR-1"] == "exited"
    assert codes(case_worker_fk, on=today - dt.timedelta(days=6))["KLAR-1"] != "exited"
    assert codes(case_worker_fk)["KLAR-1"] == "exited"


def test_each_row_shows_its_cells_escaped(client, leader, flow, agency_af, project):
    """The rows as the page draws them (participants_tags.participant_rows): a name escaped, "–" where there is
    nothing, registration and gender by their labels; a filter that matches nobody says so in one row."""
    named = ReferralFactory(agency=agency_af, project=project, participant__identity="identified",
                            participant__first_name="Åsa <b>", participant__last_name="O'Neil",
                            participant__gender="man", participant__consent_recorded_at=timezone.now(),
                            referral_date=timezone.localdate())
    client.force_login(leader)
    html = client.get(reverse("participants:list")).content.decode()
    row = next(r for r in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if "Åsa" in r)
    assert (f'<th scope="row"><a href="/participants/{named.participant_id}/">Åsa &lt;b&gt; O&#x27;Neil</a></th>'
            in row)
    assert '<td data-label="Aktuell plats">–</td>' in row
    assert '<td data-label="Registrering">Med namn (samtycke)</td>' in row
    assert '<td data-label="Kön">Man</td>' in row
    assert f'<td data-label="Senaste anvisning" class="text-nowrap">{timezone.localdate().isoformat()}</td>' in row
    klar = next(r for r in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if ">KLAR-1<" in r)
    assert '<td data-label="Dagar i väntan" class="text-end">–</td>' in klar
    assert '<td data-label="Registrering">Pseudonym (kod)</td>' in klar and '<td data-label="Kön">Kvinna</td>' in klar
    empty = client.get(reverse("participants:list"), {"q": "ingen-sådan"}).content.decode()
    assert '<tr><td colspan="8">Inga deltagare matchar filtret.</td></tr>' in empty
