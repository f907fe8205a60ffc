"""The reports' figures, read straight from the models with aggregate SQL.

Every function issues a fixed number of queries whatever the amount of data (no per-row loops over
participants, referrals or placements); the Python code only reshapes a handful of aggregated rows.
The keys of the returned dicts are a contract documented in the README ("Rapporter").

Every figure for a period is computed from the dates on which things happened (referral, start,
assignment confirmed, actual start and end of each assignment, exit, follow-up done), never from
today's status, so a closed period's report is the same whenever it is built. Definitions (the
README's key table says the same per key):
- a *start* is a Referral whose start_date lies in the period; *unique* counts distinct participants
  among those starts (re-enrolment = another referral of the same participant);
- a referral whose Exit.kind is "felregistrering" counts nowhere;
- *on placement on day D* is placements.selectors.on_placement (actual start ≤ D, actual end empty
  or ≥ D); occupied = those, free = capacity − occupied per open placement; stock figures
  (placements, occupancy, waiting list) are for the period's last day;
- the *waiting list on day D* is participants.selectors.waiting_list_on, in four states;
- a *90-day follow-up* belongs to the period in which it is due; it is done if done by the period end;
- *work or studies after exit* is over unique individuals who exited in the period and had begun a
  work-training placement; the share over everyone who exited is given beside it;
- an organisation's figures include its sub-organisations' (placements.selectors.organisation_roll_up);
- shares are fractions 0–1 (None when the denominator is 0), targets are fractions 0–1 too.
"""

import contextlib
import contextvars
import datetime as dt
import functools
import hashlib
import math
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, ExtractYear, TruncMonth
from django.utils import timezone, translation

from core import changelog
from core.cache import delete_if_holds, touch_if_holds
from core.dates import add_months, month_end, month_start
from core.models import Gender
from organisations.models import Agency, OccupationalArea, Project, ProjectGroupMember, ProjectPartner
from participants.models import (
    Exit,
    ExitKind,
    ExitReason,
    FollowUp90,
    Participant,
    Referral,
    SurveyAnswer,
    SurveyInvitation,
    SurveyStatement,
)
from participants.selectors import WaitingState, corrections_since, waiting_for_placement_on, waiting_list_on
from placements.models import Assignment, Placement
from placements.selectors import (
    available_between,
    closed_between,
    on_placement,
    organisation_roll_up,
    organisation_totals_on,
    placements_existing_per_day,
    placements_on,
)
from reporting.models import ReportRun
from reporting.suppression import hidden_in_months, is_whole_period, months_of

GENDERS = [choice.value for choice in Gender]
AGE_BANDS = ["18–29", "30–54", "55+", "okänd"]
UNKNOWN = "okänd"
TREND_MONTHS = 12


# --- helpers --------------------------------------------------------------------------------------


def _share(numerator, denominator):
    if not denominator:
        return None
    return round(numerator / denominator, 4)


def _fraction(percent) -> float | None:
    if percent is None:
        return None
    return round(float(Decimal(percent) / 100), 4)


def whole_places(places: float) -> int:
    """A target in places is a whole number: the places needed to reach it (3 % of 35 employees → 2)."""
    return math.ceil(round(places, 6))


def _by_gender(rows, key: str, value: str = "n") -> dict:
    result = dict.fromkeys(GENDERS, 0)
    for row in rows:
        result[row[key] or UNKNOWN] = result.get(row[key] or UNKNOWN, 0) + (row[value] or 0)
    return result


def equality_threshold_days() -> int:
    return settings.REPORT_EQUALITY_THRESHOLD_DAYS


def equality_threshold_share() -> float:
    return settings.REPORT_EQUALITY_THRESHOLD_SHARE


def valid_referrals(project: Project) -> QuerySet[Referral]:
    """The project's referrals, without those whose exit was registered in error."""
    in_error = Exit.objects.filter(referral=OuterRef("pk"), kind=ExitKind.REGISTERED_IN_ERROR)
    return Referral.objects.filter(project=project).filter(~Exists(in_error))


def of_valid_referrals(project: Project, referral: str = "referral") -> Q:
    """Rows whose referral (the relation `referral`) is one of valid_referrals(project), as a condition on the
    row's own join: the same rows as `referral__in=valid_referrals(project)`, which PostgreSQL evaluates by
    hashing every referral of the project before it looks at the period's few."""
    in_error = Exit.objects.filter(referral=OuterRef(referral), kind=ExitKind.REGISTERED_IN_ERROR)
    return Q(**{f"{referral}__project": project}) & ~Exists(in_error)


def of_valid_exits(project: Project, start: dt.date, end: dt.date, exit: str,  # noqa: A002
                   referral: str | None = None) -> Q:
    """Rows whose exit (the relation `exit`) is one of valid_exits(project, start, end), as a condition on the
    row's own join (not `exit__in=` a subquery): PostgreSQL then starts from the period's exits. `referral`: the
    row's relation to the referral whose exit it is, when the row has one (`exit` is then `<referral>__exit`):
    the project is read from it, not from a second join of the referral through the exit."""
    project_of = referral or f"{exit}__referral"
    return Q(**{f"{exit}__exit_date__gte": start, f"{exit}__exit_date__lte": end,
                f"{project_of}__project": project}) & ~Q(**{f"{exit}__kind": ExitKind.REGISTERED_IN_ERROR})


def valid_exits(project: Project, start: dt.date, end: dt.date) -> QuerySet[Exit]:
    return (
        Exit.objects.filter(referral__project=project, exit_date__gte=start, exit_date__lte=end)
        .exclude(kind=ExitKind.REGISTERED_IN_ERROR)
    )


def starts_in(project: Project, start: dt.date, end: dt.date) -> QuerySet[Referral]:
    return valid_referrals(project).filter(start_date__gte=start, start_date__lte=end)


def start_age_bands() -> dict[str, Q]:
    """The age bands of a start (start year − birth year) as conditions on start_rows' `age`, in AGE_BANDS' order."""
    return {"18–29": Q(age__lt=30), "30–54": Q(age__gte=30, age__lt=55), "55+": Q(age__gte=55),
            UNKNOWN: Q(participant__birth_year__isnull=True)}


def start_rows(project: Project, start: dt.date, end: dt.date) -> list[dict]:
    """The period's starts (starts_in) grouped by education level, labour-market status, gender and agency: `n`
    starts, `band_0`… of them in each age band at the start (start_age_bands) and `days`, the days from referral to
    start summed. One pass over the starts read once per build (see one_build): the starts per agency
    (participants_section), the days to start per gender (equality_section) and the ESF tables
    (reporting.indicators.esf_section) are sums of its few rows, the same counts as a grouped query for each."""
    def compute():
        starts = starts_in(project, start, end).annotate(age=YearOf("start_date") - F("participant__birth_year"))
        return list(starts.order_by().values("education_level", "labour_market_status", "participant__gender",
                                             "agency__code").annotate(
            n=Count("pk"), days=Sum(days_between("start_date", "referral_date")),
            **{f"band_{i}": Count("pk", filter=condition) for i, condition in enumerate(start_age_bands().values())}))

    return _once_per_build(("start_rows", project.pk, start, end), compute)


