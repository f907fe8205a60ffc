import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from participants.selectors import WaitingState, waiting_list_on
from participants.tests.factories import ParticipantFactory, ReferralFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory

ROWS_QUERY = 'SELECT "participants_waitingperiod"."referral_id" AS "referral_id", "participants_referral"'
KEYS_QUERY = 'SELECT "participants_waitingperiod"."referral_id" AS "referral_id" FROM'


def _waiting_list_queries(client, user, query: str = "") -> list[str]:
    client.force_login(user)
    client.get(reverse("participants:waiting_list") + query)  # warm the option-list cache, as in a running server
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("participants:waiting_list") + query).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("rows", [1, 30])
def test_waiting_list_query_count_does_not_grow_with_rows(client, case_worker_af, agency_af, project, rows):
    for _ in range(rows):
        ReferralFactory(participant=ParticipantFactory(), agency=agency_af, project=project)
    queries = _waiting_list_queries(client, case_worker_af)
    # session, user, agency membership, counts per state (one GROUP BY over the stored count changes, which also
    # gives the paginator its count), the page's keys in order (from the stored periods), page of referrals
    # (participant, agency, interests joined or prefetched), the audit insert; no session write: no per-row query.
    non_transaction = [q for q in queries if not q.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(non_transaction) <= 8, "\n".join(non_transaction)
    assert not [q for q in queries if q.startswith('SELECT COUNT(*) AS "__count"')]


def test_the_waiting_list_page_is_sorted_and_cut_before_the_joins(client, case_worker_af, agency_af, project):
    """Narrowed by no more than the agency, the page's keys are read in order from the stored periods' index (no
    start is read for them); by gender, from the starts, cut before any join. The rows follow for the keys alone."""
    for _ in range(3):
        ReferralFactory(participant=ParticipantFactory(), agency=agency_af, project=project)
    queries = _waiting_list_queries(client, case_worker_af)
    keys = [q for q in queries if q.startswith(KEYS_QUERY)]
    assert len(keys) == 1 and "participants_referral" not in keys[0]
    assert re.search(r'ORDER BY "participants_waitingperiod"."referral_date" ASC, 1 ASC LIMIT \d+$', keys[0])
    rows = [q for q in queries if q.startswith(ROWS_QUERY)]
    assert len(rows) == 1 and "participants_participant" in rows[0] and not re.search(r"LIMIT \d+$", rows[0])
    filtered = _waiting_list_queries(client, case_worker_af, "?gender=kvinna")
    keys = [q for q in filtered if q.startswith('SELECT "participants_referral"."id" AS "pk"')]
    assert len(keys) == 1
    assert re.search(r"ORDER BY .* LIMIT \d+$", keys[0]) and '"closed_on"' in keys[0]
    assert "organisations_agency" not in keys[0] and "participants_referral_interests" not in keys[0]


def test_the_waiting_list_counts_and_pages_from_the_stored_periods(client, case_worker_af, agency_af, project):
    """The counts by state read the stored count changes alone and the keys the stored periods alone; no exit's
    date is looked up."""
    ReferralFactory(participant=ParticipantFactory(), agency=agency_af, project=project)
    queries = _waiting_list_queries(client, case_worker_af)
    counts = [q for q in queries if "participants_waitingcountchange" in q]
    assert len(counts) == 1 and "participants_referral" not in counts[0]
    assert not [q for q in queries if '"exit_date"' in q]


def test_a_deep_page_shows_its_starts_in_order(client, case_worker_af, agency_af, project):
    """Page 2 of 53 waiting starts: the three newest, oldest first, and the hit count of all of them."""
    today = timezone.localdate()
    starts = [ReferralFactory(participant=ParticipantFactory(code=f"AF-{n:02d}"), agency=agency_af, project=project,
                              referral_date=today - dt.timedelta(days=60 - n)) for n in range(53)]
    client.force_login(case_worker_af)
    response = client.get(reverse("participants:waiting_list"), {"page": 2})
    assert [r.code for r, _days in response.context["rows"]] == ["AF-50", "AF-51", "AF-52"]
    assert response.context["total"] == 53 and response.context["page"].paginator.num_pages == 2
    html = response.content.decode()
    assert f'<a href="/participants/{starts[50].participant_id}/">AF-50</a>' in html


def test_the_rows_show_each_starts_state_from_its_stored_period(client, case_worker_af, agency_af, project,
                                                                one_place_a):
    """The page's rows take each start's state from its stored period holding today, as its counts and keys do: one
    query joining the start, its participant and agency, and no query of the page reads the assignments. The state
    shown is the definition's (waiting_list_on) for each of the four states."""
    today = timezone.localdate()
    day = dt.timedelta(days=1)

    def start(code, days_ago):
        return ReferralFactory(agency=agency_af, project=project, participant__code=code,
                               referral_date=today - days_ago * day)

    start("AF-WAIT", 40)
    AssignmentFactory(referral=start("AF-REQ", 30), placement=one_place_a, status=Assignment.Status.REQUESTED,
                      start_date=today + 10 * day, planned_end_date=today + 40 * day)
    AssignmentFactory(referral=start("AF-BOOK", 20), placement=one_place_a, status=Assignment.Status.CONFIRMED,
                      start_date=today + 5 * day, planned_end_date=today + 60 * day)
    AssignmentFactory(referral=start("AF-DONE", 90), placement=one_place_a, status=Assignment.Status.COMPLETED,
                      start_date=today - 60 * day, planned_end_date=today - 5 * day, end_date=today - 5 * day)
    defined = dict(waiting_list_on(today).values_list("participant__code", "waiting_state"))
    assert set(defined.values()) == set(WaitingState.values)
    queries = _waiting_list_queries(client, case_worker_af)
    assert len([q for q in queries if q.startswith(ROWS_QUERY)]) == 1
    assert not [q for q in queries if "placements_assignment" in q]
    html = client.get(reverse("participants:waiting_list")).content.decode()
    labels = dict(WaitingState.choices)
    for code, state in defined.items():
        row = re.search(rf"<tr>\s*<th scope=\"row\"><a [^>]*>{code}</a></th>(.*?)</tr>", html, re.S).group(1)
        assert f'<td data-label="Läge">{labels[state]}</td>' in row, code
