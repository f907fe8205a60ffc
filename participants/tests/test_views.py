import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent, Gender
from participants.models import Participant
from participants.tests.factories import ParticipantFactory, ReferralFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory


@pytest.fixture
def identified(agency_af, project, leader):
    participant = Participant.objects.create(
        identity=Participant.Identity.IDENTIFIED, code="AF-ID-1", gender=Gender.WOMAN, first_name="Anna",
        last_name="Ek", personal_number="199001010017", consent_recorded_at=timezone.now(), consent_recorded_by=leader)
    ReferralFactory(participant=participant, agency=agency_af, project=project, referral_date=dt.date(2026, 1, 2))
    return participant


def test_detail_is_audit_logged(client, case_worker_af, referral_af):
    client.force_login(case_worker_af)
    client.get(reverse("participants:detail", args=[referral_af.participant_id]))
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW, object_id=str(referral_af.participant_id))
    assert event.user == case_worker_af and event.object_type == "participants.Participant"


def test_personal_number_masked_never_in_lists_and_revealed_only_to_leader(client, leader, case_worker_af,
                                                                          identified):
    client.force_login(case_worker_af)
    page = client.get(reverse("participants:detail", args=[identified.pk])).content.decode()
    assert "19900101-****" in page and "0017" not in page
    assert "Visa hela personnumret" not in page
    for name in ("participants:list", "participants:waiting_list"):
        listing = client.get(reverse(name)).content.decode()
        assert "Anna Ek" in listing and "19900101" not in listing

    client.force_login(leader)
    page = client.get(reverse("participants:detail", args=[identified.pk])).content.decode()
    assert "19900101-****" in page and "Visa hela personnumret" in page
    before = AuditEvent.objects.filter(detail__contains="personnummer").count()
    page = client.post(reverse("participants:detail", args=[identified.pk]),
                       {"action": "show_personal_number"}).content.decode()
    assert "19900101-0017" in page
    assert AuditEvent.objects.filter(detail__contains="personnummer", user=leader).count() == before + 1


def test_lists_are_audit_logged(client, leader, referral_af):
    client.force_login(leader)
    client.get(reverse("participants:list"))
    client.get(reverse("participants:waiting_list"))
    # One event per person shown, so a search for this person's id finds both lists.
    shown = AuditEvent.objects.filter(user=leader, object_type="participants.Participant",
                                      object_id=str(referral_af.participant_id))
    details = list(shown.values_list("detail", flat=True))
    assert any(d.startswith("Deltagarlista") for d in details)
    assert any(d.startswith("Väntelista") for d in details)


def test_manager_sees_only_name_or_code_and_dates(client, manager_a, identified, one_place_a):
    referral = identified.referrals.get()
    referral.notes = "Hemlig anteckning"
    referral.save()
    AssignmentFactory(referral=referral, placement=one_place_a, status=Assignment.Status.CONFIRMED)
    client.force_login(manager_a)
    listing = client.get(reverse("participants:list")).content.decode()
    assert "Anna Ek" in listing and one_place_a.title in listing
    page = client.get(reverse("participants:detail", args=[identified.pk])).content.decode()
    assert "Anna Ek" in page and "2026-01-01" in page
    for secret in ("19900101", "Hemlig anteckning", "Arbetsförmedlingen"):
        assert secret not in page


def test_participant_list_filters(client, leader, agency_af, agency_fk, project):
    ReferralFactory(agency=agency_af, project=project, participant__code="AAA-1", participant__gender=Gender.MAN)
    ReferralFactory(agency=agency_fk, project=project, participant__code="BBB-2")
    client.force_login(leader)
    codes = lambda r: {p.code for p in r.context["page"].object_list}  # noqa: E731
    assert codes(client.get(reverse("participants:list"), {"agency": agency_fk.pk})) == {"BBB-2"}
    assert codes(client.get(reverse("participants:list"), {"gender": "man"})) == {"AAA-1"}
    assert codes(client.get(reverse("participants:list"), {"q": "aaa"})) == {"AAA-1"}


def test_waiting_list_shows_unplaced_with_days_and_filters(client, case_worker_af, agency_af, agency_fk, project,
                                                           area_testvard, one_place_a):
    waiting = ReferralFactory(agency=agency_af, project=project, referral_date=timezone.localdate()
                              - dt.timedelta(days=12), participant__code="W-1")
    waiting.interests.add(area_testvard)
    ReferralFactory(agency=agency_af, project=project, participant__code="W-2", participant__gender=Gender.MAN)
    placed = ReferralFactory(agency=agency_af, project=project, participant__code="P-1")
    AssignmentFactory(referral=placed, placement=one_place_a, status=Assignment.Status.ONGOING)
    requested = ReferralFactory(agency=agency_af, project=project, participant__code="R-1")
    AssignmentFactory(referral=requested, placement=one_place_a, status=Assignment.Status.REQUESTED)
    ReferralFactory(agency=agency_fk, participant__code="FK-OTHER")  # another agency's participant: never shown

    client.force_login(case_worker_af)
    response = client.get(reverse("participants:waiting_list"))
    rows = {row.code: days for row, days in response.context["rows"]}
    assert set(rows) == {"W-1", "W-2", "R-1"}
    assert rows["W-1"] == 12
    html = response.content.decode()
    request_row = re.search(r"<tr>\s*<th scope=\"row\"><a [^>]*>R-1</a></th>(.*?)</tr>", html, re.S).group(1)
    assert '<td data-label="Läge">Förfrågan väntar på svar</td>' in request_row
    waiting_row = re.search(r"<tr>\s*<th scope=\"row\"><a [^>]*>W-1</a></th>(.*?)</tr>", html, re.S).group(1)
    assert '<td data-label="Läge">Väntar på plats</td>' in waiting_row
    filtered = client.get(reverse("participants:waiting_list"), {"interest": area_testvard.pk, "gender": "kvinna"})
    assert [r.code for r, _d in filtered.context["rows"]] == ["W-1"]


