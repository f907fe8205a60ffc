"""A 90-day follow-up recorded long before it is due asks for confirmation first."""

import datetime as dt

import pytest
from django.urls import reverse

from participants.models import Activity, ExitKind, FollowUp90
from participants.services import FOLLOWUP_EARLY_DAYS
from participants.tests.factories import ExitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def followup(referral_af, categories):
    exit_ = ExitFactory(referral=referral_af, exit_date=dt.date(2026, 4, 15), kind=ExitKind.AS_PLANNED,
                                reason=categories["reasons"]["arbete"])
    return FollowUp90.objects.create(exit=exit_, due_on=dt.date(2026, 7, 14))


def _post(client, followup, done_on, **extra):
    return client.post(reverse("participants:followup90_edit", args=[followup.pk]), {
        "done_on": done_on.isoformat(), "activity": Activity.objects.get(code="arbete").pk, "notes": "", **extra})


def test_recording_long_before_the_due_date_needs_confirmation(client, case_worker_af, followup):
    client.force_login(case_worker_af)
    early = followup.due_on - dt.timedelta(days=FOLLOWUP_EARLY_DAYS + 1)
    response = _post(client, followup, early)
    assert response.status_code == 200
    assert "Kryssa i rutan för att bekräfta" in response.content.decode()
    followup.refresh_from_db()
    assert followup.done_on is None                      # nothing saved without the confirmation
    assert _post(client, followup, early, confirm_early="on").status_code == 302
    followup.refresh_from_db()
    assert followup.done_on == early


def test_recording_close_to_the_due_date_needs_no_confirmation(client, case_worker_af, followup):
    client.force_login(case_worker_af)
    assert _post(client, followup, followup.due_on - dt.timedelta(days=FOLLOWUP_EARLY_DAYS)).status_code == 302
    followup.refresh_from_db()
    assert followup.done_on == followup.due_on - dt.timedelta(days=FOLLOWUP_EARLY_DAYS)
