"""Corrections of recorded facts, always with a reason: an exit, a referral, follow-ups, plan steps and
competences, and a pseudonymous participant's recorded consent (identified) or its withdrawal.

Who: the project leader, and a case worker for their own agency's starts (participants.permissions). Each
correction is saved with simple_history's change reason (so the change history shows old → new and why),
logged in the audit log under the participant, and kept as a `Correction` row naming which dates it touched:
a report already built for a period that covers them then says that its figures were corrected.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.models import AuditEvent
from participants import personnummer
from participants.models import (
    Competence,
    Correction,
    Exit,
    ExitKind,
    FollowUp,
    FollowUp6Months,
    FollowUp90,
    Participant,
    PlanStep,
    Referral,
)
from participants.permissions import participants_editable_by, referrals_editable_by
from participants.services import (
    FOLLOWUP_90_DAYS,
    followup6m_due_on,
    participant_code_suggestion,
    participants_refresh_latest_referral,
    referrals_refresh_closed_on,
    waiting_periods_collected,
    waiting_periods_refresh,
)
from placements import services as placement_services
from placements.models import Assignment

EXIT_FIELDS = ("exit_date", "kind", "reason", "activity_after", "support_after")
REFERRAL_FIELDS = ("referral_date", "start_date", "programme", "support_before", "activity_before",
                   "education_level", "labour_market_status", "wished_municipality", "notes")
REFERRAL_FIGURE_FIELDS = {"referral_date", "start_date", "programme", "support_before", "activity_before",
                          "education_level", "labour_market_status"}
FOLLOW_UP_FIELDS = ("met_on", "notes")
PLAN_STEP_FIELDS = ("description", "due_on", "done_on")
COMPETENCE_FIELDS = ("name", "description", "validated_on", "validated_by")


def _check(user, referral: Referral) -> Referral:
    try:
        return referrals_editable_by(user).select_for_update(of=("self",)).get(pk=referral.pk)
    except Referral.DoesNotExist:
        raise PermissionDenied from None


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"correction_reason": _("Ange varför uppgiften rättas.")})
    return reason


def _apply(instance, *, user, allowed: tuple[str, ...], values: dict, reason: str) -> list[str]:
    """Set the changed fields and save with history (user and reason). Returns the names of changed fields."""
    unknown = set(values) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    changed = [name for name in allowed if name in values and getattr(instance, name) != values[name]]
    for name in changed:
        setattr(instance, name, values[name])
    if changed:
        instance._history_user = user
        instance._change_reason = reason[:100]
        instance.full_clean()
        instance.save()
    return changed


def _record(*, user, referral: Referral | None, participant_id: int, kind: str, instance, changed: list[str],
            reason: str, dates: list, affects_figures: bool) -> Correction:
    labels = ", ".join(str(type(instance)._meta.get_field(name).verbose_name) for name in changed)
    dates = [d for d in dates if d is not None]
    correction = Correction.objects.create(
        referral=referral, participant_id=participant_id, kind=kind, object_id=instance.pk, fields=labels[:300],
        reason=reason, affects_from=min(dates) if dates else None, affects_to=max(dates) if dates else None,
        affects_figures=affects_figures, corrected_by=user,
    )
    what = Correction.Kind(kind).label
    start = f", start {referral.pk}" if referral is not None else ""
    audit_log(user=user, action=AuditEvent.Action.UPDATE, object_type="participants.Participant",
              object_id=participant_id, detail=_("Rättelse av %(what)s (%(fields)s)%(start)s. Skäl: %(reason)s") % {
                  "what": what.lower(), "fields": labels, "start": start, "reason": reason})
    return correction


# --- Exit ---------------------------------------------------------------------------------------------


@transaction.atomic
def exit_correct(*, user, exit: Exit, correction_reason: str, **values) -> list[str]:
    """Correct an exit's kind, reason, date or activity after. The 90-day follow-up moves with the date
    (unless done); an exit corrected from "registered in error" to a real exit gets its follow-up."""
    reason = _reason(correction_reason)
    referral = _check(user, exit.referral)
    exit = Exit.objects.select_for_update().get(pk=exit.pk)
    new = {name: getattr(exit, name) for name in EXIT_FIELDS} | values
    errors = {}
    if new["kind"] not in ExitKind.values:
        errors["kind"] = _("Välj typ av avslut.")
    if new["exit_date"] is None:
        errors["exit_date"] = _("Ange avslutsdatum.")
    elif new["exit_date"] < referral.referral_date:
        errors["exit_date"] = _("Avslutsdatum kan inte vara före anvisningsdatum.")
    elif new["exit_date"] > timezone.localdate():
        errors["exit_date"] = _("Avslutsdatum kan inte ligga i framtiden.")
    if new["kind"] != ExitKind.REGISTERED_IN_ERROR and new["reason"] is None:
        errors["reason"] = _("Välj avslutsorsak.")
    if errors:
        raise ValidationError(errors)
    old_date = exit.exit_date
    changed = _apply(exit, user=user, allowed=EXIT_FIELDS, values=values, reason=reason)
    if not changed:
        return []
    # the waiting periods refreshed once below; the organisations' tokens written after them
    with waiting_periods_collected(), placement_services.organisation_totals_collected() as organisations:
        if "exit_date" in changed:
            _exit_assignments_follow(user=user, referral=referral, old_date=old_date, exit_date=exit.exit_date)
            referrals_refresh_closed_on(referral_ids=[referral.pk])
    if {"exit_date", "kind"} & set(changed):
        waiting_periods_refresh(referral_ids=[referral.pk])
    placement_services.organisation_totals_changed(organisations)
    due = exit.exit_date + dt.timedelta(days=FOLLOWUP_90_DAYS)
    for model, due_on in ((FollowUp90, due), (FollowUp6Months, followup6m_due_on(exit.exit_date))):
        followup = model.objects.filter(exit=exit).first()
        if followup is None and exit.kind != ExitKind.REGISTERED_IN_ERROR:
            model.objects.create(exit=exit, due_on=due_on)
        elif followup is not None and followup.done_on is None and followup.due_on != due_on:
            followup.due_on = due_on
            followup.reminder_sent_at = None
            followup.save(update_fields=["due_on", "reminder_sent_at", "updated_at"])
    dates = [old_date, exit.exit_date, followup6m_due_on(old_date), followup6m_due_on(exit.exit_date)]
    _record(user=user, referral=referral, participant_id=referral.participant_id, kind=Correction.Kind.EXIT,
            instance=exit, changed=changed, reason=reason, dates=dates, affects_figures=True)
    return changed


def _exit_assignments_follow(*, user, referral: Referral, old_date: dt.date, exit_date: dt.date) -> None:
    """The assignment the exit completed (exit_record: ended on the exit date, or on its first day if that came
    later) ends on the corrected date instead; the requests the exit withdrew (withdrawn on its date), and the
    bookings whose first day is still after the corrected date, are withdrawn on the corrected date. A booking
    that would have begun by the corrected date stays withdrawn as recorded (nobody knows whether it began), and
    one completed or withdrawn on another day stays as it is. A refusal (no room at the placement for the longer
    period) is the exit date's."""
    for assignment in referral.assignments.filter(status=Assignment.Status.WITHDRAWN, withdrawn_on=old_date).filter(
            Q(decided_at__isnull=True) | Q(start_date__gt=exit_date)):
        placement_services.assignment_withdrawn_on_correct(user=user, assignment=assignment, withdrawn_on=exit_date)
    for assignment in referral.assignments.filter(status=Assignment.Status.COMPLETED):
        if assignment.end_date != max(old_date, assignment.start_date):
            continue
        try:
            placement_services.assignment_end_correct(user=user, assignment=assignment,
                                                      end_date=max(exit_date, assignment.start_date))
        except ValidationError as error:
            raise ValidationError({"exit_date": error.messages}) from None


