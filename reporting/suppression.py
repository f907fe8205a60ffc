"""Statistical disclosure control for the steering group's outputs.

Every steering output (dashboard, monthly PDF, JSON, XLSX, charts and their text alternatives) is
made from `suppress(figures)`; the project leader's outputs use the raw figures. The rules:

1. **Primary suppression**: a count of persons from 1 to SMALL_COUNT_THRESHOLD − 1 is shown as
   "<5" (the label follows the threshold). Zero stays 0.
2. **Secondary suppression**: wherever a total and its parts are shown (a `Sum` rule below), no
   hidden cell may be worked out from the others. After rule 1, an attacker's reasoning is run
   over all sums at once: each hidden cell gets the bounds the reader knows ("<5" = 1..4, ".." =
   at least the threshold), and the bounds are tightened through every sum until nothing
   changes. While any hidden cell is pinned to one value, one more cell of a sum it is in is
   hidden (the smallest non-zero part; then a zero part; a total only when no part is left) and
   shown as "..", which may stand for any value, 0 included. When every cell around a pinned "<5"
   is hidden already, that "<5" itself is shown as "..".
3. **Derived values**: a share, mean, median, difference or flag computed from a count that is
   hidden is hidden too (`Derived` rules: the value becomes None, shown "–").
4. **Periods**: the steering group gets whole calendar months, quarters or years that have ended
   only (`steering_period_refusal`, the one rule every steering path asks: the dashboard, its charts,
   the report request, `manage.py build_report`, the report runs it sees, `permissions.steering_runs`).
   A period that has not ended changes with every record made in it, and two views with one exit
   between them would give back its hidden cells by their difference. For a quarter or a year,
   `also_hide` carries the cells hidden in each of its months' own outputs: a cell hidden in a month
   is hidden in every longer period that contains it (shown "..", even when small, since "<5" would
   bound the months' hidden cells), so no difference between two allowed periods gives it back.

Counts of places (placements, capacity) are not counts of persons and stay exact; counts of people
on a placement (occupied slots) are counts of persons and follow the rules, and a row's free slots
(capacity less occupied) are hidden wherever its occupancy is (DERIVED_BUILDERS).

How a section declares its cells (add rules to RULES, or call `register(...)` from the module that
adds the section; paths are dotted keys into the figures dict):
- `Counts("exits.by_reason.*")`: every value matched is a count of persons (rule 1). `*` matches
  any dict key or list index.
- `Sum("exits.total", ["exits.by_kind.*"])`: the total equals the sum of the parts. Used only when
  it really holds in the figures (so a sum with an unshown remainder is skipped automatically).
  `{name}` binds the same key in total and parts, e.g.
  `Sum("equality.placement_kind.total_by_gender.{g}", ["equality.placement_kind.by_area.*.by_gender.{g}"])`.
- `Derived("survey.statements.{i}.share", ["survey.statements.{i}.yes", "survey.statements.{i}.answers"])`:
  the value (share, mean, flag…) is set to None when any of the input counts is hidden.
- Sums that depend on the data (the organisation tree, trend months inside the period) are built
  by functions in RELATION_BUILDERS: `fn(figures) -> list[tuple[path, list[path]]]` with paths
  as tuples of keys.
A cell that is both a part and a total (participants.unique) simply appears in several sums.
"""

import copy
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.dates import month_end, previous_month

SUPPRESSED = "<5"  # the label for the default threshold; see suppressed_label()
SECONDARY = ".."   # a cell hidden so that a "<5" elsewhere cannot be worked out

Path = tuple


@dataclass(frozen=True)
class Counts:
    pattern: str


@dataclass(frozen=True)
class Sum:
    total: str
    parts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Derived:
    value: str
    inputs: list[str] = field(default_factory=list)


GENDER_SUMS = [
    ("participants.unique", "participants.by_gender.*"),
    ("participants.starts", "participants.starts_by_gender.*"),
    ("referrals.total", "referrals.by_gender.*"),
    ("waiting_list.total", "waiting_list.by_gender.*"),
    ("exits.total", "exits.by_gender.*"),
]