def began_placement_count(project: Project, start: dt.date, end: dt.date) -> int:
    """Unique participants of the project who began a work-training placement in the period (an assignment
    that has actually started, with its start date in the period): the flow beside the stock "occupied"."""
    return began_placement_counts(project, [(start, end)])[0]


def began_placement_counts(project: Project, periods: list[tuple[dt.date, dt.date]]) -> list[int]:
    """began_placement_count for each period, in one query (read once per build, see one_build)."""
    key = ("began_placement_counts", project.pk, tuple(tuple(period) for period in periods))
    return _once_per_build(key, lambda: _began_placement_counts(project, periods))


def _began_placement_counts(project: Project, periods: list[tuple[dt.date, dt.date]]) -> list[int]:
    started = Assignment.objects.filter(of_valid_referrals(project), status__in=Assignment.STARTED,
                                        start_date__gte=min(start for start, _end in periods),
                                        start_date__lte=max(end for _start, end in periods))
    counts = started.aggregate(**{
        f"p{i}": Count("referral__participant", distinct=True, filter=Q(start_date__gte=start, start_date__lte=end))
        for i, (start, end) in enumerate(periods)})
    return [counts[f"p{i}"] for i in range(len(periods))]


class YearOf(ExtractYear):
    """The year of a date expression as an integer. PostgreSQL's EXTRACT gives a numeric, and an age (year −
    birth year) compared in each age band's condition is then numeric arithmetic on every start: a quarter of the
    starts' grouped pass at scale 100. date_part gives a double, exact for a year."""

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.lhs)
        return f"CAST(date_part('year', {sql}) AS integer)", params


class DaysBetween(Func):
    """Whole days from `earlier` to `later` (two date expressions) as an integer, on SQLite and PostgreSQL."""

    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra_context):  # PostgreSQL: date - date is an integer
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ",
                              **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection,
                              template="CAST(julianday(%(expressions)s) AS INTEGER)",
                              arg_joiner=") - julianday(", **extra_context)


def days_between(later, earlier) -> DaysBetween:
    def as_date(value):
        if isinstance(value, dt.date):
            return Cast(Value(value, output_field=DateField()), DateField())
        return F(value)

    return DaysBetween(as_date(later), as_date(earlier))


# Within one build of a report's figures, the placements as they stood on a day are read once: the placement
# section, the supervisors, need and supply (and the dashboard's same figures) all start from the period end's.
_one_build_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("report_figures_memo", default=None)


@contextlib.contextmanager
def one_build():
    """Share the day's placements between the sections of one build (nested builds share the outer one's)."""
    if _one_build_memo.get() is not None:
        yield
        return
    token = _one_build_memo.set({})
    try:
        yield
    finally:
        _one_build_memo.reset(token)


def _once_per_build(key, compute):
    memo = _one_build_memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def placement_days(on: dt.date) -> list:
    """placements.selectors.placements_on for the day, read once per build (see one_build)."""
    return _once_per_build(on, lambda: placements_on(on=on))


def placement_totals(days: list) -> dict:
    """Placements, capacity, occupied, free and overbooked slots summed over a day's placements (placement_days)."""
    capacity = occupied = free = overbooked = 0
    for day in days:  # one pass over thousands of placements, not one per sum
        capacity += day.capacity
        occupied += day.occupied
        free += day.free
        overbooked += day.overbooked
    return {"total": len(days), "capacity": capacity, "occupied": occupied, "free": free, "overbooked": overbooked}


def placement_totals_on(on: dt.date) -> dict:
    """placement_totals(placement_days(on)) without the overbooked slots, summed in the database from one row per
    organisation (placements.selectors.organisation_totals_on: the same placements and occupancy, held equal by the
    tests): for a day whose placements are not needed one by one (the first page's previous month). Read once
    per build (see one_build)."""
    def compute():
        totals = organisation_totals_on(on=on)
        return {key: sum(totals[name].values())
                for key, name in (("total", "placements"), ("capacity", "places"), ("occupied", "occupied"),
                                  ("free", "free"))}

    return _once_per_build(("placement_totals_on", on), compute)


def waiting_for_placement_count(project: Project, on: dt.date) -> int:
    """How many of the project's valid referrals wait for a placement on the day (participants.selectors'
    waiting_for_placement_on), read once per build (see one_build)."""
    return _once_per_build(("waiting_for_placement_count", project.pk, on),
                           lambda: waiting_for_placement_on(on, valid_referrals(project)).count())


# --- the PDF's per-organisation tables --------------------------------------------------------------

# A per-organisation table of more rows than this is summarised in the PDF: the PDF_TOP_ORGANISATIONS largest
# top-level organisations (each with its sub-organisations' figures) and one row for all the other ones; every
# row is in the report's XLSX. Laying out a table costs the PDF per cell (docs/benchmarks.md § 3): four tables of
# a region's 60 organisations were most of a monthly report's pages and time.
PDF_ORGANISATION_ROWS = 20
PDF_TOP_ORGANISATIONS = 10


def top_organisations(rows: list[dict], *, size: str, sums: tuple[str, ...], shown_in_full=None,
                      roots_only: bool = True) -> dict | None:
    """The PDF's summary of a per-organisation table (`rows`, as the section returns them), or None when the
    table is short enough to be shown whole (at most PDF_ORGANISATION_ROWS of the rows `shown_in_full` keeps).

    `shown`: the indices of the rows to show, the largest by `size` first (ties by name); `rest_rows`: the
    other rows the summary stands for, summed in `rest` (`organisations` = how many, and each key of `sums`).
    With `roots_only` only top-level organisations (`parent` None) take part: a sub-organisation's figures
    are in its parent's, so the shown rows and the rest add up to the region without counting anyone twice.
    `rest` is a figure like any other: its counts of persons are suppressed with the rows it sums
    (reporting.suppression, `_top_organisations_sums`)."""
    full = [row for row in rows if shown_in_full is None or shown_in_full(row)]
    if len(full) <= PDF_ORGANISATION_ROWS:
        return None
    candidates = [i for i, row in enumerate(rows)
                  if (not roots_only or row.get("parent") is None) and (shown_in_full is None or shown_in_full(row))]
    ranked = sorted(candidates, key=lambda i: (-(rows[i][size] or 0), rows[i]["name"]))
    shown, rest_rows = ranked[:PDF_TOP_ORGANISATIONS], sorted(ranked[PDF_TOP_ORGANISATIONS:])
    rest = {"organisations": len(rest_rows), **{key: sum(rows[i][key] or 0 for i in rest_rows) for key in sums}}
    return {"organisations": len(candidates), "shown": shown, "rest_rows": rest_rows, "rest": rest}


# --- sections -------------------------------------------------------------------------------------


