"""Contacts and acting where you are: the placement page shows the unit's address and manager; requests name
the case worker and agency; a request for a host without a manager account goes to the project leader; a case
worker asks for a place from its page; a manager confirms or declines from the start page."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from core.models import AuditEvent, Role
from organisations.tests.factories import OrganisationFactory, UnitFactory, UserFactory
from participants.tests.factories import ReferralFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory, PlacementFactory


@pytest.fixture
def open_place(unit_a, area_testvard):
    unit_a.address, unit_a.postal_code, unit_a.postal_town = "Sjukhusvägen 1", "621 84", "Visby"
    unit_a.manager_name, unit_a.manager_email, unit_a.manager_phone = "Maria Chef", "maria@example.test", "0498-1"
    unit_a.save()
    return PlacementFactory(unit=unit_a, occupational_area=area_testvard, capacity=2, title="Vårdbiträde",
                            available_from=dt.date(2025, 1, 1))


@pytest.fixture
def named_case_worker(case_worker_af):
    case_worker_af.first_name, case_worker_af.last_name = "Karin", "Berg"
    case_worker_af.save()
    return case_worker_af


def _request(client, placement, referral, start="2026-09-01", end="2026-11-30"):
    return client.post(reverse("participants:request_for_placement", args=[placement.pk]), {
        "referral": referral.pk, "start_date": start, "planned_end_date": end})


def test_placement_page_shows_address_and_manager_contact(client, named_case_worker, open_place, steering):
    client.force_login(named_case_worker)
    page = client.get(reverse("placements:detail", args=[open_place.pk])).content.decode()
    assert "<dd class=\"col-sm-7\">Sjukhusvägen 1, 621 84 Visby</dd>" in page
    assert 'Maria Chef, <a href="mailto:maria@example.test">maria@example.test</a>, 0498-1' in page
    client.force_login(steering)
    page = client.get(reverse("placements:detail", args=[open_place.pk])).content.decode()
    assert "maria@example.test" not in page and "Adress och kontakt" not in page


def test_placement_page_names_manager_accounts_when_the_unit_names_none(client, case_worker_af, unit_b, area_testvard,
                                                                      manager_b):
    manager_b.first_name, manager_b.last_name = "Bo", "Chef"
    manager_b.save()
    place = PlacementFactory(unit=unit_b, occupational_area=area_testvard)
    client.force_login(case_worker_af)
    page = client.get(reverse("placements:detail", args=[place.pk])).content.decode()
    assert 'Bo Chef, <a href="mailto:manager-b@example.test">manager-b@example.test</a>' in page


def test_case_worker_requests_the_place_from_its_page(client, named_case_worker, open_place, referral_af,
                                                      referral_fk, manager_a, project, agency_af,
                                                      django_capture_on_commit_callbacks):
    booked = ReferralFactory(agency=agency_af, project=project, referral_date=dt.date(2026, 1, 5),
                             participant__code="AF-BOKAD")
    AssignmentFactory(placement=open_place, referral=booked, status=Assignment.Status.REQUESTED,
                      start_date=dt.date(2026, 9, 1), planned_end_date=dt.date(2026, 10, 1))
    client.force_login(named_case_worker)
    page = client.get(reverse("placements:detail", args=[open_place.pk])).content.decode()
    url = reverse("participants:request_for_placement", args=[open_place.pk])
    assert f'<a class="btn btn-primary" href="{url}">Fråga efter platsen för …</a>' in page
    form = client.get(url)
    choices = [label for value, label in form.context["form"].fields["referral"].choices if value]
    assert choices == ["AF-TEST-1 (AF), anvisad 2026-01-05"]  # not FK's, not the one already requested
    assert AuditEvent.objects.filter(object_id=str(referral_af.participant_id), action=AuditEvent.Action.VIEW,
                                     detail=f"Fråga efter plats {open_place.pk}: väntande deltagare").exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = _request(client, open_place, referral_af)
    assert response.status_code == 302 and response.url == reverse("placements:detail", args=[open_place.pk])
    assignment = Assignment.objects.get(referral=referral_af)
    assert assignment.status == Assignment.Status.REQUESTED and assignment.requested_by == named_case_worker
    message = [m for m in mail.outbox if m.to == [manager_a.email]][-1]
    assert "Karin Berg, Arbetsförmedlingen har frågat efter platsen \"Vårdbiträde\"" in message.body
    assert "Frågor om deltagaren: af@example.test" in message.body
    # The manager sees who asked, from which agency.
    client.force_login(manager_a)
    page = client.get(reverse("placements:detail", args=[open_place.pk])).content.decode()
    assert "Förfrågad av Karin Berg, Arbetsförmedlingen" in page


def test_another_agencys_participant_cannot_be_requested(client, case_worker_af, open_place, referral_fk):
    client.force_login(case_worker_af)
    response = _request(client, open_place, referral_fk)
    assert response.status_code == 200 and "referral" in response.context["form"].errors
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("actor", ["manager_a", "steering"])
def test_only_case_workers_and_the_leader_request_from_the_page(client, actors, actor, open_place):
    client.force_login(actors[actor])
    assert client.get(reverse("participants:request_for_placement", args=[open_place.pk])).status_code == 403


def test_request_to_a_host_without_manager_account_goes_to_the_leader(client, leader, named_case_worker,
                                                                      referral_af, area_testvard,
                                                                      django_capture_on_commit_callbacks):
    police = UnitFactory(organisation=OrganisationFactory(name="Polismyndigheten", kind="statlig myndighet"),
                         name="Polisstation Visby", municipality="Gotland")
    place = PlacementFactory(unit=police, occupational_area=area_testvard, title="Reception",
                             available_from=dt.date(2025, 1, 1))
    UserFactory(email="ledare2@example.test", role=Role.LEADER)
    client.force_login(named_case_worker)
    with django_capture_on_commit_callbacks(execute=True):
        _request(client, place, referral_af)
    message = mail.outbox[-1]
    assert message.to == ["leader@example.test", "ledare2@example.test"]
    assert "Polismyndigheten har ingen chef med konto och e-postadress i Självklart" in message.body
    client.force_login(leader)
    home = client.get("/").content.decode()
    assert "Ingen chef i systemet – du svarar" in home and "Reception" in home


def test_manager_confirms_and_declines_from_the_start_page(client, manager_a, open_place, referral_af, project,
                                                          agency_af, named_case_worker):
    first = AssignmentFactory(placement=open_place, referral=referral_af, status=Assignment.Status.REQUESTED,
                              start_date=dt.date(2026, 9, 1), planned_end_date=dt.date(2026, 10, 1),
                              requested_by=named_case_worker)
    other = ReferralFactory(agency=agency_af, project=project, referral_date=dt.date(2026, 1, 5),
                            participant__code="AF-ANDRA")
    second = AssignmentFactory(placement=open_place, referral=other, status=Assignment.Status.REQUESTED,
                               start_date=dt.date(2026, 9, 1), planned_end_date=dt.date(2026, 10, 1))
    client.force_login(manager_a)
    home = client.get("/").content.decode()
    assert "AF-TEST-1 · 2026-09-01 – 2026-10-01 · förfrågad av Karin Berg, Arbetsförmedlingen" in home
    assert ">Bekräfta AF-TEST-1</button>" in home and ">Avböj AF-ANDRA …</summary>" in home
    assert set(AuditEvent.objects.filter(detail="Startsida").values_list("object_id", flat=True)) == {
        str(referral_af.participant_id), str(other.participant_id)}
    response = client.post(reverse("placements:assignment_confirm", args=[open_place.pk, first.pk]), {"next": "/"})
    assert response.status_code == 302 and response.url == "/"
    response = client.post(reverse("placements:assignment_decline", args=[open_place.pk, second.pk]),
                           {"next": "/", "reason": "Ingen handledare i september"})
    assert response.url == "/"
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Assignment.Status.CONFIRMED, Assignment.Status.DECLINED)
    assert "Förfrågningar att besvara" not in client.get("/").content.decode()


def test_next_outside_the_site_is_ignored(client, manager_a, open_place, referral_af):
    request = AssignmentFactory(placement=open_place, referral=referral_af, status=Assignment.Status.REQUESTED,
                                start_date=dt.date(2026, 9, 1), planned_end_date=dt.date(2026, 10, 1))
    client.force_login(manager_a)
    response = client.post(reverse("placements:assignment_confirm", args=[open_place.pk, request.pk]),
                           {"next": "https://evil.example/"})
    assert response.url == reverse("placements:detail", args=[open_place.pk])
