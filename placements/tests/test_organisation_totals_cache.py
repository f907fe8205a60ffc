"""The organisation totals cached under the token every writer replaces (organisation_totals_cached) are the
definition (organisation_totals_of over placements_on) after every writer of placements, assignments and units,
for today, a past day and across the day boundary; the warm overview asks the database nothing per organisation."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from organisations.services import organisation_save, unit_save
from organisations.tests.factories import OrganisationFactory, UnitFactory
from participants.tests.factories import ReferralFactory
from placements import imports, services
from placements.models import ORGANISATION_TOTALS_VERSION, Assignment, OrganisationTotalsVersion, Placement
from placements.selectors import (
    counted_in_organisation_totals,
    organisation_figures,
    organisation_roll_up,
    organisation_totals_cached,
    placements_on,
)
from placements.tests.factories import AssignmentFactory, PlacementFactory
from placements.tests.test_import import HEADER
from placements.tests.test_occupancy_hidden import _org_row, _parse

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def totals_cached(settings):
    settings.ORGANISATION_TOTALS_CACHE_SECONDS = 3600
    cache.clear()
    yield
    cache.clear()


def token():
    return OrganisationTotalsVersion.objects.get(pk=ORGANISATION_TOTALS_VERSION).token


def definition(on: dt.date, occupancy: bool = True) -> dict:
    """The roll-up of the definition: organisation_totals_of over the day's placements."""
    return organisation_roll_up(on=on, days=placements_on(on=on, occupancy=occupancy), occupancy=occupancy)


def assert_cached_is_definition(on: dt.date | None = None) -> dict:
    """Asked twice (the second from the cache), with and without occupancy: the definition each time."""
    on = on or timezone.localdate()
    for occupancy in (True, False):
        expected = definition(on, occupancy)
        assert organisation_roll_up(on=on, occupancy=occupancy) == expected
        assert organisation_roll_up(on=on, occupancy=occupancy) == expected
        # An organisation's page, from the cached totals once the overview has been read.
        for figures_of in expected.values():
            assert organisation_figures(figures_of.organisation, on=on, occupancy=occupancy) == figures_of
    return organisation_roll_up(on=on)


def figures(roll_up: dict) -> dict:
    return {pk: (f.placements, f.places, f.occupied, f.free) for pk, f in roll_up.items()}


@pytest.fixture
def world(org_a, org_b, unit_a, unit_b, agency_af):
    """org_a with a sub-organisation, placements with people on them today, written with factories before anything
    is read (nothing cached yet)."""
    today = timezone.localdate()
    child = OrganisationFactory(name="Underförvaltning", parent=org_a, employee_count=50)
    child_unit = UnitFactory(organisation=child)
    busy = PlacementFactory(unit=unit_a, capacity=3, available_from=today - 60 * DAY)
    AssignmentFactory(placement=busy, status=Assignment.Status.ONGOING, start_date=today - 10 * DAY,
                      planned_end_date=today + 30 * DAY, referral=ReferralFactory(agency=agency_af))
    ended = AssignmentFactory(placement=busy, status=Assignment.Status.COMPLETED, start_date=today - 20 * DAY,
                              planned_end_date=today + 30 * DAY, end_date=today - DAY,
                              referral=ReferralFactory(agency=agency_af))
    free = PlacementFactory(unit=child_unit, capacity=2, available_from=today - 60 * DAY)
    last_day = PlacementFactory(unit=unit_b, capacity=4, available_from=today - 60 * DAY, available_to=today)
    return {"busy": busy, "free": free, "last_day": last_day, "ended": ended, "child": child,
            "child_unit": child_unit}


def after(write) -> None:
    """Warm the cache (today and yesterday), write through a service; the cached figures are the definition again
    and the token was replaced (the figures of a writer that changes none today are checked on the token)."""
    today = timezone.localdate()
    before_today = figures(assert_cached_is_definition(today))
    before_yesterday = figures(assert_cached_is_definition(today - DAY))
    old = token()
    write()
    assert token() != old
    now_today = figures(assert_cached_is_definition(today))
    now_yesterday = figures(assert_cached_is_definition(today - DAY))
    return (before_today, before_yesterday), (now_today, now_yesterday)


