"""The organisation totals cached per organisation tree under the tokens every writer replaces
(organisation_totals_cached) are the definition (organisation_totals_of over placements_on) after every writer of
placements, assignments and units, for today, a past day and across the day boundary; a write replaces the tokens
of the organisations it wrote in only, and the next request sums only their trees (the others' cached totals stay
in use); the warm overview asks the database nothing per organisation."""

import contextlib
import datetime as dt

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from organisations.models import Organisation
from organisations.services import organisation_save, unit_save
from organisations.tests.factories import OrganisationFactory, UnitFactory
from organisations.tree import OrganisationTree
from participants.tests.factories import ReferralFactory
from placements import imports, selectors, services
from placements.models import Assignment, OrganisationTotalsToken, Placement
from placements.selectors import (
    counted_in_organisation_totals,
    organisation_figures,
    organisation_roll_up,
    organisation_totals_cached,
    organisation_trees,
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


def tokens() -> dict[int, object]:
    return dict(OrganisationTotalsToken.objects.values_list("organisation_id", "token"))


def trees_of(organisation_ids: set[int]) -> set[int] | None:
    """The organisations of the trees holding the given ones, as the totals query is restricted to them (None: all
    of them, unrestricted)."""
    groups = organisation_trees(OrganisationTree.load())
    within = {pk for members in groups if not organisation_ids.isdisjoint(members) for pk in members}
    return None if len(within) == Organisation.objects.count() else within


@contextlib.contextmanager
def sums(monkeypatch):
    """The organisations each totals query of the cached roll-up was restricted to (None: unrestricted)."""
    calls = []
    summed = selectors.organisation_totals_on

    def spy(**kwargs):
        calls.append(kwargs.get("within"))
        return summed(**kwargs)

    monkeypatch.setattr(selectors, "organisation_totals_on", spy)
    yield calls
    monkeypatch.setattr(selectors, "organisation_totals_on", summed)


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
    """org_a with a sub-organisation, org_b, a third tree (an organisation with its own), placements with people on
    them today, written with factories before anything is read (nothing cached yet)."""
    today = timezone.localdate()
    third = OrganisationFactory(name="Tredje kommunen", kind="kommun", employee_count=80)
    PlacementFactory(unit=UnitFactory(organisation=third), capacity=6, available_from=today - 60 * DAY)
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
            "child_unit": child_unit, "third": third}


@pytest.fixture
def written(monkeypatch):
    """after(write, touched): warm the cache (today and yesterday), write through a service; the write replaced the
    tokens of the organisations `touched` only (None: of every organisation), the first requests after it (today
    and yesterday, with and without occupancy) summed only those organisations' trees, the other trees' cached
    totals answered, and the figures are the definition again (those of a writer that changes none today are
    checked on the tokens)."""

    def after(write, touched: set[int] | None):
        today = timezone.localdate()
        before_today = figures(assert_cached_is_definition(today))
        before_yesterday = figures(assert_cached_is_definition(today - DAY))
        old = tokens()
        write()
        new = tokens()
        replaced = {pk for pk, value in new.items() if old.get(pk) != value}
        if touched is None:
            assert replaced == set(new) == set(Organisation.objects.values_list("pk", flat=True))
            expected = [None] * 4 if new else []  # unrestricted; nothing to sum without organisations
        else:
            assert replaced == touched
            expected = [trees_of(touched)] * 4
            assert expected[0] is not None, "the test's world must have a tree the write leaves alone"
        with sums(monkeypatch) as calls:
            now_today = figures(assert_cached_is_definition(today))
            now_yesterday = figures(assert_cached_is_definition(today - DAY))
        assert calls == expected  # today and yesterday, with and without occupancy, once each
        return (before_today, before_yesterday), (now_today, now_yesterday)

    return after


@pytest.fixture
def changes(written):
    def check(write, touched: set[int] | None) -> None:
        before, now = written(write, touched)
        assert before != now, "the write must change the figures for the test to mean something"

    return check


@pytest.fixture
def keeps(monkeypatch):
    """A write that no total counts (a request, its confirmation, decline or withdrawal: nobody is on a placement
    before starting) keeps every token, the next requests sum nothing, and the cached figures are the definition."""

    def check(write) -> None:
        today = timezone.localdate()
        before = (figures(assert_cached_is_definition(today)), figures(assert_cached_is_definition(today - DAY)))
        old = tokens()
        write()
        assert tokens() == old
        with sums(monkeypatch) as calls:
            assert (figures(assert_cached_is_definition(today)),
                    figures(assert_cached_is_definition(today - DAY))) == before
        assert calls == []

    return check


