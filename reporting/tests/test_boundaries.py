"""Each boundary of the report figures tested on both sides: age bands, the equality thresholds, the period's
first and last day, and a placement's closing date."""

import datetime as dt

import pytest

from organisations.tests.factories import OccupationalAreaFactory
from participants.models import Participant
from participants.tests.factories import ExitFactory, ReferralFactory
from placements.models import Assignment, Placement
from placements.tests.factories import AssignmentFactory, PlacementFactory
from reporting.selectors import monthly_figures, start_rows

from .conftest import MARCH

pytestmark = pytest.mark.django_db
D = dt.date
MID_MARCH = D(2026, 3, 10)


def start(project, *, on=MID_MARCH, referred=None, gender="kvinna", birth_year=1990):
    return ReferralFactory(project=project, referral_date=referred or on - dt.timedelta(days=5), start_date=on,
                           participant__gender=gender, participant__birth_year=birth_year)


def figures(project):
    return monthly_figures(project, *MARCH)


# --- Age bands (ESF+: 18–29, 30–54, 55+), age at the start = start year − birth year ------------------


@pytest.mark.parametrize(("age", "band"), [
    (29, "18–29"), (30, "30–54"),     # both sides of 30
    (54, "30–54"), (55, "55+"),       # both sides of 55
])
def test_age_band_edges(report_project, age, band):
    start(report_project, birth_year=2026 - age)
    bands = figures(report_project)["participants"]["by_age_band"]
    assert bands == {"18–29": 0, "30–54": 0, "55+": 0, "okänd": 0, band: 1}


@pytest.mark.parametrize(("on", "band"), [(D(2025, 12, 31), "18–29"), (D(2026, 1, 1), "30–54")])
def test_the_age_at_a_start_is_its_year_on_both_sides_of_new_year(report_project, on, band):
    start(report_project, on=on, birth_year=1996)
    bands = monthly_figures(report_project, on, on)["participants"]["by_age_band"]
    assert bands == {"18–29": 0, "30–54": 0, "55+": 0, "okänd": 0, band: 1}
    [row] = start_rows(report_project, on, on)  # the ESF tables' bands
    assert [row[f"band_{i}"] for i in range(4)] == [int(band == name) for name in ("18–29", "30–54", "55+", "okänd")]


def test_unknown_birth_year_is_its_own_band(report_project):
    referral = start(report_project)
    Participant.objects.filter(pk=referral.participant_id).update(birth_year=None)
    assert figures(report_project)["participants"]["by_age_band"]["okänd"] == 1


# --- The period: its first and last day count, the days around it do not ---------------------------------


def test_starts_on_the_period_edges(report_project):
    for day in (D(2026, 2, 28), D(2026, 3, 1), D(2026, 3, 31), D(2026, 4, 1)):
        start(report_project, on=day)
    assert figures(report_project)["participants"]["starts"] == 2


def test_exits_on_the_period_edges(report_project):
    for day in (D(2026, 2, 28), D(2026, 3, 1), D(2026, 3, 31), D(2026, 4, 1)):
        ExitFactory(referral=start(report_project, on=D(2026, 1, 15)), exit_date=day)
    assert figures(report_project)["exits"]["total"] == 2


# --- Equality: flagged only when the difference is MORE than the threshold --------------------------------


@pytest.mark.parametrize(("men_days", "flagged"), [(10 + 14, False), (10 + 15, True)])
def test_days_to_start_difference_at_the_threshold(report_project, settings, men_days, flagged):
    settings.REPORT_EQUALITY_THRESHOLD_DAYS = 14
    start(report_project, referred=D(2026, 3, 1), on=D(2026, 3, 11), gender="kvinna")
    start(report_project, referred=D(2026, 3, 1), on=D(2026, 3, 1) + dt.timedelta(days=men_days), gender="man")
    days = figures(report_project)["equality"]["days_to_start"]
    assert days["max_difference"] == men_days - 10
    assert days["flagged"] is flagged


@pytest.mark.parametrize(("women_in_area", "flagged"), [(1, False), (2, True)])
def test_placement_kind_spread_at_the_threshold(report_project, settings, women_in_area, flagged):
    """Two women and two men placed; women's share in the area is 1/2 or 2/2, men's 0: a spread of exactly the
    threshold (0.5) is not flagged, above it is."""
    settings.REPORT_EQUALITY_THRESHOLD_SHARE = 0.5
    area, other = OccupationalAreaFactory(code="omr-a", name="Område A"), OccupationalAreaFactory(code="omr-b")
    in_area, elsewhere = PlacementFactory(occupational_area=area), PlacementFactory(occupational_area=other)
    for i, gender in enumerate(["kvinna", "kvinna", "man", "man"]):
        placement = in_area if gender == "kvinna" and i < women_in_area else elsewhere
        AssignmentFactory(placement=placement, referral=start(report_project, gender=gender),
                          status=Assignment.Status.ONGOING, start_date=D(2026, 3, 12))
    kind = figures(report_project)["equality"]["placement_kind"]
    row = next(a for a in kind["by_area"] if a["code"] == "omr-a")
    assert row["share_by_gender"]["kvinna"] == women_in_area / 2 and row["share_by_gender"]["man"] == 0
    assert row["flagged"] is flagged and kind["flagged"] is flagged


# --- A placement's closing date: gone from that day on ---------------------------------------------------


@pytest.mark.parametrize(("closed_on", "exists_at_end", "closed_in_march"), [
    (D(2026, 3, 30), False, 1),
    (D(2026, 3, 31), False, 1),   # closed on the period's last day: not among the placements that day
    (D(2026, 4, 1), True, 0),     # closed the day after: still there on 31 March, closed in April
])
def test_closing_date_edges(report_project, closed_on, exists_at_end, closed_in_march):
    PlacementFactory(capacity=3, available_from=D(2025, 1, 1), status=Placement.Status.CLOSED, closed_on=closed_on)
    placements = figures(report_project)["placements"]
    assert placements["total"] == (1 if exists_at_end else 0)
    assert placements["capacity"] == (3 if exists_at_end else 0)
    assert placements["closed"] == closed_in_march


@pytest.mark.parametrize(("available_from", "available_to", "exists_at_end"), [
    (D(2026, 3, 31), None, True), (D(2026, 4, 1), None, False),           # available from the last day or after
    (D(2025, 1, 1), D(2026, 3, 31), True), (D(2025, 1, 1), D(2026, 3, 30), False),  # available to the last day
])
def test_availability_window_edges(report_project, available_from, available_to, exists_at_end):
    PlacementFactory(capacity=2, available_from=available_from, available_to=available_to)
    assert figures(report_project)["placements"]["total"] == (1 if exists_at_end else 0)