def changes(write) -> None:
    before, now = after(write)
    assert before != now, "the write must change the figures for the test to mean something"


def keeps(write) -> None:
    """A write that no total counts (a request, its confirmation, decline or withdrawal: nobody is on a placement
    before starting) keeps the token, and the cached figures are still the definition."""
    today = timezone.localdate()
    before = (figures(assert_cached_is_definition(today)), figures(assert_cached_is_definition(today - DAY)))
    old = token()
    write()
    assert token() == old
    assert (figures(assert_cached_is_definition(today)), figures(assert_cached_is_definition(today - DAY))) == before


def test_the_cache_answers_until_a_writer_replaces_the_token(world, org_a):
    today = timezone.localdate()
    cached = figures(assert_cached_is_definition(today))
    # A write that no service made (a factory) replaces no token: the cached figures still answer, which shows
    # that they are the ones read.
    PlacementFactory(unit=world["busy"].unit, capacity=5, available_from=today - DAY)
    assert figures(organisation_roll_up(on=today)) == cached
    assert figures(definition(today)) != cached
    services.organisation_totals_changed()
    assert figures(organisation_roll_up(on=today)) == figures(definition(today))
    assert organisation_roll_up(on=today)[org_a.pk].places == cached[org_a.pk][1] + 5


def test_without_the_version_row_nothing_is_cached(world):
    OrganisationTotalsVersion.objects.all().delete()
    today = timezone.localdate()
    assert_cached_is_definition(today)
    PlacementFactory(unit=world["busy"].unit, capacity=5, available_from=today - DAY)
    assert_cached_is_definition(today)
    services.organisation_totals_changed()  # writes the row again
    assert OrganisationTotalsVersion.objects.count() == 1
    assert_cached_is_definition(today)


def test_create_edit_and_move_a_placement(world, leader, unit_b, area):
    today = timezone.localdate()
    changes(lambda: services.placement_create(
        user=leader, title="Ny plats", unit=world["child_unit"], occupational_area=area, capacity=2,
        available_from=today - DAY, attested=True))
    changes(lambda: services.placement_update(user=leader, placement=world["free"], capacity=5))
    changes(lambda: services.placement_update(user=leader, placement=world["free"], unit=unit_b))
    changes(lambda: services.placement_update(user=leader, placement=world["free"], available_from=today + DAY))


def test_pause_reopen_and_close_a_placement(world, leader):
    changes(lambda: services.placement_pause(user=leader, placement=world["free"]))
    changes(lambda: services.placement_reopen(user=leader, placement=world["free"]))
    changes(lambda: services.placement_close(user=leader, placement=world["free"]))
    changes(lambda: services.placement_reopen(user=leader, placement=world["free"]))


def test_closing_withdraws_its_requests_and_the_totals_follow(world, leader, agency_af):
    today = timezone.localdate()
    request = AssignmentFactory(placement=world["last_day"], status=Assignment.Status.REQUESTED,
                                start_date=today, planned_end_date=today, referral=ReferralFactory(agency=agency_af))
    changes(lambda: services.placement_close(user=leader, placement=world["last_day"]))
    request.refresh_from_db()
    assert request.status == Assignment.Status.WITHDRAWN


def test_move_a_unit_to_another_organisation(world, leader, org_b):
    unit = world["busy"].unit
    changes(lambda: unit_save(user=leader, unit=unit, organisation=org_b))
    # A unit saved without moving (its name) replaces the token too; the figures stay the definition.
    after(lambda: unit_save(user=leader, unit=unit, name="Nytt namn"))


def test_an_organisation_moved_in_the_tree_is_read_fresh(world, leader, org_b):
    """The tree, employees and targets are read on every request: moving an organisation needs no token."""
    today = timezone.localdate()
    before = figures(assert_cached_is_definition(today))
    organisation_save(user=leader, organisation=world["child"], name=world["child"].name, kind=world["child"].kind,
                      parent=org_b, employee_count=50)
    assert figures(assert_cached_is_definition(today)) != before


