"""Writes about participants: referrals (starts), assessments, work training, exits, follow-ups, survey.

Assignments themselves (request, confirm, start, complete, withdraw) live in placements.services, which owns
the no-overbooking guarantee; the functions here call it and add the participant side.
"""

import datetime as dt
import hashlib
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.audit import audit_log
from core.bulkcopy import copy_history_rows, copy_insert, copy_insert_with_history, copy_rows, day_count_add
from core.dates import add_months
from core.mail import email_queue, render_plain
from core.models import AuditEvent, Gender, Role, User
from core.roles import is_case_worker, is_leader
from organisations.models import Agency, AgencyProgramme, Project
from organisations.permissions import agency_of
from participants import personnummer
from participants.models import (
    Activity,
    Assessment,
    Competence,
    EducationLevel,
    Exit,
    ExitKind,
    ExitReason,
    FollowUp,
    FollowUp6Months,
    FollowUp90,
    LabourMarketStatus,
    Participant,
    ParticipantCountChange,
    PlanStep,
    Referral,
    SupportKind,
    SurveyAnswer,
    SurveyInvitation,
    SurveyStatement,
    WaitingCountChange,
    WaitingPeriod,
)
from participants.permissions import referrals_editable_by
from placements import services as placement_services
from placements.models import Assignment

FOLLOWUP_90_DAYS = 90
FOLLOWUP_LONG_MONTHS = 6
SURVEY_VALID_DAYS = 60


def participants_refresh_latest_referral(*, participant_ids) -> None:
    """Store each participant's latest referral date (Participant.latest_referral_date, the participant list's
    sort key) from their referrals, in one UPDATE. Every write of a referral or its date calls this: the referral
    form, the history import, a correction of the date and the demo builder. The participants are locked first, in
    key order, as placements_refresh_idle locks its placements: two writers of one participant's starts take turns,
    and the later UPDATE's subquery sees the earlier one's referral."""
    latest = Referral.objects.filter(participant=OuterRef("pk")).order_by("-referral_date").values("referral_date")
    participants = Participant.objects.filter(pk__in=participant_ids)
    with transaction.atomic(savepoint=False):
        list(participants.select_for_update().order_by("pk").values_list("pk"))
        participants.update(latest_referral_date=Subquery(latest[:1]))


def referrals_refresh_closed_on(*, referral_ids) -> None:
    """Store each start's exit date (Referral.closed_on, what the waiting list and the participant list filter on)
    from its exit, in one UPDATE; null when it has none. Every write of an exit or its date calls this: recording
    an exit and correcting it; the history import and the demo builder write the same date in their COPY rows."""
    exit_date = Exit.objects.filter(referral=OuterRef("pk")).values("exit_date")[:1]
    Referral.objects.filter(pk__in=referral_ids).update(closed_on=Subquery(exit_date))


# Starts whose waiting periods are worked out together, and days asked of waiting_list_on in one query.
WAITING_REFRESH_BATCH = 50_000
WAITING_DAYS_PER_QUERY = 40


def _waiting_change_days(referral_ids,
                         since: dt.date) -> tuple[dict[int, set[dt.date]], dict[int, tuple[int, dt.date]]]:
    """Each start's days from `since` on on which waiting_list_on's answer for it can change: `since` itself, and
    every later date its rules compare `on` with: the start's referral and exit dates and its assignments' start,
    end (the day after), withdrawal and the local days they were asked for and decided; between two such days
    every comparison gives the same answer. A rule added to waiting_list_on that reads another date must add
    that date here. Also returns each start's agency and referral date."""
    days: dict[int, set[dt.date]] = {}
    agencies: dict[int, tuple[int, dt.date]] = {}
    for pk, referral_date, closed_on, agency_id in Referral.objects.filter(pk__in=referral_ids).values_list(
            "pk", "referral_date", "closed_on", "agency_id"):
        days[pk] = {since, referral_date, closed_on}
        agencies[pk] = (agency_id, referral_date)
    assignments = Assignment.objects.filter(referral_id__in=referral_ids).values_list(
        "referral_id", "start_date", "end_date", "withdrawn_on", "created_at", "decided_at")
    for referral_id, start, end, withdrawn_on, created_at, decided_at in assignments:
        found = days[referral_id]
        found.update((start, withdrawn_on, end + dt.timedelta(days=1) if end else None))
        found.update(timezone.localtime(instant).date() for instant in (created_at, decided_at) if instant)
    for found in days.values():
        found.difference_update({day for day in found if day is None or day < since})
    return days, agencies


_collecting = threading.local()


@contextmanager
def waiting_periods_collected():
    """Inside, the assignment services' assignments_changed only collects the starts it names (a set, yielded);
    the caller refreshes them once (the history import: with its own starts, after its exits; recording or
    correcting an exit: after the exit). One refresh per transaction writes the count changes in one statement, in
    key order, so two such transactions wait for each other instead of each holding rows the other needs. Inside
    another such block it collects into that block's set."""
    outer = getattr(_collecting, "ids", None)
    if outer is not None:
        yield outer
        return
    _collecting.ids = collected = set()
    try:
        yield collected
    finally:
        del _collecting.ids


def assignments_changed_received(*, referral_ids) -> None:
    """placements.signals.assignments_changed: refresh these starts' waiting periods (or collect them)."""
    collected = getattr(_collecting, "ids", None)
    if collected is not None:
        collected.update(referral_ids)
    else:
        waiting_periods_refresh(referral_ids=referral_ids)


