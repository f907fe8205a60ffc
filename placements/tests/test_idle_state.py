"""The stored idle values (Placement.idle_last_end, idle_next_end, idle_occupied_from) against the definition:
"idle since" and the idle filter read from them equal the per-placement subqueries over the assignments on every
day, on both sides of each edge, whichever day the values were stored on; and every writer of assignments keeps
them current."""

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from participants.tests.factories import ReferralFactory
from placements import services
from placements.models import Assignment, Placement
from placements.selectors import (
    idle_placements,
    idle_placements_from_history,
    order_by_idle_since,
    with_idle_since,
    with_idle_since_from_history,
)
from placements.tests.factories import AssignmentFactory, PlacementFactory

pytestmark = pytest.mark.django_db
S = Assignment.Status
B = dt.date(2026, 4, 15)
DAY = dt.timedelta(days=1)
IDLE_DAYS = (0, 1, 10, 30)


def _days(first: int, last: int) -> list[dt.date]:
    return [B + n * DAY for n in range(first, last + 1)]


@pytest.fixture
def cases(unit_a):
    """Placements whose periods end, start and overlap on either side of B (in days from B)."""
    return _cases(unit_a, B)


def _cases(unit_a, B):  # noqa: N803 - the day the cases are laid around, B in every test
    def placement(*periods, **fields):
        target = PlacementFactory(unit=unit_a, capacity=4, **({"available_from": B - 200 * DAY} | fields))
        for status, start, end in periods:
            AssignmentFactory(
                placement=target,
                status=status,
                start_date=B + start * DAY,
                planned_end_date=B + end * DAY,
                end_date=B + end * DAY if status == S.COMPLETED else None,
            )
        return target

    return {
        "never_hosted": placement(),
        "requests_withdrawn_declined": placement((S.REQUESTED, -5, 5), (S.WITHDRAWN, -30, -2), (S.DECLINED, -9, 9)),
        "hosted_long_ago": placement((S.COMPLETED, -150, -100)),
        "ended_the_day_before": placement((S.COMPLETED, -50, -1)),
        "ends_on_the_day": placement((S.ONGOING, -20, 0)),
        "ends_the_day_after": placement((S.ONGOING, -20, 1)),
        "completed_ending_later": placement((S.COMPLETED, -20, 3)),
        "starts_on_the_day": placement((S.COMPLETED, -90, -60), (S.CONFIRMED, 0, 20)),
        "starts_the_day_after": placement((S.COMPLETED, -90, -60), (S.CONFIRMED, 1, 20)),
        "two_future_blocks": placement((S.CONFIRMED, 5, 10), (S.CONFIRMED, 20, 30)),
        "back_to_back": placement((S.COMPLETED, -40, -11), (S.ONGOING, -10, 4), (S.CONFIRMED, 5, 25)),
        "staggered_overlaps": placement(
            (S.COMPLETED, -30, -2), (S.ONGOING, -20, 10), (S.CONFIRMED, 5, 40), (S.ONGOING, -3, 2)
        ),
        "same_end_twice": placement((S.ONGOING, -10, 6), (S.CONFIRMED, 3, 6)),
        "ongoing_overdue": placement((S.ONGOING, -60, -15)),
        "available_later": placement((S.COMPLETED, -90, -70), available_from=B + 3 * DAY),
        "available_until_the_day": placement((S.COMPLETED, -90, -70), available_to=B),
        "paused": placement((S.COMPLETED, -90, -70), status=Placement.Status.PAUSED),
        "closed": placement((S.COMPLETED, -90, -40), status=Placement.Status.CLOSED, closed_on=B - 30 * DAY),
    }


def _idle_since(fn, on):
    return dict(fn(Placement.objects.all(), on=on).values_list("pk", "idle_since"))


def _idle(fn, days, on):
    return set(fn(Placement.objects.all(), days=days, on=on).values_list("pk", flat=True))


@pytest.mark.parametrize("stored_on", [-7, 0, 12])
def test_idle_since_and_the_idle_filter_from_the_stored_values_equal_the_definition_on_every_day(cases, stored_on):
    services.placements_refresh_idle(on=B + stored_on * DAY)
    for on in _days(-12, 45):
        assert _idle_since(with_idle_since, on) == _idle_since(with_idle_since_from_history, on), on
        for days in IDLE_DAYS:
            assert _idle(idle_placements, days, on) == _idle(idle_placements_from_history, days, on), (on, days)


def _order_by_definition(on, *, descending=False):
    rows = _idle_since(with_idle_since_from_history, on).items()
    ordered = sorted(rows, key=lambda row: (row[1], row[0]), reverse=descending)
    return [pk for pk, _since in ordered]


