"""The waiting list's and the participant list's per-request work: the waiting list's query kept per scope and day,
the filter fields drawn once per language and query, the rows fetching only the columns they show. What the user
sees stays the same: these tests read the page."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from organisations.tests.factories import AgencyFactory
from participants import selectors
from participants.models import Assessment, ExitKind
from participants.tests.factories import ExitFactory, ReferralFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory


def _codes(user, on=None) -> dict[str, str]:
    return {r.participant.code: r.waiting_state for r in selectors.waiting_list(user=user, on=on)}


def test_the_waiting_list_kept_for_one_scope_and_day_is_not_another_ones(case_worker_af, case_worker_fk, leader,
                                                                         agency_af, agency_fk, project, one_place_a):
    """waiting_list keeps its built query per scope and day (selectors._WAITING_LISTS): each case worker still sees
    only their agency's starts, the leader everyone's, and another day's list is that day's."""
    today = timezone.localdate()
    ReferralFactory(agency=agency_af, project=project, participant__code="AF-W", referral_date=today
                    - dt.timedelta(days=20))
    booked = ReferralFactory(agency=agency_af, project=project, participant__code="AF-B",
                             referral_date=today - dt.timedelta(days=20))
    AssignmentFactory(referral=booked, placement=one_place_a, status=Assignment.Status.ONGOING,
                      start_date=today - dt.timedelta(days=3), planned_end_date=today + dt.timedelta(days=30))
    gone = ReferralFactory(agency=agency_fk, project=project, participant__code="FK-X",
                           referral_date=today - dt.timedelta(days=40))
    ExitFactory(referral=gone, kind=ExitKind.AS_PLANNED, exit_date=today - dt.timedelta(days=5))
    ReferralFactory(agency=agency_fk, project=project, participant__code="FK-W", referral_date=today
                    - dt.timedelta(days=2))

    assert set(_codes(case_worker_af)) == {"AF-W"}
    assert set(_codes(case_worker_fk)) == {"FK-W"}
    assert set(_codes(leader)) == {"AF-W", "FK-W"}
    assert set(_codes(case_worker_af)) == {"AF-W"}
    # A week ago the placed start had not begun and the exited one was still open: that day's list, not today's.
    week_ago = today - dt.timedelta(days=7)
    assert set(_codes(case_worker_af, on=week_ago)) == {"AF-W", "AF-B"}
    assert set(_codes(case_worker_fk, on=week_ago)) == {"FK-X"}
    assert set(_codes(case_worker_fk)) == {"FK-W"}


def _filter_fields(html: str) -> str:
    return re.search(r'<form method="get"[^>]*>(.*?)<div class="col-12 col-lg-auto btn-row">', html, re.S).group(1)


def test_the_drawn_filter_fields_follow_the_chosen_values_and_the_language(client, leader, agency_af, agency_fk,
                                                                           project):
    """The filter fields are kept per language and query (participants.filters._KeptFields): a chosen agency is
    the selected option on every page, another query or language draws its own, and a new agency is offered at
    once."""
    ReferralFactory(agency=agency_af, project=project)
    client.force_login(leader)
    url = reverse("participants:waiting_list")
    unfiltered = _filter_fields(client.get(url).content.decode())
    assert "selected" not in unfiltered.replace('value="" selected', "")
    chosen = _filter_fields(client.get(url, {"agency": agency_fk.pk}).content.decode())
    assert f'<option value="{agency_fk.pk}" selected>Försäkringskassan</option>' in chosen
    assert _filter_fields(client.get(url, {"agency": agency_fk.pk, "page": 2}).content.decode()) == chosen
    assert _filter_fields(client.get(url).content.decode()) == unfiltered
    english = _filter_fields(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert '<label class="form-label fw-semibold" for="id_agency">Agency</label>' in english
    assert '<label class="form-label fw-semibold" for="id_agency">Myndighet</label>' in unfiltered
    AgencyFactory(code="ny-myndighet", name="Ny myndighet")
    for page in (url, reverse("participants:list")):
        assert ">Ny myndighet</option>" in _filter_fields(client.get(page).content.decode())


def test_the_waiting_lists_rows_fetch_only_what_they_show(client, case_worker_af, agency_af, project):
    """The page's rows leave out the participant's personal number and the project (neither is shown), and still
    show the name, agency and referral date."""
    referral = ReferralFactory(agency=agency_af, project=project, participant__code="AF-ROW")
    client.force_login(case_worker_af)
    url = reverse("participants:waiting_list")
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        html = client.get(url).content.decode()
    rows = [q["sql"] for q in captured.captured_queries
            if q["sql"].startswith('SELECT "participants_waitingperiod"."referral_id" AS "referral_id", ')]
    assert len(rows) == 1
    assert '"personal_number"' not in rows[0] and "organisations_project" not in rows[0]
    assert f'<a href="/participants/{referral.participant_id}/">AF-ROW</a>' in html
    assert f'<td data-label="Myndighet">{agency_af.name}</td>' in html
    assert f'<td data-label="Anvisad" class="text-nowrap">{referral.referral_date.isoformat()}</td>' in html


def _shown(participant) -> tuple:
    """Every cell a participant-list row is drawn from (participants_tags.participant_rows and the view), read from
    participant_list's model objects: the rows the page showed before they were fetched as plain values."""
    return (participant.pk, participant.identity, participant.code, participant.first_name, participant.last_name,
            participant.gender, participant.latest_referral, participant.current_agency,
            participant.current_placement, participant.stage, participant.waiting_since)


