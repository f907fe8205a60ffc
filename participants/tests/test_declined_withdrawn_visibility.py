"""What each role sees of a request that was declined or withdrawn: the referring case worker keeps the row with
its status (and the host's reason), the host's manager loses the person unless another assignment at their unit
stands, and another unit's manager is not affected."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from placements.models import Assignment
from placements.tests.factories import AssignmentFactory, PlacementFactory

pytestmark = pytest.mark.django_db
SPRING = {"start_date": dt.date(2026, 3, 1), "planned_end_date": dt.date(2026, 5, 31)}


def list_rows(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r'<th scope="row">(.*?)</th>', html, re.S)]


def assignment_rows(html: str) -> list[tuple[str, str]]:
    """(placement title, status cell text) of each row in the participant page's placements tables."""
    rows = re.findall(r'<tr>\s*<th scope="row">([^<]*)<br>.*?</th>\s*<td>.*?</td>\s*<td>.*?</td>\s*<td>(.*?)</td>',
                      html, re.S)
    return [(title.strip(), " ".join(re.sub(r"<[^>]+>", " ", status).split())) for title, status in rows]


@pytest.mark.parametrize(("status", "shown"), [
    (Assignment.Status.DECLINED, "Avböjd Full just nu"),
    (Assignment.Status.WITHDRAWN, "Återtagen"),
])
def test_the_case_worker_still_sees_the_request_with_its_status(client, case_worker_af, referral_af, one_place_a,
                                                               status, shown):
    AssignmentFactory(referral=referral_af, placement=one_place_a, status=status,
                      decline_reason="Full just nu" if status == Assignment.Status.DECLINED else "", **SPRING)
    client.force_login(case_worker_af)
    html = client.get(reverse("participants:detail", args=[referral_af.participant_id])).content.decode()
    assert assignment_rows(html) == [(one_place_a.title, shown)]


@pytest.mark.parametrize("status", [Assignment.Status.DECLINED, Assignment.Status.WITHDRAWN])
def test_a_standing_assignment_at_the_same_unit_keeps_the_person_visible_once(client, manager_a, referral_af,
                                                                          one_place_a, unit_a, status):
    AssignmentFactory(referral=referral_af, placement=one_place_a, status=status, **SPRING)
    AssignmentFactory(referral=referral_af, placement=PlacementFactory(unit=unit_a, title="Reception"),
                      status=Assignment.Status.CONFIRMED, **SPRING)
    client.force_login(manager_a)
    assert list_rows(client.get(reverse("participants:list")).content.decode()) == ["AF-TEST-1"]
    assert client.get(reverse("participants:detail", args=[referral_af.participant_id])).status_code == 200


@pytest.mark.parametrize("status", [Assignment.Status.DECLINED, Assignment.Status.WITHDRAWN])
def test_only_the_declining_units_manager_loses_the_person(client, manager_a, manager_b, referral_af, one_place_a,
                                                          unit_b, status):
    AssignmentFactory(referral=referral_af, placement=one_place_a, status=status, **SPRING)
    AssignmentFactory(referral=referral_af, placement=PlacementFactory(unit=unit_b, title="Kök"),
                      status=Assignment.Status.REQUESTED, **SPRING)
    client.force_login(manager_a)
    assert list_rows(client.get(reverse("participants:list")).content.decode()) == []
    client.force_login(manager_b)
    assert list_rows(client.get(reverse("participants:list")).content.decode()) == ["AF-TEST-1"]