def test_every_booking_step(world, leader, case_worker_af, agency_af):
    today = timezone.localdate()
    target = world["last_day"]
    referral = ReferralFactory(agency=agency_af)
    made = {}

    def request():
        made["a"] = services.assignment_request(user=case_worker_af, referral=referral, placement=target,
                                                start_date=today - DAY, planned_end_date=today)

    keeps(request)  # requested: nobody on it yet
    keeps(lambda: services.assignment_confirm(user=leader, assignment=made["a"]))
    changes(lambda: services.assignment_start(user=leader, assignment=made["a"]))  # on it yesterday and today
    changes(lambda: services.assignment_complete(user=leader, assignment=made["a"], end_date=today - DAY))
    second = ReferralFactory(agency=agency_af)
    declined = services.assignment_request(user=case_worker_af, referral=second, placement=target,
                                           start_date=today, planned_end_date=today)
    keeps(lambda: services.assignment_decline(user=leader, assignment=declined, reason="Ingen handledare"))
    third = ReferralFactory(agency=agency_af)
    withdrawn = services.assignment_request(user=case_worker_af, referral=third, placement=target,
                                            start_date=today, planned_end_date=today)
    keeps(lambda: services.assignment_withdraw(user=leader, assignment=withdrawn))
    confirmed = services.assignment_request(user=case_worker_af, referral=ReferralFactory(agency=agency_af),
                                            placement=target, start_date=today, planned_end_date=today)
    services.assignment_confirm(user=leader, assignment=confirmed)
    keeps(lambda: services.assignment_withdraw(user=leader, assignment=confirmed))  # booked, never started


def test_an_end_moved_into_today_and_yesterday(world, leader):
    today = timezone.localdate()
    ended = world["ended"]
    changes(lambda: services.assignment_end_correct(user=leader, assignment=ended, end_date=today))
    changes(lambda: services.assignment_end_correct(user=leader, assignment=ended, end_date=today - 2 * DAY))


def test_the_history_import_of_assignments(world, leader, agency_af):
    today = timezone.localdate()
    referral = ReferralFactory(agency=agency_af)
    rows = [services.ImportedAssignment(row=2, placement=world["free"], start_date=today - 3 * DAY,
                                        planned_end_date=today + 9 * DAY, referral_id=referral.pk)]
    changes(lambda: services.assignments_import(user=leader, rows=rows, today=today))


def test_the_placement_import(world, leader, org_a, unit_a, area):
    today = timezone.localdate()
    lines = [["I-1", "Importerad", org_a.name, unit_a.name, "", area.name, "", "3",
              (today - DAY).isoformat(), "", "", ""],
             ["I-2", "Importerad i ny enhet", org_a.name, "Ny enhet", "Visby", area.name, "", "2",
              (today - DAY).isoformat(), "", "", ""]]
    plan = imports.plan_import(HEADER, lines, user=leader)
    assert plan.ok, plan.errors
    changes(lambda: services.placements_import_write(user=leader, rows=plan.rows, attested=True))


def test_the_next_day_is_summed_anew(world, monkeypatch):
    today = timezone.localdate()
    on_today = figures(assert_cached_is_definition(today))
    assert figures(organisation_roll_up()) == on_today  # the default day is today, from the cache
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today + DAY)
    # `last_day` is available to today only: gone tomorrow, with no write in between.
    assert figures(organisation_roll_up()) == figures(definition(today + DAY)) != on_today
    assert figures(organisation_roll_up(on=today)) == on_today


def test_a_past_day_stays_cached_until_a_write(world, leader):
    today = timezone.localdate()
    yesterday = figures(assert_cached_is_definition(today - DAY))
    with CaptureQueriesContext(connection) as queries:
        organisation_totals_cached(on=today - DAY)
    assert len(queries) == 1  # the token
    changes(lambda: services.assignment_end_correct(user=leader, assignment=world["ended"], end_date=today - 2 * DAY))
    assert figures(organisation_roll_up(on=today - DAY)) != yesterday


