"""Agencies stay apart: whatever code or personal number a case worker types, recognition looks only at the own
agency's participants, and the answer is the same as for a person nobody knows."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.models import Gender
from participants import services
from participants.models import Participant, Referral
from participants.tests.factories import ReferralFactory

PNR = "199001010017"


@pytest.fixture
def fk_client(case_worker_fk, agency_fk, project):
    """Another agency's (Försäkringskassan's) identified client, with name, personal number and consent."""
    participant = Participant.objects.create(
        identity=Participant.Identity.IDENTIFIED, code="FK-2026-00031", gender=Gender.WOMAN, birth_year=1990,
        first_name="Fiona", last_name="Försäkrad", personal_number=PNR, consent_recorded_by=case_worker_fk,
        consent_recorded_at=timezone.now())
    ReferralFactory(participant=participant, agency=agency_fk, project=project, case_worker=case_worker_fk)
    return participant


def _refer(client, project, agency, **data):
    return client.post(reverse("participants:referral_create"), {
        "project": project.pk, "agency": agency.pk, "referral_date": "2026-02-01", "gender": "kvinna", **data})


def test_another_agencys_code_is_refused_and_reveals_nothing(client, case_worker_af, agency_af, project, fk_client):
    client.force_login(case_worker_af)
    detail = reverse("participants:detail", args=[fk_client.pk])
    assert client.get(detail).status_code == 404
    referrals_before = Referral.objects.count()

    known = _refer(client, project, agency_af, identity="pseudonymous", code=fk_client.code)
    unknown = _refer(client, project, agency_af, identity="pseudonymous", code="FK-2026-99999")

    assert known.status_code == unknown.status_code == 200
    expected = "Deltagarkoden ska börja med AF- (den anvisande myndighetens förkortning)."
    assert expected in known.context["form"].errors["code"][0]
    assert known.context["form"].errors == unknown.context["form"].errors
    assert Referral.objects.count() == referrals_before
    assert client.get(detail).status_code == 404
    assert fk_client.referrals.count() == 1


def test_another_agencys_personal_number_makes_a_record_of_the_own_agency(client, case_worker_af, agency_af,
                                                                          project, fk_client):
    client.force_login(case_worker_af)
    response = _refer(client, project, agency_af, identity="identified", first_name="Påhittad", last_name="Namn",
                      personal_number="19900101-0017", consent="on")
    assert response.status_code == 302
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Påhittad" in html
    assert "Fiona" not in html and "Försäkrad" not in html and fk_client.code not in html
    assert "fanns redan" not in html
    own = Participant.objects.exclude(pk=fk_client.pk).get(personal_number=PNR)
    assert (own.first_name, own.referrals.get().agency) == ("Påhittad", agency_af)
    assert fk_client.referrals.count() == 1
    assert client.get(reverse("participants:detail", args=[fk_client.pk])).status_code == 404


def test_only_the_leader_learns_that_two_records_share_a_personal_number(client, leader, case_worker_af,
                                                                         agency_af, project, fk_client):
    own = services.referral_create(
        user=case_worker_af, project=project, agency=agency_af, identity=Participant.Identity.IDENTIFIED,
        gender=Gender.WOMAN, referral_date=dt.date(2026, 2, 1), first_name="Påhittad", last_name="Namn",
        personal_number=PNR, consent=True).referral.participant
    client.force_login(case_worker_af)
    assert "Samma personnummer" not in client.get(reverse("participants:detail", args=[own.pk])).content.decode()
    client.force_login(leader)
    html = client.get(reverse("participants:detail", args=[own.pk])).content.decode()
    assert re.search(r"Samma personnummer finns hos en annan myndighets deltagare[^<]*<a href=\"/participants/"
                     rf"{fk_client.pk}/\">{fk_client.code}</a>", html)


def test_own_agencys_participant_is_still_recognised(case_worker_af, agency_af, project):
    first = services.referral_create(user=case_worker_af, project=project, agency=agency_af,
                                     identity=Participant.Identity.PSEUDONYMOUS, gender=Gender.MAN,
                                     referral_date=dt.date(2026, 2, 1), code="AF-77", birth_year=1985)
    second = services.referral_create(user=case_worker_af, project=project, agency=agency_af,
                                      identity=Participant.Identity.PSEUDONYMOUS, gender=Gender.MAN,
                                      referral_date=dt.date(2026, 9, 1), code="af-77", birth_year=1985)
    assert second.recognised and second.referral.participant_id == first.referral.participant_id


@pytest.mark.parametrize(("changed", "field"), [({"gender": Gender.WOMAN}, "gender"), ({"birth_year": 1986},
                                                                                         "birth_year")])
def test_a_different_gender_or_birth_year_is_never_merged(case_worker_af, agency_af, project, changed, field):
    values = {"identity": Participant.Identity.PSEUDONYMOUS, "gender": Gender.MAN, "code": "AF-78",
              "birth_year": 1985}
    services.referral_create(user=case_worker_af, project=project, agency=agency_af,
                             referral_date=dt.date(2026, 2, 1), **values)
    with pytest.raises(ValidationError) as excinfo:
        services.referral_create(user=case_worker_af, project=project, agency=agency_af,
                                 referral_date=dt.date(2026, 9, 1), **{**values, **changed})
    assert list(excinfo.value.error_dict) == [field]
    assert "registrerad med ett annat" in excinfo.value.error_dict[field][0].messages[0]
    assert Referral.objects.count() == 1


def test_suggested_codes_are_not_sequential(agency_af):
    codes = {services.participant_code_suggestion(agency=agency_af, year=2026) for _ in range(20)}
    assert len(codes) == 20
    assert all(re.fullmatch(r"AF-2026-[A-HJ-NP-Z2-9]{6}", code) for code in codes)
