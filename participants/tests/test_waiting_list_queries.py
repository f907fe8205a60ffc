import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from participants.tests.factories import ParticipantFactory, ReferralFactory


def _waiting_list_queries(client, user) -> list[str]:
    client.force_login(user)
    client.get(reverse("participants:waiting_list"))  # warm the option-list cache, as in a running server
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("participants:waiting_list")).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("rows", [1, 30])
def test_waiting_list_query_count_does_not_grow_with_rows(client, case_worker_af, agency_af, project, rows):
    for _ in range(rows):
        ReferralFactory(participant=ParticipantFactory(), agency=agency_af, project=project)
    queries = _waiting_list_queries(client, case_worker_af)
    # session, user, agency membership, counts per state (one GROUP BY over the stored count changes, which also
    # gives the paginator its count), the page's keys in order (core.paging), page of referrals (participant,
    # agency, interests joined or prefetched), the audit insert; no session write: no per-row query.
    non_transaction = [q for q in queries if not q.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(non_transaction) <= 8, "\n".join(non_transaction)
    assert not [q for q in queries if q.startswith('SELECT COUNT(*) AS "__count"')]


def test_the_waiting_list_page_is_sorted_and_cut_before_the_joins(client, case_worker_af, agency_af, project):
    for _ in range(3):
        ReferralFactory(participant=ParticipantFactory(), agency=agency_af, project=project)
    queries = _waiting_list_queries(client, case_worker_af)
    keys = [q for q in queries if q.startswith('SELECT "participants_referral"."id" AS "pk"')]
    assert len(keys) == 1
    assert re.search(r"ORDER BY .* LIMIT \d+$", keys[0]) and "JOIN" not in keys[0]
    rows = [q for q in queries if q.startswith('SELECT "participants_referral"."id", ')]
    assert len(rows) == 1 and "participants_participant" in rows[0] and not re.search(r"LIMIT \d+$", rows[0])


def test_the_waiting_list_finds_open_starts_by_their_stored_exit_date(client, case_worker_af, agency_af, project):
    """The page's keys filter on Referral.closed_on (an index) rather than looking up every exit's date; only the
    few exits registered in error are looked up. The counts by state read the stored count changes alone."""
    ReferralFactory(participant=ParticipantFactory(), agency=agency_af, project=project)
    queries = _waiting_list_queries(client, case_worker_af)
    keys = [q for q in queries if q.startswith('SELECT "participants_referral"."id" AS "pk"')]
    assert len(keys) == 1 and '"closed_on"' in keys[0]
    counts = [q for q in queries if "participants_waitingcountchange" in q]
    assert len(counts) == 1 and "participants_referral" not in counts[0]
    assert not [q for q in queries if '"exit_date"' in q]
