"""A manager sees a participant only through a request or assignment that stands (or stood) at their unit: once
the case worker withdraws it, or the host declines it, the person disappears from the manager's pages."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from placements.models import Assignment
from placements.tests.factories import AssignmentFactory

pytestmark = pytest.mark.django_db


def _rows(html: str) -> list[str]:
    """The participant cells of the manager's list, as shown."""
    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r'<th scope="row">(.*?)</th>', html, flags=re.S)]


@pytest.mark.parametrize("status", [Assignment.Status.WITHDRAWN, Assignment.Status.DECLINED])
def test_a_withdrawn_or_declined_request_hides_the_participant_from_the_manager(
        client, manager_a, referral_af, one_place_a, status):
    assignment = AssignmentFactory(referral=referral_af, placement=one_place_a, status=Assignment.Status.REQUESTED,
                                   start_date=dt.date(2026, 3, 1), planned_end_date=dt.date(2026, 5, 31))
    participant = referral_af.participant
    client.force_login(manager_a)
    assert _rows(client.get(reverse("participants:list")).content.decode()) == ["AF-TEST-1"]
    assert client.get(reverse("participants:detail", args=[participant.pk])).status_code == 200

    Assignment.objects.filter(pk=assignment.pk).update(status=status)

    assert _rows(client.get(reverse("participants:list")).content.decode()) == []
    assert client.get(reverse("participants:detail", args=[participant.pk])).status_code == 404
    html = client.get(reverse("placements:detail", args=[one_place_a.pk])).content.decode()
    assert "AF-TEST-1" not in html


def test_a_completed_placement_stays_visible_to_the_manager(client, manager_a, referral_af, one_place_a):
    AssignmentFactory(referral=referral_af, placement=one_place_a, status=Assignment.Status.COMPLETED,
                      start_date=dt.date(2026, 1, 10), planned_end_date=dt.date(2026, 2, 28),
                      end_date=dt.date(2026, 2, 28))
    client.force_login(manager_a)
    assert _rows(client.get(reverse("participants:list")).content.decode()) == ["AF-TEST-1"]
