"""`manage.py seed_demo` and the category lists the data migrations create."""

import datetime as dt
import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from core.models import Role, User
from demo.builder import DEMO_ACCOUNTS
from organisations.models import (
    Adaptation,
    Agency,
    AgencyMembership,
    AgencyProgramme,
    ManagerScope,
    OccupationalArea,
    Organisation,
    Project,
    ProjectGroupMember,
    ProjectPartner,
    Unit,
)
from organisations.permissions import units_managed_by
from participants.models import (
    Activity,
    Exit,
    ExitKind,
    ExitReason,
    FollowUp90,
    Participant,
    Referral,
    SupportKind,
    SurveyAnswer,
    SurveyInvitation,
    SurveyStatement,
    WaitingPeriod,
)
from participants.selectors import participants_count_stored
from participants.tests.waiting import assert_stored_waiting_periods_are_the_definition
from placements.models import Assignment, Placement
from placements.permissions import assignments_decidable_by, placements_editable_by
from placements.selectors import placements_count_stored
from placements.services import placements_refresh_idle

pytestmark = pytest.mark.django_db

ACCOUNT_EMAILS = {
    "ledare@demo.test", "chef@demo.test", "chef2@demo.test", "af@demo.test", "fk@demo.test", "ifo@demo.test",
    "styrgrupp@demo.test",
}


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def overbooked_assignments():
    """Occupying assignments at whose start more occupying assignments of the same placement run than it has
    places. The most simultaneous intervals always include some interval's start, so this finds every overbooking."""
    occupying = Assignment.objects.filter(status__in=Assignment.OCCUPYING)
    running_at_start = (
        occupying.filter(placement=OuterRef("placement"), start_date__lte=OuterRef("start_date"))
        .filter(Q(end_date__gte=OuterRef("start_date"))
                | Q(end_date__isnull=True, planned_end_date__gte=OuterRef("start_date")))
        .values("placement").annotate(n=Count("pk")).values("n")
    )
    return occupying.annotate(running=Subquery(running_at_start)).filter(running__gt=F("placement__capacity"))


# --- Category lists: present after migrate alone ------------------------------------------------


def test_category_lists_exist_after_migrate_alone(tmp_path):
    """`migrate` on an empty database creates the category lists, with no seeding. (Checked on a fresh SQLite
    file in a subprocess: the session's test database may already have been flushed by a transactional test.)"""
    db_file = tmp_path / "fresh.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_file}", "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    with closing(sqlite3.connect(db_file)) as conn:
        def rows(model, *columns):
            return conn.execute(f"SELECT {', '.join(columns)} FROM {model._meta.db_table}").fetchall()  # noqa: S608

        assert rows(Project, "id") == []  # nothing seeded
        areas = dict(rows(OccupationalArea, "code", "name"))
        assert len(areas) == 15 and areas["halso-och-sjukvard"] == "Hälso- och sjukvård"
        assert areas["transport-distribution-lager"] == "Transport, distribution, lager"
        adaptations = dict(rows(Adaptation, "code", "name"))
        assert len(adaptations) == 7 and "Tillgänglig för rullstol" in adaptations.values()
        agencies = dict(rows(Agency, "id", "code"))
        assert set(agencies.values()) == {"af", "fk", "ifo"}
        programmes = {(agencies[a], name, months) for a, name, months in
                      rows(AgencyProgramme, "agency_id", "name", "max_months")}
        assert programmes == {("af", "Arbetsträning", 6), ("fk", "Arbetslivsinriktad rehabilitering", 3),
                              ("ifo", "Arbetsträning via försörjningsstöd", 12)}
        assert dict(rows(SupportKind, "code", '"group"')) == {
            "sjukpenning": "ohälsa", "aktivitetsersättning": "ohälsa", "sjukersättning": "ohälsa",
            "a-kassa": "arbetsmarknadsstöd", "aktivitetsstöd": "arbetsmarknadsstöd",
            "etableringsersättning": "arbetsmarknadsstöd", "försörjningsstöd": "ekonomiskt bistånd",
            "ingen": "övrigt", "annan": "övrigt",
        }
        assert dict(rows(Activity, "code", "is_work_or_studies")) == {
            "arbete": 1, "studier": 1, "arbetssökande": 0, "annat": 0,
        }
        reasons = {code: (name, flag) for code, name, flag in rows(ExitReason, "code", "name", "is_work_or_studies")}
        assert {code: flag for code, (_, flag) in reasons.items()} == {
            "arbete": 1, "arbete-med-stod": 1, "studier": 1, "annan-insats": 0,
            "vard-eller-behandling": 0, "sjukdom": 0, "flyttat": 0, "ovrigt": 0,
        }
        # Importers match exit reasons on code or the domain.md text, case-insensitively. (Compare casefolded in
        # Python: SQLite's LIKE/iexact folds ASCII only, so "övrigt" would not find "Övrigt" there.)
        assert {name.casefold() for name, _ in reasons.values()} == {
            "arbete", "arbete med stöd", "studier", "annan insats", "vård eller behandling", "sjukdom", "flyttat",
            "övrigt",
        }
        statements = sorted(rows(SurveyStatement, "number", "text", "target_percent"))
        assert [(n, float(t)) for n, _, t in statements] == [(1, 100), (2, 95), (3, 80), (4, 95), (5, 80)]
        assert statements[0][1] == "Jag har blivit väl bemött"