# --- Referral -------------------------------------------------------------------------------------------


@transaction.atomic
def referral_correct(*, user, referral: Referral, correction_reason: str, **values) -> list[str]:
    reason = _reason(correction_reason)
    referral = _check(user, referral)
    new = {name: getattr(referral, name) for name in REFERRAL_FIELDS} | values
    errors = {}
    if new["referral_date"] is None:
        errors["referral_date"] = _("Ange anvisningsdatum.")
    elif new["start_date"] and new["start_date"] < new["referral_date"]:
        errors["start_date"] = _("Startdatum kan inte vara före anvisningsdatum.")
    exit = Exit.objects.filter(referral=referral).first()
    if exit is not None and new["referral_date"] and new["referral_date"] > exit.exit_date:
        errors["referral_date"] = _("Anvisningsdatum kan inte vara efter avslutsdatum.")
    programme = new["programme"]
    if programme is not None and programme.agency_id != referral.agency_id:
        errors["programme"] = _("Programmet hör inte till den anvisande myndigheten.")
    if errors:
        raise ValidationError(errors)
    old_dates = [referral.referral_date, referral.start_date]
    changed = _apply(referral, user=user, allowed=REFERRAL_FIELDS, values=values, reason=reason)
    if not changed:
        return []
    if "referral_date" in changed:
        participants_refresh_latest_referral(participant_ids=[referral.participant_id])
        waiting_periods_refresh(referral_ids=[referral.pk])
    figures = bool(REFERRAL_FIGURE_FIELDS & set(changed))
    _record(user=user, referral=referral, participant_id=referral.participant_id, kind=Correction.Kind.REFERRAL,
            instance=referral, changed=changed, reason=reason,
            dates=[*old_dates, referral.referral_date, referral.start_date], affects_figures=figures)
    return changed


# --- Follow-ups, plan steps, competences -------------------------------------------------------------------


def _correct_child(*, user, instance, kind: str, allowed, values: dict, correction_reason: str,
                   required: dict[str, str]) -> list[str]:
    reason = _reason(correction_reason)
    referral = _check(user, instance.referral)
    instance = type(instance).objects.select_for_update().get(pk=instance.pk)
    errors = {name: message for name, message in required.items()
              if name in values and (values[name] is None or (isinstance(values[name], str)
                                                              and not values[name].strip()))}
    if errors:
        raise ValidationError(errors)
    changed = _apply(instance, user=user, allowed=allowed, values=values, reason=reason)
    if changed:
        _record(user=user, referral=referral, participant_id=referral.participant_id, kind=kind,
                instance=instance, changed=changed, reason=reason, dates=[], affects_figures=False)
    return changed


