"""A small, hand-countable data set for March 2026 (see the comments for every expected figure)."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from config.celery import app
from core.models import Gender
from organisations.tests.factories import (
    AgencyFactory,
    OccupationalAreaFactory,
    OrganisationFactory,
    ProjectFactory,
    UnitFactory,
)
from participants.models import (
    Activity,
    ExitKind,
    ExitReason,
    FollowUp90,
    Participant,
    SurveyAnswer,
    SurveyInvitation,
    SurveyStatement,
)
from participants.tests.factories import ExitFactory, ParticipantFactory, ReferralFactory
from placements.models import Assignment, Placement
from placements.tests.factories import AssignmentFactory, PlacementFactory
from reporting import selectors

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
D = dt.date


def exit_reason(code, name, work_or_studies):
    reason, _ = ExitReason.objects.get_or_create(
        code=code, defaults={"name": name, "is_work_or_studies": work_or_studies})
    return reason


def activity(code, name, work_or_studies):
    obj, _ = Activity.objects.get_or_create(code=code, defaults={"name": name, "is_work_or_studies": work_or_studies})
    return obj


def statement(number, text, target):
    obj, _ = SurveyStatement.objects.update_or_create(
        number=number, defaults={"text": text, "target_percent": target, "active": True})
    return obj


def make_exit(referral, date, kind=ExitKind.AS_PLANNED, reason=None):
    return ExitFactory(referral=referral, exit_date=date, kind=kind, reason=reason)


def survey(exit_, answers: dict):
    invitation = SurveyInvitation.objects.create(
        exit=exit_, token_hash=f"hash-{exit_.pk}", expires_at=timezone.now(), answered_at=timezone.now())
    for stmt, agrees in answers.items():
        SurveyAnswer.objects.create(invitation=invitation, statement=stmt, agrees=agrees)
    return invitation


def build_march_dataset(project, *, suffix=""):
    """One copy of the data set. Every figure below is for project `project`, March 2026."""
    af = AgencyFactory(code="af", name="Arbetsförmedlingen")
    fk = AgencyFactory(code="fk", name="Försäkringskassan")
    work = exit_reason("arbete", "Arbete", True)
    studies = exit_reason("studier", "Studier", True)
    illness = exit_reason("sjukdom", "Sjukdom", False)
    act_work = activity("arbete", "Arbete", True)
    act_seeking = activity("arbetssokande", "Arbetssökande", False)
    s1 = statement(1, "Jag har blivit väl bemött", 100)
    s2 = statement(2, "Jag står närmare arbetsmarknaden", 95)

    def person(gender, birth_year, **kwargs):
        return ParticipantFactory(gender=gender, birth_year=birth_year, **kwargs)

    def referral(participant, agency, referral_date, start_date=None):
        return ReferralFactory(participant=participant, project=project, agency=agency,
                               referral_date=referral_date, start_date=start_date)

    # A: woman, 1990 (36 at first start) — two starts in March (re-enrolment), first exit to work.
    a = person(Gender.WOMAN, 1990)
    a1 = referral(a, af, D(2026, 2, 10), D(2026, 3, 2))     # 20 days to start
    referral(a, af, D(2026, 3, 21), D(2026, 3, 25))    # 4 days; waiting 10 days at 31/3
    a1_exit = make_exit(a1, D(2026, 3, 20), reason=work)
    # B: man, 1970 (56) — FK, one start, placed at P1 from 15/3.
    b = person(Gender.MAN, 1970)
    b1 = referral(b, fk, D(2026, 3, 1), D(2026, 3, 11))      # 10 days
    # C: anonymous woman, no birth year — start and interrupted exit in March.
    c = Participant.objects.create(identity=Participant.Identity.ANONYMOUS, gender=Gender.WOMAN)
    c1 = referral(c, af, D(2026, 3, 5), D(2026, 3, 5))       # 0 days
    make_exit(c1, D(2026, 3, 30), kind=ExitKind.INTERRUPTED, reason=illness)
    # D: man, 1960 — started in January (outside), exit to studies in March.
    d = person(Gender.MAN, 1960)
    d1 = referral(d, af, D(2026, 1, 1), D(2026, 1, 15))
    d1_exit = make_exit(d1, D(2026, 3, 10), reason=studies)
    # E: woman — everything in March, but the exit was registered in error: counts nowhere.
    e = person(Gender.WOMAN, 2000)
    e1 = referral(e, fk, D(2026, 3, 3), D(2026, 3, 6))
    e1_exit = make_exit(e1, D(2026, 3, 8), kind=ExitKind.REGISTERED_IN_ERROR, reason=work)
    # F: woman, 1985 — started in February, exit in April (outside); waiting 58 days at 31/3.
    f = person(Gender.WOMAN, 1985)
    f1 = referral(f, af, D(2026, 2, 1), D(2026, 2, 5))
    f1_exit = make_exit(f1, D(2026, 4, 2), reason=work)
    # G: man, 1995 — referred 15/3, not started: waiting 16 days.
    g = person(Gender.MAN, 1995)
    referral(g, fk, D(2026, 3, 15))

    # 90-day follow-ups: A's done in work, D's done seeking, C's not done; E's (in error) ignored.
    FollowUp90.objects.create(exit=a1_exit, due_on=D(2026, 6, 18), done_on=D(2026, 6, 18), activity=act_work)
    FollowUp90.objects.create(exit=d1_exit, due_on=D(2026, 6, 8), done_on=D(2026, 6, 8), activity=act_seeking)
    FollowUp90.objects.create(exit=c1.exit, due_on=D(2026, 6, 28))
    FollowUp90.objects.create(exit=e1_exit, due_on=D(2026, 6, 6), done_on=D(2026, 6, 6), activity=act_work)

    # Survey: A yes/no, D yes/yes; E (in error) and F (April) are outside.
    survey(a1_exit, {s1: True, s2: False})
    survey(d1_exit, {s1: True, s2: True})
    survey(e1_exit, {s1: False})
    survey(f1_exit, {s1: False})

    # Placements: X has P1 (cap 2) and P4 (paused, cap 3); Y has P2 (cap 1, new 10/3) and P3 (closed 20/3).
    org_x = OrganisationFactory(name=f"Organisation X{suffix}", employee_count=100)
    org_y = OrganisationFactory(name=f"Organisation Y{suffix}", employee_count=50)
    unit_x = UnitFactory(organisation=org_x)
    unit_y = UnitFactory(organisation=org_y)
    care = OccupationalAreaFactory(code="vard", name="Hälso- och sjukvård")
    storage = OccupationalAreaFactory(code="lager", name="Transport, distribution, lager")
    p1 = PlacementFactory(unit=unit_x, occupational_area=care, capacity=2, available_from=D(2025, 1, 1))
    p2 = PlacementFactory(unit=unit_y, occupational_area=storage, capacity=1, available_from=D(2026, 3, 10))
    PlacementFactory(unit=unit_y, occupational_area=storage, capacity=1, available_from=D(2025, 6, 1),
                     status=Placement.Status.CLOSED, closed_on=D(2026, 3, 20))
    PlacementFactory(unit=unit_x, occupational_area=care, capacity=3, available_from=D(2025, 1, 1),
                     status=Placement.Status.PAUSED)
    AssignmentFactory(placement=p1, referral=b1, status=Assignment.Status.ONGOING,
                      start_date=D(2026, 3, 15), planned_end_date=D(2026, 6, 30))
    AssignmentFactory(placement=p2, referral=a1, status=Assignment.Status.COMPLETED,
                      start_date=D(2026, 3, 3), planned_end_date=D(2026, 3, 19), end_date=D(2026, 3, 19))
    # Two ongoing assignments of another project's participants on P2 (capacity 1): overbooked, and the
    # reports say so (occupied 2, overbooked 1) instead of hiding it.
    for _ in range(2):
        AssignmentFactory(placement=p2, status=Assignment.Status.ONGOING,
                          start_date=D(2026, 3, 12), planned_end_date=D(2026, 5, 1))
    return SimpleNamespace(a=a, b=b, c=c, d=d, e=e, f=f, g=g, org_x=org_x, org_y=org_y, s1=s1, s2=s2)


@pytest.fixture
def report_project(db):
    owner = OrganisationFactory(name="Samordningsförbundet", employee_count=None)
    return ProjectFactory(slug="sjalvklart-rapport", name="Självklart – rapportprojekt", owner=owner,
                          target_participants=10)


@pytest.fixture
def march_data(report_project):
    return build_march_dataset(report_project)


@pytest.fixture
def committed_march(settings):
    """The March data set, committed (for tests across connections), with report figures kept."""
    settings.REPORT_FIGURES_REUSE_SECONDS = 3600
    owner = OrganisationFactory(name="Samordningsförbundet", employee_count=None)
    project = ProjectFactory(slug="sjalvklart-rapport", name="Självklart – rapportprojekt", owner=owner,
                             target_participants=10)
    build_march_dataset(project)
    return project


@pytest.fixture
def computed(monkeypatch):
    """How many times each report's figures were computed (not taken from an earlier build)."""
    counts = {"monthly": 0, "final": 0}
    for kind, name in (("monthly", "monthly_report_figures"), ("final", "final_figures")):
        real = getattr(selectors, name)

        def counting(*args, real=real, kind=kind):
            counts[kind] += 1
            return real(*args)

        monkeypatch.setattr(selectors, name, counting)
    return counts


@pytest.fixture
def local_today(monkeypatch):
    """Sets today in Stockholm for the test: `local_today(D(2027, 1, 15))`. Only timezone.localdate() without an
    argument changes; with a datetime it converts it as before."""
    real = timezone.localdate

    def set_today(day: dt.date) -> dt.date:
        def localdate(value=None, timezone=None):
            return day if value is None else real(value, timezone)

        monkeypatch.setattr("django.utils.timezone.localdate", localdate)
        return day

    return set_today


@pytest.fixture
def unreachable_broker():
    """A real Celery publish against a closed port: kombu raises OperationalError after ~2 s."""
    previous = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:9/0"
    _reset_connections()
    yield
    app.conf.task_always_eager, app.conf.broker_url = previous
    _reset_connections()


def _reset_connections():
    app._pool = None
    app.amqp._producer_pool = None
