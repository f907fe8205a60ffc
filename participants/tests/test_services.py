import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.utils import timezone

from core.models import Gender
from participants import services
from participants.models import (
    Exit,
    ExitKind,
    FollowUp90,
    Participant,
    Referral,
    SurveyAnswer,
    SurveyInvitation,
)
from participants.selectors import WaitingState, waiting_list_on
from participants.tests.factories import ExitFactory, ReferralFactory
from placements import services as placement_services
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory

D = dt.date(2026, 2, 1)


def refer(user, agency, project, **kwargs):
    defaults = {"identity": Participant.Identity.PSEUDONYMOUS, "gender": Gender.WOMAN, "referral_date": D}
    return services.referral_create(user=user, project=project, agency=agency, **{**defaults, **kwargs})


def test_pseudonymous_referral_gets_a_suggested_code(case_worker_af, agency_af, project):
    result = refer(case_worker_af, agency_af, project)
    participant = result.referral.participant
    assert participant.code.startswith("AF-2026-") and len(participant.code) == len("AF-2026-") + 6
    assert participant.identity == Participant.Identity.PSEUDONYMOUS
    assert result.recognised is False
    assert result.referral.case_worker == case_worker_af


def test_anonymous_referral_keeps_only_gender(case_worker_af, agency_af, project):
    result = refer(case_worker_af, agency_af, project, identity=Participant.Identity.ANONYMOUS,
                   code="SHOULD-NOT-STAY", birth_year=1980, first_name="Anna")
    participant = Participant.objects.get(pk=result.referral.participant_id)
    assert participant.code is None and participant.birth_year is None and participant.first_name == ""
    assert participant.gender == Gender.WOMAN


def test_identified_referral_needs_consent(case_worker_af, agency_af, project):
    with pytest.raises(ValidationError) as excinfo:
        refer(case_worker_af, agency_af, project, identity=Participant.Identity.IDENTIFIED,
              first_name="Anna", last_name="Ek", personal_number="19900101-0017", consent=False)
    assert "consent" in excinfo.value.error_dict
    assert not Participant.objects.exists()


def test_identified_referral_stores_normalised_number_and_consent(case_worker_af, agency_af, project):
    result = refer(case_worker_af, agency_af, project, identity=Participant.Identity.IDENTIFIED,
                   first_name="Anna", last_name="Ek", personal_number="900101-0017", consent=True)
    participant = result.referral.participant
    assert participant.personal_number == "199001010017"
    assert participant.birth_year == 1990
    assert participant.consent_recorded_by == case_worker_af
    assert participant.consent_recorded_at is not None


def test_known_participant_by_code_gets_a_new_start(case_worker_af, agency_af, project):
    first = refer(case_worker_af, agency_af, project, code="AF-77")
    second = refer(case_worker_af, agency_af, project, code="af-77", referral_date=dt.date(2026, 9, 1))
    assert second.recognised is True
    assert second.referral.participant_id == first.referral.participant_id
    assert Participant.objects.count() == 1
    assert Referral.objects.filter(participant=first.referral.participant).count() == 2


def test_known_participant_by_personal_number_gets_a_new_start(case_worker_af, leader, agency_af, agency_fk,
                                                               project):
    first = refer(case_worker_af, agency_af, project, identity=Participant.Identity.IDENTIFIED,
                  first_name="Anna", last_name="Ek", personal_number="19900101-0017", consent=True)
    second = refer(leader, agency_af, project, identity=Participant.Identity.IDENTIFIED,
                   first_name="Anna", last_name="Ek", personal_number="9001010017", consent=True,
                   referral_date=dt.date(2026, 9, 1))
    assert second.recognised
    assert second.referral.participant_id == first.referral.participant_id
    other_agency = refer(leader, agency_fk, project, identity=Participant.Identity.IDENTIFIED,
                         first_name="Anna", last_name="Ek", personal_number="9001010017", consent=True)
    assert not other_agency.recognised
    assert other_agency.referral.participant_id != first.referral.participant_id


