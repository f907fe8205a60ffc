"""Simultaneous assignment requests over HTTP (live_server: a threaded WSGI server, one database connection per
request thread) on PostgreSQL: however many arrive at once, a start ends up with one open request."""

import datetime as dt
import re
import threading
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client
from django.urls import reverse

from organisations.tests.factories import OccupationalAreaFactory
from participants.tests.factories import ReferralFactory
from placements.models import Assignment
from placements.tests.factories import PlacementFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

START, END = "2027-03-01", "2027-04-30"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _session(user) -> str:
    """The session cookie of a signed-in user, as a browser would hold it."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _post_all(live_server, sessionid, referral, placements) -> list[int]:
    opener = urllib.request.build_opener(NoRedirect)
    matching = f"{live_server.url}/participants/starts/{referral.pk}/matching/"  # http://127.0.0.1 only
    page = opener.open(urllib.request.Request(matching, headers={"Cookie": f"sessionid={sessionid}"}))  # noqa: S310
    csrf_cookie = re.search(r"csrftoken=([^;]+)", page.headers["Set-Cookie"]).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode()).group(1)
    barrier = threading.Barrier(len(placements))

    def post(placement):
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "placement": placement.pk,
                                       "start_date": START, "planned_end_date": END}).encode()
        url = live_server.url + reverse("participants:assignment_request", args=[referral.pk])
        request = urllib.request.Request(url, data=body,  # noqa: S310
                                         headers={"Cookie": f"sessionid={sessionid}; csrftoken={csrf_cookie}"})
        barrier.wait()
        try:
            return opener.open(request, timeout=60).status
        except urllib.error.HTTPError as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=len(placements)) as pool:
        return list(pool.map(post, placements))


@pytest.fixture
def open_placements(unit_a):
    area = OccupationalAreaFactory(code="samtidigt", name="Samtidigt")
    return [PlacementFactory(unit=unit_a, occupational_area=area, capacity=5, available_from=dt.date(2025, 1, 1))
            for _ in range(2)]


def test_twenty_simultaneous_requests_for_one_start_leave_exactly_one(live_server, case_worker_af, agency_af,
                                                                      project, open_placements):
    sessionid = _session(case_worker_af)
    for _round in range(3):
        referral = ReferralFactory(agency=agency_af, project=project, case_worker=case_worker_af)
        statuses = _post_all(live_server, sessionid, referral, [open_placements[0]] * 20)
        assert statuses == [302] * 20  # the winner to the participant page, the others back with the message
        assert Assignment.objects.filter(referral=referral).count() == 1


def test_simultaneous_requests_at_two_placements_leave_one(live_server, case_worker_af, agency_af, project,
                                                           open_placements):
    sessionid = _session(case_worker_af)
    for _round in range(5):
        referral = ReferralFactory(agency=agency_af, project=project, case_worker=case_worker_af)
        statuses = _post_all(live_server, sessionid, referral, open_placements)
        assert statuses == [302, 302]
        assert Assignment.objects.filter(referral=referral, status__in=Assignment.OPEN).count() == 1
