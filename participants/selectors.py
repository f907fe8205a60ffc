"""Reads about participants: lists, the waiting list, matching suggestions, follow-ups due.

Every function takes the acting user and starts from the scoping querysets in participants.permissions.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import models
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.paging import page_keys, values_compiled
from core.roles import is_case_worker, is_leader
from organisations.permissions import agency_of, units_managed_by
from participants.models import (
    Assessment,
    Correction,
    Exit,
    ExitKind,
    FollowUp6Months,
    FollowUp90,
    Participant,
    ParticipantCountChange,
    Referral,
    WaitingCountChange,
    WaitingPeriod,
)
from participants.permissions import participants_visible_to, referrals_visible_to
from placements.models import Assignment, Placement
from placements.permissions import assignments_visible_to, placements_visible_to
from placements.selectors import on_placement, with_free_slot

PLACED_STATUSES = (Assignment.Status.CONFIRMED, Assignment.Status.ONGOING, Assignment.Status.COMPLETED)


class Stage(models.TextChoices):
    """Where a participant's latest start is in the flow (kartläggning → matchning → arbetsträning → avslut)."""

    ASSESSMENT = "assessment", gettext_lazy("Kartläggning")
    MATCHING = "matching", gettext_lazy("Matchning")
    WORK_TRAINING = "work_training", gettext_lazy("Arbetsträning")
    EXITED = "exited", gettext_lazy("Avslutad")


# The participant list's annotated queryset (unevaluated), built once per process for each scope and day:
# building its subqueries costs the ORM several ms per request, the same for every request of that scope.
_PARTICIPANT_LISTS: dict[tuple, QuerySet[Participant]] = {}
_PARTICIPANT_LISTS_KEPT = 64


def _participant_list_scope(user) -> tuple | None:
    """What participant_list's rows depend on besides the day: the role, and a case worker's agency. None for
    the other roles (a manager's scope is their units: built each time)."""
    if is_leader(user):
        return ("leader",)
    if is_case_worker(user):
        agency = agency_of(user)
        return ("case_worker", agency.pk if agency else None)
    return None


def participant_list(*, user, on: dt.date | None = None) -> QuerySet[Participant]:
    """Participants the user may see, newest start first. Annotated from the latest start the user may see,
    on day `on` (default today): `latest_referral` (its date), `current_agency`, `current_placement` (the
    place someone is on that day), `stage` (a Stage value) and `waiting_since` (its referral date while it
    is on the waiting list, waiting_list_on: the same rows and days as the waiting-list page). All in the one
    query of the page.

    Sorted by the stored Participant.latest_referral_date (an index), so a page's keys are cut without looking
    at every participant's referrals. For a case worker that is the latest start they may see: a participant's
    starts are all from one agency (another agency's referral makes a new participant record,
    participants.services._find_known, and the import keeps agencies apart the same way)."""
    return _kept_per_scope_and_day(_PARTICIPANT_LISTS, _build_participant_list, user=user,
                                   on=on or timezone.localdate())


def _kept_per_scope_and_day(kept: dict, build, *, user, on: dt.date) -> QuerySet:
    """build(user=user, on=on), built once per scope (_participant_list_scope) and day in this process and kept in
    `kept` (at most _PARTICIPANT_LISTS_KEPT entries); a user whose scope cannot be named gets a new one."""
    scope = _participant_list_scope(user)
    if scope is None:
        return build(user=user, on=on)
    key = (*scope, on)
    if key not in kept:
        if len(kept) >= _PARTICIPANT_LISTS_KEPT:
            kept.clear()
        kept[key] = build(user=user, on=on)
    return kept[key].all()  # a copy: the kept queryset itself is never evaluated


def participants_count_stored() -> int:
    """The number of participants, from the stored per-day changes (ParticipantCountChange, kept by every writer of
    participants; the tests hold it equal to Participant.objects.count()): a few rows per day of writing."""
    return ParticipantCountChange.objects.aggregate(n=Sum("delta"))["n"] or 0


def participant_list_count(*, user, filters: dict | None) -> int | None:
    """The participant list's length when it is known without counting its rows: the leader's list narrowed by
    nothing (`filters`: the filter's values, {} when not filtered, None when they did not validate) is every
    participant, the stored number. None otherwise (the paginator counts)."""
    if filters is not None and not any(filters.values()) and is_leader(user):
        return participants_count_stored()
    return None


