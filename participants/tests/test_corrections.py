"""Corrections with a trail: exit, referral, follow-up, plan step, competence, and consent. Always with a reason;
each correction is in the change history (old → new, who, why) and the audit log, and kept as a Correction."""

import datetime as dt

import pytest
from django.urls import reverse

from core.models import AuditEvent
from participants.models import Correction, Exit, ExitKind, FollowUp, FollowUp90, Participant, PlanStep
from participants.tests.factories import ExitFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory


@pytest.fixture
def exit_af(referral_af, categories):
    exit = ExitFactory(referral=referral_af, exit_date=dt.date(2026, 3, 31), kind=ExitKind.AS_PLANNED,
                       reason=categories["reasons"]["sjukdom"])
    FollowUp90.objects.create(exit=exit, due_on=exit.exit_date + dt.timedelta(days=90))
    return exit


def _exit_post(exit, **changes):
    data = {"exit_date": exit.exit_date.isoformat(), "kind": exit.kind, "reason": exit.reason_id or "",
            "activity_after": "", "support_after": "", "correction_reason": "Fel orsak registrerades"}
    return {**data, **changes}


def test_leader_corrects_an_exit_reason_with_a_reason_and_a_trail(client, leader, exit_af, categories):
    client.force_login(leader)
    url = reverse("participants:exit_correct", args=[exit_af.pk])
    response = client.post(url, _exit_post(exit_af, reason=categories["reasons"]["arbete"].pk))
    assert response.status_code == 302
    exit_af.refresh_from_db()
    assert exit_af.reason == categories["reasons"]["arbete"]
    record = exit_af.history.latest()
    assert record.history_user == leader and record.history_change_reason == "Fel orsak registrerades"
    correction = Correction.objects.get()
    assert (correction.kind, correction.fields, correction.affects_figures) == ("exit", "avslutsorsak", True)
    assert correction.affects_from == dt.date(2026, 3, 31)
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, object_id=str(exit_af.referral.participant_id))
    assert event.detail == (f"Rättelse av avslut (avslutsorsak), start {exit_af.referral_id}. "
                            "Skäl: Fel orsak registrerades")
    # The correction page shows the change history with the reason.
    page = client.get(url).content.decode()
    assert "skäl: Fel orsak registrerades" in page
    assert "Avslutsorsak: <del>Sjukdom</del> → <ins>Arbete</ins>" in page


def test_a_correction_without_reason_is_refused(client, leader, exit_af, categories):
    client.force_login(leader)
    response = client.post(reverse("participants:exit_correct", args=[exit_af.pk]),
                           _exit_post(exit_af, reason=categories["reasons"]["arbete"].pk, correction_reason=""))
    assert response.status_code == 200
    assert response.context["form"].errors["correction_reason"] == ["Ange varför uppgiften rättas."]
    exit_af.refresh_from_db()
    assert exit_af.reason == categories["reasons"]["sjukdom"]
    assert not Correction.objects.exists()


def test_correcting_the_exit_date_moves_the_90_day_follow_up(client, case_worker_af, exit_af):
    client.force_login(case_worker_af)
    client.post(reverse("participants:exit_correct", args=[exit_af.pk]),
                _exit_post(exit_af, exit_date="2026-02-28", correction_reason="Fel datum"))
    exit_af.refresh_from_db()
    assert exit_af.exit_date == dt.date(2026, 2, 28)
    assert exit_af.followup_90.due_on == dt.date(2026, 5, 29)
    correction = Correction.objects.get()
    assert correction.affects_from == dt.date(2026, 2, 28) and correction.corrected_by == case_worker_af


def test_registered_in_error_corrected_to_a_real_exit_gets_its_follow_up(client, leader, referral_af, categories):
    exit = ExitFactory(referral=referral_af, exit_date=dt.date(2026, 3, 1), kind=ExitKind.REGISTERED_IN_ERROR)
    client.force_login(leader)
    client.post(reverse("participants:exit_correct", args=[exit.pk]),
                _exit_post(exit, kind=ExitKind.INTERRUPTED, reason=categories["reasons"]["ovrigt"].pk))
    assert FollowUp90.objects.get(exit=exit).due_on == dt.date(2026, 5, 30)


def test_no_change_means_no_correction(client, leader, exit_af):
    client.force_login(leader)
    client.post(reverse("participants:exit_correct", args=[exit_af.pk]), _exit_post(exit_af))
    assert not Correction.objects.exists()
    assert exit_af.history.count() == 1


def test_who_may_correct_an_exit(client, exit_af, case_worker_fk, manager_a, one_place_a, steering):
    url = reverse("participants:exit_correct", args=[exit_af.pk])
    client.force_login(case_worker_fk)
    assert client.get(url).status_code == 404  # another agency's start
    AssignmentFactory(placement=one_place_a, referral=exit_af.referral, status=Assignment.Status.COMPLETED,
                      start_date=dt.date(2026, 2, 1), planned_end_date=dt.date(2026, 3, 31))
    client.force_login(manager_a)  # sees the participant placed at their unit, may not correct
    assert client.get(url).status_code == 403
    assert client.post(url, _exit_post(exit_af, kind=ExitKind.INTERRUPTED)).status_code == 403
    client.force_login(steering)
    assert client.get(url).status_code == 403
    exit_af.refresh_from_db()
    assert exit_af.kind == ExitKind.AS_PLANNED


