"""An attacker's test of the steering group's outputs: nothing shown as "<5" (or "..") can be worked out.

Over seeded random data sets, for consecutive months and the quarter that contains them (all allowed
periods), every steering output's figures (what the JSON, XLSX, PDF, dashboard and charts are made
from) are attacked the way a careful reader would: total minus the visible cells, the same bounds
pushed through every total and subtotal at once (a "<5" is 1–4, a ".." at least 5), share × base,
a mean from a visible difference, the quarter minus its visible months, and a month's figures in
another report's trend. The test fails if any hidden cell comes out at exactly one value.

The attacker's solver below is written independently of reporting.suppression's.
"""

import datetime as dt
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.dates import month_end
from core.models import Gender
from organisations.models import Agency
from organisations.tests.factories import OccupationalAreaFactory, OrganisationFactory, ProjectFactory, UnitFactory
from participants.models import ExitKind, ExitReason, FollowUp90
from participants.tests.factories import ExitFactory, ParticipantFactory, ReferralFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory, PlacementFactory
from reporting import suppression
from reporting.selectors import monthly_report_figures
from reporting.suppression import SECONDARY, Sum, expand, suppress, suppress_small_counts

D = dt.date
BIG = 10**6
MONTHS = [(D(2026, 1, 1), D(2026, 1, 31)), (D(2026, 2, 1), D(2026, 2, 28)), (D(2026, 3, 1), D(2026, 3, 31))]
QUARTER = (D(2026, 1, 1), D(2026, 3, 31))
# Counts over the period that add up month by month (a quarter's = the sum of its months').
ADDITIVE = ("participants.starts", "participants.starts_by_gender.", "participants.by_agency.", "referrals.",
            "exits.", "followup_90.total", "followup_90.done", "equality.days_to_start.by_gender.",
            "equality.placement_kind.")
# Stock figures on the period's last day: a quarter's are its last month's.
STOCK = ("waiting_list.", "placements.")


def _hidden(value) -> bool:
    return isinstance(value, str) and (value.startswith("<") or value == SECONDARY)


def _bounds(value, report: str) -> tuple[int, int]:
    """What a reader knows of a hidden cell: "<5" is 1–4; ".." may be anything, 0 included."""
    if value == SECONDARY:
        return (0, BIG)
    return (1, suppression.threshold() - 1)


def _cells(shown: dict) -> dict[tuple, object]:
    out = {}

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, (*path, index))
        else:
            out[path] = node

    walk(shown, ())
    return out


def _dotted(path) -> str:
    return ".".join(str(p) for p in path)


class Attacker:
    """Unknowns are (report, path); equations are Σ coef·x = constant over them."""

    def __init__(self):
        self.bounds: dict = {}
        self.equations: list = []

    def value(self, report: str, shown: dict, path: tuple):
        cell = suppression.get(shown, path)
        if _hidden(cell):
            key = (report, path)
            self.bounds.setdefault(key, _bounds(cell, report))
            return key
        return cell if isinstance(cell, int) and not isinstance(cell, bool) else None

    def equation(self, terms: list) -> None:
        """terms: [(coef, value-or-unknown)]; dropped when a term is neither a number nor an unknown."""
        constant, unknown = 0, []
        for coef, term in terms:
            if term is None:
                return
            if isinstance(term, tuple):
                unknown.append((coef, term))
            else:
                constant += coef * term
        if unknown:
            self.equations.append((unknown, -constant))

    def solve(self) -> dict:
        bounds = dict(self.bounds)
        for _round in range(60):
            changed = False
            for unknown, rhs in self.equations:
                for coef, key in unknown:
                    others = [(c, k) for c, k in unknown if k != key]
                    low = sum(c * bounds[k][0] if c > 0 else c * bounds[k][1] for c, k in others)
                    high = sum(c * bounds[k][1] if c > 0 else c * bounds[k][0] for c, k in others)
                    lo, hi = (rhs - high, rhs - low) if coef > 0 else (low - rhs, high - rhs)
                    new = (max(bounds[key][0], lo), min(bounds[key][1], hi))
                    if new != bounds[key] and new[0] <= new[1]:
                        bounds[key], changed = new, True
            if not changed:
                break
        return bounds


def _in_raw_order(raw: dict, shown: dict) -> dict:
    """The steering copy with need and supply's rows in the raw figures' order (the copy lists them by what it
    shows; the reader matches the rows by their area, as the cells here are matched by their raw paths)."""
    rows = (shown.get("need_supply") or {}).get("by_area")
    if not rows:
        return shown
    by_code = {row["code"]: row for row in rows}
    return {**shown, "need_supply": {**shown["need_supply"],
                                     "by_area": [by_code[row["code"]] for row in raw["need_supply"]["by_area"]]}}