class ParticipantListRow(NamedTuple):
    """One row of the participant list as participants_tags.participant_rows draws it: the participant's columns
    that name them, and participant_list's annotations for the latest start the user may see."""

    pk: int
    identity: str
    code: str | None
    first_name: str
    last_name: str
    gender: str
    latest_referral: dt.date | None
    current_agency: str | None
    current_placement: str | None
    stage: str  # a Stage value, "" when none
    waiting_since: dt.date | None


# What the rows query selects: the stage and waiting_since come from their parts (_stage_of), each part computed once
# in SQL, where participant_list's Case repeats the waiting and current-start subqueries in every branch.
_PARTICIPANT_ROW_COLUMNS = ("pk", "identity", "code", "first_name", "last_name", "gender", "latest_referral",
                            "current_agency", "current_placement", "is_exited", "is_waiting", "is_assessed")


def _stage_of(*, exited: bool, placement: str | None, waiting: bool, assessed: bool) -> str:
    """participant_list's `stage` from its parts, in its Case's order: the current start exited that day, else on a
    placement (one is `placement`, the title of the place someone is on: there is one exactly when they are on one),
    else waiting and assessed, else waiting; "" when none holds."""
    if exited:
        return Stage.EXITED
    if placement is not None:
        return Stage.WORK_TRAINING
    if waiting:
        return Stage.MATCHING if assessed else Stage.ASSESSMENT
    return ""


def participant_list_rows(*, user, keys, on: dt.date) -> list[ParticipantListRow]:
    """The rows of `keys` (a page of a participant_list(user=user, on=on) queryset, filtered or not: the filters
    choose the keys, never a row's values) in the keys' order, as plain values: only the columns the page shows,
    not a model object per participant, and the stage from its parts. The annotations cost the ORM more to compile
    than PostgreSQL to run: the query is compiled once per scope and day (core.paging.values_compiled; the scope
    and day decide the annotations, as for the kept query). `on` is the day the list was built for, never read
    again here: a request that spans midnight would otherwise keep the rows compiled for the day before as the new
    day's."""
    keys = list(keys)

    def rows():
        current = OuterRef("current_referral")
        return (participant_list(user=user, on=on).order_by()
                .annotate(is_exited=Exists(_exited(current, on=on)), is_assessed=Exists(_assessed(current)))
                .values_list(*_PARTICIPANT_ROW_COLUMNS))

    scope = _participant_list_scope(user)
    if scope is None:
        found = rows().filter(pk__in=keys) if keys else []
    else:
        found = values_compiled(rows, keys, compiled_as=("participant_list_rows", *scope, on))
    by_key = {row[0]: row for row in found}
    drawn = []
    for pk in keys:
        if pk not in by_key:
            continue
        (_pk, identity, code, first_name, last_name, gender, latest, agency, placement, exited, waiting,
         assessed) = by_key[pk]
        drawn.append(ParticipantListRow(
            pk, identity, code, first_name, last_name, gender, latest, agency, placement,
            _stage_of(exited=exited, placement=placement, waiting=waiting, assessed=assessed),
            latest if waiting else None))
    return drawn


def _exited(current, *, on: dt.date) -> QuerySet[Exit]:
    """The exit of start `current` (an OuterRef) by day `on`."""
    return Exit.objects.filter(referral=current, exit_date__lte=on)


def _assessed(current) -> QuerySet[Assessment]:
    return Assessment.objects.filter(referral=current)


def _build_participant_list(*, user, on: dt.date) -> QuerySet[Participant]:
    latest = referrals_visible_to(user).filter(participant=OuterRef("pk")).order_by("-referral_date", "-pk")
    current = OuterRef("current_referral")
    at_placement = on_placement(on=on).filter(referral=current).order_by("-start_date", "-pk")
    exited = _exited(current, on=on)
    assessed = _assessed(current)
    waiting = waiting_list_on(on, Referral.objects.filter(pk=current))
    # The stage's rule is also _stage_of's (the page's rows): the tests hold the two equal in every stage.
    return (
        participants_visible_to(user)
        .annotate(
            latest_referral=Subquery(latest.values("referral_date")[:1]),
            current_referral=Subquery(latest.values("pk")[:1]),
        )
        .annotate(
            current_agency=Subquery(latest.values("agency__name")[:1]),
            current_placement=Subquery(at_placement.values("placement__title")[:1]),
            is_waiting=Exists(waiting),
        )
        .annotate(
            stage=Case(
                When(Exists(exited), then=Value(Stage.EXITED)),
                When(Exists(at_placement), then=Value(Stage.WORK_TRAINING)),
                When(Q(is_waiting=True) & Exists(assessed), then=Value(Stage.MATCHING)),
                When(is_waiting=True, then=Value(Stage.ASSESSMENT)),
                default=Value(""),
            ),
            waiting_since=Case(When(is_waiting=True, then=F("latest_referral")), default=None),
        )
        .order_by(F("latest_referral_date").desc(nulls_first=True), "pk")
    )


