"""The registered person's rights: register extract PDF, correction and erasure, leader only."""

import datetime as dt
import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_log
from core.models import AuditEvent, Gender
from participants import register
from participants.models import (
    Assessment,
    Competence,
    FollowUp,
    FollowUp90,
    Participant,
    PlanStep,
)
from participants.tests.factories import ExitFactory, ReferralFactory
from placements.tests.factories import AssignmentFactory


@pytest.fixture
def person(leader, agency_af, project, case_worker_af, categories):
    participant = Participant.objects.create(
        identity=Participant.Identity.IDENTIFIED, code="AF-2026-0077", gender=Gender.WOMAN, birth_year=1990,
        first_name="Åsa", last_name="Öberg", personal_number="199001010017", consent_recorded_at=timezone.now(),
        consent_recorded_by=leader)
    referral = ReferralFactory(participant=participant, agency=agency_af, project=project, case_worker=case_worker_af,
                               notes="Vill arbeta med djur", wished_municipality="Slite")
    Assessment.objects.create(referral=referral, obstacles="Ryggbesvär", resources="Körkort")
    PlanStep.objects.create(referral=referral, description="Praktik på stall")
    Competence.objects.create(referral=referral, name="Djurskötsel", validated_on=dt.date(2026, 3, 1))
    FollowUp.objects.create(referral=referral, met_on=dt.date(2026, 2, 1), notes="Trivs bra", author=case_worker_af)
    AssignmentFactory(referral=referral, decline_reason="")
    exit = ExitFactory(referral=referral, reason=categories["reasons"]["arbete"])
    FollowUp90.objects.create(exit=exit, due_on=dt.date(2026, 9, 28), notes="Anställd på gården")
    audit_log(user=case_worker_af, action=AuditEvent.Action.VIEW, obj=participant, detail="Deltagarsida")
    return participant


def test_extract_holds_everything_stored_and_who_looked(leader, person):
    context = register.register_extract(user=leader, participant=person)
    html = render_to_string("participants/pdf/register_extract.html", {**context, "now": timezone.now(),
                                                                        "leader": leader})
    for text in ("Åsa", "Öberg", "199001010017", "AF-2026-0077", "Vill arbeta med djur", "Slite", "Ryggbesvär",
                 "Körkort", "Praktik på stall", "Djurskötsel", "Trivs bra", "Anställd på gården", "Enligt plan",
                 "af@example.test", "Deltagarsida", "Ändringshistorik"):
        assert text in html, text


def test_leader_downloads_the_extract_and_it_is_logged_as_an_export(client, leader, person):
    client.force_login(leader)
    response = client.get(reverse("participants:register_extract", args=[person.pk]), REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT, object_id=str(person.pk))
    assert event.user == leader and event.ip_address == "10.0.0.9"


@pytest.mark.parametrize("actor", ["case_worker_af", "manager_a", "steering"])
@pytest.mark.parametrize("name", ["register_extract", "correct", "erase"])
def test_other_roles_are_refused(client, actors, person, actor, name):
    client.force_login(actors[actor])
    assert client.get(reverse(f"participants:{name}", args=[person.pk])).status_code == 403
    if name != "register_extract":
        client.post(reverse(f"participants:{name}", args=[person.pk]), {"reason": "x", "confirm": "on",
                                                                       "gender": "man", "code": "X"})
        person.refresh_from_db()
        assert person.personal_data_purged_at is None and person.gender == Gender.WOMAN


def test_leader_corrects_and_the_log_names_fields_not_values(client, leader, person):
    client.force_login(leader)
    url = reverse("participants:correct", args=[person.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"code": "AF-2026-0077", "gender": "kvinna", "birth_year": "1991",
                                 "first_name": "Åsa", "last_name": "Öberg-Lind", "personal_number": "199001010017"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.birth_year, person.last_name) == (1991, "Öberg-Lind")
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, object_id=str(person.pk))
    assert "födelseår" in event.detail and "efternamn" in event.detail
    assert "Öberg-Lind" not in event.detail and "1991" not in event.detail