# --- Seeding at scale 1 ----------------------------------------------------------------------


@pytest.fixture
def seeded():
    return seed("--scale", "1")


def test_accounts_roles_bindings_and_passwords(seeded, client):
    assert set(User.objects.filter(email__endswith="@demo.test", password__startswith="!")
               .values_list("email", flat=True)).isdisjoint(ACCOUNT_EMAILS)
    accounts = {u.email: u for u in User.objects.filter(email__in=ACCOUNT_EMAILS)}
    assert set(accounts) == ACCOUNT_EMAILS
    for email, user in accounts.items():
        assert user.first_name and user.last_name, email
        assert client.login(email=email, password=settings.DEMO_PASSWORD), email
        client.logout()
        assert email in seeded  # printed at the end
    assert settings.DEMO_PASSWORD in seeded

    leader = accounts["ledare@demo.test"]
    assert leader.role == Role.LEADER and leader.is_staff
    client.force_login(leader)
    assert client.get(reverse("admin:index")).status_code == 200

    chef, chef2 = accounts["chef@demo.test"], accounts["chef2@demo.test"]
    assert chef.role == chef2.role == Role.MANAGER
    hsf = Organisation.objects.get(name="Hälso- och sjukvårdsförvaltningen")
    assert hsf.parent.name == "Region Gotland"
    assert list(ManagerScope.objects.filter(user=chef).values_list("organisation", "unit")) == [(hsf.pk, None)]
    assert list(ManagerScope.objects.filter(user=chef2).values_list("organisation__name", "unit")) == [
        ("Norrvik kommun", None)]
    assert set(units_managed_by(chef).values_list("organisation", flat=True)) == {hsf.pk}
    assert not placements_editable_by(chef).filter(unit__organisation__name="Norrvik kommun").exists()

    for code in ("af", "fk", "ifo"):
        user = accounts[f"{code}@demo.test"]
        assert user.role == Role.CASE_WORKER
        assert AgencyMembership.objects.get(user=user).agency.code == code
    assert accounts["styrgrupp@demo.test"].role == Role.STEERING
    assert {a.email for a in DEMO_ACCOUNTS} == ACCOUNT_EMAILS