def test_the_page_shows_the_written_figures(client, world, leader, area, org_a):
    client.force_login(leader)
    url = reverse("placements:organisation_overview")

    def places() -> str:
        (table,) = _parse(client.get(url)).tables
        return _org_row(table[1:], org_a)[table[0].index("Platser")]

    shown = places()
    assert places() == shown  # from the cache
    services.placement_create(user=leader, title="Ny plats", unit=world["busy"].unit, occupational_area=area,
                              capacity=4, available_from=timezone.localdate(), attested=True)
    assert int(places()) == int(shown) + 4


def _overview_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("placements:organisation_overview"))
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.parametrize("organisations", [1, 30])
def test_the_warm_overview_asks_four_queries_whatever_the_data(client, leader, organisations, world):
    for i in range(organisations):
        org = OrganisationFactory(name=f"Organisation {i}", employee_count=100)
        PlacementFactory(unit=UnitFactory(organisation=org), capacity=2,
                         available_from=timezone.localdate() - DAY)
    client.force_login(leader)
    cold = _overview_queries(client)
    # session, user, organisations, the token, the totals (one row per organisation)
    assert len(cold) == 5
    warm = _overview_queries(client)
    # session, user, organisations, the token: the totals come from the cache
    assert len(warm) == 4
    assert '"placements_organisationtotalsversion"' in warm[3]
    assert not any('"placements_placement"' in sql or '"placements_assignment"' in sql for sql in warm)
    assert '"placements_placement"' in cold[4]


def test_a_rolled_back_write_leaves_the_cached_figures_standing(world, leader):
    """The token is replaced inside the writer's transaction: a refused write replaces nothing."""
    today = timezone.localdate()
    cached = figures(assert_cached_is_definition(today))
    old = token()
    with pytest.raises(ValidationError):
        services.placement_update(user=leader, placement=world["free"], capacity=0)
    assert token() == old
    assert figures(assert_cached_is_definition(today)) == cached
    assert Placement.objects.get(pk=world["free"].pk).capacity == 2


def test_a_unit_moved_in_the_admin(client, world, leader, org_b, settings):
    settings.MFA_REQUIRED = False
    leader.is_staff = leader.is_superuser = True
    leader.save()
    client.force_login(leader)
    unit = world["busy"].unit
    url = reverse("admin:organisations_unit_change", args=[unit.pk])
    form = {"organisation": org_b.pk, "name": unit.name, "municipality": unit.municipality, "address": "",
            "postal_code": "", "postal_town": "", "manager_name": "", "manager_email": "", "manager_phone": ""}

    def move():
        response = client.post(url, form)
        assert response.status_code == 302, response.content.decode()[:2000]

    changes(move)
    unit.refresh_from_db()
    assert unit.organisation_id == org_b.pk


def test_an_organisations_page_reads_the_cached_totals_when_they_are_there(world, org_a):
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as cold:
        cold_figures = organisation_figures(org_a, on=today)
    assert len(cold) == 3  # organisations, the token, the totals of org_a and those below it
    organisation_roll_up(on=today)  # the overview: caches the day's totals
    with CaptureQueriesContext(connection) as warm:
        warm_figures = organisation_figures(org_a, on=today)
    assert len(warm) == 2  # organisations, the token
    assert warm_figures == cold_figures == definition(today)[org_a.pk]


@pytest.mark.parametrize("status", Assignment.Status.values)
def test_a_status_the_totals_skip_is_one_the_definition_never_counts(world, status, agency_af):
    """counted_in_organisation_totals (what lets a request, confirmation, decline or withdrawal keep the token) is
    what on_placement counts: an assignment of each status running through today, ended or not."""
    today = timezone.localdate()
    placement = PlacementFactory(unit=world["busy"].unit, capacity=5, available_from=today - 60 * DAY)
    before = figures(definition(today))[world["busy"].unit.organisation_id]
    AssignmentFactory(placement=placement, status=status, start_date=today - 5 * DAY,
                      planned_end_date=today + 5 * DAY,
                      end_date=today + DAY if status == Assignment.Status.COMPLETED else None,
                      referral=ReferralFactory(agency=agency_af))
    after_write = figures(definition(today))[world["busy"].unit.organisation_id]
    assert (after_write != before) == counted_in_organisation_totals(status)