def participants_section(project: Project, start: dt.date, end: dt.date) -> dict:
    # One row per person who started in the period (their starts, and their age at the first of them: start year −
    # birth year), counted per gender by the outer query: the unique people, their starts and the anonymous ones
    # per gender, and the people per age band, in a single pass over the starts. A person has one gender, so the
    # groups add up to the totals.
    people = (
        starts_in(project, start, end).order_by()
        .values(person=F("participant"), gender=F("participant__gender"), identity=F("participant__identity"))
        .annotate(starts=Count("pk"), birth=Min("participant__birth_year"),
                  age=YearOf(Min("start_date")) - Min("participant__birth_year"))
    )
    inner, params = people.query.sql_with_params()
    known = "s.birth IS NOT NULL AND "
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.gender, COUNT(*), SUM(s.starts), COUNT(*) FILTER (WHERE s.identity = %s), "  # noqa: S608
            f"COUNT(*) FILTER (WHERE {known}s.age < 30), COUNT(*) FILTER (WHERE {known}s.age >= 30 AND s.age < 55), "
            f"COUNT(*) FILTER (WHERE {known}s.age >= 55), COUNT(*) FILTER (WHERE s.birth IS NULL) "
            f"FROM ({inner}) s GROUP BY s.gender",  # the ORM's SQL, no user input
            [Participant.Identity.ANONYMOUS, *params])
        gender_rows = [{"gender": gender, "unique": unique, "starts": int(starts), "anonymous": anonymous,
                        "bands": bands} for gender, unique, starts, anonymous, *bands in cursor.fetchall()]
    totals = {key: sum(row[key] for row in gender_rows) for key in ("starts", "unique", "anonymous")}
    bands = [sum(row["bands"][i] for row in gender_rows) for i in range(len(AGE_BANDS))]
    by_agency = dict.fromkeys(_agency_codes(), 0)
    for row in start_rows(project, start, end):
        by_agency[row["agency__code"]] = by_agency.get(row["agency__code"], 0) + row["n"]
    return {
        "starts": totals["starts"],
        "unique": totals["unique"],
        "anonymous": totals["anonymous"],
        "re_enrolments": totals["starts"] - totals["unique"],
        "by_gender": _by_gender(gender_rows, "gender", "unique"),
        "starts_by_gender": _by_gender(gender_rows, "gender", "starts"),
        "by_age_band": dict(zip(AGE_BANDS, bands, strict=True)),
        "by_agency": by_agency,
    }


def _agency_codes() -> list[str]:
    return list(Agency.objects.order_by("code").values_list("code", flat=True))


def referrals_section(project: Project, start: dt.date, end: dt.date) -> dict:
    received = valid_referrals(project).filter(referral_date__gte=start, referral_date__lte=end)
    rows = list(received.order_by().values("agency__code", "participant__gender").annotate(n=Count("pk")))
    by_agency: dict[str, int] = dict.fromkeys(_agency_codes(), 0)
    for row in rows:
        by_agency[row["agency__code"]] = by_agency.get(row["agency__code"], 0) + row["n"]
    return {
        "total": sum(row["n"] for row in rows),
        "by_agency": by_agency,
        "by_gender": _by_gender(rows, "participant__gender"),
    }


def waiting_list_section(project: Project, on: dt.date) -> dict:
    """The waiting list on `on` (the period end) in its four states (participants.selectors.waiting_list_on)."""
    waiting = waiting_list_on(on, valid_referrals(project))
    # One grouped query gives the totals, the days waited (on − referral date, one group per referral date) and
    # so their mean and median too: the waiting list is costly to evaluate, once and not twice.
    rows = list(waiting.order_by().values("waiting_state", "participant__gender", "referral_date").annotate(
        n=Count("pk"), without_start=Count("pk", filter=Q(start_date__isnull=True) | Q(start_date__gt=on)),
    ))
    total = sum(row["n"] for row in rows)
    without_start = sum(row["without_start"] for row in rows)
    by_state = dict.fromkeys(WaitingState.values, 0)
    by_gender = dict.fromkeys(GENDERS, 0)
    waited: dict[int, int] = {}  # days waited → starts
    for row in rows:
        by_state[row["waiting_state"]] += row["n"]
        by_gender[row["participant__gender"] or UNKNOWN] = by_gender.get(row["participant__gender"] or UNKNOWN,
                                                                         0) + row["n"]
        days = (on - row["referral_date"]).days
        waited[days] = waited.get(days, 0) + row["n"]
    return {
        "total": total,
        "without_start": without_start,
        "without_placement": total - without_start,
        "by_state": by_state,
        "waiting_for_placement": by_state[WaitingState.WAITING.value],
        "by_gender": by_gender,
        "days_mean": round(sum(days * n for days, n in waited.items()) / total, 1) if total else None,
        "days_median": _median_of_counts(waited, total),
    }


