"""Database constraints hold even when forms and services are bypassed."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import AuditEvent
from participants.models import Participant
from participants.tests.factories import ParticipantFactory, ReferralFactory
from placements.tests.factories import PlacementFactory


def _refused(factory, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)


def test_placement_negative_or_zero_capacity_refused(db):
    _refused(PlacementFactory, capacity=0)


def test_placement_availability_must_be_ordered(db):
    _refused(PlacementFactory, available_from=dt.date(2026, 5, 1), available_to=dt.date(2026, 4, 1))


def test_names_need_identified_mode(db):
    _refused(ParticipantFactory, first_name="Anna")


def test_identified_mode_needs_recorded_consent(db):
    _refused(ParticipantFactory, identity=Participant.Identity.IDENTIFIED, first_name="Anna")
    ParticipantFactory(identity=Participant.Identity.IDENTIFIED, first_name="Anna",
                       consent_recorded_at=timezone.now())


def test_anonymous_participant_has_no_code(db):
    _refused(ParticipantFactory, identity=Participant.Identity.ANONYMOUS, code="X-1")
    ParticipantFactory(identity=Participant.Identity.ANONYMOUS, code=None, birth_year=None)


def test_referral_start_not_before_referral_date(db):
    _refused(ReferralFactory, referral_date=dt.date(2026, 3, 1), start_date=dt.date(2026, 2, 1))


def test_audit_events_cannot_be_changed_or_deleted(db):
    event = AuditEvent.objects.create(action=AuditEvent.Action.VIEW, object_type="x")
    event.detail = "ändrad"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_str_reads_well_in_swedish(db):
    referral = ReferralFactory(participant=ParticipantFactory(code="AF-1"), referral_date=dt.date(2026, 2, 3))
    assert str(referral) == "AF-1, af 2026-02-03"
    anonymous = ParticipantFactory(identity=Participant.Identity.ANONYMOUS, code=None)
    assert str(anonymous) == f"Anonym deltagare #{anonymous.pk}"
