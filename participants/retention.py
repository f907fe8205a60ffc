"""Gallring: remove participants' personal data when it is no longer needed, keep the anonymous figures.

Who goes: a participant all of whose starts are closed (every referral has an exit) and whose last exit
is more than settings.RETENTION_YEARS years old (default 2, env RETENTION_YEARS). Run daily by the beat
job `participants.tasks.purge_expired` and by `python manage.py purge_expired [--dry-run]`.

What is removed (the same for the leader's erasure on request, `participants.services.participant_erase`;
the writes themselves are `participants.services.participants_anonymise`):
- the participant's code, first and last name, personal identity number and who recorded the consent;
- every free text about the person: referral notes and wished municipality, adaptation needs (they may
  reveal health), assessment obstacles and resources, follow-up notes, 90-day follow-up notes, the
  assignments' decline/withdraw reasons; plan steps and competence-card entries are deleted;
- the simple_history rows (HistoricalReferral with its m2m rows, HistoricalAssessment, HistoricalExit,
  HistoricalAssignment) of the purged starts, since they hold old copies of the same text;
- the code or name the audit log and the admin's change log recorded as the object's label
  (`object_repr`): the events stay (who did what when), labelled by the participant's id only.

What stays, because the reports count it (reporting.selectors): the participant row with gender, birth year
(the age band at first start) and how the person was registered (`identity`: the report counts people
registered anonymously, so a purged pseudonymous person must not start counting as one); the dates of
referrals, starts, assignments, exits and 90-day follow-ups; category values (agency, programme, support
and activity before, exit kind and reason, activities after, the occupational areas the person was
interested in, which need and supply per area counts); the survey's yes/no answers (never linked to a
name). `personal_data_purged_at` records when. The row can no longer be tied to a person: no code, no name,
no number, no text.

Audit events older than settings.AUDIT_RETENTION_DAYS (default 3 × 365) are deleted by the same job:
`AuditEvent.objects.purge_older_than` is the only deletion path for the audit log.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.utils import timezone

from core.models import AuditEvent
from participants import services
from participants.models import (
    Assessment,
    Competence,
    FollowUp,
    Participant,
    PlanStep,
    Referral,
)

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


def _counts(participant_ids: list[int]) -> dict[str, int]:
    referral_ids = Referral.objects.filter(participant_id__in=participant_ids).values("pk")
    counts = {
        "deltagare": len(participant_ids),
        "starter (fritext rensas)": Referral.objects.filter(pk__in=referral_ids).count(),
        "kartläggningar (fritext rensas)": Assessment.objects.filter(referral_id__in=referral_ids).count(),
        "uppföljningar (anteckningar rensas)": FollowUp.objects.filter(referral_id__in=referral_ids).count(),
        "steg i individuell plan (raderas)": PlanStep.objects.filter(referral_id__in=referral_ids).count(),
        "kompetenser (raderas)": Competence.objects.filter(referral_id__in=referral_ids).count(),
    }
    for label, queryset in services.history_querysets(referral_ids).items():
        counts[f"{label} (raderas)"] = queryset.count()
    return counts


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
        services.participants_purge(participant_ids=result.participant_ids[start:start + CHUNK], now=now)
    result.audit_events = AuditEvent.objects.purge_older_than(result.audit_cutoff)
    return result