RULES: list = [
    # participants
    Counts("participants.starts"), Counts("participants.unique"), Counts("participants.anonymous"),
    Counts("participants.re_enrolments"), Counts("participants.by_gender.*"),
    Counts("participants.starts_by_gender.*"), Counts("participants.by_age_band.*"),
    Counts("participants.by_agency.*"),
    Sum("participants.starts", ["participants.unique", "participants.re_enrolments"]),
    Sum("participants.unique", ["participants.by_age_band.*"]),
    Sum("participants.starts", ["participants.by_agency.*"]),
    # referrals
    Counts("referrals.total"), Counts("referrals.by_agency.*"), Counts("referrals.by_gender.*"),
    Sum("referrals.total", ["referrals.by_agency.*"]),
    # waiting list
    Counts("waiting_list.total"), Counts("waiting_list.without_start"), Counts("waiting_list.without_placement"),
    Counts("waiting_list.by_gender.*"), Counts("waiting_list.by_state.*"),
    Sum("waiting_list.total", ["waiting_list.without_start", "waiting_list.without_placement"]),
    Sum("waiting_list.total", ["waiting_list.by_state.*"]),
    Derived("waiting_list.days_mean", ["waiting_list.total"]),
    Derived("waiting_list.days_median", ["waiting_list.total"]),
    # exits and outcomes
    Counts("exits.total"), Counts("exits.by_kind.*"), Counts("exits.by_reason.*"), Counts("exits.by_gender.*"),
    Sum("exits.total", ["exits.by_kind.*"]),
    Sum("exits.total", ["exits.by_reason.*"]),
    Counts("outcomes.work_or_studies.count"), Counts("outcomes.work_or_studies.exited"),
    Counts("outcomes.work_or_studies.placed"), Counts("outcomes.work_or_studies.count_all_exited"),
    Derived("outcomes.work_or_studies.share", ["outcomes.work_or_studies.count", "outcomes.work_or_studies.placed"]),
    Derived("outcomes.work_or_studies.share_all_exited",
            ["outcomes.work_or_studies.count_all_exited", "outcomes.work_or_studies.exited"]),
    # 90-day follow-up
    Counts("followup_90.total"), Counts("followup_90.done"), Counts("followup_90.work_or_studies.count"),
    Derived("followup_90.work_or_studies.share", ["followup_90.work_or_studies.count", "followup_90.done"]),
    Derived("followup_90.done_share", ["followup_90.done", "followup_90.total"]),
    # survey
    Counts("survey.invited"), Counts("survey.answered"),
    Counts("survey.statements.*.answers"), Counts("survey.statements.*.yes"),
    Derived("survey.statements.{i}.share", ["survey.statements.{i}.yes", "survey.statements.{i}.answers"]),
    Derived("survey.statements.{i}.met", ["survey.statements.{i}.yes", "survey.statements.{i}.answers"]),
    Derived("targets.survey.{i}.outcome", ["survey.statements.{i}.yes", "survey.statements.{i}.answers"]),
    Derived("targets.survey.{i}.met", ["survey.statements.{i}.yes", "survey.statements.{i}.answers"]),
    # people on placement
    Counts("placements.occupied"), Counts("placements.by_organisation.*.occupied"),
    Counts("placements.by_area.*.occupied"), Counts("placements.occupied_by_gender.*"),
    Counts("placements.overbooked"),
    Sum("placements.occupied", ["placements.by_area.*.occupied"]),
    Sum("placements.occupied", ["placements.occupied_by_gender.*"]),
    Counts("placements.top_organisations.rest.occupied"),
    Derived("placements.free", ["placements.occupied", "placements.overbooked"]),
    # equality
    Counts("equality.days_to_start.by_gender.*.count"),
    Sum("participants.starts", ["equality.days_to_start.by_gender.*.count"]),
    Sum("participants.starts_by_gender.{g}", ["equality.days_to_start.by_gender.{g}.count"]),
    Derived("equality.days_to_start.by_gender.{g}.mean_days", ["equality.days_to_start.by_gender.{g}.count"]),
    Derived("equality.days_to_start.max_difference", ["equality.days_to_start.by_gender.*.count"]),
    Derived("equality.days_to_start.flagged", ["equality.days_to_start.by_gender.*.count"]),
    Counts("equality.placement_kind.total_by_gender.*"), Counts("equality.placement_kind.by_area.*.by_gender.*"),
    Sum("equality.placement_kind.total_by_gender.{g}", ["equality.placement_kind.by_area.*.by_gender.{g}"]),
    Derived("equality.placement_kind.by_area.{a}.share_by_gender.{g}",
            ["equality.placement_kind.by_area.{a}.by_gender.{g}", "equality.placement_kind.total_by_gender.{g}"]),
    Derived("equality.placement_kind.by_area.{a}.flagged",
            ["equality.placement_kind.by_area.{a}.by_gender.*", "equality.placement_kind.total_by_gender.*"]),
    Derived("equality.placement_kind.flagged",
            ["equality.placement_kind.by_area.*.by_gender.*", "equality.placement_kind.total_by_gender.*"]),
    # trend and targets
    Counts("trend.starts.*"), Counts("trend.exits.*"),
    Counts("targets.participants.outcome"),
    Sum("participants.unique", ["targets.participants.outcome"]),
    Derived("targets.participants.share", ["participants.unique"]),
    Derived("targets.work_or_studies.outcome",
            ["outcomes.work_or_studies.count", "outcomes.work_or_studies.placed"]),
    *[Sum(total, [parts]) for total, parts in GENDER_SUMS],
]

