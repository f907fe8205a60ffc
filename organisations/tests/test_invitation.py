"""The invitation e-mail says who invited the new user, to what and why, with a working link; a reset request
for an unknown address never points to the closed sign-up."""

import re

from django.core import mail
from django.urls import reverse

from core.models import Role, User

CREATE = reverse("organisations:account_create")


def _invite(client, leader, **data):
    client.force_login(leader)
    with_commit = {"email": "ny.chef@example.test", "first_name": "Nils", **data}
    return client.post(CREATE, with_commit)


def test_invitation_names_the_inviter_the_role_the_unit_and_why(client, leader, org_a, unit_a, project):
    leader.last_name = "Ledare"
    leader.save()
    _invite(client, leader, role=Role.MANAGER, organisation=org_a.pk, unit=unit_a.pk)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Lena Ledare har bjudit in dig till Självklart"
    assert message.reply_to == ["leader@example.test"]
    body = message.body
    assert "Lena Ledare (leader@example.test) har skapat ett konto åt dig i Självklart" in body
    assert "i projektet Självklart." in body
    assert f"Din roll: Första linjens chef – {unit_a.name}, {org_a.name}." in body
    assert "bekräftar eller avböjer förfrågningar" in body
    assert "bortse från detta mail om du inte begärt en återställning" not in body


def test_invitation_link_lets_the_new_user_choose_a_password(client, leader, agency_fk):
    _invite(client, leader, email="ny.handlaggare@example.test", role=Role.CASE_WORKER, agency=agency_fk.pk)
    body = mail.outbox[0].body
    assert "Din roll: Handläggare – Försäkringskassan." in body
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", body).group(1)
    client.logout()
    response = client.get(link, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    response = client.post(form_url, {"password1": "Ett-bra-losen-2026", "password2": "Ett-bra-losen-2026"})
    assert response.status_code == 302
    assert User.objects.get(email="ny.handlaggare@example.test").check_password("Ett-bra-losen-2026")


def test_reset_for_unknown_address_does_not_link_to_sign_up(client, db):
    client.post(reverse("account_reset_password"), {"email": "okand@example.test"})
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert mail.outbox[0].subject.endswith("Inget konto med den e-postadressen")
    assert "Det finns inget konto med den e-postadressen" in body
    assert "signup" not in body and "/accounts/" not in body
