"""Figure calculations against the hand-computed March 2026 data set in conftest.py."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reporting.selectors import final_figures, monthly_figures
from reporting.suppression import SUPPRESSED, suppress_small_counts

from .conftest import MARCH, D, build_march_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(report_project, march_data):
    return monthly_figures(report_project, *MARCH)


def test_participants_count_starts_unique_and_anonymous(figures):
    participants = figures["participants"]
    # Starts in March: A twice (re-enrolment), B, C; E's start is in error; D and F started earlier.
    assert participants["starts"] == 4
    assert participants["unique"] == 3
    assert participants["re_enrolments"] == 1
    assert participants["anonymous"] == 1
    assert participants["by_gender"] == {"kvinna": 2, "man": 1, "icke-binär": 0}
    assert participants["starts_by_gender"] == {"kvinna": 3, "man": 1, "icke-binär": 0}
    # A is 36 at the first start, B 56, C has no birth year.
    assert participants["by_age_band"] == {"18–29": 0, "30–54": 1, "55+": 1, "okänd": 1}
    assert participants["by_agency"] == {"af": 3, "fk": 1, "ifo": 0}   # every agency, 0 when none


def test_exits_exclude_errors_and_other_periods(figures):
    exits = figures["exits"]
    # A (work), C (illness, interrupted), D (studies). E is in error, F exits in April.
    assert exits["total"] == 3
    assert exits["by_kind"] == {"enligt plan": 2, "avbruten": 1}
    assert exits["by_reason"] == {"arbete": 1, "sjukdom": 1, "studier": 1}
    assert exits["by_gender"] == {"kvinna": 2, "man": 1, "icke-binär": 0}


def test_outcome_share_is_over_people_who_began_a_placement(figures):
    outcome = figures["outcomes"]["work_or_studies"]
    # Exits in March: A (work, began P2 on 3/3), C (illness, never placed), D (studies, never placed).
    assert outcome["placed"] == 1     # A: the base of the share
    assert outcome["count"] == 1      # A
    assert outcome["share"] == 1.0
    assert outcome["exited"] == 3     # A, C, D
    assert outcome["count_all_exited"] == 2   # A and D
    assert outcome["share_all_exited"] == pytest.approx(0.6667)
    assert outcome["target"] == pytest.approx(0.30)


def test_followup_90_counts_the_follow_ups_due_in_the_period(report_project, march_data, figures):
    # March's exits are due in June: none is due in March.
    assert figures["followup_90"]["total"] == 0 and figures["followup_90"]["done"] == 0
    june = monthly_figures(report_project, D(2026, 6, 1), D(2026, 6, 30))["followup_90"]
    assert june["total"] == 3     # A (18/6), C (28/6), D (8/6); E is in error
    assert june["done"] == 2
    assert june["done_share"] == pytest.approx(0.6667)
    assert june["work_or_studies"]["count"] == 1
    assert june["work_or_studies"]["share"] == pytest.approx(0.5)
    # Built for a period ending before two of them were done: not done then.
    early = monthly_figures(report_project, D(2026, 6, 1), D(2026, 6, 10))["followup_90"]
    assert early["total"] == 1 and early["done"] == 1   # D's, due and done 8/6


def test_survey_statements_against_targets(figures, march_data):
    survey = figures["survey"]
    assert survey["invited"] == 2 and survey["answered"] == 2
    by_number = {row["number"]: row for row in survey["statements"]}
    assert by_number[1]["answers"] == 2 and by_number[1]["yes"] == 2
    assert by_number[1]["share"] == 1.0 and by_number[1]["target"] == 1.0 and by_number[1]["met"] is True
    assert by_number[2]["answers"] == 2 and by_number[2]["yes"] == 1
    assert by_number[2]["share"] == 0.5 and by_number[2]["target"] == pytest.approx(0.95)
    assert by_number[2]["met"] is False


def test_referrals_received_by_agency(figures):
    referrals = figures["referrals"]
    # B (fk 1/3), C (af 5/3), G (fk 15/3), A's second (af 21/3); E's is in error.
    assert referrals["total"] == 4
    assert referrals["by_agency"] == {"af": 2, "fk": 2, "ifo": 0}
    assert referrals["by_gender"] == {"kvinna": 2, "man": 2, "icke-binär": 0}


def test_waiting_list_at_period_end(figures):
    waiting = figures["waiting_list"]
    # A's second referral (10 days), F (58 days, exits only in April), G (16 days, not started).
    assert waiting["total"] == 3
    assert waiting["without_start"] == 1
    assert waiting["without_placement"] == 2
    assert waiting["by_gender"] == {"kvinna": 2, "man": 1, "icke-binär": 0}
    assert waiting["by_state"] == {"waiting": 3, "requested": 0, "booked": 0, "finished": 0}
    assert waiting["waiting_for_placement"] == 3
    assert waiting["days_mean"] == pytest.approx(28.0)
    assert waiting["days_median"] == 16


def test_placements_at_period_end(figures):
    placements = figures["placements"]
    # P1 (cap 2, B on it), P2 (cap 1, two ongoing: overbooked by one), P4 (paused, cap 3); P3 closed 20/3.
    assert placements["total"] == 3
    assert placements["capacity"] == 6
    assert placements["occupied"] == 3   # the truth, not capped at capacity
    assert placements["overbooked"] == 1
    assert placements["free"] == 1    # P1: 2 − 1; P2: none (full); P4 paused
    assert placements["new"] == 1
    assert placements["closed"] == 1
    by_org = {row["name"]: row for row in placements["by_organisation"]}
    assert by_org["Organisation X"]["placements"] == 2
    # Places are capacity: P1 (2) + paused P4 (3) = 5 places of 100 employees, against a 3 % target.
    assert by_org["Organisation X"]["capacity"] == 5
    assert by_org["Organisation X"]["share"] == pytest.approx(0.05)
    assert by_org["Organisation X"]["target"] == pytest.approx(0.03)
    assert by_org["Organisation X"]["met"] is True
    # Y: only P2 (1 place; P3 closed) of 50 employees = 2 % < 3 %.
    assert by_org["Organisation Y"]["share"] == pytest.approx(0.02)
    assert by_org["Organisation Y"]["met"] is False
    assert by_org["Organisation Y"]["placements"] == 1
    assert by_org["Organisation Y"]["occupied"] == 2
    assert by_org["Organisation X"]["occupied"] == 1 and by_org["Organisation X"]["free"] == 1
    by_area = {row["code"]: row for row in placements["by_area"]}
    assert by_area["vard"]["placements"] == 2 and by_area["vard"]["occupied"] == 1
    assert by_area["lager"]["placements"] == 1 and by_area["lager"]["occupied"] == 2
    assert placements["occupied_by_gender"] == {"kvinna": 0, "man": 1, "icke-binär": 0}


def test_equality_days_and_kind_of_placement(figures):
    days = figures["equality"]["days_to_start"]
    # Women: 20, 4, 0 days → 8.0; men: 10 days.
    assert days["by_gender"]["kvinna"] == {"count": 3, "mean_days": 8.0}
    assert days["by_gender"]["man"] == {"count": 1, "mean_days": 10.0}
    assert days["max_difference"] == 2.0
    assert days["flagged"] is False
    kind = figures["equality"]["placement_kind"]
    areas = {row["code"]: row for row in kind["by_area"]}
    assert areas["vard"]["by_gender"]["man"] == 1 and areas["vard"]["by_gender"]["kvinna"] == 0
    assert areas["lager"]["by_gender"]["kvinna"] == 1
    assert kind["flagged"] is True


def test_equality_threshold_is_configurable(report_project, march_data, settings):
    settings.REPORT_EQUALITY_THRESHOLD_DAYS = 1
    figures = monthly_figures(report_project, *MARCH)
    assert figures["equality"]["days_to_start"]["threshold_days"] == 1
    assert figures["equality"]["days_to_start"]["flagged"] is True


def test_trend_covers_twelve_months(figures):
    trend = figures["trend"]
    assert trend["months"][0] == "2025-04" and trend["months"][-1] == "2026-03"
    assert len(trend["starts"]) == len(trend["exits"]) == len(trend["placements"]) == 12
    assert trend["starts"][-3:] == [1, 1, 4]     # D in January, F in February, four in March
    assert trend["exits"][-1] == 3
    assert trend["placements"][0] == 2           # P1 and P4 in April 2025
    assert trend["placements"][-2] == 3          # P1, P3, P4 in February 2026
    assert trend["placements"][-1] == 3          # P1, P2, P4 in March 2026


def test_small_counts_are_suppressed_for_the_steering_group(figures, settings):
    settings.SMALL_COUNT_THRESHOLD = 5
    shown = suppress_small_counts(figures)
    assert shown["meta"]["suppressed"] is True
    assert shown["participants"]["unique"] == SUPPRESSED == "<5"
    # 2 + 1 = 3 "<5" cells adding up to a "<5" total: the zero is hidden too (".."), or the reader could
    # pin both down from the starts table's bounds.
    assert shown["participants"]["by_gender"]["kvinna"] == "<5" and shown["participants"]["by_gender"]["man"] == "<5"
    assert shown["exits"]["by_reason"]["arbete"] == "<5"
    assert shown["outcomes"]["work_or_studies"]["share"] is None   # 2 of 3 would reveal people
    assert shown["trend"]["starts"][-3:] == ["<5", "<5", "<5"]
    assert shown["waiting_list"]["days_median"] is None
    # Places are not people: placement figures stay.
    assert shown["placements"]["total"] == 3
    # The original is untouched (the project leader's raw JSON).
    assert figures["participants"]["unique"] == 3


def test_suppression_threshold_is_configurable(figures, settings):
    settings.SMALL_COUNT_THRESHOLD = 3
    shown = suppress_small_counts(figures)
    assert shown["participants"]["anonymous"] == "<3"
    assert shown["waiting_list"]["by_state"]["waiting"] == 3      # not below the threshold: shown
    assert shown["waiting_list"]["by_gender"] == {"kvinna": "<3", "man": "<3", "icke-binär": 0}


def test_final_figures_include_targets_and_project_facts(report_project, march_data):
    from organisations.models import ProjectGroupMember, ProjectPartner

    ProjectPartner.objects.create(project=report_project, name="Region Testland", role="co_financier",
                                  co_financing_amount=250000)
    ProjectGroupMember.objects.create(project=report_project, group="steering", name="Stina", gender="kvinna")
    ProjectGroupMember.objects.create(project=report_project, group="steering", name="Sven", gender="man")
    ProjectGroupMember.objects.create(project=report_project, group="contact", name="Lena", email="l@x.test")
    figures = final_figures(report_project, *MARCH)
    assert figures["targets"]["participants"] == {"target": 10, "outcome": 3, "share": 0.3}
    assert figures["groups"]["steering"]["by_gender"] == {"kvinna": 1, "man": 1, "icke-binär": 0}
    assert figures["budget"]["co_financing_total"] == 250000
    assert figures["contacts"][0]["name"] == "Lena"
    assert figures["placements"]["used"]["placements"] == 2   # P1 (B) and P2 (A)


def _count_queries(func):
    with CaptureQueriesContext(connection) as ctx:
        func()
    return len(ctx.captured_queries)


@pytest.mark.parametrize("builder", [monthly_figures, final_figures])
def test_query_count_does_not_grow_with_data(report_project, builder, django_assert_max_num_queries):
    build_march_dataset(report_project)
    small = _count_queries(lambda: builder(report_project, *MARCH))
    for i in range(5):
        build_march_dataset(report_project, suffix=f"-{i}")
    with django_assert_max_num_queries(small):
        figures = builder(report_project, *MARCH)
    assert figures["participants"]["starts"] == 24
    # ~31 for the sections of reporting.selectors, plus reporting.indicators' (monthly: goals 2, first-page
    # comparison with last month 13, supervisors 7, need and supply 6, before/after 9, the rest 1–2 each).
    assert small <= (80 if builder is monthly_figures else 70)
