"""What the booking e-mails say and to whom: the whole subject and body of each, in Swedish whatever language the
request runs in, queued only once the booking is saved."""

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import translation

from core.models import OutgoingEmail
from organisations.tests.factories import UnitFactory, make_case_worker, make_manager
from participants.tests.factories import ReferralFactory
from placements import services
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory, PlacementFactory

JAN = dt.date(2026, 1, 12)
JUN = dt.date(2026, 6, 30)


@pytest.fixture
def unit(org_a):
    return UnitFactory(organisation=org_a, name="Vårdavdelning 1", address="Sjukhusvägen 2", postal_code="621 84",
                       postal_town="Visby", manager_name="Maja Chef", manager_email="maja.chef@example.test",
                       manager_phone="0498-26 80 00")


@pytest.fixture
def placement(unit):
    return PlacementFactory(unit=unit, title="Kökshjälp", capacity=1, available_from=dt.date(2025, 1, 1))


@pytest.fixture
def karin(agency_af):
    return make_case_worker(agency=agency_af, email="karin.berg@example.test", first_name="Karin", last_name="Berg")


@pytest.fixture
def manager(org_a):
    return make_manager(organisation=org_a, email="olle.chef@example.test", first_name="Olle", last_name="Chef")


def _request(user, placement, agency, callbacks):
    with callbacks(execute=True), translation.override("en"):
        return services.assignment_request(user=user, referral=ReferralFactory(agency=agency), placement=placement,
                                           start_date=JAN, planned_end_date=JUN)


def test_the_request_tells_the_host_s_managers_who_asks_for_which_place_and_when(
        placement, karin, manager, agency_af, django_capture_on_commit_callbacks):
    assignment = _request(karin, placement, agency_af, django_capture_on_commit_callbacks)

    [email] = mail.outbox
    assert email.to == ["olle.chef@example.test"]
    assert email.subject == "Förfrågan om arbetsträningsplats: Kökshjälp"
    assert email.body == (
        "Hej!\n\n"
        'Karin Berg, Arbetsförmedlingen har frågat efter platsen "Kökshjälp" (Vårdavdelning 1)\n'
        "för en deltagare, 12 januari 2026–30 juni 2026.\n"
        "Frågor om deltagaren: karin.berg@example.test\n\n"
        "Bekräfta eller avböj förfrågan här:\n"
        f"{settings.SITE_URL}/placements/{assignment.placement_id}/\n\n"
        "Hälsningar\nSjälvklart\n\n"
    )


def test_a_request_to_a_host_without_a_manager_account_asks_the_leader_to_contact_the_host(
        placement, karin, leader, agency_af, org_a, django_capture_on_commit_callbacks):
    assignment = _request(karin, placement, agency_af, django_capture_on_commit_callbacks)

    [email] = mail.outbox
    assert email.to == ["leader@example.test"]
    assert email.subject == "Förfrågan om arbetsträningsplats: Kökshjälp"
    assert email.body == (
        "Hej!\n\n"
        'Karin Berg, Arbetsförmedlingen har frågat efter platsen "Kökshjälp" (Vårdavdelning 1)\n'
        "för en deltagare, 12 januari 2026–30 juni 2026.\n"
        "Frågor om deltagaren: karin.berg@example.test\n\n"
        f"{org_a.name} har ingen chef med konto i Självklart, så förfrågan har kommit till dig som projektledare. "
        "Stäm av med värden och bekräfta eller avböj i deras ställe.\n"
        "Kontakt hos värden: Maja Chef maja.chef@example.test, 0498-26 80 00\n\n"
        "Bekräfta eller avböj förfrågan här:\n"
        f"{settings.SITE_URL}/placements/{assignment.placement_id}/\n\n"
        "Hälsningar\nSjälvklart\n\n"
    )


