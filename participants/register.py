"""The registered person's rights (GDPR art. 15–17), for the project leader: a register extract of everything
stored about one participant, correction of the person's own details, and erasure (participants.retention)."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.models import AuditEvent, Gender
from core.roles import is_leader
from participants import personnummer
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
        (_("Inskrivning"), Referral.history.filter(id=referral.pk)),
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


CORRECTABLE = ("code", "gender", "birth_year", "first_name", "last_name", "personal_number")


@transaction.atomic
def participant_correct(*, user, participant: Participant, code: str | None = None, gender: str,
                        birth_year: int | None = None, first_name: str = "", last_name: str = "",
                        personal_number: str = "") -> list[str]:
    """The project leader corrects a participant's own details (GDPR art. 16). Returns the changed field names;
    the audit event names the fields, never the old or new values."""
    if not is_leader(user):
        raise PermissionDenied
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.personal_data_purged_at is not None:
        raise ValidationError(_("Personuppgifterna är raderade; det finns inget att rätta."))
    errors = {}
    if gender not in Gender.values:
        errors["gender"] = _("Välj kön.")
    if birth_year is not None and not 1900 <= birth_year <= 2100:
        errors["birth_year"] = _("Ange ett födelseår mellan 1900 och 2100.")
    code = (code or "").strip() or None
    first_name, last_name = first_name.strip(), last_name.strip()
    normalised = ""
    if participant.identity == Participant.Identity.ANONYMOUS:
        code = None
    if participant.identity == Participant.Identity.IDENTIFIED:
        if not (first_name or last_name):
            errors["first_name"] = _("Ange namn.")
        if personal_number.strip():
            try:
                normalised = personnummer.normalise(personal_number)
            except ValidationError as exc:
                errors["personal_number"] = exc.messages[0]
    else:
        first_name = last_name = ""
    if participant.identity == Participant.Identity.PSEUDONYMOUS and not code:
        errors["code"] = _("En pseudonym deltagare måste ha en kod.")
    if errors:
        raise ValidationError(errors)
    values = {"code": code, "gender": gender, "birth_year": birth_year, "first_name": first_name,
              "last_name": last_name, "personal_number": normalised}
    changed = [name for name in CORRECTABLE if getattr(participant, name) != values[name]]
    if not changed:
        return []
    for name in changed:
        setattr(participant, name, values[name])
    try:
        with transaction.atomic():
            participant.save(update_fields=[*changed, "updated_at"])
    except IntegrityError:
        raise ValidationError({"code": _("Deltagarkoden används redan.")}) from None
    labels = ", ".join(str(Participant._meta.get_field(name).verbose_name) for name in changed)
    audit_log(user=user, action=AuditEvent.Action.UPDATE, obj=participant,
              detail=_("Rättelse av %(fields)s") % {"fields": labels})
    return changed
