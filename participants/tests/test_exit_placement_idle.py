"""Recording an exit completes the start's period at its placement: the placement's stored idle values follow."""

import datetime as dt

import pytest
from django.utils import timezone

from participants.models import ExitKind, ExitReason
from participants.services import exit_record
from participants.tests.factories import ReferralFactory
from placements.models import Assignment, Placement
from placements.services import placements_refresh_idle
from placements.tests.factories import AssignmentFactory, PlacementFactory

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def _stored(placement):
    return Placement.objects.values_list("idle_last_end", "idle_next_end", "idle_occupied_from").get(pk=placement.pk)


def test_an_exit_completes_the_period_and_keeps_the_stored_idle_values_current(unit_a, leader, agency_af):
    today = timezone.localdate()
    placement = PlacementFactory(unit=unit_a, capacity=2, available_from=today - 400 * DAY)
    referral = ReferralFactory(agency=agency_af, referral_date=today - 100 * DAY)
    AssignmentFactory(placement=placement, referral=referral, status=Assignment.Status.ONGOING,
                      start_date=today - 50 * DAY, planned_end_date=today + 50 * DAY)
    assert _stored(placement) == (None, today + 50 * DAY, today - 50 * DAY)
    exit_record(user=leader, referral=referral, exit_date=today - 3 * DAY, kind=ExitKind.AS_PLANNED,
                reason=ExitReason.objects.first())
    assert _stored(placement) == (today - 3 * DAY, None, None)
    placements_refresh_idle(placement_ids=[placement.pk])
    assert _stored(placement) == (today - 3 * DAY, None, None)
