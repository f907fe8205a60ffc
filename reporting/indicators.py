"""Report sections for the project plan, Finsam's follow-up and ESF+ (added to the figures of reporting.selectors).

Each section is `fn(project, start, end, figures) -> dict`, computed from the dates things happened
like every other figure, and registered in `reporting.selectors.EXTRA_SECTIONS` with its suppression
rules (`reporting.suppression.register`) when the app starts (reporting/apps.py). Keys are documented
in the README ("JSON keys"); they are added, never renamed.

- `summary` (monthly): the first page's figures with last month's value beside them and their target.
- `goals`: places as a share of employees per organisation (rolled up) for each of the last 12 month
  ends, against its baseline (the organisation's recorded `baseline_percent`, else the share on the
  project's first day) and the target: `met` (share ≥ target),
  `on_track` (share ≥ the straight line from baseline at project start to target at project end, on the
  period's last day), `behind` otherwise.
- `supervisors`: supervisors registered by the period end, trained by then or not, per organisation
  (rolled up); open placements that day whose supervisor is missing or untrained.
- `need_supply`: per occupational area (every active one), people waiting for a placement on the period
  end who are interested in it against free places there; biggest gap first.
- `before_after`: the period's exits: activity and income source before (at referral), at exit and at
  the 90-day follow-up (done by the period end).
- `anonymous`: anonymous participants starting in the period by start year and gender.
- `outcomes_by_gender`: work, studies and work-or-studies by gender, over the same people as
  `outcomes.work_or_studies` (unique individuals who exited in the period and had begun a placement).
- `followup_6m`: 6-month follow-ups due in the period, like `followup_90`.
- `esf` (final): the period's starts by gender × age band, education level and labour-market status at
  entry; immediate result (activity at exit) and 6-month result of the period's exits, by gender.
- `outcomes_by_host`: per host organisation and occupational area, unique individuals who exited in
  the period after completing a placement there, and how many of them went on to work or studies.
- `survey.response_rate`: answered / invited, beside every survey share.
"""

import datetime as dt

from django.db import connection
from django.db.models import Count, F, Q

from core.dates import add_months, month_end, month_start
from organisations.models import OccupationalArea, Organisation, Project, Supervisor
from organisations.tree import OrganisationTree
from participants.models import (
    Activity,
    EducationLevel,
    ExitKind,
    FollowUp6Months,
    LabourMarketStatus,
    Participant,
    SupportKind,
)
from participants.selectors import waiting_for_placement_on
from placements.models import Assignment, Placement
from placements.selectors import existing_on, places_per_organisation_on
from reporting import selectors
from reporting.selectors import (
    AGE_BANDS,
    GENDERS,
    UNKNOWN,
    _by_gender,
    _fraction,
    _share,
    of_valid_exits,
    start_age_bands,
    start_rows,
    starts_in,
    valid_exits,
    valid_referrals,
)
from reporting.suppression import Counts, Derived, Sum, register

NOT_FOLLOWED_UP = "ej uppföljd"


# --- the project plan ----------------------------------------------------------------------------


def _months(end: dt.date) -> list[dt.date]:
    months = [month_end(add_months(month_start(end), -i)) for i in range(selectors.TREND_MONTHS - 1, -1, -1)]
    months[-1] = end
    return months


def _status(share, baseline, target, elapsed: float):
    if share is None or target is None:
        return None
    if share >= target:
        return "met"
    expected = None if baseline is None else baseline + (target - baseline) * elapsed
    if expected is not None and share >= expected:
        return "on_track"
    return "behind"


def _elapsed(project: Project, on: dt.date) -> float:
    length = (project.end_date - project.start_date).days
    if length <= 0:
        return 1.0
    return min(max((on - project.start_date).days / length, 0.0), 1.0)