def test_referral_correction_of_dates_and_support(client, case_worker_af, referral_af, categories):
    client.force_login(case_worker_af)
    response = client.post(reverse("participants:referral_correct", args=[referral_af.pk]), {
        "referral_date": "2026-01-02", "start_date": "2026-01-10",
        "support_before": categories["supports"]["a-kassa"].pk, "wished_municipality": "Gotland",
        "correction_reason": "Datumet skrevs fel vid anvisningen"})
    assert response.status_code == 302
    referral_af.refresh_from_db()
    assert (referral_af.referral_date, referral_af.start_date) == (dt.date(2026, 1, 2), dt.date(2026, 1, 10))
    correction = Correction.objects.get()
    assert correction.kind == "referral" and correction.affects_figures
    assert correction.fields == "anvisningsdatum, startdatum i projektet, försörjning före start, önskad kommun"
    assert referral_af.history.latest().history_change_reason == "Datumet skrevs fel vid anvisningen"


def test_referral_start_before_referral_date_is_a_form_error(client, leader, referral_af):
    client.force_login(leader)
    response = client.post(reverse("participants:referral_correct", args=[referral_af.pk]), {
        "referral_date": "2026-01-05", "start_date": "2026-01-01", "correction_reason": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors["start_date"] == ["Startdatum kan inte vara före anvisningsdatum."]


def test_follow_up_plan_step_and_competence_corrections(client, case_worker_af, referral_af):
    follow_up = FollowUp.objects.create(referral=referral_af, met_on=dt.date(2026, 2, 1), notes="Bra möte")
    step = PlanStep.objects.create(referral=referral_af, description="Söka jobb")
    competence = referral_af.competences.create(name="Kassa", validated_on=dt.date(2026, 2, 1))
    client.force_login(case_worker_af)
    client.post(reverse("participants:follow_up_correct", args=[follow_up.pk]),
                {"met_on": "2026-02-03", "notes": "Bra möte", "correction_reason": "Fel dag"})
    client.post(reverse("participants:plan_step_correct", args=[step.pk]),
                {"description": "Söka jobb inom vården", "correction_reason": "Förtydligat"})
    client.post(reverse("participants:competence_correct", args=[competence.pk]),
                {"name": "Kassahantering", "validated_on": "2026-02-01", "correction_reason": "Stavning"})
    follow_up.refresh_from_db()
    step.refresh_from_db()
    competence.refresh_from_db()
    assert follow_up.met_on == dt.date(2026, 2, 3)
    assert step.description == "Söka jobb inom vården"
    assert competence.name == "Kassahantering"
    assert list(Correction.objects.order_by("pk").values_list("kind", "fields", "reason")) == [
        ("follow_up", "datum", "Fel dag"), ("plan_step", "steg", "Förtydligat"),
        ("competence", "kompetens", "Stavning")]
    assert not Correction.objects.filter(affects_figures=True).exists()
    assert step.history.latest().history_change_reason == "Förtydligat"


def test_detail_page_links_to_the_corrections_for_those_who_may_correct(client, case_worker_af, exit_af):
    client.force_login(case_worker_af)
    page = client.get(reverse("participants:detail", args=[exit_af.referral.participant_id])).content.decode()
    assert f'href="{reverse("participants:exit_correct", args=[exit_af.pk])}"' in page
    assert f'href="{reverse("participants:referral_correct", args=[exit_af.referral_id])}"' in page
    assert f'href="{reverse("participants:consent_record", args=[exit_af.referral.participant_id])}"' in page


# --- Consent ---------------------------------------------------------------------------------------------


def test_pseudonymous_participant_becomes_identified_after_consent_and_back(client, case_worker_af, referral_af):
    participant = referral_af.participant
    client.force_login(case_worker_af)
    url = reverse("participants:consent_record", args=[participant.pk])
    response = client.post(url, {"first_name": "Sara", "last_name": "Lind"})  # consent not ticked
    assert response.status_code == 200 and "consent" in response.context["form"].errors
    response = client.post(url, {"first_name": "Sara", "last_name": "Lind", "personal_number": "19900101-0017",
                                 "consent": "on", "correction_reason": "Skriftligt samtycke 3 mars"})
    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.identity == Participant.Identity.IDENTIFIED
    assert participant.display_name == "Sara Lind" and participant.code == "AF-TEST-1"
    assert participant.consent_recorded_by == case_worker_af and participant.personal_number
    assert AuditEvent.objects.filter(object_id=str(participant.pk), action=AuditEvent.Action.UPDATE,
                                     detail="Identifiering, namn. Skäl: Skriftligt samtycke 3 mars").exists()

    withdraw = reverse("participants:consent_withdraw", args=[participant.pk])
    assert client.post(withdraw, {"correction_reason": "Återkallat per telefon"}).status_code == 200  # no confirm
    client.post(withdraw, {"correction_reason": "Återkallat per telefon", "confirm": "on"})
    participant.refresh_from_db()
    assert participant.identity == Participant.Identity.PSEUDONYMOUS
    assert (participant.first_name, participant.last_name, participant.personal_number) == ("", "", "")
    assert participant.consent_recorded_at is None and participant.display_name == "AF-TEST-1"
    assert list(Correction.objects.order_by("pk").values_list("kind", "fields")) == [
        ("identity", "identifiering, namn"), ("identity", "samtycke återkallat")]


def test_consent_pages_are_for_the_own_agency_and_the_leader(client, referral_af, case_worker_fk, manager_a):
    url = reverse("participants:consent_record", args=[referral_af.participant_id])
    client.force_login(case_worker_fk)
    assert client.get(url).status_code == 404
    client.force_login(manager_a)
    assert client.get(url).status_code == 404
    assert Exit.objects.count() == 0