def waiting_periods_refresh(*, referral_ids, count_changes: bool = True) -> None:
    """Rewrite the stored waiting periods (WaitingPeriod) of these starts from the definition, from today on:
    waiting_list_on is asked about each start today and on each later day its answer can change
    (_waiting_change_days), and the days with the same answer make one period. Days before today are not stored
    (nothing reads them: the stored counts are today's; a report asks the definition), so a start closed by
    today costs one question and leaves no period. Every writer of a start, its assignments or its exit calls
    this after writing: the referral form, recording and correcting an exit, the assignment services (through
    placements.signals.assignments_changed), the history import and the demo builder. The changes of the counts
    per day (WaitingCountChange) follow, unless `count_changes` is false (the migration that fills the periods
    runs before that table exists; the next one fills it from the periods)."""
    ids = sorted(set(referral_ids))
    with transaction.atomic(savepoint=False):
        for offset in range(0, len(ids), WAITING_REFRESH_BATCH):
            _waiting_periods_write(ids[offset:offset + WAITING_REFRESH_BATCH], count_changes=count_changes)


def _waiting_periods_write(batch: list[int], *, count_changes: bool) -> None:
    """waiting_periods_refresh for one batch of starts (sorted keys). Their rows are locked first, in key order, so
    that two writers of one start (a host's answer and a correction of the start, say) take turns: each reads the
    periods the other wrote, where both would otherwise delete the same old periods and both add their own."""
    from participants.selectors import waiting_list_on  # noqa: PLC0415 - the definition reads these models

    list(Referral.objects.select_for_update().filter(pk__in=batch).order_by("pk").values_list("pk"))
    since = timezone.localdate()
    days, agencies = _waiting_change_days(batch, since)
    asked: dict[dt.date, list[int]] = {}
    for pk, found in days.items():
        for day in found:
            asked.setdefault(day, []).append(pk)
    answers: dict[tuple[int, dt.date], str] = {}
    ordered = sorted(asked)
    for start in range(0, len(ordered), WAITING_DAYS_PER_QUERY):
        chunk = ordered[start:start + WAITING_DAYS_PER_QUERY]
        queries = [waiting_list_on(day, Referral.objects.filter(pk__in=asked[day]))
                   .annotate(asked_day=Value(number, output_field=IntegerField()))
                   .order_by().values_list("pk", "asked_day", "waiting_state")
                   for number, day in enumerate(chunk)]
        combined = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
        for pk, number, state in combined:
            answers[pk, chunk[number]] = state
    periods = []
    for pk, found in days.items():
        current = None  # [referral_id, agency_id, state, first_day, until] of the period being built
        for day in sorted(found):
            state = answers.get((pk, day))
            if current is not None and current[2] == state:
                continue
            if current is not None:
                current[4] = day
                periods.append(current)
            current = None if state is None else [pk, agencies[pk][0], state, day, WaitingPeriod.OPEN_END]
        if current is not None:
            periods.append(current)
    old = WaitingPeriod.objects.filter(referral_id__in=batch)
    changes: dict[tuple[int, str, dt.date], int] = {}
    _add_period_changes(changes, -1, old.values_list("agency_id", "state", "first_day", "until"))
    _add_period_changes(changes, 1, [period[1:] for period in periods])
    old.delete()
    copy_rows(WaitingPeriod, ("referral_id", "agency_id", "referral_date", "state", "first_day", "until"),
              [(pk, agency_id, agencies[pk][1], *rest) for pk, agency_id, *rest in periods])
    if count_changes:
        _waiting_counts_change(changes)


def waiting_periods_delete(*, referrals: QuerySet[Referral]) -> None:
    """Delete the stored waiting periods of these starts, which are about to be deleted, and take the count
    changes they added back out (a deleted start is on no waiting list). Whoever deletes starts calls this first
    (the demo data's reset); WaitingPeriod.referral is PROTECT, so a deletion that does not fails instead of
    leaving the counts with starts that no longer exist."""
    old = WaitingPeriod.objects.filter(referral__in=referrals)
    changes: dict[tuple[int, str, dt.date], int] = {}
    _add_period_changes(changes, -1, old.values_list("agency_id", "state", "first_day", "until"))
    old.delete()
    _waiting_counts_change(changes)


def _add_period_changes(changes: dict[tuple[int, str, dt.date], int], sign: int, periods) -> None:
    """Add `sign` × each period ((agency, state, first_day, until)) to `changes`: +sign on its first day, -sign on
    its `until` (none for an open end)."""
    for agency_id, state, first_day, until in periods:
        changes[agency_id, state, first_day] = changes.get((agency_id, state, first_day), 0) + sign
        if until != WaitingPeriod.OPEN_END:
            changes[agency_id, state, until] = changes.get((agency_id, state, until), 0) - sign


def _waiting_counts_change(changes: dict[tuple[int, str, dt.date], int]) -> None:
    """Add `changes` ({(agency, state, day): delta}) to the stored WaitingCountChange rows, in one statement (an
    upsert, in key order so that two writers at once wait for each other instead of deadlocking)."""
    rows = sorted((key, delta) for key, delta in changes.items() if delta)
    if not rows:
        return
    table = connection.ops.quote_name(WaitingCountChange._meta.db_table)
    for offset in range(0, len(rows), 5000):
        chunk = rows[offset:offset + 5000]
        values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
        params = [value for (agency_id, state, day), delta in chunk
                  for value in (agency_id, state, connection.ops.adapt_datefield_value(day), delta)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (agency_id, state, day, delta) VALUES {values} "  # noqa: S608 - no user input
                f"ON CONFLICT (agency_id, state, day) DO UPDATE SET delta = {table}.delta + excluded.delta", params)