def test_case_worker_may_only_refer_for_own_agency(case_worker_af, agency_fk, project):
    with pytest.raises(PermissionDenied):
        refer(case_worker_af, agency_fk, project)


@pytest.mark.parametrize("actor", ["manager_a", "steering"])
def test_manager_and_steering_may_not_refer(actor, request, agency_af, project):
    with pytest.raises(PermissionDenied):
        refer(request.getfixturevalue(actor), agency_af, project)


def test_database_refuses_names_on_pseudonymous_participant(db):
    with pytest.raises(IntegrityError):
        Participant.objects.create(identity=Participant.Identity.PSEUDONYMOUS, code="X", gender=Gender.MAN,
                                   first_name="Namn")


def test_exit_completes_occupying_and_withdraws_requested(case_worker_af, referral_af, one_place_a, categories,
                                                          unit_a, agency_af):
    ongoing = AssignmentFactory(referral=referral_af, placement=one_place_a, status=Assignment.Status.ONGOING,
                                start_date=dt.date(2026, 2, 1), planned_end_date=dt.date(2026, 7, 31))
    # One start holds one open assignment at a time: the pending request belongs to another start.
    other_start = ReferralFactory(agency=agency_af, referral_date=dt.date(2026, 1, 2))
    requested = AssignmentFactory(referral=other_start, status=Assignment.Status.REQUESTED,
                                  placement__unit=unit_a, start_date=dt.date(2026, 3, 1),
                                  planned_end_date=dt.date(2026, 4, 30))
    result = services.exit_record(user=case_worker_af, referral=referral_af, exit_date=dt.date(2026, 5, 15),
                                  kind=ExitKind.AS_PLANNED, reason=categories["reasons"]["arbete"],
                                  activity_after=categories["activities"]["arbete"])
    services.exit_record(user=case_worker_af, referral=other_start, exit_date=dt.date(2026, 2, 15),
                         kind=ExitKind.INTERRUPTED, reason=categories["reasons"]["arbete"])
    ongoing.refresh_from_db()
    requested.refresh_from_db()
    assert ongoing.status == Assignment.Status.COMPLETED and ongoing.end_date == dt.date(2026, 5, 15)
    assert requested.status == Assignment.Status.WITHDRAWN
    assert result.exit.followup_90.due_on == dt.date(2026, 8, 13)
    invitation = SurveyInvitation.objects.get(exit=result.exit)
    assert len(result.survey_token) > 30
    assert invitation.token_hash != result.survey_token and len(invitation.token_hash) == 64


def test_exit_in_error_has_no_followup_or_survey(case_worker_af, referral_af):
    result = services.exit_record(user=case_worker_af, referral=referral_af, exit_date=dt.date(2026, 2, 1),
                                  kind=ExitKind.REGISTERED_IN_ERROR)
    assert result.survey_token is None
    assert not FollowUp90.objects.exists() and not SurveyInvitation.objects.exists()


def test_exit_needs_reason_and_only_once(case_worker_af, referral_af, categories):
    with pytest.raises(ValidationError):
        services.exit_record(user=case_worker_af, referral=referral_af, exit_date=D, kind=ExitKind.INTERRUPTED)
    services.exit_record(user=case_worker_af, referral=referral_af, exit_date=D, kind=ExitKind.INTERRUPTED,
                         reason=categories["reasons"]["sjukdom"])
    with pytest.raises(ValidationError):
        services.exit_record(user=case_worker_af, referral=referral_af, exit_date=D, kind=ExitKind.INTERRUPTED,
                             reason=categories["reasons"]["sjukdom"])
    assert Exit.objects.count() == 1


def test_other_agency_may_not_exit(case_worker_fk, referral_af, categories):
    with pytest.raises(PermissionDenied):
        services.exit_record(user=case_worker_fk, referral=referral_af, exit_date=D, kind=ExitKind.INTERRUPTED,
                             reason=categories["reasons"]["sjukdom"])