def attack(reports: dict[str, tuple[dict, dict]], *, link_trends: bool = True) -> list[str]:
    """reports: name → (raw figures, shown figures); "quarter" is the period made of the others (the
    "months"). Returns what was recovered (should be nothing)."""
    attacker = Attacker()
    recovered = []
    for name, (raw, shown) in reports.items():
        shown = _in_raw_order(raw, shown)
        # Every total and subtotal the report's tables and the README's key table show.
        for rule in suppression.RULES:
            if isinstance(rule, Sum):
                for total, bound in expand(raw, rule.total):
                    parts = [p for pattern in rule.parts for p, _b in expand(raw, pattern, bound)]
                    values = [suppression.get(raw, p) for p in [total, *parts]]
                    if all(isinstance(v, int) and not isinstance(v, bool) for v in values) and \
                            values[0] == sum(values[1:]):
                        attacker.equation([(-1, attacker.value(name, shown, total))]
                                          + [(1, attacker.value(name, shown, p)) for p in parts])
        for builder in suppression.RELATION_BUILDERS:
            for total, parts in builder(raw):
                values = [suppression.get(raw, p) for p in [total, *parts]]
                if values[0] == sum(values[1:]):
                    attacker.equation([(-1, attacker.value(name, shown, total))]
                                      + [(1, attacker.value(name, shown, p)) for p in parts])
        # What the reader knows without reporting.suppression's rules: free places are capacity less the
        # persons on them, and those who went on to work or studies are the exits with such a reason.
        for total, parts in _known_sums(raw):
            try:
                values = [suppression.get(raw, p) for p in [total, *(part for part, _sign in parts)]]
                terms = [(-1, attacker.value(name, shown, total))] + \
                    [(sign, attacker.value(name, shown, part)) for part, sign in parts]
            except (KeyError, IndexError, TypeError):
                continue
            if all(isinstance(v, int) and not isinstance(v, bool) for v in values) and \
                    values[0] == sum(sign * v for (_p, sign), v in zip(parts, values[1:], strict=True)):
                attacker.equation(terms)
        # share × base, and a base from a share and its numerator.
        for share, numerator, base in _share_triples(shown):
            try:
                s, n, b = (suppression.get(shown, p) for p in (share, numerator, base))
            except (KeyError, IndexError, TypeError):
                continue
            if isinstance(s, float) and s:
                if _hidden(n) and isinstance(b, int) and not _hidden(b):
                    recovered.append(f"{name}: {_dotted(numerator)} = {s} × {b}")
                if _hidden(b) and isinstance(n, int) and not _hidden(n):
                    recovered.append(f"{name}: {_dotted(base)} = {n} / {s}")
        # A mean from a visible difference and the other mean.
        days = shown.get("equality", {}).get("days_to_start", {})
        means = [v["mean_days"] for v in days.get("by_gender", {}).values()]
        if days.get("max_difference") is not None and any(m is None for m in means) \
                and any(m is not None for m in means):
            recovered.append(f"{name}: a hidden mean from the difference {days['max_difference']}")
    # Across reports: a quarter is the sum of its months; stock figures are its last month's; every
    # report's trend repeats each month's starts and exits.
    months = [n for n in reports if n != "quarter"]
    if "quarter" in reports and months:
        raw_q, shown_q = reports["quarter"]
        for path in _cells(raw_q):
            dotted = _dotted(path)
            if not isinstance(suppression.get(raw_q, path), int) or any(isinstance(p, int) for p in path):
                continue
            if dotted.startswith(ADDITIVE) and not dotted.startswith("equality.placement_kind.by_area"):
                try:
                    terms = [(1, attacker.value(m, reports[m][1], path)) for m in months]
                except (KeyError, IndexError, TypeError):
                    continue
                attacker.equation([(-1, attacker.value("quarter", shown_q, path))] + terms)
            elif dotted.startswith(STOCK) and not dotted.startswith("placements.by_"):
                try:
                    last = attacker.value(months[-1], reports[months[-1]][1], path)
                except (KeyError, IndexError, TypeError):
                    continue
                attacker.equation([(-1, attacker.value("quarter", shown_q, path)), (1, last)])
    for name, (raw, shown) in reports.items() if link_trends else ():
        trend = raw.get("trend") or {}
        for index, month in enumerate(trend.get("months", [])):
            for series, total in (("starts", ("participants", "starts")), ("exits", ("exits", "total"))):
                for other in months:
                    if reports[other][0]["meta"]["period_start"][:7] == month:
                        attacker.equation([(-1, attacker.value(name, shown, ("trend", series, index))),
                                           (1, attacker.value(other, reports[other][1], total))])
    for key, (lo, hi) in attacker.solve().items():
        if lo == hi:
            recovered.append(f"{key[0]}: {_dotted(key[1])} = {lo}")
    return recovered