def participants_count_change(delta: int) -> None:
    """Add `delta` participants (negative: removed) to the stored number of participants (ParticipantCountChange,
    today's row; one upsert). Every writer that adds or deletes participants calls it in the same transaction."""
    day_count_add(ParticipantCountChange, delta)


def _check_editable(user, referral: Referral) -> None:
    if not referrals_editable_by(user).filter(pk=referral.pk).exists():
        raise PermissionDenied


def _audit(user, action: str, referral: Referral, what: str) -> None:
    """Every change of a participant's personal data is logged under the participant (the IP address comes from
    the request being served, see core.audit.current_request)."""
    audit_log(user=user, action=action, object_type="participants.Participant", object_id=referral.participant_id,
              object_repr=str(referral.participant)[:200], detail=f"{what}, start {referral.pk}")


# --- Referral ------------------------------------------------------------------------------------


CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand
CODE_RANDOM_LENGTH = 6


def code_prefix(agency: Agency) -> str:
    return f"{agency.code.upper()}-"


def participant_code_suggestion(*, agency: Agency, year: int) -> str:
    """A free code of the form AF-2026-K7QM3X: the agency's prefix, the year and a random part, so that no code
    can be guessed from another (codes used to be sequential, and anyone could try the neighbour's)."""
    while True:
        random_part = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_RANDOM_LENGTH))
        code = f"{code_prefix(agency)}{year}-{random_part}"
        if not Participant.objects.filter(code__iexact=code).exists():
            return code


DUPLICATE_SUBMISSION = _lazy("Formuläret har redan skickats och anvisningen är registrerad. Öppna deltagaren i "
                             "deltagarlistan i stället för att skicka formuläret igen.")


@dataclass
class ReferralResult:
    referral: Referral
    recognised: bool


def _find_known(*, agency: Agency, code: str, personal_number: str) -> Participant | None:
    """The same person among the referring agency's own participants, by personal number or code.

    Only the agency's own: recognising (and attaching a new start to) another agency's participant would show
    the case worker that person's name, history and attributes. A person referred by two agencies is two
    participant records; the project leader sees on the participant page that another record has the same
    personal number (participants.selectors.same_personal_number)."""
    own = Participant.objects.filter(Exists(Referral.objects.filter(participant=OuterRef("pk"), agency=agency)))
    if personal_number:
        found = own.filter(personal_number=personal_number).first()
        if found:
            return found
    if code:
        return own.filter(code__iexact=code).first()
    return None


