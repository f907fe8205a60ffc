"""Every figure of the monthly and final reports pinned to the exact value on a small hand-made data set, with
both sides of each rule: the period's edges, the day of a stock figure, rounding, medians, thresholds, and
what counts nowhere. Figures are read from the reports' documented keys (the README's key table), so the tests
hold whatever way the figures are computed."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import Gender
from organisations.models import ProjectGroupMember, ProjectPartner
from organisations.tests.factories import (
    AgencyFactory,
    OccupationalAreaFactory,
    OrganisationFactory,
    ProjectFactory,
    UnitFactory,
)
from participants.models import Correction, ExitKind, FollowUp90, Participant, SurveyStatement
from participants.tests.factories import ParticipantFactory, ReferralFactory
from placements.models import Assignment, Placement
from placements.tests.factories import AssignmentFactory, PlacementFactory
from reporting.models import ReportRun
from reporting.selectors import final_figures, monthly_figures, monthly_report_figures
from reporting.suppression import hidden_in_months

from .conftest import MARCH, activity, build_march_dataset, exit_reason, make_exit, statement, survey

pytestmark = pytest.mark.django_db
D = dt.date
WOMAN, MAN, NON_BINARY = Gender.WOMAN.value, Gender.MAN.value, Gender.NON_BINARY.value


def genders(woman=0, man=0, non_binary=0, **unknown):
    return {WOMAN: woman, MAN: man, NON_BINARY: non_binary, **unknown}


def referral(project, *, referred=None, started=None, gender=WOMAN, birth_year=1990, agency="af", **kw):
    """A referral made on `referred` (default: the start, else 1 March) and started on `started`."""
    return ReferralFactory(project=project, referral_date=referred or started or D(2026, 3, 1), start_date=started,
                           agency=AgencyFactory(code=agency), participant__gender=gender,
                           participant__birth_year=birth_year, **kw)


def march(project):
    return monthly_figures(project, *MARCH)


# --- participants: starts, unique, agencies, age at the first start in the period ------------------------


def test_participants_section_in_full(report_project):
    woman = ParticipantFactory(gender=WOMAN, birth_year=1997)          # 29 on her first start
    for day in (D(2026, 3, 1), D(2026, 3, 31)):                         # both edges: two starts, one person
        ReferralFactory(project=report_project, participant=woman, agency=AgencyFactory(code="af"),
                        referral_date=D(2026, 2, 1), start_date=day)
    referral(report_project, started=D(2026, 3, 9), gender=MAN, birth_year=1971, agency="fk")        # 55
    referral(report_project, started=D(2026, 3, 9), gender=NON_BINARY, birth_year=1996, agency="fk")  # 30
    anonymous = Participant.objects.create(identity=Participant.Identity.ANONYMOUS, gender=MAN)
    ReferralFactory(project=report_project, participant=anonymous, agency=AgencyFactory(code="ifo"),
                    referral_date=D(2026, 3, 2), start_date=D(2026, 3, 2))
    referral(report_project, started=D(2026, 2, 28), gender=MAN)       # the day before: not in March
    referral(report_project, started=D(2026, 4, 1), gender=MAN)        # the day after
    assert march(report_project)["participants"] == {
        "starts": 5, "unique": 4, "anonymous": 1, "re_enrolments": 1,
        "by_gender": genders(woman=1, man=2, non_binary=1),
        "starts_by_gender": genders(woman=2, man=2, non_binary=1),
        "by_age_band": {"18–29": 1, "30–54": 1, "55+": 1, "okänd": 1},
        "by_agency": {"af": 2, "fk": 2, "ifo": 1},
    }


def test_an_anonymous_person_with_two_starts_is_one_anonymous_participant(report_project):
    anonymous = Participant.objects.create(identity=Participant.Identity.ANONYMOUS, gender=MAN)
    for day in (D(2026, 3, 2), D(2026, 3, 20)):
        ReferralFactory(project=report_project, participant=anonymous, referral_date=day, start_date=day)
    figures = march(report_project)["participants"]
    assert (figures["starts"], figures["unique"], figures["anonymous"]) == (2, 1, 1)


def test_age_is_taken_at_the_first_start_of_a_period_over_new_year(report_project):
    person = ParticipantFactory(gender=WOMAN, birth_year=1996)
    for day in (D(2025, 12, 10), D(2026, 1, 10)):     # 29 at the first start, 30 at the second
        ReferralFactory(project=report_project, participant=person, referral_date=day, start_date=day)
    bands = monthly_figures(report_project, D(2025, 12, 1), D(2026, 1, 31))["participants"]["by_age_band"]
    assert bands == {"18–29": 1, "30–54": 0, "55+": 0, "okänd": 0}


def test_a_record_without_gender_still_counts_under_unknown(report_project):
    """Gender is required on entry; a row stored without one (old data) is counted, under "okänd"."""
    for gender in ("", "", WOMAN):
        make_exit(referral(report_project, started=D(2026, 3, 2), gender=gender), D(2026, 3, 20))
    referral(report_project, referred=D(2026, 3, 5), gender="")       # waiting on 31/3
    figures = march(report_project)
    expected = genders(woman=1, **{"okänd": 2})
    assert figures["participants"]["by_gender"] == figures["participants"]["starts_by_gender"] == expected
    assert figures["exits"]["by_gender"] == expected
    assert figures["referrals"]["by_gender"] == genders(woman=1, **{"okänd": 3})
    assert figures["waiting_list"]["by_gender"] == genders(**{"okänd": 1})


# --- referrals received ----------------------------------------------------------------------------------


def test_referrals_section_in_full(report_project):
    for day in (D(2026, 2, 28), D(2026, 3, 1), D(2026, 3, 31), D(2026, 4, 1)):
        referral(report_project, referred=day, gender=WOMAN, agency="af")
    referral(report_project, referred=D(2026, 3, 10), gender=MAN, agency="af")
    referral(report_project, referred=D(2026, 3, 10), gender=MAN, agency="fk")
    in_error = referral(report_project, referred=D(2026, 3, 11), agency="fk")
    make_exit(in_error, D(2026, 3, 12), kind=ExitKind.REGISTERED_IN_ERROR)
    assert march(report_project)["referrals"] == {
        "total": 4, "by_agency": {"af": 3, "fk": 1, "ifo": 0}, "by_gender": genders(woman=2, man=2),
    }


# --- the waiting list on the period's last day -----------------------------------------------------------


@pytest.mark.parametrize(("days", "mean", "median"), [
    ([], None, None),
    ([7], 7.0, 7),
    ([10, 21], 15.5, 15.5),
    ([1, 5, 31], 12.3, 5),           # mean 12.333…: one decimal
    ([1, 5, 30, 40], 19.0, 17.5),    # an even count: the mean of the middle two
    ([1, 2, 3, 40, 50], 19.2, 3),    # the middle one of five
    ([5, 5, 5, 40], 13.8, 5),        # the middle two on the same day
    ([3, 3, 9, 9], 6.0, 6),          # the middle two on different days, each day twice
])
def test_waiting_days_mean_and_median(report_project, days, mean, median):
    for n in days:
        referral(report_project, referred=MARCH[1] - dt.timedelta(days=n))
    waiting = march(report_project)["waiting_list"]
    assert (waiting["total"], waiting["days_mean"], waiting["days_median"]) == (len(days), mean, median)


def test_waiting_days_are_counted_across_genders_on_the_same_day(report_project):
    """Starts referred on the same day but of different genders are counted apart and their days together."""
    for n, gender in ((4, WOMAN), (4, MAN), (4, NON_BINARY), (10, MAN), (30, WOMAN)):
        referral(report_project, referred=MARCH[1] - dt.timedelta(days=n), gender=gender)
    waiting = march(report_project)["waiting_list"]
    assert (waiting["total"], waiting["days_mean"], waiting["days_median"]) == (5, 10.4, 4)
    assert waiting["by_gender"] == genders(woman=2, man=2, non_binary=1)


def test_waiting_list_section_in_full(report_project):
    on = MARCH[1]
    referral(report_project, referred=D(2026, 3, 1), gender=WOMAN)                       # waiting
    referral(report_project, referred=D(2026, 3, 1), started=on, gender=MAN)             # waiting, started on 31/3
    referral(report_project, referred=D(2026, 3, 1), started=D(2026, 4, 1), gender=NON_BINARY)  # starts later
    booked = referral(report_project, referred=D(2026, 3, 11), started=D(2026, 3, 12), gender=WOMAN)
    AssignmentFactory(referral=booked, status=Assignment.Status.CONFIRMED, start_date=D(2026, 4, 6),
                      decided_at=timezone.make_aware(dt.datetime(2026, 3, 20, 12)))
    requested = referral(report_project, referred=D(2026, 3, 21), started=D(2026, 3, 22), gender=WOMAN)
    asked = AssignmentFactory(referral=requested, status=Assignment.Status.REQUESTED, start_date=D(2026, 4, 6))
    Assignment.objects.filter(pk=asked.pk).update(created_at=timezone.make_aware(dt.datetime(2026, 3, 25, 12)))
    finished = referral(report_project, referred=D(2026, 3, 1), started=D(2026, 3, 2), gender=MAN)
    AssignmentFactory(referral=finished, status=Assignment.Status.COMPLETED, start_date=D(2026, 3, 2),
                      end_date=D(2026, 3, 20))
    placed = referral(report_project, referred=D(2026, 3, 1), started=D(2026, 3, 2))     # on a placement: not
    AssignmentFactory(referral=placed, status=Assignment.Status.ONGOING, start_date=D(2026, 3, 2))
    make_exit(referral(report_project, referred=D(2026, 3, 1)), on)                       # exited on 31/3: not
    referral(report_project, referred=D(2026, 4, 1))                                     # referred later: not
    ReferralFactory(referral_date=D(2026, 3, 1))                                          # another project's: not
    # days waiting on 31/3: 30, 30, 30, 20, 10, 30 → mean 25.0, median 30
    assert march(report_project)["waiting_list"] == {
        "total": 6, "without_start": 2, "without_placement": 4,
        "by_state": {"waiting": 3, "requested": 1, "booked": 1, "finished": 1},
        "waiting_for_placement": 3,
        "by_gender": genders(woman=3, man=2, non_binary=1),
        "days_mean": 25.0, "days_median": 30,
    }


# --- exits and what came after ---------------------------------------------------------------------------


def test_exits_section_in_full(report_project):
    work, illness = exit_reason("arbete", "Arbete", True), exit_reason("sjukdom", "Sjukdom", False)
    started = {"started": D(2026, 1, 5), "referred": D(2026, 1, 1)}
    make_exit(referral(report_project, gender=WOMAN, **started), D(2026, 3, 1), reason=work)
    make_exit(referral(report_project, gender=MAN, **started), D(2026, 3, 31), reason=work)
    make_exit(referral(report_project, gender=MAN, **started), D(2026, 3, 15), kind=ExitKind.INTERRUPTED,
              reason=illness)
    make_exit(referral(report_project, gender=NON_BINARY, **started), D(2026, 3, 15), reason=None)
    make_exit(referral(report_project, **started), D(2026, 2, 28), reason=work)
    make_exit(referral(report_project, **started), D(2026, 4, 1), reason=work)
    make_exit(referral(report_project, **started), D(2026, 3, 15), kind=ExitKind.REGISTERED_IN_ERROR, reason=work)
    make_exit(ReferralFactory(referral_date=D(2026, 1, 1)), D(2026, 3, 15), reason=work)   # another project's
    assert march(report_project)["exits"] == {
        "total": 4,
        "by_kind": {"enligt plan": 3, "avbruten": 1},
        "by_reason": {"arbete": 2, "sjukdom": 1, "okänd": 1},
        "by_gender": genders(woman=1, man=2, non_binary=1),
    }


def _placed(referral_, start_date, status=Assignment.Status.COMPLETED):
    return AssignmentFactory(referral=referral_, status=status, start_date=start_date,
                             end_date=start_date + dt.timedelta(days=5) if status == Assignment.Status.COMPLETED
                             else None)


def test_outcomes_count_unique_people_who_began_a_placement_by_their_exit(report_project):
    work, illness = exit_reason("arbete", "Arbete", True), exit_reason("sjukdom", "Sjukdom", False)
    # A: two referrals, both placed and exited to work in March: one person.
    a = ParticipantFactory(gender=WOMAN)
    for day in (D(2026, 3, 10), D(2026, 3, 20)):
        a_ref = ReferralFactory(project=report_project, participant=a, referral_date=D(2026, 1, 1),
                                start_date=D(2026, 1, 2))
        _placed(a_ref, D(2026, 2, 1))
        make_exit(a_ref, day, reason=work)
    # B: began on the day of the exit: counts as placed; to work.
    b = referral(report_project, started=D(2026, 1, 2), referred=D(2026, 1, 1))
    _placed(b, D(2026, 3, 12), Assignment.Status.ONGOING)
    make_exit(b, D(2026, 3, 12), reason=work)
    # C: began the day after the exit: not placed; to work.
    c = referral(report_project, started=D(2026, 1, 2), referred=D(2026, 1, 1))
    _placed(c, D(2026, 3, 13), Assignment.Status.ONGOING)
    make_exit(c, D(2026, 3, 12), reason=work)
    # D: only booked, never began: not placed; ill.
    d = referral(report_project, started=D(2026, 1, 2), referred=D(2026, 1, 1))
    _placed(d, D(2026, 3, 1), Assignment.Status.CONFIRMED)
    make_exit(d, D(2026, 3, 15), reason=illness)
    # E: placed, ill.
    e = referral(report_project, started=D(2026, 1, 2), referred=D(2026, 1, 1))
    _placed(e, D(2026, 2, 1))
    make_exit(e, D(2026, 3, 15), reason=illness)
    # F: placed, to work, but the exit was registered in error.
    f = referral(report_project, started=D(2026, 1, 2), referred=D(2026, 1, 1))
    _placed(f, D(2026, 2, 1))
    make_exit(f, D(2026, 3, 15), kind=ExitKind.REGISTERED_IN_ERROR, reason=work)
    report_project.target_work_or_studies_percent = Decimal("33.33")
    report_project.save()
    assert march(report_project)["outcomes"] == {"work_or_studies": {
        "count": 2, "placed": 3, "share": 0.6667,           # A, B of A, B, E
        "exited": 5, "count_all_exited": 3, "share_all_exited": 0.6,   # A, B, C of A–E
        "target": 0.3333,
    }}


def test_outcomes_count_a_person_placed_several_times_by_their_exit_once(report_project):
    work, studies = exit_reason("arbete", "Arbete", True), exit_reason("studier", "Studier", True)
    # G: three placements begun before the exit (two done, one running), one more done after it; to work.
    g = referral(report_project, started=D(2026, 1, 2), referred=D(2026, 1, 1))
    for day in (D(2026, 1, 10), D(2026, 2, 1)):
        _placed(g, day)
    _placed(g, D(2026, 3, 1), Assignment.Status.ONGOING)
    _placed(g, D(2026, 3, 20))
    make_exit(g, D(2026, 3, 12), reason=work)
    # H: two placements begun before the exit; to studies.
    h = referral(report_project, started=D(2026, 1, 2), referred=D(2026, 1, 1), gender=MAN)
    for day in (D(2026, 1, 10), D(2026, 2, 1)):
        _placed(h, day)
    make_exit(h, D(2026, 3, 15), reason=studies)
    figures = march(report_project)
    outcomes = figures["outcomes"]["work_or_studies"]
    assert {key: outcomes[key] for key in ("count", "placed", "share", "exited", "count_all_exited")} == {
        "count": 2, "placed": 2, "share": 1.0, "exited": 2, "count_all_exited": 2}
    by_gender = figures["outcomes_by_gender"]
    assert by_gender[WOMAN] == {"placed": 1, "work": 1, "studies": 0, "work_or_studies": 1, "share": 1.0}
    assert by_gender[MAN] == {"placed": 1, "work": 0, "studies": 1, "work_or_studies": 1, "share": 1.0}


def test_outcomes_without_exits_have_no_share(report_project):
    assert march(report_project)["outcomes"]["work_or_studies"] == {
        "count": 0, "placed": 0, "share": None, "exited": 0, "count_all_exited": 0, "share_all_exited": None,
        "target": 0.3,
    }


def test_followup_90_due_and_done_by_the_period_end(report_project):
    work, seeking = activity("arbete", "Arbete", True), activity("arbetssokande", "Arbetssökande", False)

    def followup(due, done=None, act=None, kind=ExitKind.AS_PLANNED):
        exit_ = make_exit(referral(report_project, started=D(2025, 11, 1), referred=D(2025, 11, 1)),
                          due - dt.timedelta(days=90), kind=kind)
        FollowUp90.objects.create(exit=exit_, due_on=due, done_on=done, activity=act)

    followup(D(2026, 3, 1), D(2026, 3, 1), work)        # due the first day, done: work
    followup(D(2026, 3, 31), D(2026, 3, 31), work)      # due and done the last day: work
    followup(D(2026, 3, 15), D(2026, 3, 20), seeking)   # done, seeking work
    followup(D(2026, 3, 15), D(2026, 4, 1), work)       # done only after the period: not done
    followup(D(2026, 3, 20))                            # not done
    followup(D(2026, 2, 28), D(2026, 3, 1), work)       # due before the period
    followup(D(2026, 4, 1), D(2026, 3, 31), work)       # due after the period
    followup(D(2026, 3, 15), D(2026, 3, 15), work, kind=ExitKind.REGISTERED_IN_ERROR)
    assert march(report_project)["followup_90"] == {
        "total": 5, "done": 3, "done_share": 0.6,
        "work_or_studies": {"count": 2, "share": 0.6667},
    }


def test_followup_90_of_another_project_counts_nowhere(report_project):
    other = make_exit(ReferralFactory(referral_date=D(2025, 11, 1), start_date=D(2025, 11, 1)), D(2025, 12, 1))
    FollowUp90.objects.create(exit=other, due_on=D(2026, 3, 1), done_on=D(2026, 3, 2),
                              activity=activity("arbete", "Arbete", True))
    assert march(report_project)["followup_90"] == {
        "total": 0, "done": 0, "done_share": None, "work_or_studies": {"count": 0, "share": None}}


def test_survey_section_in_full(report_project):
    s1, s2 = statement(1, "Bra bemötande", 66.67), statement(2, "Närmare arbete", 67)
    statement(3, "Tom", 50)                                       # nobody answered it
    SurveyStatement.objects.filter(pk=statement(4, "Inaktiv", 50).pk).update(active=False)

    def answered(day, answers, kind=ExitKind.AS_PLANNED):
        return survey(make_exit(referral(report_project, started=D(2026, 1, 2), referred=D(2026, 1, 1)), day,
                                kind=kind), answers)

    answered(D(2026, 3, 1), {s1: True, s2: True})
    answered(D(2026, 3, 31), {s1: True, s2: False})
    answered(D(2026, 3, 15), {s1: False, s2: True})
    answered(D(2026, 2, 28), {s1: False, s2: False})                      # before the period
    answered(D(2026, 3, 15), {s1: False}, kind=ExitKind.REGISTERED_IN_ERROR)
    unanswered = answered(D(2026, 3, 20), {})
    unanswered.answered_at = None
    unanswered.save()
    figures = march(report_project)["survey"]
    assert (figures["invited"], figures["answered"]) == (4, 3)
    rows = {row["number"]: row for row in figures["statements"]}
    assert 4 not in rows
    assert [row["number"] for row in figures["statements"]] == sorted(rows)
    assert rows[1] == {"number": 1, "text": "Bra bemötande", "answers": 3, "yes": 2, "share": 0.6667,
                       "target": 0.6667, "met": True}        # share equal to the target: met
    assert rows[2] == {"number": 2, "text": "Närmare arbete", "answers": 3, "yes": 2, "share": 0.6667,
                       "target": 0.67, "met": False}
    assert rows[3] == {"number": 3, "text": "Tom", "answers": 0, "yes": 0, "share": None, "target": 0.5,
                       "met": None}


# --- placements on the period's last day -----------------------------------------------------------------


def test_placements_section_in_full(report_project):
    parent = OrganisationFactory(name="Region", employee_count=100, placement_target_percent=Decimal("3"))
    child = OrganisationFactory(name="Sjukhuset", parent=parent, employee_count=35)   # 3 % of 35 → 2 places
    other = OrganisationFactory(name="Kommunen", employee_count=None)
    care = OccupationalAreaFactory(code="vard", name="Vård", sort_order=2)
    storage = OccupationalAreaFactory(code="lager", name="Lager", sort_order=1)
    kitchen = OccupationalAreaFactory(code="kok", name="Kök", sort_order=2)
    p1 = PlacementFactory(unit=UnitFactory(organisation=child), occupational_area=care, capacity=2,
                          available_from=D(2026, 3, 1))                           # new on the first day
    p2 = PlacementFactory(unit=UnitFactory(organisation=parent), occupational_area=storage, capacity=1,
                          available_from=D(2026, 3, 31))                          # new on the last day
    PlacementFactory(unit=UnitFactory(organisation=other), occupational_area=kitchen, capacity=4,
                     available_from=D(2025, 1, 1), status=Placement.Status.PAUSED)
    PlacementFactory(unit=UnitFactory(organisation=other), occupational_area=kitchen, capacity=1,
                     available_from=D(2026, 2, 28))                               # new the day before
    PlacementFactory(unit=UnitFactory(organisation=other), capacity=1, available_from=D(2025, 1, 1),
                     status=Placement.Status.CLOSED, closed_on=D(2026, 3, 1))      # closed on the first day
    PlacementFactory(unit=UnitFactory(organisation=other), capacity=1, available_from=D(2025, 1, 1),
                     status=Placement.Status.CLOSED, closed_on=D(2026, 2, 28))     # closed the day before
    PlacementFactory(capacity=1, available_from=D(2026, 4, 1))                     # new the day after
    woman = referral(report_project, started=D(2026, 3, 2))
    AssignmentFactory(placement=p1, referral=woman, status=Assignment.Status.ONGOING, start_date=D(2026, 3, 2))
    for gender in (MAN, MAN):
        AssignmentFactory(placement=p2, referral=referral(report_project, started=D(2026, 3, 2), gender=gender),
                          status=Assignment.Status.ONGOING, start_date=D(2026, 3, 31))
    AssignmentFactory(placement=p1, status=Assignment.Status.ONGOING, start_date=D(2026, 3, 2))  # other project
    figures = march(report_project)["placements"]
    assert {key: value for key, value in figures.items() if key not in ("by_organisation", "by_area")} == {
        "total": 4, "capacity": 8, "occupied": 4, "free": 1, "overbooked": 1, "new": 2, "closed": 1,
        "occupied_by_gender": genders(woman=1, man=2),
    }
    rows = {row["name"]: row for row in figures["by_organisation"]}
    assert rows["Sjukhuset"] == {
        "name": "Sjukhuset", "parent": "Region", "placements": 1, "capacity": 2, "occupied": 2, "free": 0,
        "employee_count": 35, "share": 0.0571, "target": 0.03, "target_placements": 2, "met": True,
    }
    assert rows["Region"] == {
        "name": "Region", "parent": None, "placements": 2, "capacity": 3, "occupied": 4, "free": 0,
        "employee_count": 135, "share": 0.0222, "target": 0.03, "target_placements": 5, "met": False,
    }
    assert rows["Kommunen"] == {
        "name": "Kommunen", "parent": None, "placements": 2, "capacity": 5, "occupied": 0, "free": 1,
        "employee_count": None, "share": None, "target": 0.03, "target_placements": None, "met": None,
    }
    assert figures["by_area"] == [
        {"code": "lager", "name": "Lager", "placements": 1, "capacity": 1, "occupied": 2},
        {"code": "kok", "name": "Kök", "placements": 2, "capacity": 5, "occupied": 0},
        {"code": "vard", "name": "Vård", "placements": 1, "capacity": 2, "occupied": 2},
    ]


def test_an_organisation_with_places_equal_to_its_target_has_met_it(report_project):
    exact = OrganisationFactory(name="Exakt", employee_count=100, placement_target_percent=Decimal("3"))
    short = OrganisationFactory(name="Under", employee_count=101, placement_target_percent=Decimal("3"))
    for org in (exact, short):
        PlacementFactory(unit=UnitFactory(organisation=org), capacity=3, available_from=D(2026, 1, 1))
    rows = {row["name"]: row for row in march(report_project)["placements"]["by_organisation"]}
    assert (rows["Exakt"]["share"], rows["Exakt"]["met"]) == (0.03, True)       # 3 of 100: the target
    assert (rows["Under"]["share"], rows["Under"]["met"]) == (0.0297, False)    # 3 of 101: just under


def test_a_person_on_two_placements_on_the_day_is_one_person_on_placement(report_project):
    woman = ParticipantFactory(gender=WOMAN)
    for day in (D(2026, 3, 2), D(2026, 3, 9)):                  # two starts, one placement each, both ongoing
        start = ReferralFactory(project=report_project, participant=woman, referral_date=day, start_date=day)
        AssignmentFactory(placement=PlacementFactory(capacity=1, available_from=D(2026, 1, 1)), referral=start,
                          status=Assignment.Status.ONGOING, start_date=day)
    figures = march(report_project)["placements"]
    assert (figures["occupied"], figures["occupied_by_gender"]) == (2, genders(woman=1))


def test_target_in_places_is_whole_places(report_project):
    OrganisationFactory(name="Hundra", employee_count=100, placement_target_percent=Decimal("3"))   # 3.0000…4
    OrganisationFactory(name="Tjugo", employee_count=20, placement_target_percent=Decimal("2.5"))   # 0.5 → 1
    rows = {row["name"]: row for row in march(report_project)["placements"]["by_organisation"]}
    assert (rows["Hundra"]["target_placements"], rows["Tjugo"]["target_placements"]) == (3, 1)


# --- equality ----------------------------------------------------------------------------------------------


def test_equality_days_to_start_by_gender(report_project, settings):
    settings.REPORT_EQUALITY_THRESHOLD_DAYS = 3
    for days in (1, 1, 2):                                         # women: 1.333… → 1.3
        referral(report_project, referred=D(2026, 3, 10) - dt.timedelta(days=days), started=D(2026, 3, 10))
    referral(report_project, referred=D(2026, 3, 5), started=D(2026, 3, 10), gender=MAN)     # men: 5.0
    referral(report_project, referred=D(2026, 2, 20), started=D(2026, 4, 1), gender=MAN)     # starts in April
    days = march(report_project)["equality"]["days_to_start"]
    assert days == {
        "threshold_days": 3,
        "by_gender": {WOMAN: {"count": 3, "mean_days": 1.3}, MAN: {"count": 1, "mean_days": 5.0},
                      NON_BINARY: {"count": 0, "mean_days": None}},
        "max_difference": 3.7, "flagged": True,
    }


def test_equality_days_need_two_genders(report_project):
    referral(report_project, referred=D(2026, 3, 1), started=D(2026, 3, 30))
    days = march(report_project)["equality"]["days_to_start"]
    assert (days["max_difference"], days["flagged"]) == (None, False)


def test_equality_placement_kind_in_full(report_project, settings):
    settings.REPORT_EQUALITY_THRESHOLD_SHARE = 0.2
    care = OccupationalAreaFactory(code="vard", name="Vård")
    storage = OccupationalAreaFactory(code="lager", name="Lager")
    in_care, in_storage = PlacementFactory(occupational_area=care), PlacementFactory(occupational_area=storage)
    for placement, gender, day in [(in_care, WOMAN, D(2026, 3, 1)), (in_care, WOMAN, D(2026, 3, 31)),
                                   (in_storage, WOMAN, D(2026, 3, 5)), (in_storage, MAN, D(2026, 3, 5)),
                                   (in_care, MAN, D(2026, 3, 6))]:
        AssignmentFactory(placement=placement, referral=referral(report_project, started=day, gender=gender),
                          status=Assignment.Status.ONGOING, start_date=day)
    outside = [(D(2026, 2, 28), Assignment.Status.COMPLETED), (D(2026, 4, 1), Assignment.Status.ONGOING),
               (D(2026, 3, 10), Assignment.Status.CONFIRMED)]
    for day, status in outside:
        AssignmentFactory(placement=in_storage, referral=referral(report_project, started=day, gender=MAN),
                          status=status, start_date=day)
    kind = march(report_project)["equality"]["placement_kind"]
    # Women: 2 of 3 in care (0.6667), men 1 of 2 (0.5): a spread of 0.1667 ≤ 0.2; storage 0.3333 vs 0.5.
    assert kind == {
        "threshold_share": 0.2,
        "total_by_gender": genders(woman=3, man=2),
        "by_area": [
            {"code": "lager", "name": "Lager", "by_gender": genders(woman=1, man=1),
             "share_by_gender": {WOMAN: 0.3333, MAN: 0.5}, "flagged": False},
            {"code": "vard", "name": "Vård", "by_gender": genders(woman=2, man=1),
             "share_by_gender": {WOMAN: 0.6667, MAN: 0.5}, "flagged": False},
        ],
        "flagged": False,
    }
    settings.REPORT_EQUALITY_THRESHOLD_SHARE = 0.16
    kind = march(report_project)["equality"]["placement_kind"]
    assert [area["flagged"] for area in kind["by_area"]] == [True, True] and kind["flagged"] is True


def test_equality_counts_a_record_without_gender_under_unknown_and_compares_genders_only(report_project, settings):
    """Gender is required on entry; a start stored without one (old data) is counted under "okänd" in the
    equality section as everywhere, and is no gender to compare: neither in the difference nor in the shares."""
    settings.REPORT_EQUALITY_THRESHOLD_DAYS = 3
    care = OccupationalAreaFactory(code="vard", name="Vård")
    placement = PlacementFactory(occupational_area=care, capacity=3)
    for gender, referred in [(WOMAN, D(2026, 3, 9)), (MAN, D(2026, 3, 8)), ("", D(2026, 2, 1))]:
        AssignmentFactory(placement=placement, status=Assignment.Status.ONGOING, start_date=D(2026, 3, 10),
                          referral=referral(report_project, referred=referred, started=D(2026, 3, 10), gender=gender))
    equality = march(report_project)["equality"]
    assert equality["days_to_start"] == {
        "threshold_days": 3,
        "by_gender": {WOMAN: {"count": 1, "mean_days": 1.0}, MAN: {"count": 1, "mean_days": 2.0},
                      NON_BINARY: {"count": 0, "mean_days": None}, "okänd": {"count": 1, "mean_days": 37.0}},
        "max_difference": 1.0, "flagged": False,
    }
    kind = equality["placement_kind"]
    assert kind["total_by_gender"] == genders(woman=1, man=1, **{"okänd": 1})
    assert kind["by_area"] == [{"code": "vard", "name": "Vård", "by_gender": genders(woman=1, man=1, **{"okänd": 1}),
                                "share_by_gender": {WOMAN: 1.0, MAN: 1.0}, "flagged": False}]


def test_placement_kind_with_one_gender_is_never_flagged(report_project, settings):
    settings.REPORT_EQUALITY_THRESHOLD_SHARE = 0.0
    AssignmentFactory(referral=referral(report_project, started=D(2026, 3, 5)), status=Assignment.Status.ONGOING,
                      start_date=D(2026, 3, 5))
    kind = march(report_project)["equality"]["placement_kind"]
    assert [area["flagged"] for area in kind["by_area"]] == [False] and kind["flagged"] is False


# --- the twelve-month trend ----------------------------------------------------------------------------------


def test_trend_counts_each_month_from_its_first_to_its_last_day(report_project):
    for day in (D(2025, 3, 31), D(2025, 4, 1), D(2025, 4, 30), D(2026, 3, 31), D(2026, 4, 1)):
        referral(report_project, referred=day, started=day)
    for day, kind in [(D(2025, 4, 1), ExitKind.AS_PLANNED), (D(2026, 3, 31), ExitKind.INTERRUPTED),
                      (D(2026, 3, 15), ExitKind.REGISTERED_IN_ERROR), (D(2025, 3, 31), ExitKind.AS_PLANNED)]:
        make_exit(referral(report_project, referred=D(2025, 1, 1)), day, kind=kind)
    PlacementFactory(available_from=D(2025, 4, 30))                        # from April 2025's last day
    PlacementFactory(available_from=D(2025, 5, 1))                         # from May
    PlacementFactory(available_from=D(2026, 3, 20))                        # exists on 31/3, not on 15/3
    PlacementFactory(available_from=D(2025, 1, 1), status=Placement.Status.CLOSED, closed_on=D(2025, 6, 1))
    trend = march(report_project)["trend"]
    assert trend["months"] == [f"{year}-{month:02d}" for year, month in
                               [(2025, m) for m in range(4, 13)] + [(2026, m) for m in range(1, 4)]]
    assert trend["starts"] == [2] + [0] * 10 + [1]
    assert trend["exits"] == [1] + [0] * 10 + [1]
    assert trend["placements"] == [2, 3] + [2] * 9 + [3]     # the closed one until May 2025's end
    mid_march = monthly_figures(report_project, D(2026, 3, 1), D(2026, 3, 15))["trend"]
    assert mid_march["placements"][-2:] == [2, 2]   # the last month's count is for the period's last day
    assert mid_march["starts"][-1] == 1           # the months are whole: 31 March still counts


# --- the first page's flow: began a placement in the period -----------------------------------------------


def test_began_a_placement_counts_people_whose_placement_started_in_the_period(report_project):
    twice = referral(report_project, started=D(2026, 3, 1))
    _placed(twice, D(2026, 3, 1))
    _placed(twice, D(2026, 3, 20), Assignment.Status.ONGOING)                        # the same person again
    _placed(referral(report_project, started=D(2026, 3, 1)), D(2026, 3, 31), Assignment.Status.ONGOING)
    _placed(referral(report_project, started=D(2026, 2, 1)), D(2026, 2, 28))        # February
    _placed(referral(report_project, started=D(2026, 3, 1)), D(2026, 4, 1), Assignment.Status.ONGOING)
    _placed(referral(report_project, started=D(2026, 3, 1)), D(2026, 3, 10), Assignment.Status.CONFIRMED)
    in_error = referral(report_project, started=D(2026, 3, 1))
    _placed(in_error, D(2026, 3, 10), Assignment.Status.ONGOING)
    make_exit(in_error, D(2026, 3, 11), kind=ExitKind.REGISTERED_IN_ERROR)
    AssignmentFactory(status=Assignment.Status.ONGOING, start_date=D(2026, 3, 10))    # another project's
    placed = march(report_project)["summary"]["placed"]
    assert (placed["value"], placed["previous"]) == (2, 1)


# --- meta, corrections, longer periods -----------------------------------------------------------------------


def test_meta_of_the_monthly_report(report_project, settings):
    settings.SMALL_COUNT_THRESHOLD = 4
    meta = march(report_project)["meta"]
    meta.pop("activities")      # added by reporting.indicators
    generated = meta.pop("generated_at")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", generated)
    reasons, work = meta.pop("exit_reasons"), meta.pop("work_or_studies_reasons")
    assert reasons["arbete"] == "Arbete" and reasons["sjukdom"] == "Sjukdom"
    assert {"arbete", "arbete-med-stod", "studier"} <= set(work) and not {"sjukdom", "flyttat"} & set(work)
    assert meta == {
        "kind": "monthly", "project": "sjalvklart-rapport", "project_name": "Självklart – rapportprojekt",
        "period_start": "2026-03-01", "period_end": "2026-03-31", "suppressed": False,
        "small_count_threshold": 4, "agencies": meta["agencies"], "corrected_since_earlier_report": 0,
    }
    assert set(meta["agencies"]) == {"af", "fk", "ifo"} and meta["agencies"]["af"]


def _run(project, kind, finished_at, status=ReportRun.Status.DONE, period=MARCH):
    return ReportRun.objects.create(kind=kind, project=project, period_start=period[0], period_end=period[1],
                                    status=status, finished_at=finished_at, figures={"meta": {}})


def test_a_report_says_how_many_records_were_corrected_since_the_period_was_first_built(report_project):
    at = lambda day: timezone.make_aware(dt.datetime(2026, 4, day, 12))   # noqa: E731
    exit_ = make_exit(referral(report_project, started=D(2026, 3, 2)), D(2026, 3, 20))

    def correction(day, affects=None, figures=True):
        affects = affects or (D(2026, 3, 20), D(2026, 3, 20))
        made = Correction.objects.create(referral=exit_.referral, participant=exit_.referral.participant,
                                         kind=Correction.Kind.EXIT, object_id=exit_.pk, fields="exit_date",
                                         reason="fel datum", affects_from=affects[0], affects_to=affects[1],
                                         affects_figures=figures)
        Correction.objects.filter(pk=made.pk).update(corrected_at=at(day))

    assert march(report_project)["meta"]["corrected_since_earlier_report"] == 0    # never built before
    _run(report_project, ReportRun.Kind.MONTHLY, at(10))                              # first built 10/4
    _run(report_project, ReportRun.Kind.MONTHLY, at(20))
    _run(report_project, ReportRun.Kind.MONTHLY, at(3), status=ReportRun.Status.FAILED)
    _run(report_project, ReportRun.Kind.MONTHLY, None)
    _run(report_project, ReportRun.Kind.FINAL, at(2))
    _run(report_project, ReportRun.Kind.MONTHLY, at(1), period=(D(2026, 3, 1), D(2026, 3, 30)))
    correction(5)                                          # before the first build: already in it
    correction(15)                                         # after it
    correction(25)                                         # after the second too: counted once
    correction(15, figures=False)                          # changes no figure
    correction(15, affects=(D(2026, 4, 1), D(2026, 4, 2)))   # another period
    assert march(report_project)["meta"]["corrected_since_earlier_report"] == 2
    final = final_figures(report_project, *MARCH)["meta"]["corrected_since_earlier_report"]
    assert final == 3                                      # the final report's first build was 2/4


def test_only_an_earlier_report_of_this_project_and_this_period_counts_for_corrections(report_project):
    at = lambda day: timezone.make_aware(dt.datetime(2026, 4, day, 12))   # noqa: E731
    exit_ = make_exit(referral(report_project, started=D(2026, 3, 2)), D(2026, 3, 20))
    _run(ProjectFactory(), ReportRun.Kind.MONTHLY, at(1))                                # another project's March
    _run(report_project, ReportRun.Kind.MONTHLY, at(1), period=(D(2026, 1, 1), D(2026, 3, 31)))   # the quarter
    made = Correction.objects.create(referral=exit_.referral, participant=exit_.referral.participant,
                                     kind=Correction.Kind.EXIT, object_id=exit_.pk, fields="exit_date",
                                     reason="fel datum", affects_from=D(2026, 3, 20), affects_to=D(2026, 3, 20),
                                     affects_figures=True)
    Correction.objects.filter(pk=made.pk).update(corrected_at=at(5))
    assert march(report_project)["meta"]["corrected_since_earlier_report"] == 0
    _run(report_project, ReportRun.Kind.MONTHLY, at(2))                                  # this March, first built
    assert march(report_project)["meta"]["corrected_since_earlier_report"] == 1


def test_placements_used_during_the_period(report_project):
    org_a, org_b = OrganisationFactory(), OrganisationFactory()
    p1, p2, p3 = (PlacementFactory(unit=UnitFactory(organisation=org)) for org in (org_a, org_a, org_b))
    finished = Assignment.Status.COMPLETED

    def assignment(placement, start, end=None, status=finished):
        AssignmentFactory(placement=placement, referral=referral(report_project, started=D(2026, 1, 2)),
                          status=status if end or status != finished else Assignment.Status.ONGOING,
                          start_date=start, end_date=end)

    assignment(p1, D(2026, 1, 5), D(2026, 3, 1))             # ended on the first day: used
    assignment(p1, D(2026, 3, 31))                           # began on the last day: used
    assignment(p2, D(2026, 1, 5))                            # ongoing throughout: used
    assignment(p3, D(2026, 1, 5), D(2026, 2, 28))            # ended the day before
    assignment(p3, D(2026, 4, 1))                            # began the day after
    assignment(p3, D(2026, 3, 10), status=Assignment.Status.CONFIRMED)   # booked, never began
    AssignmentFactory(placement=p3, status=Assignment.Status.ONGOING, start_date=D(2026, 3, 10))   # other project
    used = final_figures(report_project, *MARCH)["placements"]["used"]
    assert used == {"assignments": 3, "placements": 2, "organisations": 1}


def test_final_report_project_facts_in_full(report_project):
    report_project.funder = "ESF+"
    report_project.target_placements = 4
    report_project.budget_total, report_project.budget_spent = Decimal("300000"), Decimal("100000")
    report_project.target_work_or_studies_percent = Decimal("50")
    report_project.save()
    ProjectPartner.objects.create(project=report_project, name="Region B", role="partner",
                                  contribution="Lokaler")
    ProjectPartner.objects.create(project=report_project, name="Region A", role="partner", co_financing_amount=5)
    ProjectPartner.objects.create(project=report_project, name="Kommunen", role="co_financier",
                                  co_financing_amount=Decimal("250000"))
    ProjectPartner.objects.create(project=report_project, name="Arbetsförmedlingen", role="partner")
    member = lambda group, name, **kw: ProjectGroupMember.objects.create(   # noqa: E731
        project=report_project, group=group, name=name, **kw)
    member("steering", "Stina", gender=WOMAN, represents="Regionen")
    member("steering", "Sam", gender="")
    member("steering", "Siv", gender=WOMAN)
    member("reference", "Rut", gender=NON_BINARY, title="Handläggare")
    member("contact", "Lena", email="l@x.test", title="Projektledare", represents="Förbundet", gender=WOMAN)
    statement(1, "Bemötande", 50)
    exit_ = make_exit(referral(report_project, started=D(2026, 3, 2)), D(2026, 3, 20),
                      reason=exit_reason("arbete", "Arbete", True))
    survey(exit_, {SurveyStatement.objects.get(number=1): True})
    _placed(exit_.referral, D(2026, 3, 5))
    figures = final_figures(report_project, *MARCH)
    assert {key: figures["meta"][key] for key in ("kind", "funder", "owner", "project_start", "project_end",
                                                  "period_start", "period_end", "suppressed")} == {
        "kind": "final", "funder": "ESF+", "owner": "Samordningsförbundet", "project_start": "2025-01-01",
        "project_end": "2027-12-31", "period_start": "2026-03-01", "period_end": "2026-03-31", "suppressed": False,
    }
    assert figures["meta"]["exit_reasons"]["arbete"] == "Arbete" and "arbete" in figures["meta"][
        "work_or_studies_reasons"]
    targets = figures["targets"]
    assert {key: targets[key] for key in ("participants", "work_or_studies", "placements")} == {
        "participants": {"target": 10, "outcome": 1, "share": 0.1},
        "work_or_studies": {"target": 0.5, "outcome": 1.0, "outcome_all_exited": 1.0},
        "placements": {"target": 4, "outcome": 1},
    }
    assert targets["survey"][0] == {"number": 1, "text": "Bemötande", "target": 0.5, "outcome": 1.0, "met": True}
    assert len(targets["survey"]) == len(figures["survey"]["statements"])
    assert figures["partners"] == [
        {"name": "Kommunen", "role": "co_financier", "contribution": "", "co_financing_amount": 250000},
        {"name": "Arbetsförmedlingen", "role": "partner", "contribution": "", "co_financing_amount": 0},
        {"name": "Region A", "role": "partner", "contribution": "", "co_financing_amount": 5},
        {"name": "Region B", "role": "partner", "contribution": "Lokaler", "co_financing_amount": 0},
    ]
    assert figures["groups"] == {
        "steering": {"total": 3, "by_gender": genders(woman=2, **{"okänd": 1}), "members": [
            {"name": "Sam", "represents": "", "gender": ""},
            {"name": "Siv", "represents": "", "gender": WOMAN},
            {"name": "Stina", "represents": "Regionen", "gender": WOMAN}]},
        "reference": {"total": 1, "by_gender": genders(non_binary=1), "members": [
            {"name": "Rut", "represents": "", "gender": NON_BINARY}]},
    }
    assert figures["contacts"] == [{"name": "Lena", "title": "Projektledare", "represents": "Förbundet",
                                    "email": "l@x.test"}]
    assert figures["budget"] == {"total": 300000, "spent": 100000, "spent_share": 0.3333,
                                 "co_financing_total": 250005}


def test_final_report_without_budget(report_project):
    assert final_figures(report_project, *MARCH)["budget"] == {
        "total": 0, "spent": 0, "spent_share": None, "co_financing_total": 0}


SHARED_SECTIONS = ("participants", "referrals", "waiting_list", "exits", "outcomes", "followup_90", "survey",
                   "equality")


def test_final_report_sections_are_the_monthly_ones_for_the_same_period(report_project):
    build_march_dataset(report_project)
    period = (D(2026, 3, 5), D(2026, 6, 20))     # edges that cut through the data set
    final, monthly = final_figures(report_project, *period), monthly_figures(report_project, *period)
    for key in SHARED_SECTIONS:
        assert final[key] == monthly[key], key
    assert {**final["placements"], "used": None} == {**monthly["placements"], "used": None}
    assert final["participants"]["starts"] == 3 and final["waiting_list"]["total"] == 2


def test_each_report_has_its_own_extra_sections(report_project):
    build_march_dataset(report_project)
    monthly, final = march(report_project), final_figures(report_project, *MARCH)
    assert "summary" in monthly and "esf" not in monthly
    assert "esf" in final and "summary" not in final
    assert monthly["survey"]["response_rate"] == final["survey"]["response_rate"] == 1.0


def test_a_quarter_also_hides_what_its_months_hide(report_project, settings):
    settings.SMALL_COUNT_THRESHOLD = 3
    build_march_dataset(report_project)
    months = [(D(2026, 1, 1), D(2026, 1, 31)), (D(2026, 2, 1), D(2026, 2, 28)), MARCH]
    quarter = monthly_report_figures(report_project, D(2026, 1, 1), D(2026, 3, 31))
    expected = hidden_in_months([monthly_figures(report_project, *month) for month in months])
    assert expected and quarter["_hidden_in_months"] == expected
    assert quarter["participants"] == monthly_figures(report_project, D(2026, 1, 1), D(2026, 3, 31))["participants"]
    assert "_hidden_in_months" not in monthly_report_figures(report_project, *MARCH)
    assert "_hidden_in_months" not in monthly_report_figures(report_project, D(2026, 1, 2), D(2026, 3, 31))
