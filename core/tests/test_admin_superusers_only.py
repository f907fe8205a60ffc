"""The Django admin is for superusers only: staff status alone (a leader given is_staff) does not open it."""

from django.urls import reverse


def test_staff_without_superuser_cannot_use_the_admin(client, leader):
    leader.is_staff = True
    leader.save()
    client.force_login(leader)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert client.get("/admin/organisations/organisation/").status_code == 302


def test_superuser_may_use_the_admin(client, leader, settings):
    settings.MFA_REQUIRED = False
    leader.is_staff = leader.is_superuser = True
    leader.save()
    client.force_login(leader)
    assert client.get("/admin/").status_code == 200


def test_no_page_links_to_the_admin(client, leader):
    leader.is_staff = leader.is_superuser = True
    leader.save()
    client.force_login(leader)
    for url in ("/", reverse("organisations:setup"), reverse("organisations:setup_organisations")):
        assert 'href="/admin/' not in client.get(url).content.decode(), url