def _check_same_person(participant: Participant, *, gender: str, birth_year: int | None) -> None:
    """A recognised person must match what is stored: a different gender or birth year is a different person or
    a typing error, never silently merged."""
    errors = {}
    if participant.gender != gender:
        errors["gender"] = _("Deltagaren med den här koden eller det här personnumret är registrerad med ett annat "
                             "kön. Kontrollera uppgifterna, eller rätta dem på deltagarsidan först.")
    if birth_year and participant.birth_year and participant.birth_year != birth_year:
        errors["birth_year"] = _("Deltagaren med den här koden eller det här personnumret är registrerad med ett "
                                 "annat födelseår. Kontrollera uppgifterna, eller rätta dem på deltagarsidan först.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def referral_create(
    *,
    user,
    project: Project,
    agency: Agency,
    identity: str,
    gender: str,
    referral_date: dt.date,
    code: str = "",
    birth_year: int | None = None,
    first_name: str = "",
    last_name: str = "",
    personal_number: str = "",
    consent: bool = False,
    programme: AgencyProgramme | None = None,
    start_date: dt.date | None = None,
    support_before: SupportKind | None = None,
    activity_before: Activity | None = None,
    education_level: str = "",
    labour_market_status: str = "",
    interests=(),
    adaptation_needs=(),
    wished_municipality: str = "",
    notes: str = "",
    submission_key=None,
) -> ReferralResult:
    """Register a referral (one start). A participant the agency already knows by code or personal number gets
    a new start instead of a second person record; another agency's participants are never looked at."""
    if is_case_worker(user):
        own = agency_of(user)
        if own is None or own.pk != agency.pk:
            raise PermissionDenied
    elif not is_leader(user):
        raise PermissionDenied

    errors: dict[str, str] = {}
    if gender not in Gender.values:
        errors["gender"] = _("Välj kön.")
    if programme is not None and programme.agency_id != agency.pk:
        errors["programme"] = _("Programmet hör inte till den anvisande myndigheten.")
    if start_date and start_date < referral_date:
        errors["start_date"] = _("Startdatum kan inte vara före anvisningsdatum.")
    if education_level and education_level not in EducationLevel.values:
        errors["education_level"] = _("Välj en utbildningsnivå i listan.")
    if labour_market_status and labour_market_status not in LabourMarketStatus.values:
        errors["labour_market_status"] = _("Välj en ställning på arbetsmarknaden i listan.")
    code = (code or "").strip()
    if code and identity != Participant.Identity.ANONYMOUS and not code.upper().startswith(code_prefix(agency)):
        # The same answer whether or not another agency uses the code: codes live in the agency's own namespace.
        errors["code"] = _("Deltagarkoden ska börja med %(prefix)s (den anvisande myndighetens förkortning). "
                           "Lämna fältet tomt så föreslås en kod.") % {"prefix": code_prefix(agency)}
    normalised_pnr = ""
    if identity == Participant.Identity.IDENTIFIED:
        if not consent:
            errors["consent"] = _("Namn och personnummer får bara registreras efter samtycke.")
        if not (first_name.strip() or last_name.strip()):
            errors["first_name"] = _("Ange namn.")
        if personal_number:
            try:
                normalised_pnr = personnummer.normalise(personal_number)
            except ValidationError as exc:
                errors["personal_number"] = exc.messages[0]
    elif identity == Participant.Identity.ANONYMOUS:
        code, birth_year, first_name, last_name = "", None, "", ""
    elif identity != Participant.Identity.PSEUDONYMOUS:
        errors["identity"] = _("Välj hur deltagaren registreras.")
    if identity != Participant.Identity.IDENTIFIED:
        first_name = last_name = ""
    if errors:
        raise ValidationError(errors)
    if submission_key and Referral.objects.filter(submission_key=submission_key).exists():
        raise ValidationError(DUPLICATE_SUBMISSION)

    participant = None
    if identity != Participant.Identity.ANONYMOUS:
        participant = _find_known(agency=agency, code=code, personal_number=normalised_pnr)
    recognised = participant is not None
    if recognised:
        known_birth_year = personnummer.birth_year(normalised_pnr) if normalised_pnr else birth_year
        _check_same_person(participant, gender=gender, birth_year=known_birth_year)
        # Locked, so that the same referral sent twice at once is seen by the second as the duplicate it is.
        Participant.objects.select_for_update().filter(pk=participant.pk).first()
        twin = (Referral.objects.filter(participant=participant, project=project, agency=agency,
                                        referral_date=referral_date, exit__isnull=True).first())
        if twin is not None:
            raise ValidationError(_("Deltagaren har redan en öppen anvisning från %(date)s i projektet. Samma "
                                    "anvisning registreras inte två gånger.") % {"date": f"{referral_date:%Y-%m-%d}"})
    if participant is None:
        if identity != Participant.Identity.ANONYMOUS and not code:
            code = participant_code_suggestion(agency=agency, year=referral_date.year)
        participant = Participant(identity=identity, gender=gender, code=code or None)
        if identity == Participant.Identity.PSEUDONYMOUS:
            participant.birth_year = birth_year
        elif identity == Participant.Identity.IDENTIFIED:
            participant.first_name = first_name.strip()
            participant.last_name = last_name.strip()
            participant.personal_number = normalised_pnr
            participant.birth_year = personnummer.birth_year(normalised_pnr) if normalised_pnr else birth_year
            participant.consent_recorded_at = timezone.now()
            participant.consent_recorded_by = user
        try:
            with transaction.atomic():
                participant.save()
        except IntegrityError:
            raise ValidationError({"code": _("Deltagarkoden används redan.")}) from None
        participants_count_change(1)

    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                participant=participant, project=project, agency=agency, programme=programme,
                case_worker=user if is_case_worker(user) else None, referral_date=referral_date,
                start_date=start_date, support_before=support_before, activity_before=activity_before,
                education_level=education_level, labour_market_status=labour_market_status,
                wished_municipality=wished_municipality.strip(), notes=notes.strip(), submission_key=submission_key,
            )
    except IntegrityError:
        raise ValidationError(DUPLICATE_SUBMISSION) from None
    participants_refresh_latest_referral(participant_ids=[participant.pk])
    waiting_periods_refresh(referral_ids=[referral.pk])
    referral.interests.set(interests)
    referral.adaptation_needs.set(adaptation_needs)
    _audit(user, AuditEvent.Action.CREATE, referral,
           _("Anvisning (ny start för känd deltagare)") if recognised else _("Anvisning (ny deltagare)"))
    return ReferralResult(referral=referral, recognised=recognised)


# --- Assessment ----------------------------------------------------------------------------------


@transaction.atomic
def assessment_save(*, user, referral: Referral, obstacles: str, resources: str, completed_on: dt.date | None,
                    interests=None, wished_municipality: str | None = None) -> Assessment:
    _check_editable(user, referral)
    assessment, _created = Assessment.objects.get_or_create(referral=referral)
    assessment.obstacles = obstacles.strip()
    assessment.resources = resources.strip()
    assessment.completed_on = completed_on
    assessment.save()
    if interests is not None:
        referral.interests.set(interests)
    if wished_municipality is not None:
        referral.wished_municipality = wished_municipality.strip()
        referral.save(update_fields=["wished_municipality", "updated_at"])
    _audit(user, AuditEvent.Action.UPDATE, referral, _("Kartläggning"))
    return assessment


# --- Work training -------------------------------------------------------------------------------


@transaction.atomic
def assignment_request(*, user, referral: Referral, placement, start_date: dt.date,
                      planned_end_date: dt.date) -> Assignment:
    _check_editable(user, referral)
    # Looked for with the start locked (as the placement service locks it next): an exit recorded at the same time
    # (exit_record locks the start) has committed and is found, or waits for this request and withdraws it.
    Referral.objects.select_for_update().filter(pk=referral.pk).first()
    if Exit.objects.filter(referral=referral).exists():
        raise ValidationError(_("Starten är avslutad."))
    return placement_services.assignment_request(user=user, referral=referral, placement=placement,
                                                 start_date=start_date, planned_end_date=planned_end_date)