def test_region_organisations_and_project(seeded):
    region = Organisation.objects.get(name="Region Gotland")
    forvaltningar = Organisation.objects.filter(parent=region)
    names = set(forvaltningar.values_list("name", flat=True))
    assert {"Hälso- och sjukvårdsförvaltningen", "Socialförvaltningen", "Regionstyrelseförvaltningen",
            "Utbildnings- och arbetslivsförvaltningen", "Teknikförvaltningen"} <= names
    assert 5000 <= sum(forvaltningar.values_list("employee_count", flat=True)) <= 6000
    assert all(o.placement_target_percent == 3 for o in forvaltningar)
    kinds = set(Organisation.objects.values_list("kind", flat=True))
    assert kinds >= {"region", "kommun", "statlig myndighet", "idéburen organisation"}
    gotland_units = Unit.objects.filter(organisation__parent=region, municipality="Gotland")
    assert gotland_units.filter(address__endswith="Fårösund").exists()

    project = Project.objects.get(slug="sjalvklart")
    assert project.owner.name == "Socialförvaltningen"
    assert "Finsam Gotland" in project.funder
    assert project.target_participants > 0 and project.budget_total > 0
    roles = set(ProjectPartner.objects.filter(project=project).values_list("role", flat=True))
    assert roles == {"owner", "co_financier", "partner"}
    groups = ProjectGroupMember.objects.filter(project=project)
    assert groups.filter(group="steering").exclude(gender="").count() >= 4
    assert groups.filter(group="reference").exists() and groups.filter(group="contact").exists()
    assert set(groups.filter(group="steering").values_list("gender", flat=True)) >= {"kvinna", "man"}


def test_volume_and_no_overbooking(seeded):
    assert 90 <= Placement.objects.count() <= 110
    assert 450 <= Participant.objects.count() <= 550
    assert not overbooked_assignments().exists()


def test_each_participants_stored_latest_start_is_their_latest_referral(seeded):
    latest = Referral.objects.filter(participant=OuterRef("pk")).order_by("-referral_date").values("referral_date")
    wrong = Participant.objects.annotate(actual=Subquery(latest[:1])).exclude(latest_referral_date=F("actual"))
    assert Participant.objects.filter(referrals__isnull=False).distinct().count() == Participant.objects.count()
    assert not wrong.exists()
    # re-enrolments are among them: a second start moved the date
    assert Participant.objects.annotate(n=Count("referrals")).filter(n__gt=1).exists()


def test_each_starts_stored_exit_date_is_its_exits(seeded):
    exit_date = Exit.objects.filter(referral=OuterRef("pk")).values("exit_date")
    wrong = Referral.objects.annotate(actual=Subquery(exit_date[:1])).exclude(
        Q(closed_on=F("actual")) | Q(closed_on__isnull=True, actual__isnull=True))
    assert Referral.objects.filter(closed_on__isnull=False).count() == Exit.objects.count() > 0
    assert not wrong.exists()


def test_each_placements_stored_idle_values_are_its_assignments(seeded):
    fields = ("pk", "idle_last_end", "idle_next_end", "idle_occupied_from")
    stored = set(Placement.objects.values_list(*fields))
    placements_refresh_idle()
    assert set(Placement.objects.values_list(*fields)) == stored
    assert Placement.objects.filter(idle_next_end__isnull=False).exists()
    assert Placement.objects.filter(idle_last_end__isnull=False).exists()


def test_each_starts_stored_waiting_periods_are_the_definition(seeded):
    assert WaitingPeriod.objects.filter(until=WaitingPeriod.OPEN_END).exists()
    assert_stored_waiting_periods_are_the_definition()


def test_overbooking_query_finds_an_overbooked_placement(seeded):
    """The check above can fail: fill a placement that already has an ongoing assignment beyond capacity."""
    ongoing = Assignment.objects.filter(status=Assignment.Status.ONGOING).first()
    start = ongoing.referral
    for _ in range(ongoing.placement.capacity):
        # Another start each: one start holds at most one open assignment (assignment_one_open_per_referral).
        referral = Referral.objects.create(participant=start.participant, project=start.project,
                                           agency=start.agency, referral_date=start.referral_date)
        Assignment.objects.create(placement=ongoing.placement, referral=referral,
                                  status=Assignment.Status.CONFIRMED, start_date=ongoing.start_date,
                                  planned_end_date=ongoing.start_date + dt.timedelta(days=10))
    assert overbooked_assignments().exists()