def test_the_cache_answers_until_a_writer_replaces_the_token(world, org_a):
    today = timezone.localdate()
    cached = figures(assert_cached_is_definition(today))
    # A write that no service made (a factory) replaces no token: the cached figures still answer, which shows
    # that they are the ones read.
    PlacementFactory(unit=world["busy"].unit, capacity=5, available_from=today - DAY)
    assert figures(organisation_roll_up(on=today)) == cached
    assert figures(definition(today)) != cached
    services.organisation_totals_changed([org_a.pk])
    assert figures(organisation_roll_up(on=today)) == figures(definition(today))
    assert organisation_roll_up(on=today)[org_a.pk].places == cached[org_a.pk][1] + 5


def test_every_organisation_has_a_token_from_its_creation(world):
    assert set(tokens()) == set(Organisation.objects.values_list("pk", flat=True))


def test_a_tree_with_an_organisation_without_a_token_is_summed_on_every_request(world, org_a, monkeypatch):
    OrganisationTotalsToken.objects.filter(organisation=world["child"]).delete()
    today = timezone.localdate()
    tree_a = trees_of({org_a.pk})
    assert_cached_is_definition(today)
    PlacementFactory(unit=world["busy"].unit, capacity=5, available_from=today - DAY)
    with sums(monkeypatch) as calls:
        assert_cached_is_definition(today)
    # org_a's tree each time (the overview twice per occupancy and once more, the page of each of its
    # organisations), the others from the cache
    assert calls == [tree_a] * ((2 + len(tree_a)) * 2 + 1)
    services.organisation_totals_changed([world["child"].pk])  # writes the row again
    assert_cached_is_definition(today)
    with sums(monkeypatch) as calls:
        assert_cached_is_definition(today)
    assert calls == []


def test_create_edit_and_move_a_placement(world, leader, unit_b, area, changes):
    today = timezone.localdate()
    child = {world["child"].pk}
    changes(lambda: services.placement_create(
        user=leader, title="Ny plats", unit=world["child_unit"], occupational_area=area, capacity=2,
        available_from=today - DAY, attested=True), child)
    changes(lambda: services.placement_update(user=leader, placement=world["free"], capacity=5), child)
    changes(lambda: services.placement_update(user=leader, placement=world["free"], unit=unit_b),
            child | {unit_b.organisation_id})
    changes(lambda: services.placement_update(user=leader, placement=world["free"], available_from=today + DAY),
            {unit_b.organisation_id})


def test_pause_reopen_and_close_a_placement(world, leader, changes):
    child = {world["child"].pk}
    changes(lambda: services.placement_pause(user=leader, placement=world["free"]), child)
    changes(lambda: services.placement_reopen(user=leader, placement=world["free"]), child)
    changes(lambda: services.placement_close(user=leader, placement=world["free"]), child)
    changes(lambda: services.placement_reopen(user=leader, placement=world["free"]), child)


def test_closing_withdraws_its_requests_and_the_totals_follow(world, leader, agency_af, changes):
    today = timezone.localdate()
    request = AssignmentFactory(placement=world["last_day"], status=Assignment.Status.REQUESTED,
                                start_date=today, planned_end_date=today, referral=ReferralFactory(agency=agency_af))
    changes(lambda: services.placement_close(user=leader, placement=world["last_day"]),
            {world["last_day"].unit.organisation_id})
    request.refresh_from_db()
    assert request.status == Assignment.Status.WITHDRAWN


def test_move_a_unit_to_another_organisation(world, leader, org_a, org_b, changes, keeps):
    unit = world["busy"].unit
    changes(lambda: unit_save(user=leader, unit=unit, organisation=org_b), {org_a.pk, org_b.pk})
    # A unit saved without moving (its name) changes no total: every token stays.
    keeps(lambda: unit_save(user=leader, unit=unit, name="Nytt namn"))


def test_an_organisation_moved_in_the_tree_is_read_fresh(world, leader, org_a, org_b, monkeypatch):
    """The tree, employees and targets are read on every request: moving an organisation replaces no token and
    changes no organisation's own totals, so the overview's cached totals of every organisation still answer; but
    the two trees it leaves and joins hold other organisations, so an organisation's page sums its tree again
    (once, per occupancy); the third tree's stay cached."""
    today = timezone.localdate()
    before = figures(assert_cached_is_definition(today))
    old = tokens()
    organisation_save(user=leader, organisation=world["child"], name=world["child"].name, kind=world["child"].kind,
                      parent=org_b, employee_count=50)
    assert tokens() == old
    with sums(monkeypatch) as calls:
        assert figures(assert_cached_is_definition(today)) != before
    tree_a, tree_b = trees_of({org_a.pk}), trees_of({org_b.pk})
    assert world["child"].pk in tree_b and world["third"].pk not in tree_a | tree_b
    assert sorted(map(sorted, calls)) == sorted(map(sorted, [tree_a, tree_b] * 2))