@transaction.atomic
def assignment_begin(*, user, assignment: Assignment, start_date: dt.date | None = None) -> Assignment:
    """Start the work training; the first start also marks the referral's start in the project."""
    assignment = placement_services.assignment_start(user=user, assignment=assignment, start_date=start_date)
    Referral.objects.filter(pk=assignment.referral_id, start_date__isnull=True).update(
        start_date=assignment.start_date, updated_at=timezone.now())
    return assignment  # logged by placements.services.assignment_start


@transaction.atomic
def follow_up_create(*, user, referral: Referral, met_on: dt.date, notes: str,
                     assignment: Assignment | None = None) -> FollowUp:
    _check_editable(user, referral)
    if assignment is not None and assignment.referral_id != referral.pk:
        raise ValidationError({"assignment": _("Placeringen hör inte till den här starten.")})
    follow_up = FollowUp.objects.create(referral=referral, assignment=assignment, met_on=met_on,
                                        notes=notes.strip(), author=user)
    _audit(user, AuditEvent.Action.CREATE, referral, _("Uppföljning %(date)s") % {"date": met_on})
    return follow_up


@transaction.atomic
def plan_step_create(*, user, referral: Referral, description: str, due_on: dt.date | None = None) -> PlanStep:
    _check_editable(user, referral)
    if not description.strip():
        raise ValidationError({"description": _("Beskriv steget.")})
    step = PlanStep.objects.create(referral=referral, description=description.strip(), due_on=due_on)
    _audit(user, AuditEvent.Action.CREATE, referral, _("Steg i individuell plan"))
    return step


@transaction.atomic
def plan_step_mark_done(*, user, step: PlanStep, done_on: dt.date) -> PlanStep:
    _check_editable(user, step.referral)
    step.done_on = done_on
    step.save(update_fields=["done_on", "updated_at"])
    _audit(user, AuditEvent.Action.UPDATE, step.referral, _("Steg i individuell plan klart"))
    return step


@transaction.atomic
def competence_create(*, user, referral: Referral, name: str, validated_on: dt.date, description: str = "",
                      validated_by: str = "") -> Competence:
    _check_editable(user, referral)
    if not name.strip():
        raise ValidationError({"name": _("Ange kompetensen.")})
    competence = Competence.objects.create(referral=referral, name=name.strip(), description=description.strip(),
                                           validated_on=validated_on, validated_by=validated_by.strip())
    _audit(user, AuditEvent.Action.CREATE, referral, _("Kompetens på kompetenskortet"))
    return competence


# --- Exit, 90-day follow-up, survey --------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_invitation_issue(*, user, exit: Exit) -> str:
    """Create (or replace, while unanswered) the one-time survey link; returns the token. Only its hash is stored."""
    _check_editable(user, exit.referral)
    if exit.kind == ExitKind.REGISTERED_IN_ERROR:
        raise ValidationError(_("Ingen enkät för felregistreringar."))
    token = secrets.token_urlsafe(32)
    expires = timezone.now() + dt.timedelta(days=SURVEY_VALID_DAYS)
    invitation = SurveyInvitation.objects.filter(exit=exit).first()
    if invitation is not None:
        if invitation.answered_at:
            raise ValidationError(_("Enkäten är redan besvarad."))
        invitation.token_hash = _token_hash(token)
        invitation.expires_at = expires
        invitation.save(update_fields=["token_hash", "expires_at", "updated_at"])
    else:
        SurveyInvitation.objects.create(exit=exit, token_hash=_token_hash(token), expires_at=expires)
    _audit(user, AuditEvent.Action.UPDATE, exit.referral, _("Enkätlänk skapad"))
    return token


def _lock_open_assignments_then_start(referral: Referral) -> Referral:
    """The start's open assignments locked, then the start: the assignments first, as every assignment service
    locks its assignment (then its placement) before the start (waiting_periods_refresh); the other order
    deadlocks with a host answering one of them. A request sent while they were read (assignment_request holds the
    start until it commits) is found once the start is held: the locks are then given back (a savepoint) and taken
    again in the same order, with it among them."""
    while True:
        with transaction.atomic():
            locked = list(Assignment.objects.select_for_update().filter(referral=referral, status__in=Assignment.OPEN)
                          .order_by("pk").values_list("pk", flat=True))
            start = Referral.objects.select_for_update().get(pk=referral.pk)
            if not (Assignment.objects.filter(referral=referral, status__in=Assignment.OPEN)
                    .exclude(pk__in=locked).exists()):
                return start
            transaction.set_rollback(True)


@dataclass
class ExitResult:
    exit: Exit
    survey_token: str | None