def _known_sums(raw: dict):
    """(total, [(part, sign)]) that hold by definition: occupied = capacity − free per row (need and supply
    rows name their area by code), and the work-or-studies outcome counts = the exits with such a reason."""
    placements = raw.get("placements") or {}
    for i, row in enumerate(placements.get("by_organisation") or []):
        if "free" in row:
            row_path = ("placements", "by_organisation", i)
            yield (*row_path, "occupied"), [((*row_path, "capacity"), 1), ((*row_path, "free"), -1)]
    areas = {row.get("code"): j for j, row in enumerate(placements.get("by_area") or [])}
    for i, row in enumerate((raw.get("need_supply") or {}).get("by_area") or []):
        if row.get("code") in areas and "free" in row:
            area = ("placements", "by_area", areas[row["code"]])
            yield (*area, "occupied"), [((*area, "capacity"), 1), (("need_supply", "by_area", i, "free"), -1)]
    # The PDF's row for the other organisations of a summarised table: the rows of the XLSX that the PDF does
    # not show (top-level ones where the table is rolled up), summed.
    for section, keys in (("placements", ("occupied",)), ("outcomes_by_host", ("completed", "work_or_studies"))):
        summary = (raw.get(section) or {}).get("top_organisations")
        if not summary:
            continue
        rows = raw[section]["by_organisation"]
        others = [i for i, row in enumerate(rows) if i not in summary["shown"]
                  and (section != "placements" or row.get("parent") is None)]
        for key in keys:
            yield (section, "top_organisations", "rest", key), [((section, "by_organisation", i, key), 1)
                                                               for i in others]
    reasons = [("exits", "by_reason", code) for code, reason in (raw.get("meta") or {}).get("exit_reasons", {}).items()
               if reason in WORK_OR_STUDIES_NAMES and code in (raw.get("exits") or {}).get("by_reason", {})]
    for key in ("count_all_exited", "count"):
        if reasons:
            yield ("outcomes", "work_or_studies", key), [(path, 1) for path in reasons]


WORK_OR_STUDIES_NAMES = {"Arbete", "Arbete med stöd", "Studier"}


def _share_triples(shown: dict):
    w = ("outcomes", "work_or_studies")
    yield (*w, "share"), (*w, "count"), (*w, "placed")
    yield (*w, "share_all_exited"), (*w, "count_all_exited"), (*w, "exited")
    yield ("followup_90", "work_or_studies", "share"), ("followup_90", "work_or_studies", "count"), \
        ("followup_90", "done")
    yield ("followup_90", "done_share"), ("followup_90", "done"), ("followup_90", "total")
    for index, _statement in enumerate(shown.get("survey", {}).get("statements", [])):
        yield ("survey", "statements", index, "share"), ("survey", "statements", index, "yes"), \
            ("survey", "statements", index, "answers")
    kind = shown.get("equality", {}).get("placement_kind", {})
    for index, area in enumerate(kind.get("by_area", [])):
        for gender in area.get("share_by_gender", {}):
            yield (("equality", "placement_kind", "by_area", index, "share_by_gender", gender),
                   ("equality", "placement_kind", "by_area", index, "by_gender", gender),
                   ("equality", "placement_kind", "total_by_gender", gender))


# --- seeded random data sets -----------------------------------------------------------------------