def goals_section(project: Project, start: dt.date, end: dt.date, figures: dict) -> dict:
    """Places are rolled up like placements.selectors.organisation_roll_up (the organisation pages' figure)
    for the baseline day and each month end in one query; employees are the organisations' recorded ones."""
    months = _months(end)
    baseline_day = min(project.start_date, end)
    days = [baseline_day, *months]
    organisations = list(Organisation.objects.order_by("name"))
    tree = OrganisationTree((org.pk, org.parent_id) for org in organisations)
    direct = places_per_organisation_on(days)
    places = [tree.roll_up({pk: values[i] for pk, values in direct.items()}) for i in range(len(days))]
    employees = tree.roll_up({org.pk: org.employee_count or 0 for org in organisations})
    known = tree.roll_up({org.pk: 1 for org in organisations if org.employee_count is not None})
    staff = {org.pk: employees[org.pk] if known[org.pk] else None for org in organisations}
    elapsed = _elapsed(project, end)
    names = {org.pk: org.name for org in organisations}
    rows = []
    for org in organisations:
        target = _fraction(org.placement_target_percent)
        trend = [_share(places[i][org.pk], staff[org.pk]) for i in range(1, len(days))]
        baseline = (_fraction(org.baseline_percent) if org.baseline_percent is not None
                    else _share(places[0][org.pk], staff[org.pk]))
        share = trend[-1]
        expected = (None if baseline is None or target is None
                    else round(baseline + (target - baseline) * elapsed, 4))
        rows.append({
            "name": org.name, "parent": names.get(org.parent_id), "employees": staff[org.pk],
            "places": places[-1][org.pk], "baseline": baseline, "share": share, "share_12_months_ago": trend[0],
            "target": target, "expected": expected,
            "target_places": (selectors.whole_places(staff[org.pk] * target)
                              if staff[org.pk] and target is not None else None),
            "status": _status(share, baseline, target, elapsed), "trend": trend,
        })
    roots = [org for org in organisations if org.parent_id is None and staff[org.pk]]

    def overall(i):
        return _share(sum(places[i][org.pk] for org in roots), sum(staff[org.pk] for org in roots))

    targeted = [org for org in roots if org.placement_target_percent is not None]
    weighted = sum(staff[org.pk] * _fraction(org.placement_target_percent) for org in targeted)
    target_all = round(weighted / sum(staff[org.pk] for org in targeted), 4) if targeted else None
    trend_all = [overall(i) for i in range(1, len(days))]
    baseline_all = overall(0)
    section = {
        "months": [day.strftime("%Y-%m") for day in months],
        "baseline_date": baseline_day.isoformat(),
        "overall": {"baseline": baseline_all, "share": trend_all[-1], "target": target_all,
                    "status": _status(trend_all[-1], baseline_all, target_all, elapsed), "trend": trend_all},
        "by_organisation": rows,
    }
    summary = selectors.top_organisations(rows, size="employees", sums=("employees", "places", "target_places"),
                                          shown_in_full=lambda row: bool(row["employees"]))
    if summary is not None:
        # The other organisations together, as the region's row is computed: places over employees on the
        # first day, 12 months ago and at period end; the target weighted by employees.
        rest = [organisations[i] for i in summary["rest_rows"]]
        staff_rest = sum(staff[org.pk] for org in rest)
        targeted_rest = [org for org in rest if org.placement_target_percent is not None]
        summary["rest"].update({
            "baseline": _share(sum(places[0][org.pk] for org in rest), staff_rest),
            "share_12_months_ago": _share(sum(places[1][org.pk] for org in rest), staff_rest),
            "share": _share(sum(places[-1][org.pk] for org in rest), staff_rest),
            "target": (round(sum(staff[org.pk] * _fraction(org.placement_target_percent) for org in targeted_rest)
                             / sum(staff[org.pk] for org in targeted_rest), 4) if targeted_rest else None),
            **{status: sum(1 for i in summary["rest_rows"] if rows[i]["status"] == status)
               for status in ("met", "on_track", "behind")},
        })
        section["top_organisations"] = summary
    return section


