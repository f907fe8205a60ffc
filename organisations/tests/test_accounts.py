"""The project leader's account pages: list, create with an e-mailed invitation, deactivate."""

import pytest
from django.core import mail
from django.urls import reverse

from core.models import AuditEvent, Role, User
from organisations.models import AgencyMembership, ManagerScope

LIST = reverse("organisations:account_list")
CREATE = reverse("organisations:account_create")


def test_leader_sees_every_account_with_its_scope(client, leader, manager_a, case_worker_af, org_a):
    client.force_login(leader)
    page = client.get(LIST).content.decode()
    assert manager_a.email in page and case_worker_af.email in page
    assert org_a.name in page and "Arbetsförmedlingen" in page


def test_leader_creates_a_manager_and_an_invitation_is_sent(client, leader, org_a, unit_a):
    client.force_login(leader)
    response = client.post(CREATE, {"email": "Ny.Chef@Example.test", "first_name": "Nils", "role": Role.MANAGER,
                                    "organisation": org_a.pk, "unit": unit_a.pk})
    assert response.status_code == 302
    account = User.objects.get(email="ny.chef@example.test")
    assert account.role == Role.MANAGER and not account.has_usable_password()
    assert ManagerScope.objects.filter(user=account, organisation=org_a, unit=unit_a).exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ny.chef@example.test"]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE, object_type="core.User",
                                     object_id=str(account.pk), user=leader).exists()


def test_leader_creates_a_case_worker_bound_to_an_agency(client, leader, agency_fk):
    client.force_login(leader)
    client.post(CREATE, {"email": "handlaggare@example.test", "role": Role.CASE_WORKER, "agency": agency_fk.pk})
    account = User.objects.get(email="handlaggare@example.test")
    assert AgencyMembership.objects.get(user=account).agency == agency_fk


@pytest.mark.parametrize(("data", "field"), [
    ({"email": "x@example.test", "role": Role.MANAGER}, "organisation"),
    ({"email": "x@example.test", "role": Role.CASE_WORKER}, "agency"),
    ({"email": "leader@example.test", "role": Role.STEERING}, "email"),
    ({"email": "inte-en-adress", "role": Role.STEERING}, "email"),
])
def test_incomplete_accounts_are_refused(client, leader, data, field):
    client.force_login(leader)
    before = User.objects.count()
    response = client.post(CREATE, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert User.objects.count() == before
    assert not mail.outbox


def test_unit_must_belong_to_the_organisation(client, leader, org_a, unit_b):
    client.force_login(leader)
    response = client.post(CREATE, {"email": "x@example.test", "role": Role.MANAGER, "organisation": org_a.pk,
                                    "unit": unit_b.pk})
    assert "unit" in response.context["form"].errors
    assert not User.objects.filter(email="x@example.test").exists()


def test_leader_deactivates_after_confirmation_and_the_session_stops_working(client, leader, case_worker_af):
    other = client_class_login(case_worker_af)
    assert other.get(reverse("participants:list")).status_code == 200
    client.force_login(leader)
    url = reverse("organisations:account_deactivate", args=[case_worker_af.pk])
    assert client.get(url).status_code == 200
    client.post(url, {})  # not confirmed
    case_worker_af.refresh_from_db()
    assert case_worker_af.is_active
    assert client.post(url, {"confirm": "on"}).status_code == 302
    case_worker_af.refresh_from_db()
    assert not case_worker_af.is_active
    assert other.get(reverse("participants:list"))["Location"].startswith(reverse("account_login"))
    assert AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE, object_id=str(case_worker_af.pk)).exists()


def client_class_login(user):
    from django.test import Client

    other = Client()
    other.force_login(user)
    return other


def test_leader_cannot_deactivate_themselves(client, leader):
    client.force_login(leader)
    client.post(reverse("organisations:account_deactivate", args=[leader.pk]), {"confirm": "on"})
    leader.refresh_from_db()
    assert leader.is_active


@pytest.mark.parametrize("actor", ["manager_a", "case_worker_af", "steering"])
def test_other_roles_are_refused(client, actors, actor, case_worker_fk):
    client.force_login(actors[actor])
    assert client.get(LIST).status_code == 403
    assert client.post(CREATE, {"email": "x@example.test", "role": Role.LEADER}).status_code == 403
    assert not User.objects.filter(email="x@example.test").exists()
    url = reverse("organisations:account_deactivate", args=[case_worker_fk.pk])
    assert client.post(url, {"confirm": "on"}).status_code == 403
    case_worker_fk.refresh_from_db()
    assert case_worker_fk.is_active


def test_anonymous_is_sent_to_login(client, db):
    assert client.get(LIST)["Location"].startswith(reverse("account_login"))
