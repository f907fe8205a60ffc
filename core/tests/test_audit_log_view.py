import pytest
from django.urls import reverse

from core.audit import audit_log
from core.models import AuditEvent

URL = reverse("core:audit_log")


@pytest.fixture
def events(leader, case_worker_af):
    audit_log(user=case_worker_af, action=AuditEvent.Action.VIEW, object_type="participants.Participant",
              object_id=41, detail="detaljsida")
    audit_log(user=leader, action=AuditEvent.Action.VIEW, object_type="participants.Participant", object_id=42)
    audit_log(user=leader, action=AuditEvent.Action.EXPORT, object_type="placements.Placement", detail="=cmd")


def test_leader_finds_who_looked_at_one_person(client, leader, events):
    client.force_login(leader)
    response = client.get(URL, {"object_type": "participants.Participant", "object_id": "41"})
    assert response.status_code == 200
    page = response.context["page"]
    assert [e.user_email for e in page.object_list] == ["af@example.test"]


@pytest.mark.parametrize("actor", ["manager_a", "case_worker_af", "steering"])
def test_other_roles_are_refused(client, actors, actor):
    client.force_login(actors[actor])
    assert client.get(URL).status_code == 403


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_csv_export_is_neutralised_and_itself_logged(client, leader, events):
    client.force_login(leader)
    response = client.get(URL, {"action": "export", "format": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert "'=cmd" in body
    assert AuditEvent.objects.filter(action="export", object_type="core.AuditEvent", user=leader).exists()


@pytest.mark.parametrize("rows", [1, 60])
def test_list_query_count_does_not_grow_with_rows(client, leader, django_assert_num_queries, rows):
    client.force_login(leader)
    for n in range(rows):
        audit_log(user=leader, action=AuditEvent.Action.VIEW, object_type="x", object_id=n)
    # 1 session, 2 user, 3 count, 4 page of events; no session write (core.sessions refreshes the expiry at
    # most every few minutes); nothing per row.
    with django_assert_num_queries(4):
        assert client.get(URL).status_code == 200