def _median_of_counts(counts: dict[int, int], total: int):
    """The median of `total` values given as {value: how many}: the middle one, or the mean of the middle two."""
    if not total:
        return None
    middle = [total // 2] if total % 2 else [total // 2 - 1, total // 2]
    found, seen = [], 0
    for value in sorted(counts):
        seen += counts[value]
        while middle and middle[0] < seen:
            found.append(value)
            middle.pop(0)
    return float(found[0]) if total % 2 else (found[0] + found[1]) / 2


def previous_month_of(start: dt.date) -> tuple[dt.date, dt.date]:
    """The month before the one `start` lies in: what the monthly report's first page compares with."""
    previous_end = month_start(start) - dt.timedelta(days=1)
    return month_start(previous_end), previous_end


def _per_period(field: str, periods: list[tuple[dt.date, dt.date]]) -> tuple[Q, Case]:
    """For rows counted in several disjoint periods by one query: the condition "`field` in one of them" and the
    index of the period it is in (for values(), so that each period's rows are grouped apart)."""
    inside = Q()
    for start, end in periods:
        inside |= Q(**{f"{field}__gte": start, f"{field}__lte": end})
    which = Case(*(When(**{f"{field}__gte": start, f"{field}__lte": end}, then=Value(i))
                   for i, (start, end) in enumerate(periods)), output_field=IntegerField())
    return inside, which


def _disjoint(periods: list[tuple[dt.date, dt.date]]) -> bool:
    ordered = sorted(periods)
    return all(earlier[1] < later[0] for earlier, later in zip(ordered, ordered[1:], strict=False))


def _rows_per_period(key: str, project: Project, periods: list[tuple[dt.date, dt.date]], compute) -> list[list]:
    """Each period's rows of a grouped query over the project's exits, read once per build: the periods not read
    yet in one query (`compute(periods)` → rows with their period's index in `period`) when they are disjoint,
    else one query each."""
    memo = _one_build_memo.get()
    memo = {} if memo is None else memo
    missing = [period for period in dict.fromkeys(periods) if (key, project.pk, *period) not in memo]
    groups = [missing] if missing and _disjoint(missing) else [[period] for period in missing]
    for group in groups:
        found: list[list] = [[] for _ in group]
        for row in compute(group):
            found[row.pop("period")].append(row)
        for period, rows in zip(group, found, strict=True):
            memo[key, project.pk, *period] = rows
    return [memo[key, project.pk, *period] for period in periods]


def _exit_rows(project: Project, periods: list[tuple[dt.date, dt.date]]) -> list[list]:
    """Each period's exits grouped by kind, reason and gender (exits_section), read once per build."""
    def compute(group):
        inside, which = _per_period("exit_date", group)
        return (Exit.objects.filter(inside, referral__project=project).exclude(kind=ExitKind.REGISTERED_IN_ERROR)
                .order_by().annotate(period=which)
                .values("period", "kind", "reason__code", "referral__participant__gender").annotate(n=Count("pk")))

    return _rows_per_period("exits", project, periods, compute)


def exits_section(project: Project, start: dt.date, end: dt.date) -> dict:
    [rows] = _exit_rows(project, [(start, end)])
    by_kind = {ExitKind.AS_PLANNED.value: 0, ExitKind.INTERRUPTED.value: 0}
    by_reason: dict[str, int] = {}
    for row in rows:
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + row["n"]
        reason = row["reason__code"] or UNKNOWN
        by_reason[reason] = by_reason.get(reason, 0) + row["n"]
    return {
        "total": sum(row["n"] for row in rows),
        "by_kind": by_kind,
        "by_reason": by_reason,
        "by_gender": _by_gender(rows, "referral__participant__gender"),
    }


def outcomes_section(project: Project, start: dt.date, end: dt.date) -> dict:
    """Work or studies after exit, over unique individuals: among those who had begun a work-training
    placement (the base of `share`), and among everyone who exited (`share_all_exited`)."""
    rows = outcome_rows(project, start, end)
    totals = {key: sum(row[key] for row in rows) for key in ("exited", "count_all", "placed", "count")}
    return {
        "work_or_studies": {
            "count": totals["count"],
            "placed": totals["placed"],
            "share": _share(totals["count"], totals["placed"]),
            "exited": totals["exited"],
            "count_all_exited": totals["count_all"],
            "share_all_exited": _share(totals["count_all"], totals["exited"]),
            "target": _fraction(project.target_work_or_studies_percent),
        }
    }


STUDIES = "studier"  # the exit reason (and activity) for studies


def outcome_rows(project: Project, start: dt.date, end: dt.date) -> list[dict]:
    """Unique individuals among the period's exits, per gender: `exited` (everyone who exited), `count_all`
    (of them to work or studies), `placed` (had begun a work-training placement by the exit), `count` (placed,
    to work or studies), `work` and `studies` (placed, to work / to studies). One query, read once per build:
    a person has one gender, so the groups add up to the totals (outcomes_section) and give them per gender
    (reporting.indicators.outcomes_by_gender_section)."""
    return outcome_rows_of(project, [(start, end)])[0]


def outcome_rows_of(project: Project, periods: list[tuple[dt.date, dt.date]]) -> list[list[dict]]:
    """outcome_rows for each period, the disjoint ones not read yet in one query (a person is counted once per
    period: each period's rows are grouped apart)."""
    def compute(group):
        person = "referral__participant"
        # Placed: an assignment of the referral that had started by the exit. Joined (not a subquery in each of
        # the counts that ask, which PostgreSQL evaluates for every exit once per count): an exit then comes once
        # per such assignment, which the counts of distinct persons do not see.
        began = FilteredRelation("referral__assignments", condition=Q(
            referral__assignments__status__in=Assignment.STARTED,
            referral__assignments__start_date__lte=F("exit_date")))
        work = Q(reason__is_work_or_studies=True)
        placed = Q(began__isnull=False)
        studies = Q(reason__code=STUDIES)
        inside, which = _per_period("exit_date", group)
        return [
            {**row, "gender": row.pop("referral__participant__gender") or UNKNOWN}
            for row in Exit.objects.filter(inside, referral__project=project)
            .exclude(kind=ExitKind.REGISTERED_IN_ERROR).annotate(began=began).order_by().annotate(period=which)
            .values("period", "referral__participant__gender").annotate(
                exited=Count(person, distinct=True),
                count_all=Count(person, distinct=True, filter=work),
                placed=Count(person, distinct=True, filter=placed),
                count=Count(person, distinct=True, filter=work & placed),
                work=Count(person, distinct=True, filter=work & placed & ~studies),
                studies=Count(person, distinct=True, filter=placed & studies),
            )
        ]

    return _rows_per_period("outcomes", project, periods, compute)


def followup_section(project: Project, start: dt.date, end: dt.date) -> dict:
    """90-day follow-ups *due* in the period (exits about three months earlier); done = done by its end."""
    followups = FollowUp90.objects.filter(
        exit__referral__project=project, due_on__gte=start, due_on__lte=end,
    ).exclude(exit__kind=ExitKind.REGISTERED_IN_ERROR)
    done = Q(done_on__isnull=False, done_on__lte=end)
    totals = followups.aggregate(
        total=Count("pk"),
        done=Count("pk", filter=done),
        work_or_studies=Count("pk", filter=done & Q(activity__is_work_or_studies=True)),
    )
    return {
        "total": totals["total"],
        "done": totals["done"],
        "done_share": _share(totals["done"], totals["total"]),
        "work_or_studies": {
            "count": totals["work_or_studies"],
            "share": _share(totals["work_or_studies"], totals["done"]),
        },
    }


def survey_section(project: Project, start: dt.date, end: dt.date) -> dict:
    invitations = SurveyInvitation.objects.filter(of_valid_exits(project, start, end, "exit")).aggregate(
        invited=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False))
    )
    answers = {row["statement"]: row for row in SurveyAnswer.objects.filter(
        of_valid_exits(project, start, end, "invitation__exit")).order_by().values("statement").annotate(
        answers=Count("pk"), yes=Count("pk", filter=Q(agrees=True)))}
    rows = []
    for statement in SurveyStatement.objects.filter(active=True).order_by("number"):
        counted = answers.get(statement.pk, {"answers": 0, "yes": 0})
        share = _share(counted["yes"], counted["answers"])
        target = _fraction(statement.target_percent)
        rows.append({
            "number": statement.number,
            "text": statement.text,
            "answers": counted["answers"],
            "yes": counted["yes"],
            "share": share,
            "target": target,
            "met": None if share is None else share >= target,
        })
    return {"invited": invitations["invited"], "answered": invitations["answered"], "statements": rows}