def supervisors_section(project: Project, start: dt.date, end: dt.date, figures: dict) -> dict:
    registered = Supervisor.objects.filter(created_at__date__lte=end)
    trained = Q(training_completed_on__isnull=False, training_completed_on__lte=end)
    direct = {row["organisation"]: row for row in registered.order_by().values("organisation").annotate(
        trained=Count("pk", filter=trained), untrained=Count("pk", filter=~trained))}
    days = [day for day in selectors.placement_days(end) if day.is_open]
    # Among the placements existing that day (not a list of thousands of ids sent back to the database),
    # then kept to the open ones.
    open_days = {day.pk for day in days}
    lacking = open_days & set(Placement.objects.filter(existing_on(end)).filter(
        Q(supervisor__isnull=True) | Q(supervisor__training_completed_on__isnull=True)
        | Q(supervisor__training_completed_on__gt=end)).values_list("pk", flat=True))
    lacking_direct: dict[int, int] = {}
    for day in days:
        if day.pk in lacking:
            lacking_direct[day.organisation_id] = lacking_direct.get(day.organisation_id, 0) + 1
    organisations = list(Organisation.objects.order_by("name").values("pk", "name", "parent_id"))
    tree = OrganisationTree((org["pk"], org["parent_id"]) for org in organisations)
    trained_up = tree.roll_up({pk: row["trained"] for pk, row in direct.items()})
    untrained_up = tree.roll_up({pk: row["untrained"] for pk, row in direct.items()})
    lacking_up = tree.roll_up(lacking_direct)
    names = {org["pk"]: org["name"] for org in organisations}
    rows = [
        {"name": org["name"], "parent": names.get(org["parent_id"]), "trained": trained_up.get(org["pk"], 0),
         "untrained": untrained_up.get(org["pk"], 0), "open_without_trained": lacking_up.get(org["pk"], 0)}
        for org in organisations
    ]
    total_trained = sum(row["trained"] for row in direct.values())
    total_untrained = sum(row["untrained"] for row in direct.values())
    summary = selectors.top_organisations(
        rows, size="open_without_trained", sums=("trained", "untrained", "open_without_trained"),
        shown_in_full=lambda row: bool(row["trained"] or row["untrained"] or row["open_without_trained"]))
    return {
        "total": total_trained + total_untrained, "trained": total_trained, "untrained": total_untrained,
        "trained_share": _share(total_trained, total_trained + total_untrained),
        "open_placements": len(days), "open_without_trained": len(lacking),
        "by_organisation": rows,
        **({"top_organisations": summary} if summary is not None else {}),
    }


def need_supply_section(project: Project, start: dt.date, end: dt.date, figures: dict) -> dict:
    # The starts waiting for a placement found by one anti join over the assignments, not by each start's state
    # (a lookup per start and interest; filtered on that state, PostgreSQL even chose nested loops).
    waiting = waiting_for_placement_on(end, valid_referrals(project)).order_by().values("interests")
    interested = {row["interests"]: row["n"] for row in waiting.annotate(n=Count("participant", distinct=True))
                  if row["interests"] is not None}
    free: dict[int, int] = {}
    for day in selectors.placement_days(end):
        free[day.area_id] = free.get(day.area_id, 0) + day.free
    rows = []
    for area in OccupationalArea.objects.filter(Q(active=True) | Q(pk__in=[*interested, *free])):
        people, places = interested.get(area.pk, 0), free.get(area.pk, 0)
        rows.append({"code": area.code, "name": area.name, "waiting_interested": people, "free": places,
                     "gap": people - places})
    rows.sort(key=lambda row: (-row["gap"], -row["waiting_interested"], row["name"]))
    return {"by_area": rows}


# --- Finsam: before and after, anonymous participants, outcomes by gender ------------------------


