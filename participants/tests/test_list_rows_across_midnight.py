"""The participant list's rows compiled once per scope and day (participants.selectors.participant_list_rows): a
request that spans midnight builds its list for the day it began and asks for its rows on the next one. The rows
that request compiled must not be kept as the next day's: every later request of that day would show the day
before's stage and current placement."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core import paging
from participants import selectors, views
from participants.tests.factories import ReferralFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory


@pytest.mark.postgres
def test_a_request_across_midnight_leaves_the_next_days_rows_that_days(client, leader, agency_af, project,
                                                                          one_place_a, monkeypatch):
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    referral = ReferralFactory(agency=agency_af, project=project, participant__code="AF-MID",
                               referral_date=today - dt.timedelta(days=40))
    # On the placement until yesterday (its last day), waiting for the next one today.
    AssignmentFactory(referral=referral, placement=one_place_a, status=Assignment.Status.COMPLETED,
                      start_date=today - dt.timedelta(days=30), planned_end_date=yesterday, end_date=yesterday)
    placement_cell = f'<td data-label="Aktuell plats">{one_place_a.title}</td>'
    paging._COMPILED_ROWS.clear()
    selectors._PARTICIPANT_LISTS.clear()
    client.force_login(leader)
    url = reverse("participants:list")

    # The request begins at 23:59:59 yesterday (its list is built for yesterday) and asks for its rows at 00:00.
    real_localdate = timezone.localdate
    clock = {"day": yesterday}
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: clock["day"] or real_localdate(*args, **kwargs))
    built = views.selectors.participant_list

    def list_then_midnight(**kwargs):
        queryset = built(**kwargs)
        clock["day"] = None  # midnight: every later call reads today
        return queryset

    monkeypatch.setattr(views.selectors, "participant_list", list_then_midnight)
    client.get(url)
    monkeypatch.setattr(views.selectors, "participant_list", built)

    # Every request today shows today's row: no current placement (it ended yesterday).
    html = client.get(url).content.decode()
    assert "AF-MID" in html
    assert placement_cell not in html
