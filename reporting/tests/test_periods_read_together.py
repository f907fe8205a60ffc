"""The monthly report reads the previous month's exits and outcomes (its first page) in the same query as the
month's: each month's figures are the ones read on their own, a person who exits in both months counted in each."""

import datetime as dt

import pytest

from core.models import Gender
from participants.tests.factories import ParticipantFactory, ReferralFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory
from reporting.selectors import (
    exits_section,
    monthly_figures,
    outcome_rows,
    outcome_rows_of,
    outcomes_section,
    previous_month_of,
)

from .conftest import MARCH, exit_reason, make_exit

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def two_months(report_project, march_data):
    work = exit_reason("arbete", "Arbete", True)
    person = ParticipantFactory(gender=Gender.WOMAN)
    for exited in (D(2026, 2, 27), D(2026, 3, 2)):   # the same person exits in February and in March
        start = ReferralFactory(project=report_project, participant=person, referral_date=exited - dt.timedelta(60),
                                start_date=exited - dt.timedelta(50))
        AssignmentFactory(referral=start, status=Assignment.Status.COMPLETED, start_date=exited - dt.timedelta(40),
                          planned_end_date=exited - dt.timedelta(5), end_date=exited - dt.timedelta(5))
        make_exit(start, exited, reason=work)
    make_exit(ReferralFactory(project=report_project, referral_date=D(2026, 2, 1)), D(2026, 2, 1))   # edges
    make_exit(ReferralFactory(project=report_project, referral_date=D(2026, 1, 1)), D(2026, 1, 31))  # not Feb
    return report_project


def test_the_previous_month_is_the_month_before_the_period(report_project):
    assert previous_month_of(D(2026, 3, 1)) == previous_month_of(D(2026, 3, 15)) == (D(2026, 2, 1), D(2026, 2, 28))
    assert previous_month_of(D(2026, 1, 1)) == (D(2025, 12, 1), D(2025, 12, 31))


def test_each_month_read_together_is_the_month_read_alone(two_months):
    february = previous_month_of(MARCH[0])
    alone = [outcome_rows(two_months, *MARCH), outcome_rows(two_months, *february)]
    assert outcome_rows_of(two_months, [MARCH, february]) == alone
    assert alone[0] != alone[1] and all(rows for rows in alone)
    figures = monthly_figures(two_months, *MARCH)
    assert figures["exits"] == exits_section(two_months, *MARCH)
    assert figures["outcomes"] == outcomes_section(two_months, *MARCH)
    previous_exits = exits_section(two_months, *february)
    previous_outcome = outcomes_section(two_months, *february)["work_or_studies"]
    assert previous_exits["total"] == 2
    assert figures["summary"]["exited"]["previous"] == previous_exits["total"]
    assert (figures["summary"]["work_or_studies"]["previous_count"],
            figures["summary"]["work_or_studies"]["previous_placed"],
            figures["summary"]["work_or_studies"]["previous"]) == (
        previous_outcome["count"], previous_outcome["placed"], previous_outcome["share"])
    assert (previous_outcome["count"], previous_outcome["placed"]) == (1, 1)   # the woman, counted in February too


def test_overlapping_periods_are_read_one_by_one(two_months):
    quarter, march = (D(2026, 1, 1), MARCH[1]), MARCH
    assert outcome_rows_of(two_months, [quarter, march]) == [outcome_rows(two_months, *quarter),
                                                            outcome_rows(two_months, *march)]