@pytest.mark.postgres
def test_participant_rows_as_values_are_the_orms_rows_cell_by_cell(leader, case_worker_af, agency_af, agency_fk,
                                                                   project, one_place_a):
    """participant_list_rows gives plain values (selectors.ParticipantListRow) from a query compiled once per scope
    and day (core.paging.values_compiled): cell by cell the same as participant_list's model objects for the
    leader and a case worker, filtered or not, today and another day, in each stage; a page's keys in any order
    and a key that is not in the list are handled as page_rows does."""
    from core import paging

    today = timezone.localdate()
    waiting = ReferralFactory(agency=agency_af, project=project, participant__code="AF-1",
                              referral_date=today - dt.timedelta(days=9))
    Assessment.objects.create(referral=ReferralFactory(agency=agency_af, project=project, participant__code="AF-3",
                                                       referral_date=today - dt.timedelta(days=12)))
    placed = ReferralFactory(agency=agency_af, project=project, participant__code="AF-2",
                             referral_date=today - dt.timedelta(days=30))
    AssignmentFactory(referral=placed, placement=one_place_a, status=Assignment.Status.ONGOING,
                      start_date=today - dt.timedelta(days=10), planned_end_date=today + dt.timedelta(days=50))
    gone = ReferralFactory(agency=agency_fk, project=project, participant__code="FK-1",
                           referral_date=today - dt.timedelta(days=200))
    ExitFactory(referral=gone, kind=ExitKind.AS_PLANNED, exit_date=today - dt.timedelta(days=5))
    ReferralFactory(agency=agency_fk, project=project, participant__identity="anonymous",
                    participant__code=None, referral_date=today - dt.timedelta(days=3))
    paging._COMPILED_ROWS.clear()
    stages, compiled = set(), set()
    for user in (leader, case_worker_af):
        for on in (today, today - dt.timedelta(days=20)):
            for filtered in (lambda qs: qs, lambda qs: qs.filter(gender="kvinna"), lambda qs: qs.filter(code="AF-2")):
                queryset = filtered(selectors.participant_list(user=user, on=on))
                keys = list(paging.page_keys(queryset))[::-1] + [waiting.participant_id + 10_000]
                expected = [_shown(p) for p in paging.page_rows(queryset, keys)]
                stages |= {row[9] for row in expected}
                compiled.add((user.pk, on, len(keys)))
                for _ in range(2):
                    got = selectors.participant_list_rows(user=user, keys=keys, on=on)
                    assert all(isinstance(row, selectors.ParticipantListRow) for row in got)
                    assert [tuple(row) for row in got] == expected
    assert stages == {value for value, _label in selectors.Stage.choices} | {""}
    # one compiled query per scope, day and number of keys (each asked twice): the filters choose only the keys
    assert len(compiled) < 2 * 2 * 3
    assert len(paging._COMPILED_ROWS) == len(compiled)
