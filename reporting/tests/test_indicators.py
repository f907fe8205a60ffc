"""The plan's, Finsam's and ESF+ figures (reporting.indicators) against a small hand-counted data set.

March 2026, project 2025-01-01 – 2026-12-31. Organisations: Region R (100 employees, target 3 %) with
its förvaltning F (100 employees, target 2 %), and K (50 employees, no target). Placements: P1 at F,
care, capacity 2, since 2024; P2 at R, care, capacity 1, from 2026-02-15; P3 at K, IT, capacity 1,
from 2026-03-10. Supervisors: S1 (F, trained 2025) on P1, S2 (R, untrained) on P2, S3 (K, trained only
in April) on P3. People: A (woman, 1990) exits 20/3 to work after P1; B (man, 1970) starts 2/3 and exits
28/3 ill after P3; C (anonymous woman) starts 5/3 and waits, interested in industry; D (man, 1960)
exited 2025 to studies, 6-month follow-up due and done in March (studies); E (man) referred 10/3,
waits, interested in care and industry.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import Gender
from organisations.models import Supervisor
from organisations.tests.factories import (
    AgencyFactory,
    OccupationalAreaFactory,
    OrganisationFactory,
    ProjectFactory,
    SupervisorFactory,
    UnitFactory,
)
from participants.models import (
    Activity,
    ExitKind,
    ExitReason,
    FollowUp6Months,
    FollowUp90,
    Participant,
    SupportKind,
    SurveyInvitation,
)
from participants.tests.factories import ExitFactory, ParticipantFactory, ReferralFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory, PlacementFactory
from reporting.selectors import final_figures, monthly_figures
from reporting.suppression import suppress_small_counts

pytestmark = pytest.mark.django_db
D = dt.date
MARCH = (D(2026, 3, 1), D(2026, 3, 31))


def _category(model, code, **defaults):
    return model.objects.get_or_create(code=code, defaults={"name": code.capitalize(), **defaults})[0]


@pytest.fixture
def world(db):
    owner = OrganisationFactory(name="Förbundet", employee_count=None)
    project = ProjectFactory(owner=owner, start_date=D(2025, 1, 1), end_date=D(2026, 12, 31))
    region = OrganisationFactory(name="Region R", employee_count=100, placement_target_percent=Decimal(3))
    forv = OrganisationFactory(name="Förvaltning F", employee_count=100, placement_target_percent=Decimal(2),
                               parent=region)
    kommun = OrganisationFactory(name="Kommun K", employee_count=50, placement_target_percent=Decimal(3),
                                 baseline_percent=Decimal("0.5"))
    care = OccupationalAreaFactory(code="t-vard", name="Vård")
    industry = OccupationalAreaFactory(code="t-industri", name="Industri")
    it = OccupationalAreaFactory(code="t-it", name="IT")
    unit_f, unit_r, unit_k = UnitFactory(organisation=forv), UnitFactory(organisation=region), UnitFactory(
        organisation=kommun)
    s1 = SupervisorFactory(unit=unit_f, training_completed_on=D(2025, 5, 1))
    s2 = SupervisorFactory(unit=unit_r, training_completed_on=None)
    s3 = SupervisorFactory(unit=unit_k, training_completed_on=D(2026, 4, 10))
    Supervisor.objects.update(created_at=timezone.make_aware(dt.datetime(2025, 1, 2)))
    p1 = PlacementFactory(unit=unit_f, occupational_area=care, capacity=2, available_from=D(2024, 6, 1),
                          supervisor=s1)
    PlacementFactory(unit=unit_r, occupational_area=care, capacity=1, available_from=D(2026, 2, 15), supervisor=s2)
    p3 = PlacementFactory(unit=unit_k, occupational_area=it, capacity=1, available_from=D(2026, 3, 10),
                          supervisor=s3)

    af = AgencyFactory(code="af", name="Arbetsförmedlingen")
    work = _category(ExitReason, "arbete", is_work_or_studies=True)
    studies = _category(ExitReason, "studier", is_work_or_studies=True)
    ill = _category(ExitReason, "sjukdom", is_work_or_studies=False)
    act = {code: _category(Activity, code, is_work_or_studies=code in ("arbete", "studier"))
           for code in ("arbete", "studier", "arbetssökande", "annat")}
    a_kassa = _category(SupportKind, "a-kassa", group=SupportKind.Group.LABOUR_MARKET)
    sick = _category(SupportKind, "sjukpenning", group=SupportKind.Group.ILL_HEALTH)
    none = _category(SupportKind, "ingen", group=SupportKind.Group.OTHER)

    def referral(participant, referral_date, start_date=None, **kwargs):
        return ReferralFactory(participant=participant, project=project, agency=af, referral_date=referral_date,
                               start_date=start_date, **kwargs)

    a = referral(ParticipantFactory(gender=Gender.WOMAN, birth_year=1990), D(2026, 2, 1), D(2026, 2, 5),
                 education_level="isced_3_4", labour_market_status="långtidsarbetslös",
                 activity_before=act["arbetssökande"], support_before=a_kassa)
    AssignmentFactory(placement=p1, referral=a, status=Assignment.Status.COMPLETED, start_date=D(2026, 2, 10),
                      planned_end_date=D(2026, 3, 15), end_date=D(2026, 3, 15))
    a_exit = ExitFactory(referral=a, exit_date=D(2026, 3, 20), kind=ExitKind.AS_PLANNED, reason=work,
                                 activity_after=act["arbete"], support_after=none)
    FollowUp90.objects.create(exit=a_exit, due_on=D(2026, 6, 18))
    b = referral(ParticipantFactory(gender=Gender.MAN, birth_year=1970), D(2026, 3, 1), D(2026, 3, 2),
                 education_level="isced_0_2", labour_market_status="inaktiv", activity_before=act["annat"],
                 support_before=sick)
    AssignmentFactory(placement=p3, referral=b, status=Assignment.Status.COMPLETED, start_date=D(2026, 3, 10),
                      planned_end_date=D(2026, 3, 25), end_date=D(2026, 3, 25))
    b_exit = ExitFactory(referral=b, exit_date=D(2026, 3, 28), kind=ExitKind.INTERRUPTED, reason=ill,
                                 activity_after=act["annat"], support_after=sick)
    c = referral(Participant.objects.create(identity=Participant.Identity.ANONYMOUS, gender=Gender.WOMAN),
                 D(2026, 3, 5), D(2026, 3, 5))
    c.interests.set([industry])
    d = referral(ParticipantFactory(gender=Gender.MAN, birth_year=1960), D(2025, 8, 1), D(2025, 8, 5))
    d_exit = ExitFactory(referral=d, exit_date=D(2025, 9, 30), kind=ExitKind.AS_PLANNED, reason=studies,
                                 activity_after=act["studier"])
    FollowUp6Months.objects.create(exit=d_exit, due_on=D(2026, 3, 30), done_on=D(2026, 3, 31),
                                   activity=act["studier"], support=none)
    e = referral(ParticipantFactory(gender=Gender.MAN, birth_year=1980), D(2026, 3, 10))
    e.interests.set([care, industry])
    SurveyInvitation.objects.create(exit=a_exit, token_hash="a", expires_at=timezone.now(),
                                    answered_at=timezone.now())
    SurveyInvitation.objects.create(exit=b_exit, token_hash="b", expires_at=timezone.now())
    return project


def _by_name(rows):
    return {row["name"]: row for row in rows}


def test_goal_measures_per_organisation_against_baseline_and_target(world):
    goals = monthly_figures(world, *MARCH)["goals"]
    rows = _by_name(goals["by_organisation"])
    region = rows["Region R"]  # rolled up: 200 employees; 2 places on 1/1 2025, 3 on 31/3 2026
    assert (region["employees"], region["baseline"], region["share"], region["target"]) == (200, 0.01, 0.015, 0.03)
    # expected on 31/3: 1 % + (3 % − 1 %) × 454/729 of the project's time = 2.25 %: behind
    assert region["expected"] == 0.0225 and region["status"] == "behind"
    assert region["target_places"] == 6
    assert region["share_12_months_ago"] == 0.01 and len(region["trend"]) == 12
    assert (rows["Förvaltning F"]["share"], rows["Förvaltning F"]["status"]) == (0.02, "met")
    # K's recorded baseline 0.5 %: expected 0.5 % + 2.5 % × 454/729 = 2.06 % > 2 %: behind
    assert (rows["Kommun K"]["baseline"], rows["Kommun K"]["share"], rows["Kommun K"]["status"]) == (
        0.005, 0.02, "behind")
    # the region as a whole: roots R and K, 4 places of 250 employees (2 on the first day); target 3 %
    assert goals["overall"] == {"baseline": 0.008, "share": 0.016, "target": 0.03, "status": "behind",
                                "trend": goals["overall"]["trend"]}
    assert goals["overall"]["trend"][-1] == 0.016


def test_supervisors_trained_by_the_period_end(world):
    supervisors = monthly_figures(world, *MARCH)["supervisors"]
    assert (supervisors["total"], supervisors["trained"], supervisors["untrained"]) == (3, 1, 2)
    assert (supervisors["open_placements"], supervisors["open_without_trained"]) == (3, 2)  # P2 and P3
    rows = _by_name(supervisors["by_organisation"])
    assert (rows["Region R"]["trained"], rows["Region R"]["untrained"], rows["Region R"]["open_without_trained"]) \
        == (1, 1, 1)
    assert (rows["Kommun K"]["trained"], rows["Kommun K"]["untrained"]) == (0, 1)


def test_need_against_supply_lists_every_area_gaps_first(world):
    rows = monthly_figures(world, *MARCH)["need_supply"]["by_area"]
    ours = [(row["name"], row["waiting_interested"], row["free"], row["gap"]) for row in rows
            if row["name"] in ("Vård", "Industri", "IT")]
    assert ours == [("Industri", 2, 0, 2), ("IT", 0, 1, -1), ("Vård", 1, 3, -2)]


def test_before_at_exit_and_after_90_days(world):
    table = monthly_figures(world, *MARCH)["before_after"]
    assert (table["total"], table["followed_up_90"]) == (2, 0)
    assert table["activity"]["before"] == {"arbete": 0, "studier": 0, "arbetssökande": 1, "annat": 1, "okänd": 0}
    assert table["activity"]["at_exit"] == {"arbete": 1, "studier": 0, "arbetssökande": 0, "annat": 1, "okänd": 0}
    assert table["activity"]["after_90"]["ej uppföljd"] == 2
    assert table["support"]["before"] == {"ohälsa": 1, "arbetsmarknadsstöd": 1, "ekonomiskt bistånd": 0,
                                          "övrigt": 0, "okänd": 0}
    assert table["support"]["at_exit"] == {"ohälsa": 1, "arbetsmarknadsstöd": 0, "ekonomiskt bistånd": 0,
                                           "övrigt": 1, "okänd": 0}


def test_anonymous_by_start_year_and_gender(world):
    assert monthly_figures(world, *MARCH)["anonymous"] == {
        "by_year": [{"year": 2026, "by_gender": {"kvinna": 1, "man": 0, "icke-binär": 0}, "total": 1}]}


def test_outcomes_by_gender(world):
    outcomes = monthly_figures(world, *MARCH)["outcomes_by_gender"]
    assert outcomes["kvinna"] == {"placed": 1, "work": 1, "studies": 0, "work_or_studies": 1, "share": 1.0}
    assert outcomes["man"] == {"placed": 1, "work": 0, "studies": 0, "work_or_studies": 0, "share": 0.0}
    assert outcomes["icke-binär"]["share"] is None


def test_six_month_follow_up_due_in_the_period(world):
    assert monthly_figures(world, *MARCH)["followup_6m"] == {
        "total": 1, "done": 1, "done_share": 1.0, "work_or_studies": {"count": 1, "share": 1.0}}


def test_outcomes_per_host_organisation_and_area(world):
    hosts = monthly_figures(world, *MARCH)["outcomes_by_host"]
    assert hosts["by_organisation"] == [
        {"name": "Förvaltning F", "completed": 1, "work_or_studies": 1, "share": 1.0},
        {"name": "Kommun K", "completed": 1, "work_or_studies": 0, "share": 0.0},
    ]
    assert [(row["name"], row["completed"], row["share"]) for row in hosts["by_area"]] == [
        ("IT", 1, 0.0), ("Vård", 1, 1.0)]


def test_outcomes_per_host_count_each_person_once_per_host_and_area(db):
    """One person who completed placements in two areas of one host and exited twice in the period (once to work):
    once in the host's row (to work: one of its exits), once in each area's (to work as the exit of the start it
    belonged to); a person whose exit has no reason is not to work."""
    project = ProjectFactory(start_date=D(2025, 1, 1), end_date=D(2026, 12, 31))
    host, other = OrganisationFactory(name="Värd V"), OrganisationFactory(name="Värd W")
    care, it = OccupationalAreaFactory(name="Vård", code="vard"), OccupationalAreaFactory(name="IT", code="it")
    work = _category(ExitReason, "arbete", is_work_or_studies=True)
    idle = _category(ExitReason, "annat", is_work_or_studies=False)
    person = ParticipantFactory()

    def completed(placement, referral, ended):
        AssignmentFactory(placement=placement, referral=referral, status=Assignment.Status.COMPLETED,
                          start_date=ended - dt.timedelta(days=30), planned_end_date=ended, end_date=ended)

    first, second = (ReferralFactory(project=project, participant=person, referral_date=D(2026, 1, 1))
                     for _ in range(2))
    completed(PlacementFactory(unit=UnitFactory(organisation=host), occupational_area=care), first, D(2026, 3, 5))
    completed(PlacementFactory(unit=UnitFactory(organisation=host), occupational_area=it), second, D(2026, 3, 6))
    ExitFactory(referral=first, exit_date=D(2026, 3, 10), reason=work)
    ExitFactory(referral=second, exit_date=D(2026, 3, 12), reason=idle)
    alone = ReferralFactory(project=project, referral_date=D(2026, 1, 1))
    completed(PlacementFactory(unit=UnitFactory(organisation=other), occupational_area=it), alone, D(2026, 3, 7))
    ExitFactory(referral=alone, exit_date=D(2026, 3, 20), reason=None)
    hosts = monthly_figures(project, *MARCH)["outcomes_by_host"]
    assert hosts["by_organisation"] == [
        {"name": "Värd V", "completed": 1, "work_or_studies": 1, "share": 1.0},
        {"name": "Värd W", "completed": 1, "work_or_studies": 0, "share": 0.0},
    ]
    assert hosts["by_area"] == [
        {"name": "IT", "code": "it", "completed": 2, "work_or_studies": 0, "share": 0.0},
        {"name": "Vård", "code": "vard", "completed": 1, "work_or_studies": 1, "share": 1.0},
    ]


def test_survey_response_rate(world):
    assert monthly_figures(world, *MARCH)["survey"]["response_rate"] == 0.5


def test_first_page_has_last_months_figures(world):
    summary = monthly_figures(world, *MARCH)["summary"]
    assert summary["placements"] == {"value": 3, "previous": 2, "target": None}
    assert summary["exited"] == {"value": 2, "previous": 0, "target": None}
    assert summary["waiting"]["value"] == 2          # C and E
    assert summary["goal_share"]["value"] == 0.016 and summary["goal_share"]["target"] == 0.03


def test_esf_breakdowns_in_the_final_report(world):
    esf = final_figures(world, *MARCH)["esf"]
    assert esf["starts_by_gender"] == {"kvinna": 1, "man": 1, "icke-binär": 0}   # B and C started in March
    assert esf["by_age_band"]["55+"] == {"kvinna": 0, "man": 1, "icke-binär": 0}
    assert esf["by_age_band"]["okänd"] == {"kvinna": 1, "man": 0, "icke-binär": 0}
    assert esf["by_education"]["isced_0_2"]["man"] == 1 and esf["by_education"]["okänd"]["kvinna"] == 1
    assert esf["by_status"]["inaktiv"]["man"] == 1 and esf["by_status"]["långtidsarbetslös"]["kvinna"] == 0
    assert esf["results"]["exited"] == {"kvinna": 1, "man": 1, "icke-binär": 0}
    assert esf["results"]["work_or_studies_at_exit"] == {"kvinna": 1, "man": 0, "icke-binär": 0}


def test_steering_group_sees_the_new_counts_suppressed(world):
    shown = suppress_small_counts(monthly_figures(world, *MARCH))
    assert shown["outcomes_by_gender"]["kvinna"]["placed"] == "<5"
    assert shown["outcomes_by_gender"]["kvinna"]["share"] is None
    industry = next(row for row in shown["need_supply"]["by_area"] if row["name"] == "Industri")
    assert (industry["waiting_interested"], industry["free"], industry["gap"]) == ("<5", 0, None)
    assert shown["before_after"]["total"] == "<5"
    assert shown["survey"]["response_rate"] is None
    assert shown["summary"]["exited"]["value"] == "<5"


def test_leaders_dashboard_shows_which_hosts_lead_to_work(client, leader, world):
    client.force_login(leader)
    html = client.get(reverse("reporting:dashboard"), {"project": world.pk, "month": "2026-03"}).content.decode()
    assert ('<tr><th scope="row">Förvaltning F</th><td class="num">1</td><td class="num">1</td>'
            '<td class="num">100\u00a0%</td></tr>') in html
    assert '<tr><th scope="row">Industri</th><td class="num">2</td><td class="num">0</td>' in html