@transaction.atomic
def exit_record(*, user, referral: Referral, exit_date: dt.date, kind: str, reason: ExitReason | None = None,
                activity_after: Activity | None = None, support_after: SupportKind | None = None) -> ExitResult:
    """Close a start: withdraw open requests, complete occupying assignments, schedule the 90-day and
    6-month follow-ups and issue the survey link (not for registrations in error, which are excluded from all
    figures)."""
    _check_editable(user, referral)
    referral = _lock_open_assignments_then_start(referral)
    if Exit.objects.filter(referral=referral).exists():
        raise ValidationError(_("Starten är redan avslutad."))
    errors = {}
    if kind not in ExitKind.values:
        errors["kind"] = _("Välj typ av avslut.")
    if exit_date < referral.referral_date:
        errors["exit_date"] = _("Avslutsdatum kan inte vara före anvisningsdatum.")
    if kind != ExitKind.REGISTERED_IN_ERROR and reason is None:
        errors["reason"] = _("Välj avslutsorsak.")
    if errors:
        raise ValidationError(errors)

    # the waiting periods refreshed once below, with the exit; the organisations' tokens written after them
    with waiting_periods_collected(), placement_services.organisation_totals_collected() as organisations:
        for assignment in referral.assignments.filter(
            status__in=(Assignment.Status.REQUESTED, *Assignment.OCCUPYING)
        ).select_related("placement"):
            if assignment.status == Assignment.Status.REQUESTED or (
                assignment.status == Assignment.Status.CONFIRMED and assignment.start_date > exit_date
            ):
                placement_services.assignment_withdraw(user=user, assignment=assignment,
                                                       reason=_("Deltagaren har avslutats."), on=exit_date)
            else:
                placement_services.assignment_complete(user=user, assignment=assignment,
                                                       end_date=max(exit_date, assignment.start_date))

    exit = Exit.objects.create(referral=referral, exit_date=exit_date, kind=kind, reason=reason,
                               activity_after=activity_after, support_after=support_after, recorded_by=user)
    referrals_refresh_closed_on(referral_ids=[referral.pk])
    waiting_periods_refresh(referral_ids=[referral.pk])
    placement_services.organisation_totals_changed(organisations)
    _audit(user, AuditEvent.Action.CREATE, referral, _("Avslut"))
    token = None
    if kind != ExitKind.REGISTERED_IN_ERROR:
        FollowUp90.objects.create(exit=exit, due_on=followup90_due_on(exit_date))
        FollowUp6Months.objects.create(exit=exit, due_on=followup6m_due_on(exit_date))
        token = survey_invitation_issue(user=user, exit=exit)
    return ExitResult(exit=exit, survey_token=token)


def followup90_due_on(exit_date: dt.date) -> dt.date:
    return exit_date + dt.timedelta(days=FOLLOWUP_90_DAYS)


def followup6m_due_on(exit_date: dt.date) -> dt.date:
    return add_months(exit_date, FOLLOWUP_LONG_MONTHS)


# A follow-up recorded more than this long before it is due is probably a mistake (the wrong date, or the
# wrong person): recording it needs an explicit confirmation.
FOLLOWUP_EARLY_DAYS = 14


def _followup_record(*, user, followup, done_on: dt.date, activity: Activity | None, support: SupportKind | None,
                     notes: str, activity_message: str, what: str, confirm_early: bool = False):
    _check_editable(user, followup.exit.referral)
    if activity is None:
        raise ValidationError({"activity": activity_message})
    if done_on < followup.exit.exit_date:
        raise ValidationError({"done_on": _("Uppföljningen kan inte göras före avslutet.")})
    if done_on < followup.due_on - dt.timedelta(days=FOLLOWUP_EARLY_DAYS) and not confirm_early:
        raise ValidationError({"confirm_early": _(
            "Uppföljningen ska göras %(due)s, men datumet är %(done)s, mer än %(days)s dagar före. Stämmer "
            "datumet? Kryssa i rutan för att bekräfta och spara igen.") % {
            "due": followup.due_on.isoformat(), "done": done_on.isoformat(), "days": FOLLOWUP_EARLY_DAYS}},
            code="early")
    followup.done_on = done_on
    followup.activity = activity
    followup.support = support
    followup.notes = notes.strip()
    followup.save(update_fields=["done_on", "activity", "support", "notes", "updated_at"])
    _audit(user, AuditEvent.Action.UPDATE, followup.exit.referral, what)
    return followup


@transaction.atomic
def followup90_record(*, user, followup: FollowUp90, done_on: dt.date, activity: Activity,
                      support: SupportKind | None = None, notes: str = "", confirm_early: bool = False) -> FollowUp90:
    """Record the 90-day follow-up; more than FOLLOWUP_EARLY_DAYS before it is due only with `confirm_early`."""
    return _followup_record(user=user, followup=followup, done_on=done_on, activity=activity, support=support,
                            notes=notes, activity_message=_("Välj sysselsättning efter 90 dagar."),
                            what=_("Uppföljning 90 dagar efter avslut"), confirm_early=confirm_early)


@transaction.atomic
def followup6m_record(*, user, followup: FollowUp6Months, done_on: dt.date, activity: Activity,
                      support: SupportKind | None = None, notes: str = "",
                      confirm_early: bool = False) -> FollowUp6Months:
    return _followup_record(user=user, followup=followup, done_on=done_on, activity=activity, support=support,
                            notes=notes, activity_message=_("Välj sysselsättning efter sex månader."),
                            what=_("Uppföljning sex månader efter avslut"), confirm_early=confirm_early)


def _send_followup_reminders(model, *, today: dt.date | None, template: str) -> int:
    """E-mail the project leaders about follow-ups that are due. Each follow-up is claimed with a
    conditional update, so running twice (or two workers at once) sends one reminder per follow-up."""
    today = today or timezone.localdate()
    due_ids = list(
        model.objects.filter(due_on__lte=today, done_on__isnull=True, reminder_sent_at__isnull=True)
        .exclude(exit__kind=ExitKind.REGISTERED_IN_ERROR)
        .values_list("pk", flat=True)
    )
    claimed = [pk for pk in due_ids
               if model.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(
                   reminder_sent_at=timezone.now())]
    if not claimed:
        return 0
    recipients = list(User.objects.filter(role=Role.LEADER, is_active=True).exclude(email="")
                      .values_list("email", flat=True))
    if recipients:
        with translation.override(settings.LANGUAGE_CODE):
            context = {"count": len(claimed), "site_url": settings.SITE_URL}
            subject = render_plain(f"participants/email/{template}_due_subject.txt", context).strip()
            body = render_plain(f"participants/email/{template}_due.txt", context)
        for email in recipients:
            email_queue(to=[email], subject=subject, body=body)
    return len(claimed)