def test_every_booking_step(world, leader, case_worker_af, agency_af, changes, keeps):
    today = timezone.localdate()
    target = world["last_day"]
    referral = ReferralFactory(agency=agency_af)
    made = {}

    def request():
        made["a"] = services.assignment_request(user=case_worker_af, referral=referral, placement=target,
                                                start_date=today - DAY, planned_end_date=today)

    keeps(request)  # requested: nobody on it yet
    keeps(lambda: services.assignment_confirm(user=leader, assignment=made["a"]))
    host = {target.unit.organisation_id}
    changes(lambda: services.assignment_start(user=leader, assignment=made["a"]), host)  # on it yesterday and today
    changes(lambda: services.assignment_complete(user=leader, assignment=made["a"], end_date=today - DAY), host)
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


def test_an_end_moved_into_today_and_yesterday(world, leader, changes, org_a):
    today = timezone.localdate()
    ended = world["ended"]
    changes(lambda: services.assignment_end_correct(user=leader, assignment=ended, end_date=today), {org_a.pk})
    changes(lambda: services.assignment_end_correct(user=leader, assignment=ended, end_date=today - 2 * DAY),
            {org_a.pk})


def test_the_history_import_of_assignments(world, leader, agency_af, changes):
    today = timezone.localdate()
    referral = ReferralFactory(agency=agency_af)
    rows = [services.ImportedAssignment(row=2, placement=world["free"], start_date=today - 3 * DAY,
                                        planned_end_date=today + 9 * DAY, referral_id=referral.pk)]
    changes(lambda: services.assignments_import(user=leader, rows=rows, today=today), {world["child"].pk})


def test_the_placement_import(world, leader, org_a, unit_a, area, changes):
    today = timezone.localdate()
    lines = [["I-1", "Importerad", org_a.name, unit_a.name, "", area.name, "", "3",
              (today - DAY).isoformat(), "", "", ""],
             ["I-2", "Importerad i ny enhet", org_a.name, "Ny enhet", "Visby", area.name, "", "2",
              (today - DAY).isoformat(), "", "", ""]]
    plan = imports.plan_import(HEADER, lines, user=leader)
    assert plan.ok, plan.errors
    changes(lambda: services.placements_import_write(user=leader, rows=plan.rows, attested=True), {org_a.pk})


def test_the_next_day_is_summed_anew(world, monkeypatch):
    today = timezone.localdate()
    on_today = figures(assert_cached_is_definition(today))
    assert figures(organisation_roll_up()) == on_today  # the default day is today, from the cache
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today + DAY)
    # `last_day` is available to today only: gone tomorrow, with no write in between.
    assert figures(organisation_roll_up()) == figures(definition(today + DAY)) != on_today
    assert figures(organisation_roll_up(on=today)) == on_today


def test_a_past_day_stays_cached_until_a_write(world, leader, changes, org_a):
    today = timezone.localdate()
    yesterday = figures(assert_cached_is_definition(today - DAY))
    with CaptureQueriesContext(connection) as queries:
        organisation_totals_cached(on=today - DAY)
    assert len(queries) == 1  # the organisations with their tokens
    changes(lambda: services.assignment_end_correct(user=leader, assignment=world["ended"], end_date=today - 2 * DAY),
            {org_a.pk})
    assert figures(organisation_roll_up(on=today - DAY)) != yesterday


def test_the_page_shows_the_written_figures(client, world, leader, area, org_a, monkeypatch):
    client.force_login(leader)
    url = reverse("placements:organisation_overview")

    def places() -> str:
        (table,) = _parse(client.get(url)).tables
        return _org_row(table[1:], org_a)[table[0].index("Platser")]

    shown = places()
    assert places() == shown  # from the cache
    services.placement_create(user=leader, title="Ny plats", unit=world["busy"].unit, occupational_area=area,
                              capacity=4, available_from=timezone.localdate(), attested=True)
    with sums(monkeypatch) as calls:
        assert int(places()) == int(shown) + 4
    assert calls == [trees_of({org_a.pk})]  # the written tree summed again, the other two from the cache