def before_after_section(project: Project, start: dt.date, end: dt.date, figures: dict) -> dict:
    exits = valid_exits(project, start, end)
    done = Q(followup_90__done_on__isnull=False, followup_90__done_on__lte=end)
    activities = [*Activity.objects.order_by("sort_order", "name").values_list("code", flat=True), UNKNOWN]
    groups = [*SupportKind.Group.values, UNKNOWN]

    columns = {  # (table, column): (the value's field, the exits counted, the values)
        ("activity", "before"): ("referral__activity_before__code", Q(), activities),
        ("activity", "at_exit"): ("activity_after__code", Q(), activities),
        ("activity", "after_90"): ("followup_90__activity__code", done, activities),
        ("support", "before"): ("referral__support_before__group", Q(), groups),
        ("support", "at_exit"): ("support_after__group", Q(), groups),
        ("support", "after_90"): ("followup_90__support__group", done, groups),
    }
    # Every cell is one filtered count of the same exits: one query, not one per column.
    cells = {}
    for (table, column), (field, counted, values) in columns.items():
        for value in values:
            matches = Q(**{f"{field}__isnull": True}) if value == UNKNOWN else Q(**{field: value})
            cells[f"c{len(cells)}"] = (table, column, value, Count("pk", filter=counted & matches))
    counts = exits.aggregate(total=Count("pk"), followed=Count("pk", filter=done),
                             **{alias: cell[3] for alias, cell in cells.items()})
    total, followed = counts["total"], counts["followed"]
    result = {table: {column: {} for (kind, column) in columns if kind == table} for table in ("activity", "support")}
    for alias, (table, column, value, _count) in cells.items():
        result[table][column][value] = counts[alias]
    result["activity"]["after_90"][NOT_FOLLOWED_UP] = total - followed
    result["support"]["after_90"][NOT_FOLLOWED_UP] = total - followed
    return {"total": total, "followed_up_90": followed, **result}


def anonymous_section(project: Project, start: dt.date, end: dt.date, figures: dict) -> dict:
    rows = list(
        starts_in(project, start, end).filter(participant__identity=Participant.Identity.ANONYMOUS)
        .annotate(year=selectors.YearOf("start_date")).order_by().values("year", "participant__gender")
        .annotate(n=Count("participant", distinct=True))
    )
    years = sorted({row["year"] for row in rows})
    by_year = []
    for year in years:
        in_year = [row for row in rows if row["year"] == year]
        by_gender = _by_gender(in_year, "participant__gender")
        by_year.append({"year": year, "by_gender": by_gender, "total": sum(by_gender.values())})
    return {"by_year": by_year}


def outcomes_by_gender_section(project: Project, start: dt.date, end: dt.date, figures: dict) -> dict:
    result = {gender: {"placed": 0, "work": 0, "studies": 0, "work_or_studies": 0, "share": None}
              for gender in GENDERS}
    for row in selectors.outcome_rows(project, start, end):
        if not row["placed"]:  # nobody of that gender had begun a placement: no row, as for every gender
            continue
        result[row["gender"]] = {"placed": row["placed"], "work": row["work"], "studies": row["studies"],
                                 "work_or_studies": row["count"], "share": _share(row["count"], row["placed"])}
    return result


def followup_6m_section(project: Project, start: dt.date, end: dt.date, figures: dict) -> dict:
    followups = FollowUp6Months.objects.filter(
        exit__referral__project=project, due_on__gte=start, due_on__lte=end,
    ).exclude(exit__kind=ExitKind.REGISTERED_IN_ERROR)
    done = Q(done_on__isnull=False, done_on__lte=end)
    totals = followups.aggregate(
        total=Count("pk"), done=Count("pk", filter=done),
        work_or_studies=Count("pk", filter=done & Q(activity__is_work_or_studies=True)),
    )
    return {
        "total": totals["total"], "done": totals["done"], "done_share": _share(totals["done"], totals["total"]),
        "work_or_studies": {"count": totals["work_or_studies"],
                            "share": _share(totals["work_or_studies"], totals["done"])},
    }


# --- ESF+ ----------------------------------------------------------------------------------------


def _crossed(rows, key: str, keys: list[str]) -> dict:
    table = {value: dict.fromkeys(GENDERS, 0) for value in keys}
    for row in rows:
        value = row[key] or UNKNOWN
        gender = row["participant__gender"] or UNKNOWN
        table.setdefault(value, dict.fromkeys(GENDERS, 0))
        table[value][gender] = table[value].get(gender, 0) + row["n"]
    return table