def test_every_stage_is_present_and_consistent(seeded):
    today = timezone.localdate()
    S = Assignment.Status
    waiting = Referral.objects.filter(assignments__isnull=True, exit__isnull=True)
    assert waiting.filter(assessment__completed_on__isnull=True).exists()  # not yet assessed
    assert waiting.filter(assessment__completed_on__isnull=False).exists()  # assessed, not matched
    for status in S.values:
        assert Assignment.objects.filter(status=status).exists(), status
    for kind in ExitKind.values:
        assert Exit.objects.filter(kind=kind).exists(), kind
    assert set(Exit.objects.exclude(reason=None).values_list("reason__code", flat=True)) == set(
        ExitReason.objects.values_list("code", flat=True))
    assert Participant.objects.annotate(n=Count("referrals")).filter(n__gt=1).exists()  # re-enrolled
    anonymous = Participant.objects.filter(identity="anonymous")
    assert anonymous.exists() and not anonymous.exclude(code=None).exists()
    assert Participant.objects.filter(identity="identified").exclude(first_name="").exists()
    assert Referral.objects.values("agency__code").distinct().count() == 3
    assert Referral.objects.filter(referral_date__lt=today - dt.timedelta(days=365)).exists()  # ~14 months

    # Assignment status agrees with the dates.
    assert not Assignment.objects.filter(status__in=[S.REQUESTED, S.CONFIRMED], start_date__lt=today).exists()
    ongoing = Assignment.objects.filter(status=S.ONGOING)
    assert not ongoing.filter(Q(start_date__gt=today) | Q(planned_end_date__lt=today)).exists()
    completed = Assignment.objects.filter(status=S.COMPLETED)
    assert not completed.filter(Q(end_date=None) | Q(end_date__gt=today)).exists()

    # Exits only when no assignment is still active; 90-day follow-ups and surveys.
    assert not Exit.objects.filter(referral__assignments__status__in=[S.REQUESTED, S.CONFIRMED, S.ONGOING]).exists()
    assert not Exit.objects.filter(exit_date__gt=today).exists()
    counted = Exit.objects.exclude(kind=ExitKind.REGISTERED_IN_ERROR)
    assert FollowUp90.objects.count() == counted.count()
    assert not FollowUp90.objects.exclude(due_on=F("exit__exit_date") + dt.timedelta(days=90)).exists()
    assert FollowUp90.objects.filter(done_on__isnull=False, activity__isnull=False).exists()
    assert FollowUp90.objects.filter(done_on=None, due_on__lte=today).exists()  # due, not done
    assert FollowUp90.objects.filter(due_on__gt=today).exists()
    assert not FollowUp90.objects.filter(done_on__gt=today).exists()
    invitations = SurveyInvitation.objects.all()
    assert invitations.filter(answered_at=None).exists()
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in invitations.values_list("token_hash", flat=True))
    answered = invitations.exclude(answered_at=None)
    assert SurveyAnswer.objects.count() == answered.count() * SurveyStatement.objects.count() > 0