def placements_section(project: Project, start: dt.date, end: dt.date) -> dict:
    """Placements are the region's (not one project's): total, occupancy and free slots at the period end,
    per organisation rolled up over its sub-organisations (the same selector as the organisation pages)."""
    days = placement_days(end)
    flows = Placement.objects.aggregate(new=Count("pk", filter=available_between(start, end)),
                                        closed=Count("pk", filter=closed_between(start, end)))
    by_organisation = []
    names = {}
    roll_up = organisation_roll_up(on=end, days=days)
    for figures in roll_up.values():
        names[figures.organisation.pk] = figures.organisation.name
    for figures in roll_up.values():
        org = figures.organisation
        share = _share(figures.places, figures.employees)
        target = _fraction(org.placement_target_percent)
        by_organisation.append({
            "name": org.name,
            "parent": names.get(org.parent_id),
            "placements": figures.placements,
            "capacity": figures.places,
            "occupied": figures.occupied,
            "free": figures.free,
            "employee_count": figures.employees,
            "share": share,
            "target": target,
            "target_placements": (whole_places(figures.employees * target)
                                  if figures.employees and target is not None else None),
            "met": None if share is None else share >= target,
        })
    areas = {area.pk: area for area in OccupationalArea.objects.all()}
    by_area_rows: dict[int, dict] = {}
    for day in days:
        row = by_area_rows.setdefault(day.area_id, {"placements": 0, "capacity": 0, "occupied": 0})
        row["placements"] += 1
        row["capacity"] += day.capacity
        row["occupied"] += day.occupied
    by_area = [
        {"code": areas[pk].code, "name": areas[pk].name, **row}
        for pk, row in sorted(by_area_rows.items(), key=lambda item: (areas[item[0]].sort_order,
                                                                      areas[item[0]].name))
    ]
    gender_rows = (
        on_placement(on=end).filter(of_valid_referrals(project)).order_by()
        .values("referral__participant__gender").annotate(n=Count("referral__participant", distinct=True))
    )
    summary = top_organisations(by_organisation, size="capacity",
                                sums=("placements", "capacity", "occupied", "employee_count", "target_placements"))
    if summary is not None:
        rest = [by_organisation[i] for i in summary["rest_rows"]]
        with_staff = [row for row in rest if row["employee_count"]]
        staff = sum(row["employee_count"] for row in with_staff)
        targeted = [row for row in with_staff if row["target"] is not None]
        summary["rest"].update({
            "share": _share(sum(row["capacity"] for row in with_staff), staff),
            "target": (round(sum(row["employee_count"] * row["target"] for row in targeted)
                             / sum(row["employee_count"] for row in targeted), 4) if targeted else None),
            "met": sum(1 for row in rest if row["met"]),
        })
    return {
        **placement_totals(days),
        "new": flows["new"],
        "closed": flows["closed"],
        "by_organisation": by_organisation,
        **({"top_organisations": summary} if summary is not None else {}),
        "by_area": by_area,
        "occupied_by_gender": _by_gender(gender_rows, "referral__participant__gender"),
    }


def equality_section(project: Project, start: dt.date, end: dt.date) -> dict:
    threshold_days = equality_threshold_days()
    threshold_share = equality_threshold_share()
    counted: dict = {}  # gender → [starts, days from referral to start summed]
    for row in start_rows(project, start, end):
        gender = counted.setdefault(row["participant__gender"] or UNKNOWN, [0, 0])
        gender[0] += row["n"]
        gender[1] += row["days"]
    days_by_gender = {gender: {"count": 0, "mean_days": None} for gender in GENDERS}
    # A record stored without gender (old data) is counted under "okänd", but equality compares genders only.
    for gender, (n, days) in counted.items():
        days_by_gender[gender] = {"count": n, "mean_days": round(days / n, 1)}
    means = [value["mean_days"] for gender, value in days_by_gender.items()
             if gender != UNKNOWN and value["mean_days"] is not None]
    difference = round(max(means) - min(means), 1) if len(means) >= 2 else None

    placed = Assignment.objects.filter(
        of_valid_referrals(project), start_date__gte=start, start_date__lte=end,
        status__in=Assignment.STARTED,
    )
    area_rows = list(
        placed.order_by().values("placement__occupational_area__code", "placement__occupational_area__name",
                                 "referral__participant__gender").annotate(n=Count("pk"))
    )
    gender_totals = dict.fromkeys(GENDERS, 0)
    areas: dict[str, dict] = {}
    for row in area_rows:
        gender = row["referral__participant__gender"] or UNKNOWN
        gender_totals[gender] = gender_totals.get(gender, 0) + row["n"]
        area = areas.setdefault(row["placement__occupational_area__code"], {
            "code": row["placement__occupational_area__code"], "name": row["placement__occupational_area__name"],
            "by_gender": dict.fromkeys(GENDERS, 0),
        })
        area["by_gender"][gender] = area["by_gender"].get(gender, 0) + row["n"]
    present = [gender for gender, total in gender_totals.items() if total and gender != UNKNOWN]
    for area in areas.values():
        shares = {gender: _share(area["by_gender"][gender], gender_totals[gender]) for gender in present}
        area["share_by_gender"] = shares
        spread = max(shares.values()) - min(shares.values()) if len(shares) >= 2 else 0
        area["flagged"] = spread > threshold_share
    by_area = sorted(areas.values(), key=lambda area: area["name"])
    return {
        "days_to_start": {
            "threshold_days": threshold_days,
            "by_gender": days_by_gender,
            "max_difference": difference,
            "flagged": difference is not None and difference > threshold_days,
        },
        "placement_kind": {
            "threshold_share": threshold_share,
            "total_by_gender": gender_totals,
            "by_area": by_area,
            "flagged": any(area["flagged"] for area in by_area),
        },
    }


def trend_section(project: Project, end: dt.date) -> dict:
    """Starts, exits and placements for the 12 months ending with the period end's month."""
    first = add_months(month_start(end), -(TREND_MONTHS - 1))
    last = month_end(end)
    months = [add_months(first, i) for i in range(TREND_MONTHS)]
    keys = [month.strftime("%Y-%m") for month in months]

    def monthly(queryset, field):
        counts = dict.fromkeys(keys, 0)
        rows = (queryset.filter(**{f"{field}__gte": first, f"{field}__lte": last}).order_by()
                .annotate(month=TruncMonth(field)).values("month").annotate(n=Count("pk")))
        for row in rows:
            counts[row["month"].strftime("%Y-%m")] = row["n"]
        return [counts[key] for key in keys]

    month_ends = [min(month_end(month), end) if month == months[-1] else month_end(month) for month in months]
    placement_counts = placements_existing_per_day(month_ends)
    return {
        "months": keys,
        "starts": monthly(valid_referrals(project), "start_date"),
        "exits": monthly(Exit.objects.filter(referral__project=project)
                         .exclude(kind=ExitKind.REGISTERED_IN_ERROR), "exit_date"),
        "placements": placement_counts,
    }


def _meta(kind: str, project: Project, start: dt.date, end: dt.date) -> dict:
    return {
        "kind": kind,
        "project": project.slug,
        "project_name": project.name,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "generated_at": None,  # this build's (below); the keys keep their places, the order the exports list
        "suppressed": False,
        "small_count_threshold": settings.SMALL_COUNT_THRESHOLD,
        "agencies": dict(Agency.objects.values_list("code", "name")),
        "corrected_since_earlier_report": None,
    } | _meta_of_this_build(kind, project, start, end)


