"""The participants' writers of assignments (an exit, its correction, the history import) leave the cached
organisation totals of the tree they wrote in behind: the overview's figures are the definition after each, and the
other tree's stay cached."""

import datetime as dt

import pytest
from django.utils import timezone

from participants import corrections
from participants.imports import participants_import, read_table
from participants.models import ExitKind, ExitReason
from participants.services import exit_record
from participants.tests.factories import ReferralFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory, PlacementFactory
from placements.tests.test_organisation_totals_cache import changes, totals_cached, written  # noqa: F401

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def other_tree(unit_b):
    """A placement in another tree, which these writers leave alone."""
    return PlacementFactory(unit=unit_b, capacity=3, available_from=timezone.localdate() - 400 * DAY)


def test_an_exit_and_its_correction(unit_a, leader, agency_af, project, other_tree, changes):  # noqa: F811
    today = timezone.localdate()
    placement = PlacementFactory(unit=unit_a, capacity=2, available_from=today - 400 * DAY)
    referral = ReferralFactory(agency=agency_af, project=project, referral_date=today - 100 * DAY)
    AssignmentFactory(placement=placement, referral=referral, status=Assignment.Status.ONGOING,
                      start_date=today - 50 * DAY, planned_end_date=today + 50 * DAY)
    recorded = {}

    def record():
        recorded["exit"] = exit_record(user=leader, referral=referral, exit_date=today - 3 * DAY,
                                       kind=ExitKind.AS_PLANNED, reason=ExitReason.objects.first())

    changes(record, {unit_a.organisation_id})
    changes(lambda: corrections.exit_correct(user=leader, exit=recorded["exit"].exit, correction_reason="Fel datum",
                                             exit_date=today), {unit_a.organisation_id})


def test_the_history_import(unit_a, leader, agency_af, project, categories, other_tree, changes):  # noqa: F811
    today = timezone.localdate()
    PlacementFactory(unit=unit_a, capacity=2, available_from=today - 400 * DAY, code="PLATS-T")
    header = ("participant_ref,gender,birth_year,agency,referral_date,start_date,end_date,exit_kind,exit_reason,"
              "support_before,activity_before,activity_after,placement_code,followup_90_status")
    since = (today - 5 * DAY).isoformat()
    text = "\n".join([header, f"T1,man,,af,{since},{since},,,,,,,PLATS-T,"])
    headers, rows, _notices = read_table(text.encode())

    def run():
        result = participants_import(user=leader, project=project, headers=headers, rows=rows, dry_run=False)
        assert result.errors == [] and result.saved

    changes(run, {unit_a.organisation_id})
