"""Role × page → status. Another agency's or unit's participant → 404, wrong role → 403, anonymous → login."""

import datetime as dt

import pytest
from django.urls import reverse

from participants.models import ExitKind, FollowUp90, PlanStep, SurveyInvitation
from participants.tests.factories import ExitFactory, ReferralFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory

ROLES = ["leader", "manager_a", "manager_b", "case_worker_af", "case_worker_fk", "steering", "anonymous"]


@pytest.fixture
def world(referral_af, one_place_a, categories):
    """An AF participant with an open start requested at unit A and an earlier, exited start."""
    assignment = AssignmentFactory(referral=referral_af, placement=one_place_a, status=Assignment.Status.REQUESTED,
                                   start_date=dt.date(2026, 3, 1), planned_end_date=dt.date(2026, 5, 31))
    earlier = ReferralFactory(participant=referral_af.participant, agency=referral_af.agency,
                              project=referral_af.project, referral_date=dt.date(2025, 3, 1))
    AssignmentFactory(referral=earlier, placement=one_place_a, status=Assignment.Status.COMPLETED,
                      start_date=dt.date(2025, 3, 1), planned_end_date=dt.date(2025, 5, 31),
                      end_date=dt.date(2025, 5, 31))
    exit = ExitFactory(referral=earlier, exit_date=dt.date(2025, 5, 31), kind=ExitKind.AS_PLANNED,
                       reason=categories["reasons"]["arbete"])
    followup = FollowUp90.objects.create(exit=exit, due_on=dt.date(2025, 8, 29))
    SurveyInvitation.objects.create(exit=exit, token_hash="0" * 64, expires_at="2030-01-01T00:00Z")
    step = PlanStep.objects.create(referral=referral_af, description="Steg")
    return {"referral": referral_af, "participant": referral_af.participant, "assignment": assignment,
            "exit": exit, "followup": followup, "step": step}


def _url(name, world):
    r, p = world["referral"].pk, world["participant"].pk
    return {
        "list": reverse("participants:list"),
        "waiting": reverse("participants:waiting_list"),
        "new": reverse("participants:referral_create"),
        "import": reverse("participants:import"),
        "f90_list": reverse("participants:followup90_list"),
        "detail": reverse("participants:detail", args=[p]),
        "assessment": reverse("participants:assessment", args=[r]),
        "matching": reverse("participants:matching", args=[r]),
        "follow_up": reverse("participants:follow_up_create", args=[r]),
        "plan": reverse("participants:plan_step_create", args=[r]),
        "competence": reverse("participants:competence_create", args=[r]),
        "card": reverse("participants:competence_card", args=[r]),
        "exit": reverse("participants:exit", args=[r]),
        "survey_link": reverse("participants:survey_link", args=[world["exit"].pk]),
        "f90_edit": reverse("participants:followup90_edit", args=[world["followup"].pk]),
    }[name]


# expected status per role, in ROLES order
GET_MATRIX = {
    #             leader manA manB  cwAF  cwFK  steer anon
    "list":       [200, 200, 200, 200, 200, 403, 302],
    "waiting":    [200, 403, 403, 200, 200, 403, 302],
    "new":        [200, 403, 403, 200, 200, 403, 302],
    "import":     [200, 403, 403, 403, 403, 403, 302],
    "f90_list":   [200, 403, 403, 200, 200, 403, 302],
    "detail":     [200, 200, 404, 200, 404, 403, 302],
    "assessment": [200, 403, 404, 200, 404, 403, 302],
    "matching":   [200, 403, 404, 200, 404, 403, 302],
    "follow_up":  [200, 403, 404, 200, 404, 403, 302],
    "plan":       [200, 403, 404, 200, 404, 403, 302],
    "competence": [200, 403, 404, 200, 404, 403, 302],
    "card":       [200, 403, 404, 200, 404, 403, 302],
    "exit":       [200, 403, 404, 200, 404, 403, 302],
    "survey_link": [200, 403, 404, 200, 404, 403, 302],
    "f90_edit":   [200, 403, 403, 200, 404, 403, 302],
}


@pytest.mark.parametrize("page", list(GET_MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_get_permission_matrix(page, role, world, client, request):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    response = client.get(_url(page, world))
    expected = GET_MATRIX[page][ROLES.index(role)]
    assert response.status_code == expected, f"{role} GET {page}"
    if expected == 302:
        assert "/accounts/login/" in response["Location"]


def _post_url(name, world):
    a = world["assignment"].pk
    return {
        "request": reverse("participants:assignment_request", args=[world["referral"].pk]),
        "start": reverse("participants:assignment_start", args=[a]),
        "complete": reverse("participants:assignment_complete", args=[a]),
        "withdraw": reverse("participants:assignment_withdraw", args=[a]),
        "step_done": reverse("participants:plan_step_done", args=[world["step"].pk]),
        "show_pnr": reverse("participants:detail", args=[world["participant"].pk]),
    }[name]


POST_MATRIX = {
    #           leader manA manB cwAF cwFK steer anon
    "request":  [302, 403, 404, 302, 404, 403, 302],
    "start":    [302, 403, 403, 302, 404, 403, 302],
    "complete": [302, 403, 403, 302, 404, 403, 302],
    "withdraw": [302, 403, 403, 302, 404, 403, 302],
    "step_done": [302, 403, 403, 302, 404, 403, 302],
    "show_pnr": [200, 403, 404, 403, 404, 403, 302],
}


@pytest.mark.parametrize("action", list(POST_MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_post_permission_matrix(action, role, world, client, request, one_place_a):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    data = {"placement": one_place_a.pk, "start_date": "2026-03-01", "planned_end_date": "2026-05-31",
            "end_date": "2026-03-10", "action": "show_personal_number"}
    response = client.post(_post_url(action, world), data)
    assert response.status_code == POST_MATRIX[action][ROLES.index(role)], f"{role} POST {action}"


def test_withdraw_by_other_agency_changes_nothing(world, client, case_worker_fk):
    client.force_login(case_worker_fk)
    client.post(_post_url("withdraw", world))
    world["assignment"].refresh_from_db()
    assert world["assignment"].status == Assignment.Status.REQUESTED


def test_survey_page_needs_no_login(client, world):
    response = client.get(reverse("participants:survey", args=["unknown-token"]))
    assert response.status_code == 404
    assert "Länken fungerar inte" in response.content.decode()
