"""Whose starts a case worker without an agency and a manager see: none for the former, and for a manager only
the starts booked in their own units, even when other managers' units have bookings too."""

import pytest

from core.models import Role
from organisations.tests.factories import UserFactory
from participants.permissions import referrals_visible_to
from participants.tests.factories import ReferralFactory
from placements.tests.factories import AssignmentFactory, PlacementFactory

pytestmark = pytest.mark.django_db


def test_a_case_worker_without_an_agency_sees_no_start(agency_af, project):
    ReferralFactory(agency=agency_af, project=project)
    lost = UserFactory(role=Role.CASE_WORKER)
    assert list(referrals_visible_to(lost)) == []


def test_a_manager_sees_only_the_starts_booked_in_their_units(agency_af, project, manager_a, unit_a, unit_b):
    here = ReferralFactory(agency=agency_af, project=project)
    elsewhere = ReferralFactory(agency=agency_af, project=project)
    AssignmentFactory(referral=here, placement=PlacementFactory(unit=unit_a))
    AssignmentFactory(referral=elsewhere, placement=PlacementFactory(unit=unit_b))
    assert list(referrals_visible_to(manager_a)) == [here]