def manager_assignment_list(*, user) -> QuerySet[Assignment]:
    """A manager's view of participants: the assignments at their units, code/name and dates only."""
    return (
        Assignment.objects.filter(placement__unit__in=units_managed_by(user))
        .exclude(status__in=Assignment.HIDDEN_FROM_MANAGERS)
        .select_related("placement__unit", "referral__participant")
        .order_by("-start_date", "pk")
    )


class WaitingState(models.TextChoices):
    """The four states of the waiting list, in the order they are shown."""

    WAITING = "waiting", gettext_lazy("Väntar på plats")
    REQUESTED = "requested", gettext_lazy("Förfrågan väntar på svar")
    BOOKED = "booked", gettext_lazy("Bokad, inte påbörjad")
    FINISHED = "finished", gettext_lazy("Placering avslutad, väntar på avslut")


def _after_day(on: dt.date) -> dt.datetime:
    """The first instant after local day `on`. A timestamp's local date is on or before `on` exactly when the
    timestamp is before this instant: the comparisons below need no time-zone conversion of every row."""
    return timezone.make_aware(dt.datetime.combine(on + dt.timedelta(days=1), dt.time.min))


def _booked_not_started(on: dt.date) -> Q:
    """An assignment confirmed by `on` (the local date it was decided, or asked for when written without a
    decision), neither withdrawn nor begun by then (its start_date is the actual start once begun)."""
    S = Assignment.Status
    after = _after_day(on)
    return (
        (Q(decided_at__lt=after) | Q(decided_at__isnull=True, created_at__lt=after))
        & (Q(status__in=(S.CONFIRMED, S.WITHDRAWN)) | Q(status__in=Assignment.STARTED, start_date__gt=on))
        & ~Q(status=S.WITHDRAWN, decided_at__isnull=True)
        & (Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=on))
    )


def _request_pending(on: dt.date) -> Q:
    """An assignment asked for by `on` and neither answered nor withdrawn by then (local dates)."""
    S = Assignment.Status
    after = _after_day(on)
    return (
        Q(created_at__lt=after)
        & (Q(decided_at__isnull=True) | Q(decided_at__gte=after))
        & (Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=on))
        # written directly as history (imports): never a request
        & ~Q(status__in=(S.CONFIRMED, *Assignment.STARTED), decided_at__isnull=True)
    )


def _finished_before(on: dt.date) -> Q:
    """An assignment completed before `on`."""
    return Q(status=Assignment.Status.COMPLETED, end_date__lt=on)


# The states an assignment can give its start, in the order they win (WaitingState; none of them: WAITING).
_RANKED_STATES = ((1, WaitingState.BOOKED, _booked_not_started), (2, WaitingState.REQUESTED, _request_pending),
                  (3, WaitingState.FINISHED, _finished_before))


