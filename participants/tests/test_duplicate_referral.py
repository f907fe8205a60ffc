"""The referral form sent twice (double click, reload, a second tab) registers one referral, with a message."""

import re

from django.urls import reverse

from participants.models import Participant, Referral


def _form_key(client) -> str:
    html = client.get(reverse("participants:referral_create")).content.decode()
    return re.search(r'name="submission_key" value="([0-9a-f-]{36})"', html).group(1)


def test_the_same_form_sent_twice_makes_one_referral(client, case_worker_af, agency_af, project):
    client.force_login(case_worker_af)
    data = {"project": project.pk, "agency": agency_af.pk, "referral_date": "2026-02-01", "gender": "kvinna",
            "identity": "pseudonymous", "code": "", "submission_key": _form_key(client)}
    first = client.post(reverse("participants:referral_create"), data)
    second = client.post(reverse("participants:referral_create"), data)
    assert first.status_code == 302
    assert second.status_code == 200
    assert second.context["form"].non_field_errors() == [
        "Formuläret har redan skickats och anvisningen är registrerad. Öppna deltagaren i deltagarlistan i stället "
        "för att skicka formuläret igen."]
    assert (Participant.objects.count(), Referral.objects.count()) == (1, 1)


def test_each_empty_form_gets_its_own_key(client, case_worker_af):
    client.force_login(case_worker_af)
    assert _form_key(client) != _form_key(client)


def test_the_same_referral_typed_again_is_refused(client, case_worker_af, agency_af, project):
    client.force_login(case_worker_af)
    data = {"project": project.pk, "agency": agency_af.pk, "referral_date": "2026-02-01", "gender": "kvinna",
            "identity": "pseudonymous", "code": "AF-55"}
    assert client.post(reverse("participants:referral_create"), {**data, "submission_key": _form_key(client)}
                       ).status_code == 302
    again = client.post(reverse("participants:referral_create"), {**data, "submission_key": _form_key(client)})
    assert again.status_code == 200
    assert again.context["form"].non_field_errors() == [
        "Deltagaren har redan en öppen anvisning från 2026-02-01 i projektet. Samma anvisning registreras inte två "
        "gånger."]
    assert Referral.objects.count() == 1
    later = client.post(reverse("participants:referral_create"),
                        {**data, "referral_date": "2026-08-01", "submission_key": _form_key(client)})
    assert later.status_code == 302
    assert Participant.objects.get(code="AF-55").referrals.count() == 2