def esf_section(project: Project, start: dt.date, end: dt.date, figures: dict) -> dict:
    # The period's starts grouped by education level, labour-market status, gender (and agency), with each age band
    # counted beside (selectors.start_rows, read once per build): the totals, the age bands and both breakdowns are
    # sums of its few rows.
    rows = start_rows(project, start, end)
    band = start_age_bands()
    by_band = {name: dict.fromkeys(GENDERS, 0) for name in AGE_BANDS}
    for row in rows:
        for i, name in enumerate(band):
            if row[f"band_{i}"]:
                by_band[name][row["participant__gender"]] += row[f"band_{i}"]

    def by(field, keys):
        return _crossed(([{**row, field: row[field] or None} for row in rows]), field, keys)

    exits = valid_exits(project, start, end)
    six = Q(followup_6m__done_on__isnull=False, followup_6m__done_on__lte=end)
    result_rows = exits.order_by().values("referral__participant__gender").annotate(
        exited=Count("pk"), at_exit=Count("pk", filter=Q(activity_after__is_work_or_studies=True)),
        done_6m=Count("pk", filter=six),
        work_or_studies_6m=Count("pk", filter=six & Q(followup_6m__activity__is_work_or_studies=True)))
    results = {key: dict.fromkeys(GENDERS, 0) for key in ("exited", "work_or_studies_at_exit", "followed_up_6m",
                                                          "work_or_studies_6m")}
    for row in result_rows:
        gender = row["referral__participant__gender"]
        results["exited"][gender] = row["exited"]
        results["work_or_studies_at_exit"][gender] = row["at_exit"]
        results["followed_up_6m"][gender] = row["done_6m"]
        results["work_or_studies_6m"][gender] = row["work_or_studies_6m"]
    totals = _by_gender(rows, "participant__gender")
    return {
        "starts_by_gender": totals,
        "by_age_band": by_band,
        "by_education": by("education_level", [*EducationLevel.values, UNKNOWN]),
        "by_status": by("labour_market_status", [*LabourMarketStatus.values, UNKNOWN]),
        "results": results,
    }


# --- outcomes per host organisation and occupational area ----------------------------------------


def outcomes_by_host_section(project: Project, start: dt.date, end: dt.date, figures: dict) -> dict:
    completed = Assignment.objects.filter(
        of_valid_exits(project, start, end, "referral__exit", referral="referral"),
        status=Assignment.Status.COMPLETED, end_date__lte=F("referral__exit__exit_date"),
    )
    # One query for both tables: unique persons per host organisation and per area, and how many of them exited to
    # work or studies, counted in the database from one pass over the completed assignments (a CTE read by both
    # groupings) instead of fetching each person's distinct rows (23,000 at scale 100) and counting them here.
    # The rows carry keys only, the names come from their tables.
    keys = completed.order_by().values(organisation=F("placement__unit__organisation"),
                                       area=F("placement__occupational_area"), person=F("referral__participant"),
                                       to_work=F("referral__exit__reason__is_work_or_studies"))
    inner, params = keys.query.sql_with_params()
    counted = ("COUNT(DISTINCT s.person), COUNT(DISTINCT CASE WHEN s.to_work THEN s.person END)")
    with connection.cursor() as cursor:
        cursor.execute(f"WITH s AS ({inner}) "  # noqa: S608 (the ORM's SQL, no user input)
                       f"SELECT 0, s.organisation, {counted} FROM s GROUP BY s.organisation "
                       f"UNION ALL SELECT 1, s.area, {counted} FROM s GROUP BY s.area", params)
        counts = cursor.fetchall()
    organisations = dict(Organisation.objects.filter(pk__in={pk for table, pk, *_n in counts if table == 0})
                         .values_list("pk", "name"))
    areas = {pk: (name, code) for pk, name, code in OccupationalArea.objects.values_list("pk", "name", "code")}

    def rows(table):
        found = []
        for of, pk, completed_by, work_or_studies in counts:
            if of != table:
                continue
            name, code = (organisations[pk], pk) if table == 0 else areas.get(pk, (None, None))
            found.append({"name": name, "code": code, "completed": completed_by,
                          "work_or_studies": work_or_studies, "share": _share(work_or_studies, completed_by)})
        # By name, never by a count: the steering group reads the order, and "<5" rows ordered by their counts
        # would give them back (four of them out of their names' order are 4, 3, 2 and 1).
        found.sort(key=lambda row: (row["name"], str(row["code"])))
        return found

    by_organisation = rows(0)
    for row in by_organisation:
        row.pop("code")
    # Per host organisation as it is (the placement's unit's, not rolled up): the other hosts' row sums theirs,
    # so a person who completed placements with two of them counts with each, as in the rows.
    summary = selectors.top_organisations(by_organisation, size="completed", sums=("completed", "work_or_studies"),
                                          roots_only=False)
    if summary is not None:
        summary["shown"].sort()  # listed in the table's order (by name), as the rows are, not by their counts
        summary["rest"]["share"] = _share(summary["rest"]["work_or_studies"], summary["rest"]["completed"])
    return {
        "by_organisation": by_organisation,
        **({"top_organisations": summary} if summary is not None else {}),
        "by_area": rows(1),
    }