def _meta_of_this_build(kind: str, project: Project, start: dt.date, end: dt.date) -> dict:
    """What a build's metadata says of the build itself (read again when kept figures are used)."""
    return {
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "corrected_since_earlier_report": _corrected_since_earlier_report(kind, project, start, end),
    }


def _corrected_since_earlier_report(kind: str, project: Project, start: dt.date, end: dt.date) -> int:
    """Records corrected since a report for the same period was first built: this one then replaces it."""
    first = (ReportRun.objects.filter(kind=kind, project=project, period_start=start, period_end=end,
                                      status=ReportRun.Status.DONE, finished_at__isnull=False)
             .order_by("finished_at").values_list("finished_at", flat=True).first())
    if first is None:
        return 0
    return corrections_since(project_id=project.pk, period_start=start, period_end=end, since=first).count()


def _category_names() -> dict:
    reasons = list(ExitReason.objects.values_list("code", "name", "is_work_or_studies"))
    return {"exit_reasons": {code: name for code, name, _work in reasons},
            "work_or_studies_reasons": [code for code, _name, work in reasons if work]}


# --- the two reports ------------------------------------------------------------------------------


# Sections and single figures added by other modules of the app (reporting.indicators, installed by
# ReportingConfig.ready): (key, fn(project, start, end, figures)), after the sections above.
EXTRA_SECTIONS: dict[str, list] = {"monthly": [], "final": []}
EXTRA_FIELDS: list = []  # (section key, field key, fn(project, start, end, figures))


# Extra sections that read other sections' figures: computed when all the others are.
READS_OTHER_SECTIONS = {"summary"}
# Per report, the sections computed on a second database connection while this one computes the rest
# (`_computed`). The sections that share a once-per-build read stay on one connection: placements, supervisors
# and need_supply (placement_days), outcomes and outcomes_by_gender (outcome_rows), exits and the first page's
# previous month (_exit_rows), participants, equality and esf (start_rows). Split by longest processing time
# first over each section's SQL wall at scale 100 (bench/report_sections.py, docs/benchmarks.md § 9): about
# 450 ms a connection for the dashboard's month (placement_days' group alone ≈ 300 ms stays on the first), about
# 910 ms for the final report. Since the ESF starts, the outcome rows and the outcomes per host were made cheaper,
# the final's referrals are on the second: 907–1,112 and 910–1,022 ms at load 3.5 (docs/benchmarks.md § 22).
# Quiet, after the placements' days were made cheaper: monthly 261 / 261 ms, final 350 / 357 ms (§ 30).
SECOND_CONNECTION = {
    "monthly": {"waiting_list", "before_after", "outcomes", "outcomes_by_gender", "exits", "trend", "survey",
                "referrals", "goals", "followup_90", "previous_month_waiting"},
    "final": {"outcomes", "outcomes_by_gender", "outcomes_by_host", "before_after", "waiting_list", "used", "exits",
              "followup_90", "anonymous", "referrals", "goals"},
}


def _computed(calls: dict, on_second: set, then=None) -> dict:
    """{key: call()} for `calls` (key → a function of nothing); with `then`, then(those results) instead, on
    the first connection in the same snapshot (the figures that read the others). On PostgreSQL, outside a
    transaction and with settings.REPORT_FIGURE_CONNECTIONS ≥ 2, the calls named in `on_second` (SECOND_CONNECTION
    of the report) run in a thread of their own, on a database connection of their own, while this thread runs the
    others: both connections read one snapshot of the data (REPEATABLE READ, the snapshot this connection exports),
    so the figures are those of one moment, as when computed one after the other; the report's SQL then runs on two
    server processes at once. Elsewhere (SQLite, inside a transaction whose uncommitted rows another connection
    would not see) one after the other."""
    second = {key: call for key, call in calls.items() if key in on_second}
    if (not second or settings.REPORT_FIGURE_CONNECTIONS < 2 or connection.vendor != "postgresql"
            or changelog.in_transaction(connection)):
        results = {key: call() for key, call in calls.items()}
        return then(results) if then else results
    first = {key: call for key, call in calls.items() if key not in second}
    results: dict = {}
    failures: list[BaseException] = []
    language, zone = translation.get_language(), timezone.get_current_timezone()

    snapshot: list[str | None] = []  # the exported snapshot's id, or None where this thread could not export one
    exported = threading.Event()

    def on_the_second_connection():
        try:
            # Connected while this thread exports the snapshot: the two connections are opened at once.
            connection.ensure_connection()
            exported.wait()
            if snapshot[0] is None:
                return
            with translation.override(language), timezone.override(zone), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot[0]])
                for key, call in second.items():
                    results[key] = call()
        except BaseException as exc:  # noqa: BLE001 - raised in the calling thread below
            failures.append(exc)
        finally:
            connection.close()

    # The thread sees this build's once-per-build reads (the context variable of one_build).
    thread = threading.Thread(target=contextvars.copy_context().run, args=(on_the_second_connection,),
                              name="report-figures", daemon=True)
    thread.start()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot.append(cursor.fetchone()[0])
            exported.set()
            try:
                for key, call in first.items():
                    results[key] = call()
            finally:
                thread.join()  # in this transaction: the second imports its snapshot while it is open
            if failures:
                raise failures[0]
            results = {key: results[key] for key in calls}
            return then(results) if then else results
    finally:  # no snapshot exported (the transaction could not begin): the thread is told so and waited for
        if not snapshot:
            snapshot.append(None)
            exported.set()
        thread.join()


def _with_extra_sections(kind: str, figures: dict, project: Project, start: dt.date, end: dt.date,
                         reads: dict | None = None) -> dict:
    """`figures` (key → a function of nothing, or a value) with the extra sections of `kind` and the extra
    fields, computed by `_computed`: the sections that read other sections (READS_OTHER_SECTIONS) last.
    `reads` (key → a function of nothing): once-per-build reads that those sections make, computed with the
    others (on the connection SECOND_CONNECTION names) rather than after them; not in the figures."""
    calls = {key: value if callable(value) else (lambda value=value: value) for key, value in figures.items()}
    reads = reads or {}
    for key, compute in EXTRA_SECTIONS[kind]:
        if key not in READS_OTHER_SECTIONS:
            calls[key] = functools.partial(compute, project, start, end, None)

    def reading_the_others(figures):  # in the snapshot of the others (the first page's own queries too)
        for section, key, compute in EXTRA_FIELDS:
            if isinstance(figures.get(section), dict):
                figures[section][key] = compute(project, start, end, figures)
        return figures, {key: compute(project, start, end, figures) for key, compute in EXTRA_SECTIONS[kind]
                         if key in READS_OTHER_SECTIONS}

    figures, later = _computed({**calls, **reads}, SECOND_CONNECTION[kind], then=reading_the_others)
    order = [*calls, *(key for key, _compute in EXTRA_SECTIONS[kind])]
    return {key: figures[key] if key in figures else later[key] for key in dict.fromkeys(order)}