def test_correction_errors_are_shown_and_nothing_is_saved(client, leader, person):
    client.force_login(leader)
    response = client.post(reverse("participants:correct", args=[person.pk]), {
        "code": "AF-2026-0077", "gender": "kvinna", "first_name": "Åsa", "last_name": "Öberg",
        "personal_number": "199001010018"})  # wrong check digit
    assert response.status_code == 200
    assert "personal_number" in response.context["form"].errors
    person.refresh_from_db()
    assert person.personal_number == "199001010017"


def test_a_taken_code_is_refused(client, leader, person):
    Participant.objects.create(code="FK-1", gender=Gender.MAN)
    client.force_login(leader)
    response = client.post(reverse("participants:correct", args=[person.pk]), {
        "code": "FK-1", "gender": "kvinna", "first_name": "Åsa", "last_name": "Öberg",
        "personal_number": "199001010017"})
    assert response.status_code == 200
    assert "code" in response.context["form"].errors


def test_erasure_asks_for_confirmation_and_a_reason(client, leader, person):
    client.force_login(leader)
    url = reverse("participants:erase", args=[person.pk])
    page = client.get(url)
    assert page.status_code == 200 and "går inte att ångra" in page.content.decode()
    response = client.post(url, {"reason": "", "confirm": "on"})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    response = client.post(url, {"reason": "Begäran 2026-05-01"})
    assert response.status_code == 200 and "confirm" in response.context["form"].errors
    person.refresh_from_db()
    assert person.personal_data_purged_at is None

    response = client.post(url, {"reason": "Begäran 2026-05-01", "confirm": "on"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.personal_data_purged_at is not None
    assert (person.first_name, person.personal_number, person.code) == ("", "", None)
    assert not PlanStep.objects.exists() and not Competence.objects.exists()
    assert FollowUp.objects.get().notes == ""
    event = AuditEvent.objects.get(action=AuditEvent.Action.DELETE, object_id=str(person.pk))
    assert event.user == leader and "Begäran 2026-05-01" in event.detail
    # Afterwards: nothing left to correct or erase; the extract shows what remains.
    assert client.get(reverse("participants:correct", args=[person.pk])).status_code == 302
    assert client.get(url).status_code == 302
    detail = client.get(reverse("participants:detail", args=[person.pk])).content.decode()
    assert "Åsa" not in detail and "Personuppgifterna raderades" in detail


def test_other_agencys_or_missing_participant_is_404_for_the_leader_only_when_missing(client, leader):
    client.force_login(leader)
    assert client.get(reverse("participants:register_extract", args=[999999])).status_code == 404


def test_anonymous_is_sent_to_login(client, person):
    response = client.get(reverse("participants:register_extract", args=[person.pk]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_survey_says_truthfully_how_answers_are_used_and_the_extract_says_the_same(
        client, leader, person, categories, case_worker_af):
    from participants.models import ExitKind, SurveyStatement
    from participants.services import exit_record, survey_answer

    referral = ReferralFactory(participant=person, agency=person.referrals.first().agency,
                               project=person.referrals.first().project, referral_date=dt.date(2026, 4, 1))
    result = exit_record(user=case_worker_af, referral=referral, exit_date=dt.date(2026, 5, 1),
                         kind=ExitKind.AS_PLANNED, reason=categories["reasons"]["arbete"])
    survey_page = _text(client.get(reverse("participants:survey", args=[result.survey_token])).content.decode())
    promise = _text(render_to_string("participants/_survey_use.html"))
    assert promise in survey_page
    assert "aldrig per person" not in survey_page          # the answers ARE stored with the person's record
    assert "registerutdrag" in promise and "summor" in promise

    survey_answer(token=result.survey_token,
                  answers={s.pk: s.number % 2 == 1 for s in SurveyStatement.objects.filter(active=True)})
    context = register.register_extract(user=leader, participant=person)
    extract = _text(render_to_string("participants/pdf/register_extract.html",
                                     {**context, "now": timezone.now(), "leader": leader}))
    first = SurveyStatement.objects.get(number=1)
    assert f"1. {first.text}: ja" in extract and "2." in extract   # what is stored, per statement
    assert promise in extract                                      # and the same words on how it is used