def _ordered(on, *, descending=False):
    listed = with_idle_since(Placement.objects.all(), on=on)
    return list(order_by_idle_since(listed, descending=descending, on=on).values_list("pk", flat=True))


@pytest.mark.parametrize("stored_on", [-7, 0, 12])
def test_ledig_langst_orders_as_the_definition_on_every_day_with_and_without_stale_values(cases, stored_on):
    services.placements_refresh_idle(on=B + stored_on * DAY)
    for on in _days(-12, 45):
        for descending in (False, True):
            assert _ordered(on, descending=descending) == _order_by_definition(on, descending=descending), on


def test_ledig_langst_orders_by_the_stored_key_while_nothing_is_stale(cases):
    services.placements_refresh_idle(on=B)
    moved, long_ago = cases["ended_the_day_before"].pk, cases["hosted_long_ago"].pk
    assert _ordered(B).index(moved) > _ordered(B).index(long_ago)
    Placement.objects.filter(pk=moved).update(idle_last_end=B - 150 * DAY)  # not what the assignments say
    assert _ordered(B).index(moved) < _ordered(B).index(long_ago)
    services.placements_refresh_idle(on=B)
    # One stale placement, whose stored key would put it elsewhere: the order comes from the annotation.
    Placement.objects.filter(pk=cases["never_hosted"].pk).update(idle_last_end=B - 150 * DAY, idle_next_end=B - DAY)
    assert _ordered(B) == _order_by_definition(B)


def test_the_stored_values_answer_the_day_they_were_stored_on_and_are_what_the_filter_reads(cases):
    """On the day they were stored every placement is answered from the columns (none from the assignments), and a
    changed column changes the answer: the fast path is the one taken."""
    services.placements_refresh_idle(on=B)
    stored = Placement.objects.exclude(idle_last_end__gte=B).exclude(idle_next_end__lt=B)
    assert stored.count() == Placement.objects.count()
    expected = {key: p.pk in _idle(idle_placements_from_history, 30, B) for key, p in cases.items()}
    assert expected["hosted_long_ago"] and expected["starts_the_day_after"]
    assert not expected["ends_on_the_day"] and not expected["starts_on_the_day"]
    assert {key: p.pk in _idle(idle_placements, 30, B) for key, p in cases.items()} == expected

    Placement.objects.filter(pk=cases["hosted_long_ago"].pk).update(idle_occupied_from=B)
    Placement.objects.filter(pk=cases["starts_the_day_after"].pk).update(idle_last_end=B - 5 * DAY)
    assert cases["hosted_long_ago"].pk not in _idle(idle_placements, 30, B)
    assert cases["starts_the_day_after"].pk not in _idle(idle_placements, 30, B)
    assert _idle_since(with_idle_since, B)[cases["starts_the_day_after"].pk] == B - 5 * DAY


def test_stale_values_are_answered_from_the_assignments_and_the_daily_refresh_renews_only_those(cases):
    services.placements_refresh_idle(on=B - 30 * DAY)
    stale = set(Placement.objects.filter(idle_next_end__lt=B).values_list("pk", flat=True))
    assert cases["ended_the_day_before"].pk in stale and cases["never_hosted"].pk not in stale
    assert _idle(idle_placements, 10, B) == _idle(idle_placements_from_history, 10, B)
    assert services.placements_refresh_stale_idle(on=B) == len(stale)
    assert not Placement.objects.filter(idle_next_end__lt=B).exists()
    assert services.placements_refresh_stale_idle(on=B) == 0


def test_the_daily_refresh_also_puts_right_values_a_writer_outside_the_services_left_wrong(cases):
    services.placements_refresh_idle(on=B)
    right = _stored()
    wrong = {"hosted_long_ago": {"idle_last_end": B - 10 * DAY}, "never_hosted": {"idle_occupied_from": B},
             "starts_the_day_after": {"idle_next_end": None}, "ends_on_the_day": {"idle_occupied_from": None}}
    for key, values in wrong.items():
        Placement.objects.filter(pk=cases[key].pk).update(**values)
    assert services.placements_refresh_stale_idle(on=B) == len(wrong)
    assert _stored() == right


def _stored():
    return {
        p: (last, nxt, occupied)
        for p, last, nxt, occupied in Placement.objects.values_list(
            "pk", "idle_last_end", "idle_next_end", "idle_occupied_from"
        )
    }


def _assert_current():
    """The stored values are what a refresh from the assignments today would store."""
    before = _stored()
    services.placements_refresh_idle()
    assert _stored() == before