# Totals shown month by month in the trend: hiding them as a secondary cell would be undone by the
# next month's trend chart, so a part is always hidden instead (there always is one: see rule 2).
PROTECTED = {("participants", "starts"), ("exits", "total")}

# The PDF picks the hosts it shows by their counts of persons (reporting.indicators.outcomes_by_host_section), so
# every host left for the others' row has at most the smallest shown count: a ".." beside a "<5" among them would
# have that upper bound and, with the others' sum, give the "<5" back. That row is hidden first instead.
HIDDEN_FIRST = {("outcomes_by_host", "top_organisations", "rest", key) for key in ("completed", "work_or_studies")}


def register(*rules) -> None:
    """Add rules for a new section (Counts, Sum, Derived); call once at import of the section's module."""
    RULES.extend(rules)


def threshold() -> int:
    return int(settings.SMALL_COUNT_THRESHOLD)


def suppressed_label() -> str:
    return f"<{threshold()}"


def is_small(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < threshold()


# --- paths ----------------------------------------------------------------------------------------


def _children(node):
    if isinstance(node, dict):
        return list(node.items())
    if isinstance(node, list):
        return list(enumerate(node))
    return []


def expand(figures, pattern: str, bindings: dict | None = None) -> list[tuple[Path, dict]]:
    """Every concrete path matching `pattern`, with the values bound to its `{name}` segments."""
    parts = pattern.split(".") if pattern else []
    results: list[tuple[Path, dict]] = []

    def walk(node, index, path, bound):
        if index == len(parts):
            results.append((tuple(path), bound))
            return
        head = parts[index]
        if head == "*":
            for key, child in _children(node):
                walk(child, index + 1, [*path, key], bound)
        elif head.startswith("{") and head.endswith("}"):
            name = head[1:-1]
            for key, child in _children(node):
                if name in bound and bound[name] != key:
                    continue
                walk(child, index + 1, [*path, key], {**bound, name: key})
        else:
            key = int(head) if isinstance(node, list) and head.lstrip("-").isdigit() else head
            try:
                child = node[key]
            except (KeyError, IndexError, TypeError):
                return
            walk(child, index + 1, [*path, key], bound)

    walk(figures, 0, [], dict(bindings or {}))
    return results


def get(figures, path: Path):
    node = figures
    for key in path:
        node = node[key]
    return node


def _set(figures, path: Path, value) -> None:
    node = figures
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- relations built from the data -----------------------------------------------------------------


def _organisation_sums(figures) -> list[tuple[Path, list[Path]]]:
    """Rolled-up organisation rows: a parent's occupied = its children's (when it has none of its own),
    and the region's occupied = the sum over top-level organisations."""
    rows = (figures.get("placements") or {}).get("by_organisation") or []
    if not rows or "parent" not in rows[0]:
        return []
    base = ("placements", "by_organisation")
    children: dict = {}
    for index, row in enumerate(rows):
        children.setdefault(row.get("parent"), []).append(index)
    relations = [(("placements", "occupied"), [(*base, i, "occupied") for i in children.get(None, [])])]
    for index, row in enumerate(rows):
        kids = children.get(row["name"], [])
        if kids:
            relations.append(((*base, index, "occupied"), [(*base, i, "occupied") for i in kids]))
    return relations


def _trend_sums(figures) -> list[tuple[Path, list[Path]]]:
    """The period's starts and exits are the sum of the trend months inside the period."""
    meta, trend = figures.get("meta") or {}, figures.get("trend")
    if not trend or "period_start" not in meta:
        return []
    start, end = meta["period_start"][:7], meta["period_end"][:7]
    inside = [i for i, month in enumerate(trend.get("months", [])) if start <= month <= end]
    return [(("participants", "starts"), [("trend", "starts", i) for i in inside]),
            (("exits", "total"), [("trend", "exits", i) for i in inside])]


def _work_or_studies_sums(figures) -> list[tuple[Path, list[Path]]]:
    """The outcome counts are the exits whose reason is work or studies (when each person exited once)."""
    codes = (figures.get("meta") or {}).get("work_or_studies_reasons") or []
    by_reason = (figures.get("exits") or {}).get("by_reason") or {}
    parts = [("exits", "by_reason", code) for code in codes if code in by_reason]
    if not parts:
        return []
    return [(("outcomes", "work_or_studies", key), parts) for key in ("count_all_exited", "count")]


# The PDF's summaries of per-organisation tables (reporting.selectors.top_organisations): the row for the other
# organisations sums counts of persons of rows shown elsewhere (every row is in the XLSX), section → counts.
TOP_ORGANISATION_COUNTS = {"placements": ("occupied",), "outcomes_by_host": ("completed", "work_or_studies")}


def _top_organisations_sums(figures) -> list[tuple[Path, list[Path]]]:
    """The other organisations' row = the sum of the rows it stands for; and, for the rolled-up placements,
    the region = the shown organisations + the other ones."""
    relations = []
    for section, keys in TOP_ORGANISATION_COUNTS.items():
        summary = (figures.get(section) or {}).get("top_organisations")
        if not summary:
            continue
        rest, rows = (section, "top_organisations", "rest"), (section, "by_organisation")
        for key in keys:
            relations.append(((*rest, key), [(*rows, i, key) for i in summary["rest_rows"]]))
            if section == "placements":
                relations.append(((section, key), [(*rows, i, key) for i in summary["shown"]] + [(*rest, key)]))
    return relations


RELATION_BUILDERS: list[Callable] = [_organisation_sums, _trend_sums, _work_or_studies_sums, _top_organisations_sums]


def _free_places_derived(figures) -> list[tuple[Path, list[Path]]]:
    """Free places of a row are its capacity less the persons on it: hidden when that occupancy is
    (capacity is shown, so free places would give the occupancy back). Need-and-supply rows name their
    area by code, so they are matched to the area's occupancy here rather than by a Derived pattern."""
    placements = figures.get("placements") or {}
    derived = [(("placements", "by_organisation", i, "free"), [("placements", "by_organisation", i, "occupied")])
               for i, row in enumerate(placements.get("by_organisation") or []) if "free" in row]
    area_index = {row.get("code"): j for j, row in enumerate(placements.get("by_area") or [])}
    for i, row in enumerate((figures.get("need_supply") or {}).get("by_area") or []):
        j = area_index.get(row.get("code"))
        if j is not None:
            derived += [(("need_supply", "by_area", i, key), [("placements", "by_area", j, "occupied")])
                        for key in ("free", "gap") if key in row]
    return derived


DERIVED_BUILDERS: list[Callable] = [_free_places_derived]


# --- the attacker's reasoning ----------------------------------------------------------------------

BIG = 10**9


def bounds_after_reasoning(relations: list[tuple[Path, list[Path]]], values: dict[Path, int],
                           hidden: dict[Path, tuple[int, int]]) -> dict[Path, tuple[int, int]]:
    """Tighten the bounds of hidden cells through every sum (total = Σ parts) until stable.

    `values` holds every cell's true value (only visible ones are used), `hidden` the reader's
    starting bounds of each hidden cell. Returns the final bounds; lo == hi means recovered.
    """
    bounds = dict(hidden)
    equations = []
    for total, parts in relations:
        terms = [(total, -1)] + [(part, 1) for part in parts]
        known = sum(coef * values[cell] for cell, coef in terms if cell not in bounds)
        unknown = [(cell, coef) for cell, coef in terms if cell in bounds]
        if unknown:
            equations.append((unknown, -known))  # Σ coef·x = -known
    changed, rounds = True, 0
    while changed and rounds < 50:
        changed, rounds = False, rounds + 1
        for unknown, rhs in equations:
            for cell, coef in unknown:
                rest_lo = sum(c * (bounds[x][0] if c > 0 else bounds[x][1]) for x, c in unknown if x != cell)
                rest_hi = sum(c * (bounds[x][1] if c > 0 else bounds[x][0]) for x, c in unknown if x != cell)
                # coef·x = rhs − rest
                low, high = (rhs - rest_hi, rhs - rest_lo) if coef > 0 else (rest_lo - rhs, rest_hi - rhs)
                lo, hi = bounds[cell]
                new = (max(lo, low), min(hi, high))
                if new != (lo, hi) and new[0] <= new[1]:
                    bounds[cell] = new
                    changed = True
    return bounds


def _reader_bounds(kind: str) -> tuple[int, int]:
    if kind == "primary":
        return (1, threshold() - 1)
    return (0, BIG)  # ".." says nothing: it may be 0, a small count or a large one


# --- suppression ----------------------------------------------------------------------------------


def _concrete_sums(figures, rules) -> list[tuple[Path, list[Path]]]:
    relations = []
    for rule in rules:
        if not isinstance(rule, Sum):
            continue
        for total, bound in expand(figures, rule.total):
            parts = [path for pattern in rule.parts for path, _b in expand(figures, pattern, bound)]
            relations.append((total, parts))
    for builder in RELATION_BUILDERS:
        relations += builder(figures)
    valid = []
    for total, parts in relations:
        try:
            cells = [get(figures, total), *[get(figures, p) for p in parts]]
        except (KeyError, IndexError, TypeError):
            continue
        if parts and all(_is_count(v) for v in cells) and cells[0] == sum(cells[1:]):
            valid.append((total, [p for p in parts if p != total]))
    return valid


def hidden_cells(figures: dict, *, also_hide: Iterable[Path] = ()) -> dict[Path, str]:
    """Which count cells the steering group must not see: path → "primary" (shown "<5"), "secondary"
    (shown "..", hidden to protect another) or "carried" (shown "..", hidden in one of the period's months)."""
    rules = list(RULES)
    counts: dict[Path, int] = {}
    for rule in rules:
        if isinstance(rule, Counts):
            for path, _b in expand(figures, rule.pattern):
                value = get(figures, path)
                if _is_count(value):
                    counts[path] = value
    hidden = {path: "primary" for path, value in counts.items() if is_small(value)}
    for path in also_hide:
        path = tuple(path)
        if path in counts:
            # Shown as "..", with no upper bound: a "<5" here would tell a reader the sum of the months'
            # hidden cells is at most 4 and pin them down.
            hidden[path] = "carried"
    relations = [(t, [p for p in parts if p in counts]) for t, parts in _concrete_sums(figures, rules)
                 if t in counts]

    for _round in range(len(counts) + 1):
        bounds = bounds_after_reasoning(relations, counts,
                                        {p: _reader_bounds(k) for p, k in hidden.items()})
        pinned = {p for p, (lo, hi) in bounds.items() if lo == hi}
        if not pinned:
            break
        candidate = _next_to_hide(pinned, relations, counts, hidden)
        if candidate is not None:
            hidden[candidate] = "secondary"
            continue
        # Every cell around it is hidden already (e.g. four "<5" reasons under a "<5" total of 4): show one
        # of the pinned "<5" as ".." instead, which no longer says 1–4.
        relabel = next((p for p in sorted(pinned, key=str) if hidden[p] == "primary"), None)
        if relabel is None:
            break
        hidden[relabel] = "carried"
    return hidden


def _next_to_hide(pinned: set, relations, counts, hidden) -> Path | None:
    """The cell to hide next, among the cells of the sums that hold a pinned cell: the smallest non-zero
    part; then a zero part (".." may be 0, and hiding a 0 costs the reader least); a total (the figure
    readers use most) only when no part is left; a protected total only when nothing else would do."""
    best = None
    for total, parts in relations:
        cells = [total, *parts]
        if pinned.isdisjoint(cells):
            continue
        for cell in cells:
            if cell in hidden:
                continue
            rank = (cell in PROTECTED, cell not in HIDDEN_FIRST, cell == total, counts[cell] == 0, counts[cell],
                    str(cell))
            if best is None or rank < best[0]:
                best = (rank, cell)
    return best[1] if best else None


def suppress(figures: dict, *, also_hide: Iterable[Path] = ()) -> dict:
    """A deep copy of `figures` as the steering group may see it (the original is left untouched)."""
    hidden = hidden_cells(figures, also_hide=also_hide)
    shown = copy.deepcopy(figures)
    for rule in RULES:
        if not isinstance(rule, Derived):
            continue
        for value_path, bound in expand(shown, rule.value):
            inputs = [p for pattern in rule.inputs for p, _b in expand(figures, pattern, bound)]
            if any(p in hidden for p in inputs):
                _set(shown, value_path, None)
    for builder in DERIVED_BUILDERS:
        for value_path, inputs in builder(figures):
            if any(p in hidden for p in inputs):
                _set(shown, value_path, None)
    label = suppressed_label()
    for path, kind in hidden.items():
        _set(shown, path, label if kind == "primary" else SECONDARY)
    _listed_by_what_is_shown(shown)
    shown.pop("_hidden_in_months", None)
    meta = shown.setdefault("meta", {})
    meta["suppressed"] = True
    meta["small_count_threshold"] = threshold()
    meta["secondary_label"] = SECONDARY
    return shown


def _listed_by_what_is_shown(shown: dict) -> None:
    """Need and supply is listed biggest gap first (reporting.indicators.need_supply_section): in the steering
    copy by the gaps it shows, the rows whose gap is hidden last (by their people waiting where shown, then name),
    so no row's place between two shown gaps gives its hidden gap back."""
    rows = (shown.get("need_supply") or {}).get("by_area")
    if not rows:
        return

    def shown_or_zero(value):
        return value if _is_count(value) else 0

    rows.sort(key=lambda row: (not _is_count(row.get("gap")), -shown_or_zero(row.get("gap")),
                               -shown_or_zero(row.get("waiting_interested")), str(row.get("name", ""))))


def suppress_small_counts(figures: dict) -> dict:
    """The steering group's copy of stored figures (the cells hidden in its months travel with them,
    under "_hidden_in_months", see hidden_in_months)."""
    also = [path for stable in figures.get("_hidden_in_months", []) if (path := resolve(figures, stable))]
    return suppress(figures, also_hide=also)


# --- the same cell in another report ---------------------------------------------------------------

TREND_SERIES = {("trend", "starts"), ("trend", "exits"), ("trend", "placements")}


def stable_path(figures, path: Path) -> list:
    """A path that names list items by what they are (area code, organisation name, statement number,
    trend month) instead of their position, so it finds the same cell in another period's figures."""
    out, node = [], figures
    for index, key in enumerate(path):
        if isinstance(node, list):
            item = node[key]
            if tuple(path[:index]) in TREND_SERIES:
                out.append("month=" + figures["trend"]["months"][key])
            elif isinstance(item, dict) and "code" in item:
                out.append(f"code={item['code']}")
            elif isinstance(item, dict) and "number" in item:
                out.append(f"number={item['number']}")
            elif isinstance(item, dict) and "name" in item:
                out.append(f"name={item['name']}")
            else:
                out.append(key)
        else:
            out.append(key)
        node = node[key]
    return out


def resolve(figures, stable: list) -> Path | None:
    """The concrete path of a stable_path in `figures`, or None if that cell is not there."""
    path, node = [], figures
    for key in stable:
        if isinstance(node, list):
            if not isinstance(key, str) or "=" not in key:
                return None
            field_name, wanted = key.split("=", 1)
            if field_name == "month":
                months = (figures.get("trend") or {}).get("months", [])
                position = months.index(wanted) if wanted in months else None
            else:
                position = next((i for i, item in enumerate(node) if isinstance(item, dict)
                                 and str(item.get(field_name)) == wanted), None)
            if position is None or position >= len(node):
                return None
            key = position
        elif not isinstance(node, dict) or key not in node:
            return None
        path.append(key)
        node = node[key]
    return tuple(path)


# Sections that describe the period's last day: a quarter's are its last month's, cell for cell.
STOCK_SECTIONS = {"waiting_list", "placements"}


def hidden_in_months(month_figures: list[dict]) -> list[list]:
    """The cells a quarter or a year must hide because its months' own steering outputs hide them, as
    stable paths: for counts over the period (which add up month by month) every month's hidden cells;
    for the period's last day (waiting list, placements) exactly the last month's, the same cells."""
    found: dict[str, list] = {}
    for index, figures in enumerate(month_figures):
        last = index == len(month_figures) - 1
        for path in hidden_cells(figures):
            if path[0] in STOCK_SECTIONS and not last:
                continue
            stable = stable_path(figures, path)
            found[repr(stable)] = stable
    return list(found.values())


# --- periods --------------------------------------------------------------------------------------


def is_whole_period(start: dt.date, end: dt.date) -> bool:
    """A whole calendar month, quarter or year: what the steering group may build."""
    if start.day != 1 or end != month_end(end):
        return False
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months == 1:
        return True
    if months == 3:
        return start.month in (1, 4, 7, 10)
    return months == 12 and start.month == 1


WHOLE_PERIOD_MESSAGE = gettext_lazy(
    "Styrgruppen kan bara ta fram rapporter för hela kalendermånader, kvartal eller år, till exempel "
    "1 januari–31 mars. Välj periodens första och sista dag så.")


def last_ended_month(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The latest month the steering group may see: the one before today's (default: today in Stockholm)."""
    return previous_month(today or timezone.localdate())


def steering_period_refusal(start: dt.date, end: dt.date, *, today: dt.date | None = None) -> str | None:
    """Why the steering group may not see figures of this period, or None when it may: a whole calendar
    month, quarter or year whose last day is before `today` (default: today in Stockholm). For figures
    computed earlier (a report run), `today` is the day they were computed."""
    if not is_whole_period(start, end):
        return str(WHOLE_PERIOD_MESSAGE)
    today = today or timezone.localdate()
    if end >= today:
        return _(
            "Styrgruppen ser bara perioder som har tagit slut. Siffrorna för en period som pågår ändras med "
            "varje ny händelse, och två visningar skulle tillsammans kunna avslöja de dolda små talen. Välj "
            "en period som slutar senast %(day)s.") % {"day": last_ended_month(today)[1].isoformat()}
    return None


def months_of(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    months, first = [], start.replace(day=1)
    while first <= end:
        months.append((first, month_end(first)))
        first = month_end(first) + dt.timedelta(days=1)
    return months
