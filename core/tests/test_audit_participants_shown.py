"""The view events of the people a list page (or an export) shows: one row per participant, written in one statement
on PostgreSQL, the same rows as the ORM writes elsewhere."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import audit
from core.models import AuditEvent

COLUMNS = ("user_id", "user_email", "action", "object_type", "object_id", "object_repr", "detail", "ip_address")


def _written(monkeypatch, *, vendor: str, user, request) -> list[tuple]:
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    monkeypatch.setattr(audit.connection, "vendor", vendor)
    if vendor == "postgresql":  # no model object per person: the ORM's bulk insert is not used
        monkeypatch.setattr(AuditEvent.objects, "bulk_create", lambda *args, **kwargs: pytest.fail("bulk_create"))
    started = timezone.now()
    with CaptureQueriesContext(connection) as captured:
        audit.audit_log_participants_shown(user=user, participant_ids=[7, 3, None, 7, 12], detail="Lista, sida 2",
                                           request=request)
    monkeypatch.undo()
    rows = AuditEvent.objects.exclude(pk__in=before).order_by("object_id")
    assert all(started <= row.at <= timezone.now() for row in rows)
    return [tuple(getattr(row, name) for name in COLUMNS) for row in rows], len(captured.captured_queries)


@pytest.mark.postgres
@pytest.mark.parametrize("who", ["leader", "anonymous"])
def test_the_single_statement_writes_what_the_orm_writes(monkeypatch, leader, who):
    from django.contrib.auth.models import AnonymousUser

    user = leader if who == "leader" else AnonymousUser()
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="192.0.2.4")
    one_statement, statements = _written(monkeypatch, vendor="postgresql", user=user, request=request)
    assert statements == 1
    orm, _statements = _written(monkeypatch, vendor="sqlite", user=user, request=request)
    assert one_statement == orm
    assert [row[4] for row in one_statement] == ["12", "3", "7"]  # each person once (ordered as text here)
    assert one_statement[0][:4] == ((leader.pk, leader.email) if who == "leader" else (None, "")) + (
        "view", "participants.Participant")
    assert {row[7] for row in one_statement} == {"192.0.2.4"}  # the client behind the one trusted proxy
    assert not [row for row in _written(monkeypatch, vendor="postgresql", user=user, request=None)[0] if row[7]]