def followup90_send_reminders(*, today: dt.date | None = None) -> int:
    return _send_followup_reminders(FollowUp90, today=today, template="followup90")


def followup6m_send_reminders(*, today: dt.date | None = None) -> int:
    return _send_followup_reminders(FollowUp6Months, today=today, template="followup6m")


class SurveyUnavailable(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "unknown", "answered" or "expired"


def survey_invitation_for_token(token: str) -> SurveyInvitation:
    invitation = SurveyInvitation.objects.filter(token_hash=_token_hash(token or "")).first()
    if invitation is None or invitation.exit.kind == ExitKind.REGISTERED_IN_ERROR:
        raise SurveyUnavailable("unknown")
    if invitation.answered_at is not None:
        raise SurveyUnavailable("answered")
    if invitation.expires_at <= timezone.now():
        raise SurveyUnavailable("expired")
    return invitation


@transaction.atomic
def survey_answer(*, token: str, answers: dict[int, bool]) -> SurveyInvitation:
    """Record the participant's answers once. `answers` maps statement id → yes/no for every active statement."""
    invitation = survey_invitation_for_token(token)
    invitation = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.answered_at is not None:
        raise SurveyUnavailable("answered")
    statements = list(SurveyStatement.objects.filter(active=True))
    missing = [s for s in statements if s.pk not in answers]
    if missing:
        raise ValidationError(_("Svara på alla påståenden."))
    SurveyAnswer.objects.bulk_create(
        [SurveyAnswer(invitation=invitation, statement=s, agrees=bool(answers[s.pk])) for s in statements]
    )
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["answered_at", "updated_at"])
    _audit(None, AuditEvent.Action.CREATE, invitation.exit.referral, _("Enkätsvar (deltagaren själv)"))
    return invitation


# --- Rights and retention (participants.register, participants.retention decide; these write) ----------


def history_querysets(referral_ids) -> dict:
    """The simple_history rows of these starts: old copies of their free text."""
    return {
        "historik: starter": Referral.history.filter(id__in=referral_ids),
        "historik: kartläggningar": Assessment.history.filter(referral_id__in=referral_ids),
        "historik: avslut": Exit.history.filter(referral_id__in=referral_ids),
        "historik: placeringar": Assignment.history.filter(referral_id__in=referral_ids),
    }


def participants_anonymise(*, participant_ids: list[int], now: dt.datetime) -> None:
    """Remove the personal data of these participants. Bulk updates: no new history rows are written."""
    referral_ids = list(Referral.objects.filter(participant_id__in=participant_ids).values_list("pk", flat=True))
    Participant.objects.filter(pk__in=participant_ids).update(
        code=None, first_name="", last_name="", personal_number="", consent_recorded_by=None,
        personal_data_purged_at=now, updated_at=now,
    )
    Referral.objects.filter(pk__in=referral_ids).update(notes="", wished_municipality="", updated_at=now)
    # Occupational interests stay (a category the reports count in need and supply); adaptation needs go.
    Referral.adaptation_needs.through.objects.filter(referral_id__in=referral_ids).delete()
    Assessment.objects.filter(referral_id__in=referral_ids).update(obstacles="", resources="", updated_at=now)
    FollowUp.objects.filter(referral_id__in=referral_ids).update(notes="", updated_at=now)
    FollowUp90.objects.filter(exit__referral_id__in=referral_ids).update(notes="", updated_at=now)
    FollowUp6Months.objects.filter(exit__referral_id__in=referral_ids).update(notes="", updated_at=now)
    Assignment.objects.filter(referral_id__in=referral_ids).update(decline_reason="", updated_at=now)
    PlanStep.objects.filter(referral_id__in=referral_ids).delete()
    Competence.objects.filter(referral_id__in=referral_ids).delete()
    for queryset in history_querysets(referral_ids).values():
        queryset.delete()
    # The code or name survives as the label of old audit events and admin log entries: keep the events,
    # drop the label (the participant's id still ties them together).
    AuditEvent.objects.forget_labels(object_type="participants.Participant", object_ids=participant_ids)
    assignment_ids = list(Assignment.objects.filter(referral_id__in=referral_ids).values_list("pk", flat=True))
    for model, ids in ((Participant, participant_ids), (Referral, referral_ids), (Assignment, assignment_ids)):
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model),
                                object_id__in=[str(pk) for pk in ids]).update(object_repr="", change_message="")


@transaction.atomic
def participants_purge(*, participant_ids: list[int], now: dt.datetime) -> None:
    """Gallring of one chunk of participants past the retention period, each logged."""
    participants_anonymise(participant_ids=participant_ids, now=now)
    for pk in participant_ids:
        audit_log(user=None, action=AuditEvent.Action.DELETE, object_type="participants.Participant",
                  object_id=pk, detail=_("Gallring: personuppgifter borttagna %(years)s år efter sista "
                                         "avslut.") % {"years": settings.RETENTION_YEARS})


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
    participants_anonymise(participant_ids=[participant.pk], now=timezone.now())
    audit_log(user=user, action=AuditEvent.Action.DELETE, object_type="participants.Participant",
              object_id=participant.pk, detail=_("Radering på begäran: %(reason)s") % {"reason": reason},
              request=request)
    participant.refresh_from_db()
    return participant


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