def test_the_confirmation_tells_the_requester_and_the_decider_where_to_go_and_whom_to_ask(
        placement, karin, manager, agency_af, django_capture_on_commit_callbacks):
    assignment = _request(karin, placement, agency_af, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        services.assignment_confirm(user=manager, assignment=assignment)

    email = mail.outbox[-1]
    assert email.to == ["karin.berg@example.test", "olle.chef@example.test"]
    assert email.subject == "Placeringen är bekräftad: Kökshjälp"
    assert email.body == (
        "Hej!\n\n"
        'Förfrågan om platsen "Kökshjälp" (Vårdavdelning 1) är bekräftad för perioden 12 januari 2026–30 juni 2026.\n'
        "Bekräftad av Olle Chef (olle.chef@example.test).\n"
        "Adress: Sjukhusvägen 2, 621 84 Visby\n"
        "Chef på enheten: Maja Chef maja.chef@example.test, 0498-26 80 00\n\n"
        f"{settings.SITE_URL}/placements/{assignment.placement_id}/\n\n"
        "Hälsningar\nSjälvklart\n\n"
    )


def test_the_decline_gives_the_reason_and_the_way_back_to_the_list(
        placement, karin, manager, agency_af, django_capture_on_commit_callbacks):
    assignment = _request(karin, placement, agency_af, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        services.assignment_decline(user=manager, assignment=assignment, reason="  Ingen handledare i juni.  ")

    email = mail.outbox[-1]
    assert email.to == ["karin.berg@example.test", "olle.chef@example.test"]
    assert email.subject == "Förfrågan avböjd: Kökshjälp"
    assert email.body == (
        "Hej!\n\n"
        'Förfrågan om platsen "Kökshjälp" (Vårdavdelning 1) har avböjts.\n'
        "Avböjd av Olle Chef (olle.chef@example.test).\n\n"
        "Skäl: Ingen handledare i juni.\n\n"
        f"Sök gärna en annan plats i Självklart: {settings.SITE_URL}/placements/\n\n"
        "Hälsningar\nSjälvklart\n\n"
    )


def test_the_withdrawal_tells_the_host_s_managers_which_period_is_taken_back(
        placement, karin, manager, agency_af, django_capture_on_commit_callbacks):
    assignment = _request(karin, placement, agency_af, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        services.assignment_withdraw(user=karin, assignment=assignment, reason="Deltagaren har fått jobb.")

    email = mail.outbox[-1]
    assert email.to == ["olle.chef@example.test"]
    assert email.subject == "Förfrågan återtagen: Kökshjälp"
    assert email.body == (
        "Hej!\n\n"
        'Förfrågan om eller placeringen på platsen "Kökshjälp" (Vårdavdelning 1),\n'
        "12 januari 2026–30 juni 2026, har återtagits av den anvisande handläggaren.\n\n"
        "Hälsningar\nSjälvklart\n"
    )


def test_a_person_on_both_sides_gets_one_e_mail_and_nobody_without_an_address_gets_one(
        placement, leader, agency_af, django_capture_on_commit_callbacks):
    """The leader requests and confirms: one recipient, once. A host whose only manager has no address and no leader
    with an address: the request is saved and no e-mail is queued."""
    assignment = _request(leader, placement, agency_af, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_confirm(user=leader, assignment=assignment)
    assert [m.to for m in mail.outbox] == [["leader@example.test"]]

    leader.email = ""
    leader.save(update_fields=["email"])
    other = PlacementFactory(unit=placement.unit, title="Vaktmästeri", capacity=1, available_from=JAN)
    OutgoingEmail.objects.all().delete()
    _request(leader, other, agency_af, django_capture_on_commit_callbacks)
    assert Assignment.objects.filter(placement=other, status=Assignment.Status.REQUESTED).count() == 1
    assert not OutgoingEmail.objects.exists()


def test_no_e_mail_is_queued_for_a_booking_that_is_rolled_back(
        placement, karin, manager, agency_af, django_capture_on_commit_callbacks):
    class RolledBack(Exception):
        pass

    with (django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RolledBack),
          transaction.atomic()):
        services.assignment_request(user=karin, referral=ReferralFactory(agency=agency_af), placement=placement,
                                    start_date=JAN, planned_end_date=JUN)
        raise RolledBack
    assert callbacks == []
    assert not OutgoingEmail.objects.exists() and mail.outbox == []
    assert not Assignment.objects.filter(placement=placement).exists()


def test_the_e_mail_of_a_confirmed_booking_names_the_assignment_s_own_unit(
        karin, agency_af, org_a, django_capture_on_commit_callbacks):
    """Two units of one organisation: the confirmation names the booked unit's address and manager."""
    near = UnitFactory(organisation=org_a, name="Köket", address="Köksgatan 1", manager_name="Kim Kock")
    far = UnitFactory(organisation=org_a, name="Förrådet", address="Förrådsvägen 9", manager_name="Frida Förråd")
    decider = make_manager(organisation=org_a, email="decider@example.test")
    assignment = AssignmentFactory(placement=PlacementFactory(unit=near, capacity=1, available_from=JAN),
                                   referral=ReferralFactory(agency=agency_af), requested_by=karin,
                                   status=Assignment.Status.REQUESTED, start_date=JAN, planned_end_date=JUN)
    PlacementFactory(unit=far, capacity=1, available_from=JAN)
    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_confirm(user=decider, assignment=assignment)
    body = mail.outbox[-1].body
    assert "Adress: Köksgatan 1\n" in body and "Chef på enheten: Kim Kock\n" in body
    assert "Förråd" not in body