@one_build()
def monthly_figures(project: Project, period_start: dt.date, period_end: dt.date) -> dict:
    """All figures of the monthly steering-group report (unsuppressed; see reporting.suppression)."""
    period = (project, period_start, period_end)
    # The first page compares with the previous month: its exits and outcomes are read with the period's (each
    # on the connection of its section).
    both = [(period_start, period_end), previous_month_of(period_start)]

    def exits():
        _exit_rows(project, both)
        return exits_section(*period)

    def outcomes():
        outcome_rows_of(project, both)
        return outcomes_section(*period)

    return _with_extra_sections("monthly", {
        "meta": lambda: {**_meta("monthly", *period), **_category_names()},
        "participants": functools.partial(participants_section, *period),
        "referrals": functools.partial(referrals_section, *period),
        "waiting_list": functools.partial(waiting_list_section, project, period_end),
        "exits": exits,
        "outcomes": outcomes,
        "followup_90": functools.partial(followup_section, *period),
        "survey": functools.partial(survey_section, *period),
        "placements": functools.partial(placements_section, *period),
        "equality": functools.partial(equality_section, *period),
        "trend": functools.partial(trend_section, project, period_end),
    }, *period, reads={
        # What the first page (indicators.summary_section, computed when the others are done) reads of the
        # previous month, read with the others on both connections instead of after them on one.
        "previous_month_places": functools.partial(placement_totals_on, both[1][1]),
        "previous_month_waiting": functools.partial(waiting_for_placement_count, project, both[1][1]),
        "previous_month_placed": functools.partial(began_placement_counts, project, both),
    })


@one_build()
def monthly_report_figures(project: Project, period_start: dt.date, period_end: dt.date) -> dict:
    """The monthly report's figures; over a quarter or a year, also the cells each of its months hides
    from the steering group (`_hidden_in_months`), so the longer period hides them too."""
    figures = monthly_figures(project, period_start, period_end)
    months = months_of(period_start, period_end) if is_whole_period(period_start, period_end) else []
    if len(months) > 1:
        figures["_hidden_in_months"] = hidden_in_months(
            [monthly_figures(project, first, last) for first, last in months])
    return figures