# --- History import (reading and validation live in participants.imports) ---------------------------

IMPORT_BATCH = 1000


@transaction.atomic
def participants_import_write(*, user, project: Project, rows: list[dict], existing: dict, progress=None) -> None:
    """Write validated history rows in bulk: new participants, one referral per row, the assignments through the
    placement services (capacity checked for ongoing and future rows, past rows as history), exits and their
    follow-ups, with change history, a constant number of statements per thousand rows and no savepoint per
    row. Only the project leader (or a system import, `user=None`) imports."""
    if user is not None and not is_leader(user):
        raise PermissionDenied
    now = timezone.now()
    # New participants as lists [identity, code, gender, birth_year] (tuples for COPY, no model instance per row);
    # each row's owner is ("new", index) or ("known", participant).
    people: dict[str, tuple] = {}
    new_people: list[list] = []
    birth_years: list[Participant] = []
    owners: list[tuple] = []
    for values in rows:
        ref = values["ref"].lower()
        if not ref:
            new_people.append([Participant.Identity.ANONYMOUS, None, values["gender"], None])
            owner = ("new", len(new_people) - 1)
        elif ref in people:
            owner = people[ref]
        elif ref in existing:
            owner = people[ref] = ("known", existing[ref])
        else:
            new_people.append([Participant.Identity.PSEUDONYMOUS, values["ref"], values["gender"], None])
            owner = people[ref] = ("new", len(new_people) - 1)
        if values["birth_year"]:
            kind, who = owner
            if kind == "new" and not new_people[who][3]:
                new_people[who][3] = values["birth_year"]
            elif kind == "known" and not who.birth_year:
                who.birth_year = values["birth_year"]
                birth_years.append(who)
        owners.append(owner)
    new_pks = copy_rows(Participant, ("created_at", "updated_at", "identity", "code", "gender", "birth_year"),
                        [(now, now, *person) for person in new_people], returning_pk=True)
    participants_count_change(len(new_pks))
    owner_ids = [new_pks[who] if kind == "new" else who.pk for kind, who in owners]
    if birth_years:
        # In key order, whatever the file's: two imports updating the same people wait, never deadlock.
        birth_years.sort(key=lambda person: person.pk)
        Participant.objects.bulk_update(birth_years, ["birth_year"], batch_size=IMPORT_BATCH)
    if progress is not None:
        progress(len(rows) // 4)

    columns = ("created_at", "updated_at", "participant_id", "project_id", "agency_id", "referral_date", "start_date",
               "support_before_id", "activity_before_id", "education_level", "labour_market_status")
    referral_rows = [
        (now, now, participant_id, project.pk, values["agency"].pk, values["referral_date"], values["start_date"],
         getattr(values["support"], "pk", None), getattr(values["activity_before"], "pk", None),
         values["education_level"], values["labour_market_status"])
        for participant_id, values in zip(owner_ids, rows, strict=True)
    ]
    # closed_on: the date of the exit written below (Referral.closed_on), in the same COPY row; not in the history.
    referral_ids = copy_rows(Referral, (*columns, "closed_on"),
                             [(*row, values["end_date"]) for row, values in zip(referral_rows, rows, strict=True)],
                             returning_pk=True)
    copy_history_rows(Referral, ("id", *columns), [(pk, *row) for pk, row in zip(referral_ids, referral_rows,
                                                                                  strict=True)],
                      user=user, date=now)
    participants_refresh_latest_referral(participant_ids=set(owner_ids))
    if progress is not None:
        progress(len(rows) // 2)

    assignments = []
    for referral_id, values in zip(referral_ids, rows, strict=True):
        if values["assignment"] is not None:
            values["assignment"].referral_id = referral_id
            assignments.append(values["assignment"])
    # the waiting periods refreshed once below, with the exits; the organisations' tokens written after them
    with waiting_periods_collected(), placement_services.organisation_totals_collected() as organisations:
        placement_services.assignments_import(user=user, rows=assignments)
    if progress is not None:
        progress(3 * len(rows) // 4)

    ended = [(referral_id, values) for referral_id, values in zip(referral_ids, rows, strict=True)
             if values["end_date"]]
    exits = copy_insert_with_history(Exit, [
        Exit(referral_id=referral_id, exit_date=values["end_date"], kind=values["kind"], reason=values["reason"],
             activity_after=values["activity_after"], recorded_by=user)
        for referral_id, values in ended
    ], user=user)
    followed = [(exit, values) for exit, (_referral, values) in zip(exits, ended, strict=True)
                if values["kind"] != ExitKind.REGISTERED_IN_ERROR]
    copy_insert(FollowUp90, [
        FollowUp90(exit=exit, due_on=followup90_due_on(exit.exit_date), activity=values["followup"],
                   done_on=followup90_due_on(exit.exit_date) if values["followup"] else None)
        for exit, values in followed
    ])
    copy_insert(FollowUp6Months, [FollowUp6Months(exit=exit, due_on=followup6m_due_on(exit.exit_date))
                                  for exit, _values in followed])
    # The stored waiting periods of every start written, once, now that their assignments and exits are in.
    waiting_periods_refresh(referral_ids=referral_ids)
    placement_services.organisation_totals_changed(organisations)
    if progress is not None:
        progress(len(rows))