def activity_names(project: Project, start: dt.date, end: dt.date, figures: dict) -> dict:
    return dict(Activity.objects.values_list("code", "name"))


def survey_response_rate(project: Project, start: dt.date, end: dt.date, figures: dict) -> float | None:
    survey = figures.get("survey") or {}
    return _share(survey.get("answered") or 0, survey.get("invited") or 0)


# --- the first page: this month against the last one ---------------------------------------------


def summary_section(project: Project, start: dt.date, end: dt.date, figures: dict) -> dict:
    previous_start, previous_end = selectors.previous_month_of(start)
    # Only the previous month's totals are shown: not its whole sections (per organisation, median waiting days).
    places = selectors.placement_totals_on(previous_end)
    waiting = selectors.waiting_for_placement_count(project, previous_end)
    exits = selectors.exits_section(project, previous_start, previous_end)
    outcome = selectors.outcomes_section(project, previous_start, previous_end)["work_or_studies"]
    goals = figures.get("goals") or {}
    trend = (goals.get("overall") or {}).get("trend") or [None, None]
    now = figures["outcomes"]["work_or_studies"]

    def item(value, previous, target=None):
        return {"value": value, "previous": previous, "target": target}

    return {
        "previous_period_start": previous_start.isoformat(), "previous_period_end": previous_end.isoformat(),
        "goal_share": item(trend[-1], trend[-2] if len(trend) > 1 else None,
                           (goals.get("overall") or {}).get("target")),
        "placements": item(figures["placements"]["total"], places["total"]),
        "capacity": item(figures["placements"]["capacity"], places["capacity"]),
        "free": item(figures["placements"]["free"], places["free"]),
        "occupied": item(figures["placements"]["occupied"], places["occupied"]),
        "waiting": item(figures["waiting_list"]["waiting_for_placement"], waiting),
        "placed": item(*selectors.began_placement_counts(project, [(start, end), (previous_start, previous_end)])),
        "exited": item(figures["exits"]["total"], exits["total"]),
        "work_or_studies": {**item(now["share"], outcome["share"], now["target"]),
                            "previous_count": outcome["count"], "previous_placed": outcome["placed"]},
    }


# --- registration --------------------------------------------------------------------------------

MONTHLY = [
    ("goals", goals_section), ("summary", summary_section), ("supervisors", supervisors_section),
    ("need_supply", need_supply_section), ("before_after", before_after_section),
    ("anonymous", anonymous_section), ("outcomes_by_gender", outcomes_by_gender_section),
    ("followup_6m", followup_6m_section), ("outcomes_by_host", outcomes_by_host_section),
]
FINAL = [
    ("goals", goals_section), ("supervisors", supervisors_section), ("before_after", before_after_section),
    ("anonymous", anonymous_section), ("outcomes_by_gender", outcomes_by_gender_section),
    ("followup_6m", followup_6m_section), ("esf", esf_section), ("outcomes_by_host", outcomes_by_host_section),
]
COLUMNS = ("before", "at_exit", "after_90")