def placements_used_section(project: Project, start: dt.date, end: dt.date) -> dict:
    """Placements and host organisations that had a participant of the project during the period."""
    used = Assignment.objects.filter(
        of_valid_referrals(project), status__in=Assignment.STARTED, start_date__lte=end,
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
    totals = used.aggregate(
        assignments=Count("pk"),
        placements=Count("placement", distinct=True),
        organisations=Count("placement__unit__organisation", distinct=True),
    )
    return totals


@one_build()
def final_figures(project: Project, period_start: dt.date, period_end: dt.date) -> dict:
    """The figures of the ESF-style final report for the whole period (normally the project's life)."""
    period = (project, period_start, period_end)
    members = list(ProjectGroupMember.objects.filter(project=project)
                   .values("group", "name", "represents", "title", "email", "gender"))
    groups = {}
    for group in (ProjectGroupMember.Group.STEERING, ProjectGroupMember.Group.REFERENCE):
        in_group = [m for m in members if m["group"] == group]
        by_gender = dict.fromkeys(GENDERS, 0)
        for member in in_group:
            key = member["gender"] or UNKNOWN
            by_gender[key] = by_gender.get(key, 0) + 1
        groups[group.value] = {
            "total": len(in_group), "by_gender": by_gender,
            "members": [{"name": m["name"], "represents": m["represents"], "gender": m["gender"]}
                        for m in in_group],
        }
    contacts = [{"name": m["name"], "title": m["title"], "represents": m["represents"], "email": m["email"]}
                for m in members if m["group"] == ProjectGroupMember.Group.CONTACT]
    partners = [
        {"name": p["name"], "role": p["role"], "contribution": p["contribution"],
         "co_financing_amount": int(p["co_financing_amount"] or 0)}
        for p in ProjectPartner.objects.filter(project=project).order_by("role", "name")
        .values("name", "role", "contribution", "co_financing_amount")
    ]
    co_financing_total = sum(p["co_financing_amount"] for p in partners)
    # Every section and extra section in one batch of _computed (two connections at once); the targets are
    # read from the sections when all are done.
    figures = _with_extra_sections("final", {
        "meta": lambda: {**_meta("final", *period), **_category_names(),
                         "funder": project.funder, "owner": project.owner.name,
                         "project_start": project.start_date.isoformat(),
                         "project_end": project.end_date.isoformat()},
        "participants": functools.partial(participants_section, *period),
        "referrals": functools.partial(referrals_section, *period),
        "waiting_list": functools.partial(waiting_list_section, project, period_end),
        "exits": functools.partial(exits_section, *period),
        "outcomes": functools.partial(outcomes_section, *period),
        "followup_90": functools.partial(followup_section, *period),
        "survey": functools.partial(survey_section, *period),
        "placements": functools.partial(placements_section, *period),
        "equality": functools.partial(equality_section, *period),
        "used": functools.partial(placements_used_section, *period),
        "targets": None,
        "partners": partners,
        "groups": groups,
        "contacts": contacts,
        "budget": {
            "total": int(project.budget_total or 0),
            "spent": int(project.budget_spent or 0),
            "spent_share": _share(float(project.budget_spent or 0), float(project.budget_total or 0)),
            "co_financing_total": co_financing_total,
        },
    }, *period)
    participants, outcomes, survey, placements = (figures["participants"], figures["outcomes"], figures["survey"],
                                                  figures["placements"])
    placements["used"] = figures.pop("used")
    figures["targets"] = {
        "participants": {"target": project.target_participants, "outcome": participants["unique"],
                         "share": _share(participants["unique"], project.target_participants)},
        "work_or_studies": {"target": outcomes["work_or_studies"]["target"],
                            "outcome": outcomes["work_or_studies"]["share"],
                            "outcome_all_exited": outcomes["work_or_studies"]["share_all_exited"]},
        "placements": {"target": project.target_placements, "outcome": placements["used"]["placements"]},
        "survey": [{"number": s["number"], "text": s["text"], "target": s["target"], "outcome": s["share"],
                    "met": s["met"]} for s in survey["statements"]],
    }
    return figures


# --- figures used again -----------------------------------------------------------------------------------


def report_figures(kind: str, project: Project, period_start: dt.date, period_end: dt.date) -> dict:
    """The figures of a report (monthly_report_figures or final_figures). Where no data has been written since
    the same report's figures were computed (the same project, period, day, time zone, code and settings;
    core.changelog tells it from PostgreSQL's own record of the transactions), those figures, with this build's
    own metadata; else computed, and kept for settings.REPORT_FIGURES_REUSE_SECONDS. A draft of the final report
    made again after its texts were edited, or a month's report built again, then skips the SQL; so does a build
    after reporting.services.report_figures_keep_current computed them ahead. Where another process is computing
    the same figures, they are waited for (at most FIGURES_COMPUTING_WAIT_SECONDS) and taken if nothing was written
    since their moment. The moment is taken before the first read, the project's own row included: the caller's
    may have been read before it."""
    return report_figures_computed_unless_kept(kind, project, period_start, period_end)[0]


def report_figures_computed_unless_kept(kind: str, project: Project, period_start: dt.date,
                                        period_end: dt.date) -> tuple[dict, bool]:
    """report_figures(), and whether they were computed (not kept)."""
    return report_figures_as_of(kind, project, period_start, period_end)[:2]


def report_figures_as_of(kind: str, project: Project, period_start: dt.date,
                         period_end: dt.date) -> tuple[dict, bool, str | None]:
    """report_figures(), whether they were computed (not kept), and the moment they are the data of
    (core.changelog.moment, taken before they were computed; None where changes cannot be told): whatever keeps
    them asks changed_since of that moment, whether or not they are kept here."""
    compute = {ReportRun.Kind.MONTHLY: monthly_report_figures, ReportRun.Kind.FINAL: final_figures}[kind]
    seconds = settings.REPORT_FIGURES_REUSE_SECONDS
    since = changelog.moment()
    if since is None:
        return compute(project, period_start, period_end), True, None
    project = Project.objects.get(pk=project.pk)  # after the moment: the caller's row may be older than it
    if seconds <= 0:
        return compute(project, period_start, period_end), True, since
    key = report_figures_key(kind, project.pk, period_start, period_end)
    computing, token = f"{key}:computing", uuid.uuid4().hex
    waited_until = time.monotonic() + FIGURES_COMPUTING_WAIT_SECONDS
    while True:
        kept = cache.get(key)
        if kept is not None and not changelog.changed_since(kept["since"]):
            figures = kept["figures"]  # a copy of its own: the cache hands out what it unpickles
            figures["meta"].update(_meta_of_this_build(kind, project, period_start, period_end))
            return figures, False, kept["since"]
        marked = cache.add(computing, token, timeout=FIGURES_COMPUTING_MARK_SECONDS)
        if marked or time.monotonic() >= waited_until:
            break
        _wait_while_computed(computing, waited_until)
    with _marked_while_computed(computing, token) if marked else contextlib.nullcontext():
        figures = compute(project, period_start, period_end)
        cache.set(key, {"since": since, "figures": figures}, seconds)
    return figures, True, since


# While one process computes a report's figures, another that needs the same ones (a build and the figures
# computed ahead, the 1st's scheduled monthly reports and a leader's, a preview) waits for them instead of computing
# them too: on two cores both would take longer. The one computing marks them so in the cache, and renews the
# mark while it computes: a mark not renewed (its process killed, or Redis failed it) goes after
# FIGURES_COMPUTING_MARK_SECONDS, and the one waiting then computes them. It waits FIGURES_COMPUTING_WAIT_SECONDS at
# most (then computes them too), well within a web request's 60 s.
FIGURES_COMPUTING_MARK_SECONDS = 5
FIGURES_COMPUTING_WAIT_SECONDS = 30
FIGURES_COMPUTING_POLL_SECONDS = 0.05


@contextlib.contextmanager
def _marked_while_computed(computing: str, token: str):
    """The mark renewed from a thread of its own while the figures are computed, then taken away (only this one's:
    where it went unrenewed, another may have marked them since)."""
    marks, stop = caches[DEFAULT_CACHE_ALIAS], threading.Event()  # this thread's cache: its failures count
    renewing = threading.Thread(target=_renew_mark, args=(marks, computing, token, stop),
                                name="figures-computing-mark", daemon=True)
    try:
        renewing.start()  # inside: a time limit's exception raised in start() still stops the thread
        yield
    finally:
        stop.set()
        if renewing.ident is not None:
            renewing.join()
        delete_if_holds(marks, computing, token)


def _renew_mark(marks, computing: str, token: str, stop: threading.Event) -> None:
    """Until stopped, or until the mark is no longer this one's (it went unrenewed, and another may have marked the
    figures since: renewing that one would keep a mark alive that its own holder no longer renews)."""
    while not stop.wait(FIGURES_COMPUTING_MARK_SECONDS / 3):
        if not touch_if_holds(marks, computing, token, FIGURES_COMPUTING_MARK_SECONDS):
            return


def _wait_while_computed(computing: str, until: float) -> None:
    """Until the figures another process computes are kept (or it failed, or its mark went), or the time is up."""
    while cache.get(computing) is not None and time.monotonic() < until:
        time.sleep(FIGURES_COMPUTING_POLL_SECONDS)


def report_figures_key(kind: str, project_pk: int, period_start: dt.date, period_end: dt.date) -> str:
    """Where a report's kept figures are: one per report, period, day, time zone, code and settings. Not per
    language: the figures hold numbers, codes and the data's own names, and the documents translate around them
    (reporting/tests/test_figure_reuse.py checks that they are the same in every language), so the dashboard and
    the editor in English take the figures a build or the figures computed ahead kept in Swedish."""
    return ":".join(["reporting:figures", kind, str(project_pk), period_start.isoformat(), period_end.isoformat(),
                     timezone.localdate().isoformat(), timezone.get_current_timezone_name(), figures_version()])


def projects_active_between(start: dt.date, end: dt.date):
    """The projects active on any day from start to end."""
    return Project.objects.filter(start_date__lte=end, end_date__gte=start)


def final_report_period(project: Project, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The period the final report's editor, preview and build request offer: the project so far."""
    today = today or timezone.localdate()
    period_start, period_end = project.start_date, min(project.end_date, today)
    if period_end < period_start:
        period_end = project.end_date
    return period_start, period_end


# The settings a figure depends on (thresholds, the time zone): figures computed under others are not used. Only
# these: a process's operational settings (how often beat looks, how many connections compute) may differ from
# another's without the figures it computed differing. (The time zone the figures are computed in is in their
# key too: a request or a build may choose its own.)
FIGURE_SETTINGS = ("SMALL_COUNT_THRESHOLD", "REPORT_EQUALITY_THRESHOLD_DAYS", "REPORT_EQUALITY_THRESHOLD_SHARE",
                   "TIME_ZONE")


def figures_version() -> str:
    """A digest of the code and the settings the figures are computed with."""
    chosen = [(name, repr(getattr(settings, name))) for name in FIGURE_SETTINGS]
    return hashlib.sha256(f"{figures_code_digest()}{chosen!r}".encode()).hexdigest()[:16]


@functools.cache
def figures_code_digest() -> str:
    """A digest of the project's own Python source: figures computed by other code are never used again."""
    base = Path(settings.BASE_DIR).resolve()
    roots = {base / "config"} | {Path(config.path).resolve() for config in apps.get_app_configs()}
    digest = hashlib.sha256()
    for root in sorted(root for root in roots if root.is_relative_to(base) and "site-packages" not in root.parts):
        for path in sorted(root.rglob("*.py")):
            if "tests" not in path.relative_to(root).parts:
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
