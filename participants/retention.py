"""Gallring: remove participants' personal data when it is no longer needed, keep the anonymous figures.

Who goes: a participant all of whose starts are closed (every referral has an exit) and whose last exit
is more than settings.RETENTION_YEARS years old (default 2, env RETENTION_YEARS). Run daily by the beat
job `participants.tasks.purge_expired` and by `python manage.py purge_expired [--dry-run]`.

What is removed (the same for the leader's erasure on request, `participant_erase`):
- the participant's code, first and last name, personal identity number and who recorded the consent;
- every free text about the person: referral notes and wished municipality, interests and adaptation
  needs (they may reveal health), assessment obstacles and resources, follow-up notes, 90-day follow-up
  notes, the assignments' decline/withdraw reasons; plan steps and competence-card entries are deleted;
- the simple_history rows (HistoricalReferral with its m2m rows, HistoricalAssessment, HistoricalExit,
  HistoricalAssignment) of the purged starts, since they hold old copies of the same text.

What stays, because the reports count it (reporting.selectors): the participant row with gender, birth year
(the age band at first start) and how the person was registered (`identity`: the report counts people
registered anonymously, so a purged pseudonymous person must not start counting as one); the dates of
referrals, starts, assignments, exits and 90-day follow-ups; category values (agency, programme, support
and activity before, exit kind and reason, activities after); the survey's yes/no answers (never linked to a
name). `personal_data_purged_at` records when. The row can no longer be tied to a person: no code, no name,
no number, no text.

Audit events older than settings.AUDIT_RETENTION_DAYS (default 3 × 365) are deleted by the same job:
`AuditEvent.objects.purge_older_than` is the only deletion path for the audit log.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.models import AuditEvent
from core.roles import is_leader
from participants.models import (
    Assessment,
    Competence,
    Exit,
    FollowUp,
    FollowUp6Months,
    FollowUp90,
    Participant,
    PlanStep,
    Referral,
)
from placements.models import Assignment

CHUNK = 500


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def retention_cutoff(today: dt.date | None = None) -> dt.date:
    """Participants whose last exit is before this day are due for gallring."""
    return _years_before(today or timezone.localdate(), settings.RETENTION_YEARS)


def audit_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=settings.AUDIT_RETENTION_DAYS)


def expired_participants(*, today: dt.date | None = None) -> QuerySet[Participant]:
    open_start = Referral.objects.filter(participant=OuterRef("pk"), exit__isnull=True)
    return (
        Participant.objects.filter(personal_data_purged_at__isnull=True)
        .annotate(last_exit=Max("referrals__exit__exit_date"))
        .filter(last_exit__lt=retention_cutoff(today))
        .exclude(Exists(open_start))
        .order_by("pk")
    )


@dataclass
class PurgeResult:
    cutoff: dt.date
    audit_cutoff: dt.datetime
    dry_run: bool
    participant_ids: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    audit_events: int = 0


def _history_querysets(referral_ids):
    return {
        "historik: inskrivningar": Referral.history.filter(id__in=referral_ids),
        "historik: kartläggningar": Assessment.history.filter(referral_id__in=referral_ids),
        "historik: avslut": Exit.history.filter(referral_id__in=referral_ids),
        "historik: placeringar": Assignment.history.filter(referral_id__in=referral_ids),
    }


def _counts(participant_ids: list[int]) -> dict[str, int]:
    referral_ids = Referral.objects.filter(participant_id__in=participant_ids).values("pk")
    counts = {
        "deltagare": len(participant_ids),
        "inskrivningar (fritext rensas)": Referral.objects.filter(pk__in=referral_ids).count(),
        "kartläggningar (fritext rensas)": Assessment.objects.filter(referral_id__in=referral_ids).count(),
        "uppföljningar (anteckningar rensas)": FollowUp.objects.filter(referral_id__in=referral_ids).count(),
        "steg i individuell plan (raderas)": PlanStep.objects.filter(referral_id__in=referral_ids).count(),
        "kompetenser (raderas)": Competence.objects.filter(referral_id__in=referral_ids).count(),
    }
    for label, queryset in _history_querysets(referral_ids).items():
        counts[f"{label} (raderas)"] = queryset.count()
    return counts


def _anonymise(participant_ids: list[int], *, now: dt.datetime) -> None:
    """Remove the personal data of these participants. Bulk updates: no new history rows are written."""
    referral_ids = list(Referral.objects.filter(participant_id__in=participant_ids).values_list("pk", flat=True))
    Participant.objects.filter(pk__in=participant_ids).update(
        code=None, first_name="", last_name="", personal_number="", consent_recorded_by=None,
        personal_data_purged_at=now, updated_at=now,
    )
    Referral.objects.filter(pk__in=referral_ids).update(notes="", wished_municipality="", updated_at=now)
    Referral.interests.through.objects.filter(referral_id__in=referral_ids).delete()
    Referral.adaptation_needs.through.objects.filter(referral_id__in=referral_ids).delete()
    Assessment.objects.filter(referral_id__in=referral_ids).update(obstacles="", resources="", updated_at=now)
    FollowUp.objects.filter(referral_id__in=referral_ids).update(notes="", updated_at=now)
    FollowUp90.objects.filter(exit__referral_id__in=referral_ids).update(notes="", updated_at=now)
    FollowUp6Months.objects.filter(exit__referral_id__in=referral_ids).update(notes="", updated_at=now)
    Assignment.objects.filter(referral_id__in=referral_ids).update(decline_reason="", updated_at=now)
    PlanStep.objects.filter(referral_id__in=referral_ids).delete()
    Competence.objects.filter(referral_id__in=referral_ids).delete()
    for queryset in _history_querysets(referral_ids).values():
        queryset.delete()


def purge_expired(*, today: dt.date | None = None, now: dt.datetime | None = None,
                  dry_run: bool = False) -> PurgeResult:
    """Anonymise every participant past the retention period and delete audit events past theirs.
    With dry_run, report what would go and change nothing."""
    now = now or timezone.now()
    result = PurgeResult(cutoff=retention_cutoff(today), audit_cutoff=audit_cutoff(now), dry_run=dry_run)
    result.participant_ids = list(expired_participants(today=today).values_list("pk", flat=True))
    result.counts = _counts(result.participant_ids)
    old_events = AuditEvent.objects.filter(at__lt=result.audit_cutoff)
    if dry_run:
        result.audit_events = old_events.count()
        return result
    for start in range(0, len(result.participant_ids), CHUNK):
        chunk = result.participant_ids[start:start + CHUNK]
        with transaction.atomic():
            _anonymise(chunk, now=now)
            for pk in chunk:
                audit_log(user=None, action=AuditEvent.Action.DELETE, object_type="participants.Participant",
                          object_id=pk, detail=_("Gallring: personuppgifter borttagna %(years)s år efter sista "
                                                 "avslut.") % {"years": settings.RETENTION_YEARS})
    result.audit_events = AuditEvent.objects.purge_older_than(result.audit_cutoff)
    return result


@transaction.atomic
def participant_erase(*, user, participant: Participant, reason: str, request=None) -> Participant:
    """The project leader erases a participant's personal data on request (GDPR art. 17), at once: the same
    anonymisation as the retention job. The reason is required and goes to the audit log."""
    if not is_leader(user):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Ange varför personuppgifterna raderas.")})
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.personal_data_purged_at is not None:
        raise ValidationError(_("Deltagarens personuppgifter är redan raderade."))
    _anonymise([participant.pk], now=timezone.now())
    audit_log(user=user, action=AuditEvent.Action.DELETE, object_type="participants.Participant",
              object_id=participant.pk, detail=_("Radering på begäran: %(reason)s") % {"reason": reason},
              request=request)
    participant.refresh_from_db()
    return participant