RULES = [
    # the first page
    *[Counts(f"summary.{key}.{when}") for key in ("waiting", "placed", "exited", "occupied")
      for when in ("value", "previous")],
    Counts("summary.work_or_studies.previous_count"), Counts("summary.work_or_studies.previous_placed"),
    Derived("summary.work_or_studies.value", ["outcomes.work_or_studies.count", "outcomes.work_or_studies.placed"]),
    Derived("summary.work_or_studies.previous", ["summary.work_or_studies.previous_count",
                                                 "summary.work_or_studies.previous_placed"]),
    Derived("summary.free.value", ["placements.occupied", "placements.overbooked"]),
    Derived("summary.free.previous", ["summary.occupied.previous"]),
    # need and supply
    Counts("need_supply.by_area.*.waiting_interested"),
    Derived("need_supply.by_area.{a}.gap", ["need_supply.by_area.{a}.waiting_interested"]),
    # before and after
    Counts("before_after.total"), Counts("before_after.followed_up_90"),
    Counts("before_after.activity.*.*"), Counts("before_after.support.*.*"),
    *[Sum("before_after.total", [f"before_after.{kind}.{column}.*"]) for kind in ("activity", "support")
      for column in COLUMNS],
    # anonymous participants
    Counts("anonymous.by_year.*.total"), Counts("anonymous.by_year.*.by_gender.*"),
    Sum("anonymous.by_year.{y}.total", ["anonymous.by_year.{y}.by_gender.*"]),
    Sum("participants.anonymous", ["anonymous.by_year.*.total"]),
    # outcomes by gender
    *[Counts(f"outcomes_by_gender.*.{key}") for key in ("placed", "work", "studies", "work_or_studies")],
    Derived("outcomes_by_gender.{g}.share",
            ["outcomes_by_gender.{g}.work_or_studies", "outcomes_by_gender.{g}.placed"]),
    Sum("outcomes.work_or_studies.placed", ["outcomes_by_gender.*.placed"]),
    Sum("outcomes.work_or_studies.count", ["outcomes_by_gender.*.work_or_studies"]),
    Sum("outcomes_by_gender.{g}.work_or_studies", ["outcomes_by_gender.{g}.work", "outcomes_by_gender.{g}.studies"]),
    # 6-month follow-up
    Counts("followup_6m.total"), Counts("followup_6m.done"), Counts("followup_6m.work_or_studies.count"),
    Derived("followup_6m.work_or_studies.share", ["followup_6m.work_or_studies.count", "followup_6m.done"]),
    Derived("followup_6m.done_share", ["followup_6m.done", "followup_6m.total"]),
    # ESF+
    Counts("esf.starts_by_gender.*"), Counts("esf.by_age_band.*.*"), Counts("esf.by_education.*.*"),
    Counts("esf.by_status.*.*"), Counts("esf.results.*.*"),
    *[Sum("esf.starts_by_gender.{g}", [f"esf.{table}.*.{{g}}"]) for table in ("by_age_band", "by_education",
                                                                                "by_status")],
    # outcomes per host and area
    *[Counts(f"outcomes_by_host.{kind}.*.{key}") for kind in ("by_organisation", "by_area")
      for key in ("completed", "work_or_studies")],
    *[Derived(f"outcomes_by_host.{kind}.{{i}}.share", [f"outcomes_by_host.{kind}.{{i}}.work_or_studies",
                                                       f"outcomes_by_host.{kind}.{{i}}.completed"])
      for kind in ("by_organisation", "by_area")],
    Counts("outcomes_by_host.top_organisations.rest.completed"),
    Counts("outcomes_by_host.top_organisations.rest.work_or_studies"),
    Derived("outcomes_by_host.top_organisations.rest.share", ["outcomes_by_host.top_organisations.rest.work_or_studies",
                                                              "outcomes_by_host.top_organisations.rest.completed"]),
    # survey
    Derived("survey.response_rate", ["survey.answered", "survey.invited"]),
]


def install() -> None:
    """Add the sections to both reports and their suppression rules (once, from ReportingConfig.ready)."""
    if selectors.EXTRA_SECTIONS["monthly"]:
        return
    selectors.EXTRA_SECTIONS["monthly"].extend(MONTHLY)
    selectors.EXTRA_SECTIONS["final"].extend(FINAL)
    selectors.EXTRA_FIELDS.append(("survey", "response_rate", survey_response_rate))
    selectors.EXTRA_FIELDS.append(("meta", "activities", activity_names))
    register(*RULES)
