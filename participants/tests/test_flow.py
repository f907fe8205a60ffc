"""The whole flow through the pages: referral → assessment → match → request → confirm (manager, via the
assignment service) → start → follow-up → plan → competence card → exit → 90-day follow-up → survey."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from core.models import AuditEvent
from participants.models import Exit, ExitKind, FollowUp, FollowUp90, Participant, SurveyAnswer
from placements import services as placement_services
from placements.models import Assignment


@pytest.mark.django_db
def test_whole_flow(client, case_worker_af, manager_a, leader, agency_af, project, one_place_a, area_testvard, calm,
                    categories, django_capture_on_commit_callbacks):
    one_place_a.adaptations.add(calm)
    one_place_a.unit.municipality = "Visby"
    one_place_a.unit.save()
    client.force_login(case_worker_af)

    # 1. Referral (pseudonymous, code suggested)
    response = client.post(reverse("participants:referral_create"), {
        "project": project.pk, "referral_date": "2026-01-10", "identity": "pseudonymous", "gender": "kvinna",
        "code": "", "interests": [area_testvard.pk], "adaptation_needs": [calm.pk], "wished_municipality": "Visby",
        "support_before": categories["supports"]["a-kassa"].pk,
        "activity_before": categories["activities"]["arbetssökande"].pk,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    participant = Participant.objects.get()
    referral = participant.referrals.get()
    assert re.fullmatch(r"AF-2026-[A-Z2-9]{6}", participant.code)
    assert referral.agency == agency_af

    # 2. Assessment
    response = client.post(reverse("participants:assessment", args=[referral.pk]), {
        "obstacles": "Oro i nya miljöer", "resources": "Noggrann", "interests": [area_testvard.pk],
        "wished_municipality": "Visby", "completed_on": "2026-01-20"})
    assert response.status_code == 302
    assert referral.assessment.completed_on == dt.date(2026, 1, 20)

    # 3. Matching: the placement comes first, with its reasons
    response = client.get(reverse("participants:matching", args=[referral.pk]),
                          {"start_date": "2026-02-01", "planned_end_date": "2026-04-30"})
    assert response.status_code == 200
    suggestions = response.context["suggestions"]
    assert suggestions[0].placement == one_place_a
    assert any("Testvård" in reason for reason in suggestions[0].reasons)
    assert any("Visby" in reason for reason in suggestions[0].reasons)

    # 4. Request → the manager is e-mailed
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("participants:assignment_request", args=[referral.pk]), {
            "placement": one_place_a.pk, "start_date": "2026-02-01", "planned_end_date": "2026-04-30"})
    assert response.status_code == 302
    assignment = Assignment.objects.get(referral=referral)
    assert assignment.status == Assignment.Status.REQUESTED
    assert mail.outbox[-1].to == [manager_a.email]

    # 5. Confirm as the manager (the placement page with the button belongs to the placements app)
    placement_services.assignment_confirm(user=manager_a, assignment=assignment)

    # 6. Start, follow-up, plan step, competence
    response = client.post(reverse("participants:assignment_start", args=[assignment.pk]), {"start_date": "2026-02-03"})
    assert response.status_code == 302
    assignment.refresh_from_db()
    referral.refresh_from_db()
    assert assignment.status == Assignment.Status.ONGOING
    assert referral.start_date == dt.date(2026, 2, 3)
    client.post(reverse("participants:follow_up_create", args=[referral.pk]),
                {"met_on": "2026-02-20", "assignment": assignment.pk, "notes": "Går bra"})
    assert FollowUp.objects.get().assignment == assignment
    client.post(reverse("participants:plan_step_create", args=[referral.pk]),
                {"description": "Söka jobb som undersköterska", "due_on": "2026-05-01"})
    step = referral.plan_steps.get()
    client.post(reverse("participants:plan_step_done", args=[step.pk]))
    step.refresh_from_db()
    assert step.done_on is not None
    client.post(reverse("participants:competence_create", args=[referral.pk]),
                {"name": "Samarbete", "validated_on": "2026-03-01", "validated_by": "Handledare Hedda"})
    response = client.get(reverse("participants:competence_card", args=[referral.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")

    # 7. Exit: completes the assignment, plans the 90-day follow-up, shows the survey link once
    response = client.post(reverse("participants:exit", args=[referral.pk]), {
        "exit_date": "2026-04-15", "kind": ExitKind.AS_PLANNED, "reason": categories["reasons"]["arbete"].pk,
        "activity_after": categories["activities"]["arbete"].pk})
    assert response.status_code == 302
    exit = Exit.objects.get(referral=referral)
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.COMPLETED and assignment.end_date == dt.date(2026, 4, 15)
    link_page = client.get(response["Location"])
    url = re.search(r'value="(http[^"]+/participants/survey/[^"]+/)"', link_page.content.decode()).group(1)
    assert client.get(response["Location"]).content.decode().count("/participants/survey/") == 0  # shown once

    # 8. 90-day follow-up
    followup = FollowUp90.objects.get(exit=exit)
    assert followup.due_on == dt.date(2026, 7, 14)
    response = client.post(reverse("participants:followup90_edit", args=[followup.pk]), {
        "done_on": "2026-07-15", "activity": categories["activities"]["arbete"].pk, "notes": ""})
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.activity == categories["activities"]["arbete"]

    # 9. Survey, answered without an account, once
    client.logout()
    path = url.split("testserver", 1)[1]
    page = client.get(path)
    assert page.status_code == 200
    assert participant.code not in page.content.decode()
    answers = {f"statement_{s.pk}": "ja" if s.number != 3 else "nej" for s in page.context["form"].statements}
    assert client.post(path, answers).status_code == 200
    assert SurveyAnswer.objects.filter(agrees=True).count() == 4
    again = client.get(path)
    assert again.status_code == 410
    assert "redan besvarad" in again.content.decode()

    # Every display of the participant was audit-logged
    assert AuditEvent.objects.filter(user=case_worker_af, action=AuditEvent.Action.VIEW,
                                     object_id=str(participant.pk)).exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, object_id=str(participant.pk)).exists()
