import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse


@pytest.mark.parametrize("actor", ["leader", "manager_a", "case_worker_af"])
def test_roles_with_personal_data_must_set_up_totp(client, settings, actors, actor):
    settings.MFA_REQUIRED = True
    client.force_login(actors[actor])
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_steering_group_sees_aggregates_without_mfa(client, settings, steering):
    settings.MFA_REQUIRED = True
    client.force_login(steering)
    assert client.get(reverse("home")).status_code == 200


def test_user_with_totp_passes(client, settings, leader):
    settings.MFA_REQUIRED = True
    Authenticator.objects.create(user=leader, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(leader)
    assert client.get(reverse("home")).status_code == 200


def test_setup_page_itself_is_reachable(client, settings, leader):
    settings.MFA_REQUIRED = True
    client.force_login(leader)
    response = client.get(reverse("mfa_activate_totp"))
    # Either the set-up form, or allauth's re-authentication step first – never a loop back to itself.
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("account_reauthenticate"))
    else:
        assert response.status_code == 200


def test_embedded_default_does_not_require_mfa(client, settings, leader):
    settings.MFA_REQUIRED = False
    client.force_login(leader)
    assert client.get(reverse("home")).status_code == 200