class _StateOfRank(Func):
    """CASE <rank> WHEN 1 THEN 'booked' … ELSE 'waiting' END: the rank, a subquery, is evaluated once per row
    (a CASE WHEN per state would repeat it)."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra_context):
        rank_sql, params = compiler.compile(self.source_expressions[0])
        whens = " ".join("WHEN %s THEN %s" for _ in _RANKED_STATES)
        params = [*params, *(value for rank, state, _q in _RANKED_STATES for value in (rank, state.value)),
                  WaitingState.WAITING.value]
        return f"CASE ({rank_sql}) {whens} ELSE %s END", params


def _waiting_state(on: dt.date) -> Func:
    """The start's state on the waiting list on `on`: of its assignments, the first state (in _RANKED_STATES'
    order) that any of them gives, else WAITING. One lookup of the start's assignments per row (an index on
    the referral), where an EXISTS per state hashed every assignment three times."""
    rank = Case(*(When(condition(on), then=Value(rank)) for rank, _state, condition in _RANKED_STATES),
                default=None, output_field=IntegerField())
    best = (Assignment.objects.filter(referral=OuterRef("pk")).order_by().values("referral")
            .annotate(best=Min(rank)).values("best"))
    return _StateOfRank(Subquery(best, output_field=IntegerField()))


def waiting_list_on(on: dt.date, referrals: QuerySet[Referral] | None = None) -> QuerySet[Referral]:
    """THE waiting list on day `on`, from the dates things happened (never today's status).

    Referrals made by `on`, without an exit by then and nobody on a placement for them that day
    (placements.selectors.on_placement); a referral whose exit was registered in error counts nowhere.
    Each row gets `waiting_state` (WaitingState), the first that applies:
    booked, not started · request pending · placement finished, awaiting exit · waiting for a placement.
    The reports, the dashboard, the waiting-list page and the start page all count from this.
    """
    referrals = Referral.objects.all() if referrals is None else referrals
    mine = {"referral": OuterRef("pk")}
    return (
        referrals.filter(referral_date__lte=on)
        # no exit by then: closed_on is the stored date of its exit (Referral.closed_on), on an index
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=on))
        .exclude(Exists(Exit.objects.filter(**mine, kind=ExitKind.REGISTERED_IN_ERROR)))
        .exclude(Exists(on_placement(on=on).filter(**mine)))
        .annotate(waiting_state=_waiting_state(on))
    )


def waiting_for_placement_on(on: dt.date, referrals: QuerySet[Referral] | None = None) -> QuerySet[Referral]:
    """The starts of waiting_list_on(on, referrals) in the state WAITING, without working out each one's state:
    WAITING is the state of a start none of whose assignments gives another (_RANKED_STATES), so it is one NOT
    EXISTS over the assignments that give one (PostgreSQL hashes them once) instead of a lookup per start. For the
    figures that need that state only (the reports' need and supply, the first page's previous month)."""
    gives_a_state = Q()
    for _rank, _state, condition in _RANKED_STATES:
        gives_a_state |= condition(on)
    return waiting_list_on(on, referrals).exclude(
        Exists(Assignment.objects.filter(gives_a_state, referral=OuterRef("pk"))))


def waiting_list_counts(queryset: QuerySet[Referral]) -> dict[str, int]:
    """{state: count} over a waiting_list_on queryset (every state present, 0 when empty), in one query."""
    counts = dict.fromkeys(WaitingState.values, 0)
    for row in queryset.order_by().values("waiting_state").annotate(n=Count("pk")):
        counts[row["waiting_state"]] = row["n"]
    return counts


def waiting_counts_stored(*, user, agency=None) -> dict[str, int]:
    """{state: count} of the waiting list the user may see today, of one agency or all, from the
    stored periods (WaitingPeriod: waiting_list_on as kept by participants.services.waiting_periods_refresh; the
    tests hold the two equal), summed as their changes per day (WaitingCountChange): one query over a few rows per
    day of history, none per start. What the waiting-list page shows when it is not narrowed by more than the
    agency. A case worker counts their own agency's starts only (as referrals_visible_to), whatever agency is
    asked for."""
    on = timezone.localdate()  # the periods are stored from the day they are written on: today, not before
    counts = dict.fromkeys(WaitingState.values, 0)
    if is_leader(user):
        changes = WaitingCountChange.objects.all()
    elif is_case_worker(user) and agency_of(user) is not None:
        own = agency_of(user)
        if agency is not None and agency != own:
            return counts
        changes, agency = WaitingCountChange.objects.filter(agency=own), None
    else:
        return counts
    if agency is not None:
        changes = changes.filter(agency=agency)
    for state, n in changes.filter(day__lte=on).order_by().values_list("state").annotate(n=Sum("delta")):
        counts[state] = n
    return counts


def waiting_keys_stored(*, user, agency=None) -> QuerySet:
    """The keys (start ids) of the waiting list the user may see today, of one agency or all, in the list's order
    (referral date, then start), from the stored periods holding today (WaitingPeriod, kept equal to waiting_list_on
    by participants.services.waiting_periods_refresh): the periods' own index in that order, so that a page, however
    deep, reads index entries and no start. The same scope as waiting_counts_stored."""
    on = timezone.localdate()  # the periods are stored from the day they are written on: today, not before
    if is_leader(user):
        periods = WaitingPeriod.objects.all()
    elif is_case_worker(user) and agency_of(user) is not None:
        own = agency_of(user)
        if agency is not None and agency != own:
            return WaitingPeriod.objects.none().values_list("referral_id", flat=True)
        periods, agency = WaitingPeriod.objects.filter(agency=own), None
    else:
        return WaitingPeriod.objects.none().values_list("referral_id", flat=True)
    if agency is not None:
        periods = periods.filter(agency=agency)
    return (periods.filter(first_day__lte=on, until__gt=on).order_by("referral_date", "referral_id")
            .values_list("referral_id", flat=True))


def narrowed_by_agency_only(filters: dict | None) -> bool:
    """Whether the waiting-list page's filter values (the filter's cleaned data, {} when not filtered, None when
    they did not validate) narrow the list by nothing but the agency: every other field empty. Only then are its
    counts and keys the stored periods' (kept per agency and state, nothing else); a field added to the filter
    later narrows the list, so it counts and pages the list itself without being named here."""
    return filters is not None and not any(value for name, value in filters.items() if name != "agency")


def waiting_list_page_keys(*, user, queryset: QuerySet[Referral], filters: dict | None) -> QuerySet:
    """The waiting-list page's keys in order for its filtered list `queryset` (waiting_list, today), as
    waiting_list_page_counts takes its counts: narrowed by nothing but the agency, from the stored periods
    (waiting_keys_stored); by anything else, from the list itself (core.paging.page_keys)."""
    if narrowed_by_agency_only(filters):
        return waiting_keys_stored(user=user, agency=filters.get("agency"))
    return page_keys(queryset)


def waiting_list_page_counts(*, user, queryset: QuerySet[Referral], filters: dict | None) -> dict[str, int]:
    """The waiting-list page's counts by state for its filtered list `queryset` (waiting_list, today). `filters`:
    the filter's values ({} when not filtered, None when they did not validate). Narrowed by nothing but the
    agency, the counts are the stored periods' (waiting_counts_stored); by anything else, counted over the list
    itself (waiting_list_counts)."""
    if narrowed_by_agency_only(filters):
        return waiting_counts_stored(user=user, agency=filters.get("agency"))
    return waiting_list_counts(queryset)


# The waiting list's queryset (unevaluated), built once per process for each scope and day, as the participant
# list's: building the state's subqueries costs the ORM about as much as the page's queries themselves.
_WAITING_LISTS: dict[tuple, QuerySet[Referral]] = {}


def waiting_list(*, user, on: dt.date | None = None) -> QuerySet[Referral]:
    """The waiting list the user may see on `on` (default today), oldest referral first.

    `waiting_state` tells the state (WaitingState; REQUESTED: a request waiting for the host's answer). Nothing
    else is computed from it in SQL: each such expression repeats the state's subqueries in the page's rows."""
    return _kept_per_scope_and_day(_WAITING_LISTS, _build_waiting_list, user=user, on=on or timezone.localdate())


def _build_waiting_list(*, user, on: dt.date) -> QuerySet[Referral]:
    return (
        waiting_list_on(on, referrals_visible_to(user))
        .select_related("participant", "agency", "project")
        .prefetch_related("interests")
        .order_by("referral_date", "pk")
    )


class WaitingListRow(NamedTuple):
    """One row of the waiting-list page as participants_tags.waiting_rows draws it: the start, its participant's
    columns that name them, the agency's name, the start's state that day and the names of its interests."""

    pk: int  # the start (referral)
    participant_id: int
    referral_date: dt.date
    code: str | None
    identity: str
    first_name: str
    last_name: str
    gender: str
    agency_name: str
    waiting_state: str  # a WaitingState value
    interests: tuple[str, ...]


_WAITING_ROW_COLUMNS = ("referral_id", "referral__participant_id", "referral__referral_date",
                        "referral__participant__code", "referral__participant__identity",
                        "referral__participant__first_name", "referral__participant__last_name",
                        "referral__participant__gender", "referral__agency__name", "state")


def waiting_list_rows(keys, *, on: dt.date | None = None) -> list[WaitingListRow]:
    """The rows of the starts `keys` (a page of waiting_list(…, on=on), whose scope and filters chose the keys; `on`
    today) in the keys' order, as plain values: each start's state that day from its stored period holding it
    (WaitingPeriod, kept equal to waiting_list_on by participants.services.waiting_periods_refresh: the page's counts
    and keys are the same periods'), with its participant and agency, in one query; its interests in a second (in
    OccupationalArea's order, as `interests.all()`); each built and compiled once per day
    (core.paging.values_compiled), not a model object per start, participant, agency and interest."""
    on = on or timezone.localdate()
    keys = list(keys)

    def rows():
        return (WaitingPeriod.objects.filter(first_day__lte=on, until__gt=on).order_by()
                .values_list(*_WAITING_ROW_COLUMNS))

    def interests():
        return (Referral.interests.through.objects
                .order_by("occupationalarea__sort_order", "occupationalarea__name", "occupationalarea_id")
                .values_list("referral_id", "occupationalarea__name"))

    by_key = {row[0]: row for row in values_compiled(rows, keys, compiled_as=("waiting_list_rows", on),
                                                      key="referral_id")}
    names = defaultdict(list)
    for referral_id, name in values_compiled(interests, keys, compiled_as=("waiting_list_interests",),
                                             key="referral_id"):
        names[referral_id].append(name)
    return [WaitingListRow(*by_key[pk], tuple(names.get(pk, ()))) for pk in keys if pk in by_key]


def days_waiting(referral: Referral, *, on: dt.date | None = None) -> int:
    return days_since_referral(referral.referral_date, on=on)


def days_since_referral(referral_date: dt.date, *, on: dt.date | None = None) -> int:
    """days_waiting of a start referred on `referral_date`."""
    return ((on or timezone.localdate()) - referral_date).days


def referrals_for_participant(*, user, participant: Participant) -> QuerySet[Referral]:
    assignments = (assignments_visible_to(user)
                   .select_related("placement__unit__organisation", "supervisor")
                   .order_by("-start_date", "pk"))
    return (
        referrals_visible_to(user)
        .filter(participant=participant)
        .select_related("agency", "project", "programme", "support_before", "activity_before", "case_worker",
                        "assessment", "exit__reason", "exit__activity_after", "exit__support_after",
                        "exit__followup_90__activity", "exit__followup_6m__activity",
                        "exit__survey_invitation")
        .prefetch_related("interests", "adaptation_needs", "plan_steps", "competences",
                          Prefetch("follow_ups", to_attr="follow_up_list"),
                          Prefetch("assignments", queryset=assignments, to_attr="assignment_list"))
        .order_by("-referral_date", "-pk")
    )


# --- Matching ------------------------------------------------------------------------------------


@dataclass
class Suggestion:
    placement: Placement
    score: int
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def placement_suggestions(*, user, referral: Referral, start_date: dt.date, planned_end_date: dt.date,
                          limit: int = 25) -> list[Suggestion]:
    """Placements with a free slot on the start date, available for the whole period, ranked by fit:
    occupational interest (3), wished municipality (2), each needed adaptation offered (1, +1 if all).

    Queries (constant, whatever the number of placements): interests, adaptation needs, placements with
    occupancy and scores, and their adaptations (prefetch) = 4.
    """
    interest_ids = list(referral.interests.values_list("pk", flat=True))
    needed = {a.pk: a.name for a in referral.adaptation_needs.all()}
    municipality = (referral.wished_municipality or "").strip()

    covered = (
        Placement.adaptations.through.objects.filter(placement_id=OuterRef("pk"), adaptation_id__in=list(needed))
        .order_by()
        .values("placement_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    queryset = (
        with_free_slot(placements_visible_to(user), on=start_date)
        .filter(Q(available_to__isnull=True) | Q(available_to__gte=planned_end_date))
        .exclude(Exists(Assignment.objects.filter(placement=OuterRef("pk"), referral=referral,
                                                  status__in=(Assignment.Status.REQUESTED, *PLACED_STATUSES))))
        .annotate(
            interest_match=Case(When(occupational_area_id__in=interest_ids, then=Value(1)), default=Value(0),
                                output_field=IntegerField()),
            municipality_match=Case(When(unit__municipality__iexact=municipality, then=Value(1)),
                                    default=Value(0), output_field=IntegerField())
            if municipality else Value(0, output_field=IntegerField()),
            adaptations_covered=Coalesce(Subquery(covered, output_field=IntegerField()), Value(0)),
        )
        .annotate(
            score=F("interest_match") * 3 + F("municipality_match") * 2 + F("adaptations_covered")
            + Case(When(adaptations_covered=len(needed), then=Value(1)), default=Value(0),
                   output_field=IntegerField()) * (1 if needed else 0)
        )
        .select_related("unit__organisation", "occupational_area", "supervisor")
        .prefetch_related("adaptations")
        .order_by("-score", "-free", "available_from", "title", "pk")[:limit]
    )
    suggestions = []
    for placement in queryset:
        reasons, warnings = [], []
        if placement.interest_match:
            reasons.append(_("Yrkesintresse: %(area)s") % {"area": placement.occupational_area.name})
        if placement.municipality_match:
            reasons.append(_("I önskad kommun: %(municipality)s") % {"municipality": placement.unit.municipality})
        elif municipality:
            warnings.append(_("Annan kommun: %(municipality)s") % {"municipality": placement.unit.municipality})
        offered = {a.pk for a in placement.adaptations.all()}
        has = [name for pk, name in needed.items() if pk in offered]
        lacks = [name for pk, name in needed.items() if pk not in offered]
        if has:
            reasons.append(_("Erbjuder anpassning: %(list)s") % {"list": ", ".join(has)})
        if lacks:
            warnings.append(_("Saknar anpassning: %(list)s") % {"list": ", ".join(lacks)})
        reasons.append(_("%(free)s av %(capacity)s platser lediga från %(date)s") % {
            "free": placement.free, "capacity": placement.capacity, "date": start_date.isoformat()})
        suggestions.append(Suggestion(placement=placement, score=placement.score, reasons=reasons,
                                      warnings=warnings))
    return suggestions


# --- Follow-ups and panels -----------------------------------------------------------------------


def followups90_due(*, user, on: dt.date | None = None) -> QuerySet[FollowUp90]:
    return _followups_due(FollowUp90, user=user, on=on)


def followups6m_due(*, user, on: dt.date | None = None) -> QuerySet[FollowUp6Months]:
    return _followups_due(FollowUp6Months, user=user, on=on)


def _followups_due(model, *, user, on: dt.date | None):
    on = on or timezone.localdate()
    return (
        model.objects.filter(exit__referral__in=referrals_visible_to(user), due_on__lte=on,
                                  done_on__isnull=True)
        .exclude(exit__kind=ExitKind.REGISTERED_IN_ERROR)
        .select_related("exit__referral__participant", "exit__referral__agency")
        .order_by("due_on", "pk")
    )


def pending_requests(*, user) -> QuerySet[Assignment]:
    return assignments_visible_to(user).filter(status=Assignment.Status.REQUESTED)


def my_waiting_counts(*, user) -> dict[str, int]:
    """The start page's waiting list by state; a case worker's own (and unassigned) participants."""
    queryset = waiting_list(user=user)
    if is_case_worker(user) and agency_of(user) is not None:
        queryset = queryset.filter(Q(case_worker=user) | Q(case_worker__isnull=True))
    return waiting_list_counts(queryset)


def same_personal_number(*, user, participant: Participant) -> list[Participant]:
    """Other participant records with the same personal number (one person referred by two agencies is two
    records, see participants.services._find_known). Only the project leader learns of them."""
    if not is_leader(user) or not participant.personal_number:
        return []
    return list(Participant.objects.filter(personal_number=participant.personal_number).exclude(pk=participant.pk)
                .order_by("pk"))


def may_use_waiting_list(user) -> bool:
    return is_leader(user) or is_case_worker(user)


def corrections_since(*, project_id: int, period_start, period_end, since) -> QuerySet[Correction]:
    """Corrections made after `since` that change figures of the period (an exit, a referral's dates or
    categories), in the given project."""
    return Correction.objects.filter(
        affects_figures=True, corrected_at__gt=since, referral__project_id=project_id,
        affects_from__lte=period_end, affects_to__gte=period_start,
    )


def mark_corrected(runs) -> None:
    """Set `run.corrections` on each finished report run: how many corrections since it was built touch its
    period. One query for the whole list."""
    finished = [run for run in runs if getattr(run, "finished_at", None)]
    for run in runs:
        run.corrections = 0
    if not finished:
        return
    rows = list(Correction.objects.filter(
        affects_figures=True, corrected_at__gt=min(run.finished_at for run in finished),
        referral__project_id__in={run.project_id for run in finished},
    ).values_list("referral__project_id", "affects_from", "affects_to", "corrected_at"))
    for run in finished:
        run.corrections = sum(1 for project_id, start, end, at in rows
                              if project_id == run.project_id and at > run.finished_at
                              and start <= run.period_end and end >= run.period_start)
