"""The registered person's rights (GDPR art. 15–17), for the project leader: a register extract of everything
stored about one participant. Correction (`participant_correct`) and erasure (`participant_erase`) are writes and
live in participants.services."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from core.models import AuditEvent
from core.roles import is_leader
from participants.models import Assessment, Exit, Participant, Referral
from placements.models import Assignment


@dataclass
class StartExtract:
    referral: Referral
    assessment: Assessment | None
    assignments: list
    follow_ups: list
    plan_steps: list
    competences: list
    exit: Exit | None
    followup_90: object | None
    survey_invitation: object | None
    survey_answers: list
    history: list


def _history(referral: Referral) -> list:
    """Who changed the start and when (simple_history), newest first; values are in the sections above."""
    rows = []
    for label, queryset in (
        (_("Start"), Referral.history.filter(id=referral.pk)),
        (_("Kartläggning"), Assessment.history.filter(referral_id=referral.pk)),
        (_("Avslut"), Exit.history.filter(referral_id=referral.pk)),
        (_("Placering"), Assignment.history.filter(referral_id=referral.pk)),
    ):
        for row in queryset.select_related("history_user"):
            rows.append({"what": label, "at": row.history_date, "type": row.get_history_type_display(),
                         "user": row.history_user.email if row.history_user else ""})
    return sorted(rows, key=lambda row: row["at"], reverse=True)


def register_extract(*, user, participant: Participant) -> dict:
    """Everything stored about one participant, for the extract PDF. Leader only."""
    if not is_leader(user):
        raise PermissionDenied
    referrals = (
        Referral.objects.filter(participant=participant)
        .select_related("project", "agency", "programme", "case_worker", "support_before", "activity_before")
        .prefetch_related("interests", "adaptation_needs")
        .order_by("referral_date", "pk")
    )
    starts = []
    for referral in referrals:
        exit = Exit.objects.filter(referral=referral).select_related("reason", "activity_after").first()
        followup_90 = getattr(exit, "followup_90", None) if exit else None
        invitation = getattr(exit, "survey_invitation", None) if exit else None
        starts.append(StartExtract(
            referral=referral,
            assessment=Assessment.objects.filter(referral=referral).first(),
            assignments=list(referral.assignments.select_related(
                "placement__unit__organisation", "supervisor").order_by("start_date", "pk")),
            follow_ups=list(referral.follow_ups.select_related("author").order_by("met_on", "pk")),
            plan_steps=list(referral.plan_steps.all()),
            competences=list(referral.competences.all()),
            exit=exit,
            followup_90=followup_90,
            survey_invitation=invitation,
            survey_answers=list(invitation.answers.select_related("statement").order_by("statement__number"))
            if invitation else [],
            history=_history(referral),
        ))
    audit_trail = list(AuditEvent.objects.filter(
        object_type="participants.Participant", object_id=str(participant.pk)).order_by("at", "pk"))
    return {"participant": participant, "starts": starts, "audit_trail": audit_trail}