def build_random_region(seed: int):
    rng = random.Random(seed)
    project = ProjectFactory(slug=f"p{seed}", start_date=D(2025, 1, 1), end_date=D(2027, 12, 31))
    agencies = list(Agency.objects.all()) or []
    reasons = list(ExitReason.objects.all())
    region = OrganisationFactory(name=f"Region {seed}", employee_count=None)
    children = [OrganisationFactory(name=f"Förvaltning {seed}-{i}", parent=region,
                                    employee_count=rng.randint(100, 3000)) for i in range(2)]
    other = OrganisationFactory(name=f"Kommun {seed}", employee_count=rng.randint(100, 900))
    areas = [OccupationalAreaFactory() for _ in range(2)]
    placements = [PlacementFactory(unit=UnitFactory(organisation=rng.choice([*children, other])),
                                   occupational_area=rng.choice(areas), capacity=rng.randint(1, 3),
                                   available_from=D(2025, 1, 1)) for _ in range(rng.randint(3, 6))]
    genders = [Gender.WOMAN, Gender.MAN, Gender.NON_BINARY]
    for _ in range(rng.randint(6, 40)):
        person = ParticipantFactory(gender=rng.choices(genders, weights=[5, 5, 1])[0],
                                    birth_year=rng.choice([None, 1960, 1980, 2000]))
        referred = D(2025, 12, 1) + dt.timedelta(days=rng.randint(0, 110))
        start = referred + dt.timedelta(days=rng.randint(0, 30)) if rng.random() < 0.8 else None
        referral = ReferralFactory(participant=person, project=project, agency=rng.choice(agencies),
                                   referral_date=referred, start_date=start)
        if start and rng.random() < 0.7:
            end = start + dt.timedelta(days=rng.randint(5, 60)) if rng.random() < 0.6 else None
            AssignmentFactory(placement=rng.choice(placements), referral=referral,
                              status=Assignment.Status.COMPLETED if end else Assignment.Status.ONGOING,
                              start_date=start, planned_end_date=start + dt.timedelta(days=90), end_date=end)
            if end and rng.random() < 0.7:
                exit_ = ExitFactory(referral=referral, exit_date=end, reason=rng.choice(reasons),
                                            kind=rng.choice([ExitKind.AS_PLANNED, ExitKind.INTERRUPTED]))
                FollowUp90.objects.create(exit=exit_, due_on=end + dt.timedelta(days=90))
    return project


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(6))
def test_no_hidden_cell_can_be_recovered_from_months_and_their_quarter(seed):
    project = build_random_region(seed)
    reports = {}
    for index, (first, last) in enumerate(MONTHS):
        raw = monthly_report_figures(project, first, last)
        reports[f"month{index + 1}"] = (raw, suppress_small_counts(raw))
    raw_q = monthly_report_figures(project, *QUARTER)
    reports["quarter"] = (raw_q, suppress_small_counts(raw_q))
    hidden = sum(_hidden(v) for _raw, shown in reports.values() for v in _cells(shown).values())
    assert hidden, "the data set should have small counts to protect"
    assert attack(reports) == []


@pytest.mark.django_db
def test_the_attacker_finds_what_primary_suppression_alone_leaves_open(settings):
    """The attacker is not blind: with secondary suppression switched off it recovers cells."""
    project = build_random_region(1)
    raw = monthly_report_figures(project, *MONTHS[1])
    primary_only = suppress(raw)
    for path, value in _cells(raw).items():
        shown = suppression.get(primary_only, path)
        if shown == SECONDARY:
            suppression._set(primary_only, path, value)   # undo every secondary cell
    assert attack({"month": (raw, primary_only)})


# --- synthetic tables, many of them ----------------------------------------------------------------

def _split(draw, total: int, parts: int) -> list[int]:
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=total), min_size=parts - 1,
                                max_size=parts - 1)))
    edges = [0, *cuts, total]
    return [high - low for low, high in zip(edges, edges[1:], strict=False)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_secondary_suppression_holds_for_arbitrary_small_tables(data):
    """One total with three breakdowns of it (gender, kind, reason), as in the exits table."""
    total = data.draw(st.integers(min_value=0, max_value=30))
    raw = {"meta": {}, "exits": {
        "total": total,
        "by_gender": dict(zip(["kvinna", "man", "icke-binär"], _split(data.draw, total, 3), strict=True)),
        "by_kind": dict(zip(["enligt plan", "avbruten"], _split(data.draw, total, 2), strict=True)),
        "by_reason": {f"r{i}": n for i, n in enumerate(_split(data.draw, total, data.draw(
            st.integers(min_value=2, max_value=6))))},
    }}
    assert attack({"report": (raw, suppress(raw))}) == []


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [0, 1])
def test_no_hidden_cell_can_be_recovered_from_a_year_its_quarters_and_months(seed):
    project = build_random_region(seed)

    def report(first, last):
        raw = monthly_report_figures(project, first, last)
        return raw, suppress_small_counts(raw)

    months = {m: report(D(2026, m, 1), month_end(D(2026, m, 1))) for m in range(1, 13)}
    quarters = {q: report(D(2026, 3 * q + 1, 1), month_end(D(2026, 3 * q + 3, 1))) for q in range(4)}
    found = []
    for q, quarter in quarters.items():
        found += attack({**{f"month{i}": months[3 * q + i] for i in (1, 2, 3)}, "quarter": quarter})
    year = {f"q{q}": quarters[q] for q in range(4)}
    found += attack({**year, "quarter": report(D(2026, 1, 1), D(2026, 12, 31))}, link_trends=False)
    assert found == []
