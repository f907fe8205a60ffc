"""Every change of a participant's personal data is in the audit log under the participant, written by the
service (not the view), with the client's IP address when it happens in a request."""

import datetime as dt

import pytest
from django.urls import reverse

from core.models import AuditEvent, Gender
from participants import services
from participants.models import ExitKind, Participant
from placements import services as placement_services
from placements.models import Assignment

D = dt.date(2026, 2, 1)


def _events(participant_id) -> list[tuple[str, str]]:
    return [(e.action, e.detail) for e in AuditEvent.objects.filter(
        object_type="participants.Participant", object_id=str(participant_id)).order_by("pk")]


def test_the_whole_flow_leaves_a_trail(case_worker_af, manager_a, agency_af, project, one_place_a, categories):
    result = services.referral_create(user=case_worker_af, project=project, agency=agency_af,
                                      identity=Participant.Identity.PSEUDONYMOUS, gender=Gender.MAN, referral_date=D)
    referral = result.referral
    pid = referral.participant_id
    services.assessment_save(user=case_worker_af, referral=referral, obstacles="Ångest", resources="Noggrann",
                             completed_on=D)
    step = services.plan_step_create(user=case_worker_af, referral=referral, description="Studiebesök")
    services.plan_step_mark_done(user=case_worker_af, step=step, done_on=D)
    services.competence_create(user=case_worker_af, referral=referral, name="Truckkort", validated_on=D)
    services.follow_up_create(user=case_worker_af, referral=referral, met_on=D, notes="Bra vecka")
    assignment = services.assignment_request(user=case_worker_af, referral=referral, placement=one_place_a,
                                            start_date=D, planned_end_date=D + dt.timedelta(days=60))
    placement_services.assignment_confirm(user=manager_a, assignment=assignment)
    services.assignment_begin(user=case_worker_af, assignment=Assignment.objects.get(pk=assignment.pk))
    exit_result = services.exit_record(user=case_worker_af, referral=referral, exit_date=D + dt.timedelta(days=30),
                                       kind=ExitKind.AS_PLANNED, reason=categories["reasons"]["arbete"])
    services.followup90_record(user=case_worker_af, followup=exit_result.exit.followup_90,
                               done_on=D + dt.timedelta(days=120), activity=categories["activities"]["arbete"])
    answers = {s.pk: True for s in categories_statements()}
    services.survey_answer(token=exit_result.survey_token, answers=answers)

    trail = _events(pid)
    details = [detail for _action, detail in trail]
    assert trail[0] == (AuditEvent.Action.CREATE, f"Anvisning (ny deltagare), start {referral.pk}")
    for expected in ("Kartläggning", "Steg i individuell plan", "Steg i individuell plan klart",
                     "Kompetens på kompetenskortet", "Uppföljning 2026-02-01", "förfrågad", "bekräftad",
                     "startad", "avslutad", "Avslut", "Enkätlänk skapad", "Uppföljning 90 dagar efter avslut",
                     "Enkätsvar (deltagaren själv)"):
        assert any(expected in detail for detail in details), expected
    by_user = {e.user_email for e in AuditEvent.objects.filter(object_id=str(pid))}
    assert by_user == {case_worker_af.email, manager_a.email, ""}  # "" = the participant answering the survey
    assert all(action in (AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE) for action, _detail in trail)


def categories_statements():
    from participants.models import SurveyStatement

    return SurveyStatement.objects.filter(active=True)


def test_a_change_made_through_a_page_records_the_ip(client, case_worker_af, referral_af):
    client.force_login(case_worker_af)
    response = client.post(reverse("participants:follow_up_create", args=[referral_af.pk]),
                           {"met_on": "2026-02-03", "notes": "Samtal"}, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE, object_id=str(referral_af.participant_id))
    assert event.ip_address == "10.1.2.3"
    assert event.user == case_worker_af
    assert event.at is not None


def test_referral_page_logs_the_creation_once(client, case_worker_af, agency_af, project):
    client.force_login(case_worker_af)
    response = client.post(reverse("participants:referral_create"), {
        "project": project.pk, "agency": agency_af.pk, "identity": "pseudonymous", "gender": "kvinna",
        "referral_date": "2026-02-01"})
    assert response.status_code == 302, response.context["form"].errors
    participant = Participant.objects.get()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE, object_id=str(participant.pk)).count() == 1


@pytest.mark.parametrize("what", ["decline", "withdraw"])
def test_assignment_decisions_are_logged_under_the_participant(what, manager_a, case_worker_af, referral_af,
                                                              one_place_a):
    assignment = services.assignment_request(user=case_worker_af, referral=referral_af, placement=one_place_a,
                                            start_date=D, planned_end_date=D + dt.timedelta(days=30))
    if what == "decline":
        placement_services.assignment_decline(user=manager_a, assignment=assignment, reason="Full")
    else:
        placement_services.assignment_withdraw(user=case_worker_af, assignment=assignment, reason="Ångrat")
    expected = "avböjd" if what == "decline" else "återtagen"
    assert any(expected in detail for _action, detail in _events(referral_af.participant_id))