def test_followup90_reminder_is_sent_once_to_leaders(leader, referral_af):
    exit = ExitFactory(referral=referral_af, exit_date=dt.date(2026, 1, 31))
    FollowUp90.objects.create(exit=exit, due_on=dt.date(2026, 5, 1))
    error_exit = ExitFactory(referral=ReferralFactory(), kind=ExitKind.REGISTERED_IN_ERROR)
    FollowUp90.objects.create(exit=error_exit, due_on=dt.date(2026, 5, 1))
    not_due = ExitFactory(referral=ReferralFactory())
    FollowUp90.objects.create(exit=not_due, due_on=dt.date(2026, 9, 1))

    assert services.followup90_send_reminders(today=dt.date(2026, 5, 2)) == 1
    assert services.followup90_send_reminders(today=dt.date(2026, 5, 2)) == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [leader.email]
    assert "90" in mail.outbox[0].subject
    assert referral_af.participant.code not in mail.outbox[0].body


def test_followup90_task_runs_the_service(leader, referral_af):
    from participants.tasks import send_followup90_reminders

    exit = ExitFactory(referral=referral_af, exit_date=dt.date(2025, 1, 31))
    FollowUp90.objects.create(exit=exit, due_on=dt.date(2025, 5, 1))
    assert send_followup90_reminders.delay().get() == 1
    assert send_followup90_reminders.delay().get() == 0


def test_survey_is_one_time_and_expires(case_worker_af, referral_af, categories):
    result = services.exit_record(user=case_worker_af, referral=referral_af, exit_date=D, kind=ExitKind.AS_PLANNED,
                                  reason=categories["reasons"]["studier"])
    from participants.models import SurveyStatement

    answers = {s.pk: True for s in SurveyStatement.objects.filter(active=True)}
    services.survey_answer(token=result.survey_token, answers=answers)
    assert SurveyAnswer.objects.filter(agrees=True).count() == len(answers) == 5
    with pytest.raises(services.SurveyUnavailable) as excinfo:
        services.survey_answer(token=result.survey_token, answers=answers)
    assert excinfo.value.reason == "answered"

    other = services.exit_record(user=case_worker_af, referral=ReferralFactory(agency=referral_af.agency),
                                 exit_date=D, kind=ExitKind.AS_PLANNED, reason=categories["reasons"]["studier"])
    SurveyInvitation.objects.filter(exit=other.exit).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(services.SurveyUnavailable) as excinfo:
        services.survey_invitation_for_token(other.survey_token)
    assert excinfo.value.reason == "expired"
    with pytest.raises(services.SurveyUnavailable):
        services.survey_invitation_for_token("not-a-token")


def test_new_survey_link_replaces_the_old(case_worker_af, referral_af, categories):
    result = services.exit_record(user=case_worker_af, referral=referral_af, exit_date=D, kind=ExitKind.AS_PLANNED,
                                  reason=categories["reasons"]["studier"])
    new_token = services.survey_invitation_issue(user=case_worker_af, exit=result.exit)
    with pytest.raises(services.SurveyUnavailable):
        services.survey_invitation_for_token(result.survey_token)
    assert services.survey_invitation_for_token(new_token).exit == result.exit


def test_a_request_withdrawn_by_closing_the_placement_leaves_the_start_waiting(case_worker_af, leader, referral_af,
                                                                               one_place_a):
    """Closing a placement withdraws its pending requests on that day: the waiting list then shows the start as
    waiting for a placement, not as booked (a withdrawal with a decision but no withdrawal day read as booked)."""
    today = timezone.localdate()
    request = services.assignment_request(user=case_worker_af, referral=referral_af, placement=one_place_a,
                                          start_date=today + dt.timedelta(days=5),
                                          planned_end_date=today + dt.timedelta(days=30))
    assert waiting_list_on(today).get(pk=referral_af.pk).waiting_state == WaitingState.REQUESTED
    placement_services.placement_close(user=leader, placement=one_place_a)
    request.refresh_from_db()
    assert request.status == Assignment.Status.WITHDRAWN and request.withdrawn_on == today
    assert waiting_list_on(today).get(pk=referral_af.pk).waiting_state == WaitingState.WAITING
