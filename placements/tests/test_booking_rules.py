"""Booking rules that hold whoever writes: one open request or booking per start (a partial unique index),
confirming only on an open placement, and closing a placement withdraws its pending requests."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from core.models import AuditEvent
from participants.tests.factories import ReferralFactory
from placements import services
from placements.models import Assignment, Placement
from placements.tests.factories import AssignmentFactory, PlacementFactory

START, END = dt.date(2027, 3, 1), dt.date(2027, 5, 31)


def test_database_allows_one_open_request_or_booking_per_start(placement_a, unit_a):
    referral = ReferralFactory()
    AssignmentFactory(placement=placement_a, referral=referral, status=Assignment.Status.REQUESTED,
                      start_date=START, planned_end_date=END)
    for status in Assignment.OPEN:
        with pytest.raises(IntegrityError), transaction.atomic():
            AssignmentFactory(placement=PlacementFactory(unit=unit_a), referral=referral, status=status,
                              start_date=START, planned_end_date=END)
    for status in (Assignment.Status.DECLINED, Assignment.Status.WITHDRAWN, Assignment.Status.COMPLETED):
        AssignmentFactory(placement=placement_a, referral=referral, status=status, start_date=START,
                          planned_end_date=END)
    assert Assignment.objects.filter(referral=referral).count() == 4


def test_a_second_request_for_the_same_start_is_refused(placement_a, unit_a, case_worker_af, agency_af):
    referral = ReferralFactory(agency=agency_af)
    services.assignment_request(user=case_worker_af, referral=referral, placement=placement_a,
                                start_date=START, planned_end_date=END)
    other = PlacementFactory(unit=unit_a, available_from=dt.date(2025, 1, 1))
    with pytest.raises(ValidationError, match="redan en förfrågad eller pågående placering"):
        services.assignment_request(user=case_worker_af, referral=referral, placement=other,
                                    start_date=START, planned_end_date=END)
    assert Assignment.objects.filter(referral=referral).count() == 1


@pytest.mark.parametrize("status", [Placement.Status.PAUSED, Placement.Status.CLOSED])
def test_confirming_on_a_placement_that_is_not_open_is_refused(client, placement_a, manager_a, status):
    request = AssignmentFactory(placement=placement_a, status=Assignment.Status.REQUESTED,
                                start_date=START, planned_end_date=END)
    Placement.objects.filter(pk=placement_a.pk).update(status=status)
    with pytest.raises(ValidationError, match="Platsen är pausad eller stängd"):
        services.assignment_confirm(user=manager_a, assignment=request)
    client.force_login(manager_a)
    page = client.get(reverse("placements:detail", args=[placement_a.pk])).content.decode()
    confirm_url = reverse("placements:assignment_confirm", args=[placement_a.pk, request.pk])
    assert confirm_url not in page
    assert "Platsen är inte öppen, så förfrågan kan inte bekräftas." in page
    client.post(confirm_url)
    request.refresh_from_db()
    assert request.status == Assignment.Status.REQUESTED


def test_the_confirm_button_is_there_while_the_placement_is_open(client, placement_a, manager_a):
    request = AssignmentFactory(placement=placement_a, status=Assignment.Status.REQUESTED,
                                start_date=START, planned_end_date=END)
    client.force_login(manager_a)
    page = client.get(reverse("placements:detail", args=[placement_a.pk])).content.decode()
    assert reverse("placements:assignment_confirm", args=[placement_a.pk, request.pk]) in page


def test_closing_a_placement_withdraws_its_pending_requests(placement_a, manager_a, case_worker_af,
                                                            django_capture_on_commit_callbacks):
    pending = AssignmentFactory(placement=placement_a, status=Assignment.Status.REQUESTED, start_date=START,
                                planned_end_date=END, requested_by=case_worker_af)
    declined = AssignmentFactory(placement=placement_a, status=Assignment.Status.DECLINED, start_date=START,
                                 planned_end_date=END, decline_reason="Tidigare skäl")
    with django_capture_on_commit_callbacks(execute=True):
        services.placement_close(user=manager_a, placement=placement_a)
    pending.refresh_from_db()
    declined.refresh_from_db()
    assert (pending.status, pending.decline_reason, pending.decided_by) == (
        Assignment.Status.WITHDRAWN, "Platsen stängdes.", manager_a)
    assert (declined.status, declined.decline_reason) == (Assignment.Status.DECLINED, "Tidigare skäl")
    assert [m.to for m in mail.outbox] == [[case_worker_af.email]]
    assert "Skäl: Platsen stängdes." in mail.outbox[0].body
    assert AuditEvent.objects.filter(object_id=str(pending.referral.participant_id),
                                     detail=f"Placering {pending.pk}: återtagen (platsen stängdes)").exists()
