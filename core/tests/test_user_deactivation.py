"""Accounts are deactivated, never deleted: deleting one would rewrite the audit rows that name it."""

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from core.audit import audit_log
from core.models import AuditEvent, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_leader(leader):
    User.objects.filter(pk=leader.pk).update(is_staff=True, is_superuser=True)
    leader.refresh_from_db()
    return leader


def _rows():
    return list(AuditEvent.objects.order_by("pk").values_list("pk", "user_id", "user_email", "object_repr"))


def test_the_admin_offers_no_delete_only_deactivation(client, admin_leader, case_worker_af):
    audit_log(user=case_worker_af, action=AuditEvent.Action.VIEW, object_type="participants.Participant",
              object_id=1, object_repr="AF-1")
    before = _rows()
    client.force_login(admin_leader)

    delete_url = reverse("admin:core_user_delete", args=[case_worker_af.pk])
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    changelist = client.get(reverse("admin:core_user_changelist")).content.decode()
    assert 'value="delete_selected"' not in changelist
    assert 'value="deactivate"' in changelist

    response = client.post(reverse("admin:core_user_changelist"),
                           {"action": "deactivate", "_selected_action": [case_worker_af.pk]})
    assert response.status_code == 302
    case_worker_af.refresh_from_db()
    assert case_worker_af.is_active is False
    assert User.objects.filter(pk=case_worker_af.pk).exists()
    after = _rows()
    assert after[:len(before)] == before  # the existing rows are untouched
    [new] = after[len(before):]
    assert new[1] == admin_leader.pk and new[3] == str(case_worker_af)


def test_deleting_an_account_with_audit_events_is_refused_and_changes_no_row(case_worker_af):
    audit_log(user=case_worker_af, action=AuditEvent.Action.VIEW, object_type="participants.Participant",
              object_id=1, object_repr="AF-1")
    before = _rows()
    with pytest.raises(ProtectedError):
        case_worker_af.delete()
    assert _rows() == before


def test_the_leader_cannot_deactivate_themself_in_the_admin(client, admin_leader):
    client.force_login(admin_leader)
    client.post(reverse("admin:core_user_changelist"), {"action": "deactivate", "_selected_action": [admin_leader.pk]})
    admin_leader.refresh_from_db()
    assert admin_leader.is_active is True