def test_main_flows_can_be_shown_at_once(seeded):
    today = timezone.localdate()
    chef = User.objects.get(email="chef@demo.test")
    af = User.objects.get(email="af@demo.test")
    mine = placements_editable_by(chef).filter(status=Placement.Status.OPEN)
    occupying_today = Assignment.objects.filter(
        placement=OuterRef("pk"), status__in=Assignment.OCCUPYING, start_date__lte=today,
        planned_end_date__gte=today,
    ).values("placement").annotate(n=Count("pk")).values("n")
    free = mine.annotate(used=Subquery(occupying_today)).filter(Q(used=None) | Q(used__lt=F("capacity")))
    assert free.exists()
    pending = assignments_decidable_by(chef).filter(status=Assignment.Status.REQUESTED, requested_by=af)
    assert pending.count() >= 3
    assert assignments_decidable_by(chef).filter(status=Assignment.Status.ONGOING).exists()
    assert mine.filter(Q(supervisor=None) | Q(supervisor__training_completed_on=None)).exists()
    assert Referral.objects.filter(case_worker=af, agency__code="af", assignments__isnull=True,
                                   exit__isnull=True).count() >= 3


# --- Running twice, reproducibility, refusals ---------------------------------------------------


def _fingerprint():
    return (
        list(Placement.objects.order_by("code").values_list("code", "title", "capacity", "available_from")),
        list(Referral.objects.order_by("participant__code", "referral_date")
             .values_list("participant__code", "agency__code", "referral_date", "start_date")),
        list(Assignment.objects.order_by("placement__code", "start_date", "status")
             .values_list("placement__code", "status", "start_date")),
    )


def test_second_run_refuses_and_reset_recreates_the_same_data():
    seed("--scale", "0.2")
    before = _fingerprint()
    counts = (User.objects.count(), Organisation.objects.count(), Participant.objects.count())
    with pytest.raises(CommandError, match="--reset"):
        seed("--scale", "0.2")
    assert (User.objects.count(), Organisation.objects.count(), Participant.objects.count()) == counts

    assert participants_count_stored() == Participant.objects.count()  # the stored numbers, after a seed
    assert placements_count_stored() == Placement.objects.count()

    seed("--scale", "0.2", "--reset")
    assert _fingerprint() == before  # same seed, same data
    assert (User.objects.count(), Organisation.objects.count(), Participant.objects.count()) == counts
    assert participants_count_stored() == Participant.objects.count()  # and after its reset
    assert placements_count_stored() == Placement.objects.count()
    assert ExitReason.objects.count() == 8  # category lists survive the reset

    seed("--scale", "0.2", "--reset", "--seed", "7")
    assert _fingerprint() != before


@pytest.mark.parametrize("scale", ["0", "-1", "5000"])
def test_scale_is_validated(scale):
    with pytest.raises(CommandError, match="--scale"):
        seed("--scale", scale)
    assert not Project.objects.exists()


def test_refuses_in_production(settings):
    settings.ALLOW_DEMO_SEED = False
    with pytest.raises(CommandError, match="ALLOW_DEMO_SEED"):
        seed()
    assert not User.objects.filter(email__in=ACCOUNT_EMAILS).exists()


def test_after_a_reset_the_stored_waiting_counts_are_the_definition():
    """The reset deletes the demo starts (and with them their stored waiting periods): the count changes those
    periods added go too, so the new seed's counts are not added to the old ones."""
    seed("--scale", "0.2")
    seed("--scale", "0.2", "--reset", "--seed", "7")
    assert_stored_waiting_periods_are_the_definition()


def _places_per_employee() -> float:
    from django.db.models import Sum

    places = Placement.objects.exclude(status=Placement.Status.CLOSED).aggregate(n=Sum("capacity"))["n"]
    employees = Organisation.objects.aggregate(n=Sum("employee_count"))["n"]
    return places / employees


def test_the_share_of_places_per_employee_does_not_grow_with_the_scale():
    """A larger scale is a larger region: its employees grow with its placements, so the organisations stand as
    far from their 3 % target at scale 5 as at scale 1 (they stood at 37 % at scale 100)."""
    seed("--scale", "1")
    at_one = _places_per_employee()
    seed("--scale", "5", "--reset")
    at_five = _places_per_employee()
    assert 0.01 < at_one < 0.05
    assert 0.6 < at_five / at_one < 1.6