def test_each_booking_step_keeps_the_stored_values_current(unit_a, case_worker_af, manager_a, agency_af):
    today = timezone.localdate()
    placement = PlacementFactory(unit=unit_a, capacity=2, available_from=today - 400 * DAY)
    first = services.assignment_request(
        user=case_worker_af,
        referral=ReferralFactory(agency=agency_af),
        placement=placement,
        start_date=today - 30 * DAY,
        planned_end_date=today + 30 * DAY,
    )
    _assert_current()
    services.assignment_confirm(user=manager_a, assignment=first)
    _assert_current()
    assert _stored()[placement.pk] == (None, today + 30 * DAY, today - 30 * DAY)
    services.assignment_start(user=manager_a, assignment=first, start_date=today - 20 * DAY)
    _assert_current()
    assert _stored()[placement.pk] == (None, today + 30 * DAY, today - 20 * DAY)
    services.assignment_complete(user=manager_a, assignment=first, end_date=today - 2 * DAY)
    _assert_current()
    assert _stored()[placement.pk] == (today - 2 * DAY, None, None)
    second = services.assignment_request(
        user=case_worker_af,
        referral=ReferralFactory(agency=agency_af),
        placement=placement,
        start_date=today + 10 * DAY,
        planned_end_date=today + 40 * DAY,
    )
    services.assignment_confirm(user=manager_a, assignment=second)
    assert _stored()[placement.pk] == (today - 2 * DAY, today + 40 * DAY, today + 10 * DAY)
    services.assignment_withdraw(user=case_worker_af, assignment=second)
    _assert_current()
    assert _stored()[placement.pk] == (today - 2 * DAY, None, None)
    third = services.assignment_request(
        user=case_worker_af,
        referral=ReferralFactory(agency=agency_af),
        placement=placement,
        start_date=today + 1 * DAY,
        planned_end_date=today + 5 * DAY,
    )
    services.assignment_decline(user=manager_a, assignment=third, reason="Fullt")
    _assert_current()


def test_the_history_import_keeps_the_stored_values_current(unit_a, leader, agency_af):
    from placements.services import ImportedAssignment, assignments_import

    today = timezone.localdate()
    placement = PlacementFactory(unit=unit_a, capacity=2, available_from=today - 400 * DAY)
    referrals = [ReferralFactory(agency=agency_af) for _ in range(2)]
    assignments_import(
        user=leader,
        rows=[
            ImportedAssignment(
                row=2,
                placement=placement,
                start_date=today - 90 * DAY,
                planned_end_date=today - 60 * DAY,
                end_date=today - 70 * DAY,
                referral_id=referrals[0].pk,
            ),
            ImportedAssignment(
                row=3,
                placement=placement,
                start_date=today - 5 * DAY,
                planned_end_date=today + 9 * DAY,
                referral_id=referrals[1].pk,
            ),
        ],
    )
    assert _stored()[placement.pk] == (today - 70 * DAY, today + 9 * DAY, today - 5 * DAY)
    _assert_current()


def test_saving_a_placement_read_before_a_booking_keeps_the_booking_s_stored_values(unit_a, manager_a, agency_af):
    today = timezone.localdate()
    placement = PlacementFactory(unit=unit_a, capacity=2, available_from=today - 400 * DAY)
    read_before = Placement.objects.get(pk=placement.pk)
    AssignmentFactory(
        placement=placement, status=S.ONGOING, start_date=today - 5 * DAY, planned_end_date=today + 5 * DAY
    )
    read_before.title = "Ny benämning"
    read_before.save()
    assert _stored()[placement.pk] == (None, today + 5 * DAY, today - 5 * DAY)
    assert Placement.objects.get(pk=placement.pk).title == "Ny benämning"


def test_the_migration_back_fills_the_definition_with_its_own_models(unit_a):
    """The migration's copy of the refresh, run with the models as they stood at that migration: on the day it
    runs every placement is answered from the columns, and they give the definition's answers."""
    today = timezone.localdate()
    _cases(unit_a, today)
    Placement.objects.update(idle_last_end=None, idle_next_end=None, idle_occupied_from=None)
    historical = MigrationLoader(connection).project_state(("placements", "0006_placement_idle_state")).apps
    importlib.import_module("placements.migrations.0006_placement_idle_state").back_fill_idle_state(
        historical, SimpleNamespace(connection=connection))
    answered = Placement.objects.exclude(idle_last_end__gte=today).exclude(idle_next_end__lt=today)
    assert answered.count() == Placement.objects.count()
    assert Placement.objects.filter(idle_next_end__isnull=False).count() > 5
    assert _idle_since(with_idle_since, today) == _idle_since(with_idle_since_from_history, today)
    for days in IDLE_DAYS:
        assert _idle(idle_placements, days, today) == _idle(idle_placements_from_history, days, today), days
    _assert_current()