def test_referral_form_shows_errors_and_recognises_known_participant(client, case_worker_af, project, agency_af):
    ReferralFactory(participant=ParticipantFactory(code="AF-KNOWN"), agency=agency_af, project=project,
                    referral_date=dt.date(2025, 1, 10))
    client.force_login(case_worker_af)
    url = reverse("participants:referral_create")
    bad = client.post(url, {"project": project.pk, "referral_date": "2026-01-10", "identity": "identified",
                            "gender": "kvinna", "first_name": "Anna", "personal_number": "19900101-0018"})
    assert bad.status_code == 200
    html = bad.content.decode()
    assert "Kontrollsiffran stämmer inte" in html and "samtycke" in html and 'id="error-summary"' in html
    ok = client.post(url, {"project": project.pk, "referral_date": "2026-01-10", "identity": "pseudonymous",
                           "gender": "kvinna", "code": "AF-KNOWN"}, follow=True)
    assert "Deltagaren fanns redan" in ok.content.decode()
    assert Participant.objects.get(code="AF-KNOWN").referrals.count() == 2


def test_survey_page_is_plain_and_accessible(client, case_worker_af, referral_af, categories):
    from participants import services
    from participants.models import ExitKind

    result = services.exit_record(user=case_worker_af, referral=referral_af, exit_date=dt.date(2026, 2, 1),
                                  kind=ExitKind.AS_PLANNED, reason=categories["reasons"]["arbete"])
    response = client.get(reverse("participants:survey", args=[result.survey_token]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<fieldset") == 5 and html.count("<legend") == 5
    assert referral_af.participant.code not in html and "Arbetsförmedlingen" not in html
    assert response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    incomplete = client.post(reverse("participants:survey", args=[result.survey_token]), {})
    assert incomplete.status_code == 200 and "Svara ja eller nej" in incomplete.content.decode()


def _state_cells(html: str) -> dict[str, str]:
    return dict(re.findall(r'<th scope="row" class="fw-normal">([^<]+)</th><td class="text-end[^"]*">(\d+)</td>', html))


def test_home_panels(client, leader, case_worker_af, referral_af):
    client.force_login(case_worker_af)
    html = client.get(reverse("home")).content.decode()
    assert _state_cells(html) == {"Väntar på plats": "1", "Förfrågan väntar på svar": "0",
                                  "Bokad, inte påbörjad": "0", "Placering avslutad, väntar på avslut": "0"}
    client.force_login(leader)
    html = client.get(reverse("home")).content.decode()
    assert "90-dagarsuppföljningar att göra" in html
    assert _state_cells(html)["Väntar på plats"] == "1"


def test_each_waiting_list_row_shows_its_cells_escaped(client, case_worker_af, agency_af, project, area_testvard):
    """The waiting list's rows as the page draws them (participants_tags.waiting_rows): the name escaped in the
    link and in the matching button's hidden text, interests joined by ", " or "–"; nobody waiting says so."""
    from organisations.tests.factories import OccupationalAreaFactory

    client.force_login(case_worker_af)
    empty = client.get(reverse("participants:waiting_list")).content.decode()
    assert '<tr><td colspan="8">Ingen väntar just nu.</td></tr>' in empty
    today = timezone.localdate()
    two = ReferralFactory(agency=agency_af, project=project, participant__code="W<&>1",
                          referral_date=today - dt.timedelta(days=3))
    two.interests.add(area_testvard, OccupationalAreaFactory(code="kok", name="Kök & servering"))
    none = ReferralFactory(agency=agency_af, project=project, participant__code="W-2", participant__gender=Gender.MAN,
                           referral_date=today - dt.timedelta(days=1))
    html = client.get(reverse("participants:waiting_list")).content.decode()
    row = re.search(r"<tr>\s*<th scope=\"row\"><a [^>]*>W&lt;&amp;&gt;1</a></th>(.*?)</tr>", html, re.S)
    assert f'<a href="/participants/{two.participant_id}/">W&lt;&amp;&gt;1</a>' in html
    cells = row.group(1)
    assert f'<td data-label="Myndighet">{agency_af.name}</td>' in cells
    assert '<td data-label="Kön">Kvinna</td>' in cells
    interests = ", ".join(a.name.replace("&", "&amp;") for a in two.interests.all())  # in the areas' order
    assert "Kök &amp; servering" in interests and f'<td data-label="Yrkesintressen">{interests}</td>' in cells
    assert f'<td data-label="Anvisad" class="text-nowrap">{two.referral_date.isoformat()}</td>' in cells
    assert '<td data-label="Dagar i väntan" class="text-end">3</td>' in cells
    assert '<td data-label="Läge">Väntar på plats</td>' in cells
    assert (f'<td><a class="btn btn-sm btn-outline-primary" href="{reverse("participants:matching", args=[two.pk])}">'
            'Matcha<span class="visually-hidden"> W&lt;&amp;&gt;1</span></a></td>') in cells
    other = re.search(r"<tr>\s*<th scope=\"row\"><a [^>]*>W-2</a></th>(.*?)</tr>", html, re.S).group(1)
    assert '<td data-label="Yrkesintressen">–</td>' in other and '<td data-label="Kön">Man</td>' in other
    assert none.participant.code in html
