"""reset_demo_data deletes the demo's starts, placements and organisations in bulk, past the services. Other data
in the same database (another project's starts, placements outside the demo's organisations) can be tied to them:
a start of another project booked at a demo placement, a demo start placed at another organisation's placement,
a participant with a start in the demo project and one in another. Their stored aggregates (the start's waiting
periods and counts, the placement's idle values, the participant's latest referral date) must be the definition
after the reset, as after every other writer."""

import datetime as dt

import pytest
from django.db.models import Max
from django.utils import timezone

from demo.builder import PROJECT_SLUG, demo_organisation_names, reset_demo_data
from organisations.tests.factories import OrganisationFactory, ProjectFactory, UnitFactory
from participants.models import Participant, Referral
from participants.services import participants_refresh_latest_referral, waiting_periods_refresh
from participants.tests.factories import ParticipantFactory, ReferralFactory
from participants.tests.waiting import assert_stored_waiting_periods_are_the_definition
from placements.models import IDLE_STATE_FIELDS, Assignment, Placement
from placements.services import placements_refresh_idle
from placements.tests.factories import AssignmentFactory, PlacementFactory

pytestmark = pytest.mark.django_db


def _stored_idle() -> dict:
    return {pk: values for pk, *values in Placement.objects.values_list("pk", *IDLE_STATE_FIELDS)}


def _assert_idle_values_are_the_definition() -> None:
    stored = _stored_idle()
    placements_refresh_idle()  # the definition, written
    assert stored == _stored_idle()


def _assert_latest_referral_dates_are_the_definition() -> None:
    stored = dict(Participant.objects.values_list("pk", "latest_referral_date"))
    defined = dict(Participant.objects.annotate(latest=Max("referrals__referral_date")).values_list("pk", "latest"))
    assert stored == defined


def test_a_reset_leaves_the_other_projects_stored_aggregates_the_definition(agency_af, unit_a):
    today = timezone.localdate()
    demo_project = ProjectFactory(slug=PROJECT_SLUG, name="Självklart")
    other_project = ProjectFactory(slug="annat-projekt", name="Annat projekt")
    demo_unit = UnitFactory(organisation=OrganisationFactory(name=sorted(demo_organisation_names())[0]))
    demo_place = PlacementFactory(unit=demo_unit, capacity=2, available_from=today - dt.timedelta(days=400))
    other_place = PlacementFactory(unit=unit_a, capacity=2, available_from=today - dt.timedelta(days=400))

    # Another project's start, on a demo placement now: after the reset it waits for a placement.
    booked_at_demo = ReferralFactory(agency=agency_af, project=other_project,
                                     referral_date=today - dt.timedelta(days=60))
    AssignmentFactory(referral=booked_at_demo, placement=demo_place, status=Assignment.Status.ONGOING,
                      start_date=today - dt.timedelta(days=20), planned_end_date=today + dt.timedelta(days=40))
    # A demo start placed at the other organisation's placement until ten days ago.
    demo_start = ReferralFactory(agency=agency_af, project=demo_project, referral_date=today - dt.timedelta(days=90))
    AssignmentFactory(referral=demo_start, placement=other_place, status=Assignment.Status.COMPLETED,
                      start_date=today - dt.timedelta(days=50), planned_end_date=today - dt.timedelta(days=10),
                      end_date=today - dt.timedelta(days=10))
    # One person with a start in each project, the demo's the later one.
    both = ParticipantFactory()
    ReferralFactory(participant=both, agency=agency_af, project=other_project,
                    referral_date=today - dt.timedelta(days=200))
    ReferralFactory(participant=both, agency=agency_af, project=demo_project,
                    referral_date=today - dt.timedelta(days=30))

    # The stored values as the services leave them (the factories write past them).
    waiting_periods_refresh(referral_ids=Referral.objects.values_list("pk", flat=True))
    placements_refresh_idle()
    participants_refresh_latest_referral(participant_ids=Participant.objects.values_list("pk", flat=True))
    assert_stored_waiting_periods_are_the_definition()
    _assert_latest_referral_dates_are_the_definition()

    reset_demo_data()

    assert not Assignment.objects.filter(referral=booked_at_demo).exists()
    assert Placement.objects.filter(pk=other_place.pk).exists()
    assert_stored_waiting_periods_are_the_definition()
    _assert_latest_referral_dates_are_the_definition()
    _assert_idle_values_are_the_definition()
