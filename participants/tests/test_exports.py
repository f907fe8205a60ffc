"""Exports of the participant list, the waiting list and the 90-day list: the page's columns for the role, the
page's filters, every row, and an export event in the audit log for each participant in the file."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from core.models import AuditEvent, Gender
from participants.models import ExitKind, FollowUp90
from participants.selectors import Stage, WaitingState
from participants.tests.factories import ExitFactory, ReferralFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory


def xlsx_rows(response) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def exported_ids(fmt="xlsx") -> set[str]:
    return set(AuditEvent.objects.filter(action="export", object_type="participants.Participant")
               .values_list("object_id", flat=True))


@pytest.fixture
def many_af(agency_af, project, case_worker_af):
    """30 starts of Af's participants (more than one page), half of them men."""
    return [ReferralFactory(agency=agency_af, project=project, case_worker=case_worker_af,
                            participant__code=f"AF-{i:02d}", referral_date=dt.date(2026, 1, 1) + dt.timedelta(days=i),
                            participant__gender=Gender.MAN if i % 2 else Gender.WOMAN) for i in range(30)]


def test_leader_exports_the_filtered_participant_list(client, leader, many_af, referral_fk):
    client.force_login(leader)
    response = client.get(reverse("participants:list_export", args=["xlsx"]), {"gender": "man"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="deltagare-')
    rows = xlsx_rows(response)
    assert rows[0] == ["Deltagare", "Registrering", "Kön", "Senaste anvisning"]
    men = sorted((r for r in many_af if r.participant.gender == Gender.MAN), key=lambda r: r.referral_date,
                 reverse=True)
    assert [row[0] for row in rows[1:]] == [r.participant.code for r in men]  # all 15, not one page
    assert rows[1][1:] == ["Pseudonym (kod)", "Man", dt.datetime(2026, 1, 30)]
    assert exported_ids() == {str(r.participant_id) for r in men}
    event = AuditEvent.objects.filter(action="export").first()
    assert event.detail == "Export av deltagarlistan (xlsx): gender=man" and event.user == leader


def test_case_worker_exports_only_their_agencys_participants(client, case_worker_af, many_af, referral_fk):
    client.force_login(case_worker_af)
    rows = csv_rows(client.get(reverse("participants:list_export", args=["csv"])))
    codes = {row[0] for row in rows[1:]}
    assert codes == {r.participant.code for r in many_af} and referral_fk.participant.code not in codes


def test_manager_exports_codes_and_dates_of_their_units_only(client, manager_a, referral_af, referral_fk,
                                                              one_place_a):
    AssignmentFactory(placement=one_place_a, referral=referral_af, status=Assignment.Status.CONFIRMED,
                      start_date=dt.date(2026, 2, 1), planned_end_date=dt.date(2026, 5, 1))
    client.force_login(manager_a)
    rows = xlsx_rows(client.get(reverse("participants:list_export", args=["xlsx"])))
    assert rows == [
        ["Deltagare", "Plats", "Enhet", "Start", "Planerat slut", "Slut", "Status"],
        ["AF-TEST-1", one_place_a.title, one_place_a.unit.name, dt.datetime(2026, 2, 1), dt.datetime(2026, 5, 1),
         None, "Bekräftad"],
    ]
    assert exported_ids() == {str(referral_af.participant_id)}


def test_waiting_list_export_has_the_pages_columns_and_rows(client, case_worker_af, referral_af, referral_fk):
    client.force_login(case_worker_af)
    rows = csv_rows(client.get(reverse("participants:waiting_list_export", args=["csv"])))
    days = (timezone.localdate() - referral_af.referral_date).days
    assert rows == [
        ["Deltagare", "Myndighet", "Kön", "Yrkesintressen", "Anvisad", "Dagar i väntan", "Läge"],
        ["AF-TEST-1", "Arbetsförmedlingen", "Kvinna", "", "2026-01-05", str(days), "Väntar på plats"],
    ]
    assert exported_ids() == {str(referral_af.participant_id)}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_waiting_list_export_in_english_has_the_state_in_english(client, case_worker_af, referral_af, fmt):
    client.force_login(case_worker_af)
    response = client.get(reverse("participants:waiting_list_export", args=[fmt]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    rows = xlsx_rows(response) if fmt == "xlsx" else csv_rows(response)
    assert rows[0][-1] == "Status"
    assert rows[1][-1] == "Waiting for a placement"


def test_the_waiting_states_and_stages_are_in_the_language_of_the_request():
    with translation.override("en"):
        assert dict(WaitingState.choices)["waiting"] == "Waiting for a placement"
        assert dict(Stage.choices)["assessment"] == "Assessment"
    with translation.override("sv"):
        assert dict(WaitingState.choices)["waiting"] == "Väntar på plats"


def test_followup90_export(client, leader, referral_af):
    today = timezone.localdate()
    exit = ExitFactory(referral=referral_af, exit_date=today - dt.timedelta(days=95), kind=ExitKind.AS_PLANNED)
    FollowUp90.objects.create(exit=exit, due_on=today - dt.timedelta(days=5))
    client.force_login(leader)
    rows = xlsx_rows(client.get(reverse("participants:followup90_list_export", args=["xlsx"])))
    assert rows[0] == ["Deltagare", "Myndighet", "Avslut", "Ska göras", "Försenad"]
    assert rows[1] == ["AF-TEST-1", "Arbetsförmedlingen", dt.datetime.combine(exit.exit_date, dt.time()),
                       dt.datetime.combine(today - dt.timedelta(days=5), dt.time()), "ja"]


@pytest.mark.parametrize("name", ["participants:list_export", "participants:waiting_list_export",
                                  "participants:followup90_list_export"])
def test_steering_group_cannot_export_individuals(client, steering, referral_af, name):
    client.force_login(steering)
    assert client.get(reverse(name, args=["xlsx"])).status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


def test_unknown_format_is_404(client, leader):
    client.force_login(leader)
    assert client.get(reverse("participants:list_export", args=["pdf"])).status_code == 404


def test_the_list_page_links_to_the_export_with_its_filters(client, leader, referral_af):
    client.force_login(leader)
    html = client.get(reverse("participants:list"), {"gender": "kvinna"}).content.decode()
    assert f'href="{reverse("participants:list_export", args=["xlsx"])}?gender=kvinna"' in html