def _overview_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("placements:organisation_overview"))
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.parametrize("organisations", [1, 30])
def test_the_warm_overview_asks_three_queries_whatever_the_data(client, leader, organisations, world, monkeypatch):
    for i in range(organisations):
        org = OrganisationFactory(name=f"Översiktens organisation {i}", employee_count=100)
        PlacementFactory(unit=UnitFactory(organisation=org), capacity=2,
                         available_from=timezone.localdate() - DAY)
    client.force_login(leader)
    cold = _overview_queries(client)
    # session, user, the organisations' fingerprint (one row), organisations with their tokens, the totals (one row
    # per organisation)
    assert len(cold) == 5
    trees_read = []
    monkeypatch.setattr(selectors.cache, "get_many", lambda keys: trees_read.append(keys) or {})
    warm = _overview_queries(client)
    # session, user, the organisations' fingerprint over their tokens: the level's rows come from the cache, in one
    # entry (not per tree)
    assert len(warm) == 3
    assert trees_read == []
    assert '"organisations_organisation"' in warm[2] and '"placements_organisationtotalstoken"' in warm[2]
    assert not any('"placements_placement"' in sql or '"placements_assignment"' in sql for sql in warm)
    assert '"placements_placement"' in cold[4]


@pytest.mark.parametrize("organisations", [1, 30])
def test_after_a_write_the_overview_sums_the_written_tree_only(client, leader, organisations, world, area,
                                                               monkeypatch):
    for i in range(organisations):
        org = OrganisationFactory(name=f"Översiktens organisation {i}", employee_count=100)
        PlacementFactory(unit=UnitFactory(organisation=org), capacity=2,
                         available_from=timezone.localdate() - DAY)
    client.force_login(leader)
    _overview_queries(client)
    services.placement_create(user=leader, title="Ny plats", unit=world["child_unit"], occupational_area=area,
                              capacity=4, available_from=timezone.localdate(), attested=True)
    with sums(monkeypatch) as calls:
        after_write = _overview_queries(client)
    # session, user, the organisations' fingerprint, organisations with their tokens, the totals of the written tree
    # (org_a's, with its child)
    assert len(after_write) == 5
    assert calls == [{world["child"].pk, world["child"].parent_id}]
    assert figures(organisation_roll_up()) == figures(definition(timezone.localdate()))


def test_a_rolled_back_write_leaves_the_cached_figures_standing(world, leader):
    """The token is replaced inside the writer's transaction: a refused write replaces nothing."""
    today = timezone.localdate()
    cached = figures(assert_cached_is_definition(today))
    old = tokens()
    with pytest.raises(ValidationError):
        services.placement_update(user=leader, placement=world["free"], capacity=0)
    assert tokens() == old
    assert figures(assert_cached_is_definition(today)) == cached
    assert Placement.objects.get(pk=world["free"].pk).capacity == 2


def test_a_unit_moved_in_the_admin(client, world, leader, org_a, org_b, settings, changes):
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

    changes(move, {org_a.pk, org_b.pk})
    unit.refresh_from_db()
    assert unit.organisation_id == org_b.pk


def test_an_organisations_page_reads_the_cached_totals_when_they_are_there(world, org_a, monkeypatch):
    today = timezone.localdate()
    tree_a = trees_of({org_a.pk})
    with CaptureQueriesContext(connection) as cold, sums(monkeypatch) as calls:
        cold_figures = organisation_figures(org_a, on=today)
    assert len(cold) == 2  # organisations with their tokens, the totals of org_a's tree
    assert calls == [tree_a]
    with sums(monkeypatch) as calls:
        organisation_roll_up(on=today)  # the overview: sums the other trees only
    assert calls == [set(Organisation.objects.values_list("pk", flat=True)) - tree_a]
    with CaptureQueriesContext(connection) as warm:
        warm_figures = organisation_figures(org_a, on=today)
    assert len(warm) == 1  # organisations with their tokens
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


def test_the_nightly_task_leaves_the_days_first_overview_warm(client, leader, steering, world, monkeypatch):
    """placements.tasks.warm_organisation_totals (beat, 00:20) sums the new day for both of the overview's views: the
    first leader and the first steering-group member of the day read the totals, and the overview's level, from the
    cache."""
    from django.conf import settings as django_settings

    from placements.tasks import warm_organisation_totals

    schedule = {entry["task"]: entry["schedule"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert (schedule["placements.tasks.warm_organisation_totals"].hour,
            schedule["placements.tasks.warm_organisation_totals"].minute) == ({0}, {20})
    with_placements = len(selectors.organisation_totals_on(on=timezone.localdate())["placements"])
    assert warm_organisation_totals.delay().get() == with_placements > 0
    for user in (leader, steering):
        client.force_login(user)
        queries = _overview_queries(client)
        assert not any('"placements_placement"' in sql or '"placements_assignment"' in sql for sql in queries)
        assert len(queries) == 3  # session, user, the organisations' fingerprint: the level's rows from the cache
