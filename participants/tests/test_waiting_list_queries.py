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
    # session, user, agency membership, count, page of referrals (participant, agency, interests joined or
    # prefetched), counts per state (one GROUP BY), the audit insert; no session write: no per-row query.
    non_transaction = [q for q in queries if not q.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(non_transaction) <= 8, "\n".join(non_transaction)