@transaction.atomic
def follow_up_correct(*, user, follow_up: FollowUp, correction_reason: str, **values) -> list[str]:
    return _correct_child(user=user, instance=follow_up, kind=Correction.Kind.FOLLOW_UP, allowed=FOLLOW_UP_FIELDS,
                          values=values, correction_reason=correction_reason,
                          required={"met_on": _("Ange datum för uppföljningen.")})


@transaction.atomic
def plan_step_correct(*, user, step: PlanStep, correction_reason: str, **values) -> list[str]:
    return _correct_child(user=user, instance=step, kind=Correction.Kind.PLAN_STEP, allowed=PLAN_STEP_FIELDS,
                          values=values, correction_reason=correction_reason,
                          required={"description": _("Beskriv steget.")})


@transaction.atomic
def competence_correct(*, user, competence: Competence, correction_reason: str, **values) -> list[str]:
    return _correct_child(user=user, instance=competence, kind=Correction.Kind.COMPETENCE,
                          allowed=COMPETENCE_FIELDS, values=values, correction_reason=correction_reason,
                          required={"name": _("Ange kompetensen."), "validated_on": _("Ange datum.")})


# --- Consent: pseudonymous ↔ identified -----------------------------------------------------------------


def _participant_for_update(user, participant: Participant) -> Participant:
    try:
        return participants_editable_by(user).select_for_update().get(pk=participant.pk)
    except Participant.DoesNotExist:
        raise PermissionDenied from None


@transaction.atomic
def participant_record_consent(*, user, participant: Participant, first_name: str, last_name: str,
                               personal_number: str = "", correction_reason: str = "") -> Participant:
    """A pseudonymous participant has given consent: record it (who, when) and store the name and, optionally,
    the personal identity number. The code stays, so the agency's key still finds the person."""
    participant = _participant_for_update(user, participant)
    if participant.identity != Participant.Identity.PSEUDONYMOUS:
        raise ValidationError(_("Bara en deltagare som är registrerad med kod kan bli identifierad."))
    if participant.personal_data_purged_at is not None:
        raise ValidationError(_("Personuppgifterna är raderade."))
    first_name, last_name = first_name.strip(), last_name.strip()
    errors = {}
    if not (first_name or last_name):
        errors["first_name"] = _("Ange namn.")
    normalised = ""
    if personal_number.strip():
        try:
            normalised = personnummer.normalise(personal_number)
        except ValidationError as exc:
            errors["personal_number"] = exc.messages[0]
        else:
            if Participant.objects.filter(personal_number=normalised).exclude(pk=participant.pk).exists():
                errors["personal_number"] = _("Personnumret finns redan hos en annan deltagare.")
    if errors:
        raise ValidationError(errors)
    participant.identity = Participant.Identity.IDENTIFIED
    participant.first_name, participant.last_name, participant.personal_number = first_name, last_name, normalised
    if normalised:
        participant.birth_year = personnummer.birth_year(normalised)
    participant.consent_recorded_at = timezone.now()
    participant.consent_recorded_by = user
    participant.save()
    reason = (correction_reason or "").strip() or _("Samtycke registrerat")
    _record_identity(user=user, participant=participant, fields=_("identifiering, namn"), reason=reason)
    return participant


@transaction.atomic
def participant_withdraw_consent(*, user, participant: Participant, correction_reason: str) -> Participant:
    """Consent withdrawn: the name and personal identity number are removed and the participant is known by
    code again (a new code if they never had one)."""
    reason = _reason(correction_reason)
    participant = _participant_for_update(user, participant)
    if participant.identity != Participant.Identity.IDENTIFIED:
        raise ValidationError(_("Deltagaren är inte registrerad med namn."))
    if not participant.code:
        referral = participant.referrals.select_related("agency").order_by("-referral_date").first()
        if referral is not None:
            participant.code = participant_code_suggestion(agency=referral.agency, year=referral.referral_date.year)
    participant.identity = Participant.Identity.PSEUDONYMOUS
    participant.first_name = participant.last_name = participant.personal_number = ""
    participant.consent_recorded_at = None
    participant.consent_recorded_by = None
    try:
        with transaction.atomic():
            participant.save()
    except IntegrityError:
        raise ValidationError(_("Deltagarkoden används redan; försök igen.")) from None
    _record_identity(user=user, participant=participant, fields=_("samtycke återkallat"), reason=reason)
    return participant


def _record_identity(*, user, participant: Participant, fields: str, reason: str) -> None:
    Correction.objects.create(participant=participant, kind=Correction.Kind.IDENTITY, object_id=participant.pk,
                              fields=fields, reason=reason, corrected_by=user)
    audit_log(user=user, action=AuditEvent.Action.UPDATE, obj=participant,
              detail=_("%(fields)s. Skäl: %(reason)s") % {"fields": fields.capitalize(), "reason": reason})
