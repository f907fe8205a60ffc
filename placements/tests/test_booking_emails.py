"""What the booking e-mails say and to whom: the request, the confirmation, the decline and the withdrawal.

Each message is read as it was queued (core.models.OutgoingEmail) and as it was sent (mail.outbox), whole:
recipients, subject line and body. The requests run under English while the e-mails stay in Swedish, the
language of the recipients."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import translation

from core.models import OutgoingEmail
from organisations.tests.factories import UnitFactory, make_case_worker, make_manager
from participants.tests.factories import ReferralFactory
from placements import services
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory, PlacementFactory

JAN = dt.date(2026, 1, 1)
JUN = dt.date(2026, 6, 30)
SITE = "https://sjalvklart.example"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def unit(org_a):
    return UnitFactory(
        organisation=org_a,
        name="Lagret",
        address="Hamngatan 4",
        postal_code="621 57",
        postal_town="Visby",
        manager_name="Maria Chef",
        manager_email="maria.chef@example.test",
        manager_phone="0498-20 00 00",
    )


@pytest.fixture
def manager(org_a):
    # Sorts before the case worker: the recipients are in address order, not in the order they were named.
    return make_manager(organisation=org_a, email="anders.chef@example.test", first_name="Anders", last_name="Chefsson")


@pytest.fixture
def case_worker(agency_af):
    return make_case_worker(agency=agency_af, email="karin@example.test", first_name="Karin", last_name="Berg")


@pytest.fixture
def placement(unit):
    return PlacementFactory(unit=unit, title="Lager & logistik", capacity=1)


@pytest.fixture
def host(org_b):
    """A host without a manager account (org_b has none), with a contact named on the unit."""
    unit = UnitFactory(organisation=org_b, name="Förrådet", manager_name="Sven Värd", manager_email="sven@example.test")
    return PlacementFactory(unit=unit, title="Förråd", capacity=1)


def _request(user, placement, agency, callbacks):
    with translation.override("en"), callbacks(execute=True):
        return services.assignment_request(
            user=user,
            referral=ReferralFactory(agency=agency),
            placement=placement,
            start_date=JAN,
            planned_end_date=JUN,
        )


def _sent():
    """(to, subject, body) of each e-mail, as queued; each was sent exactly so."""
    queued = [(e.to, e.subject, e.body) for e in OutgoingEmail.objects.order_by("pk")]
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == queued
    assert all(e.status == OutgoingEmail.Status.SENT for e in OutgoingEmail.objects.all())
    return queued


def test_a_request_tells_the_units_managers_who_asks_and_where_to_answer_in_swedish(
    placement, manager, case_worker, agency_af, django_capture_on_commit_callbacks
):
    make_manager(organisation=placement.unit.organisation, email="")  # no address: left out
    assignment = _request(case_worker, placement, agency_af, django_capture_on_commit_callbacks)

    assert _sent() == [
        (
            ["anders.chef@example.test"],
            "Förfrågan om arbetsträningsplats: Lager & logistik",
            'Hej!\n\nKarin Berg, Arbetsförmedlingen har frågat efter platsen "Lager & logistik" (Lagret)\n'
            "för en deltagare, 1 januari 2026–30 juni 2026.\n"
            "Frågor om deltagaren: karin@example.test\n\n"
            "Bekräfta eller avböj förfrågan här:\n"
            f"{SITE}/placements/{assignment.placement_id}/\n\n"
            "Hälsningar\nSjälvklart\n\n",
        )
    ]


def test_a_request_to_a_host_without_a_manager_account_tells_the_leader_why_and_whom_to_call(
    host, leader, case_worker, agency_af, django_capture_on_commit_callbacks
):
    assignment = _request(case_worker, host, agency_af, django_capture_on_commit_callbacks)

    assert _sent() == [
        (
            ["leader@example.test"],
            "Förfrågan om arbetsträningsplats: Förråd",
            'Hej!\n\nKarin Berg, Arbetsförmedlingen har frågat efter platsen "Förråd" (Förrådet)\n'
            "för en deltagare, 1 januari 2026–30 juni 2026.\n"
            "Frågor om deltagaren: karin@example.test\n\n"
            "Testby kommun har ingen chef med konto och e-postadress i Självklart, så förfrågan har kommit till "
            "dig som projektledare. Stäm av med värden och bekräfta eller avböj i deras ställe.\n"
            "Kontakt hos värden: Sven Värd sven@example.test\n\n"
            "Bekräfta eller avböj förfrågan här:\n"
            f"{SITE}/placements/{assignment.placement_id}/\n\n"
            "Hälsningar\nSjälvklart\n\n",
        )
    ]


def test_a_confirmation_tells_the_requester_and_the_decider_the_units_address_and_manager(
    placement, manager, case_worker, agency_af, django_capture_on_commit_callbacks
):
    assignment = _request(case_worker, placement, agency_af, django_capture_on_commit_callbacks)
    OutgoingEmail.objects.all().delete()
    mail.outbox.clear()
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        services.assignment_confirm(user=manager, assignment=assignment)

    assert _sent() == [
        (
            ["anders.chef@example.test", "karin@example.test"],
            "Placeringen är bekräftad: Lager & logistik",
            'Hej!\n\nFörfrågan om platsen "Lager & logistik" (Lagret) är bekräftad för perioden '
            "1 januari 2026–30 juni 2026.\n"
            "Bekräftad av Anders Chefsson (anders.chef@example.test).\n"
            "Adress: Hamngatan 4, 621 57 Visby\n"
            "Chef på enheten: Maria Chef maria.chef@example.test, 0498-20 00 00\n\n"
            f"{SITE}/placements/{assignment.placement_id}/\n\n"
            "Hälsningar\nSjälvklart\n\n",
        )
    ]


def test_a_decline_tells_the_requester_and_the_decider_why(
    host, leader, case_worker, agency_af, django_capture_on_commit_callbacks
):
    assignment = _request(case_worker, host, agency_af, django_capture_on_commit_callbacks)
    OutgoingEmail.objects.all().delete()
    mail.outbox.clear()
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        services.assignment_decline(user=leader, assignment=assignment, reason=" Ingen handledare i vår ")

    assert _sent() == [
        (
            ["karin@example.test", "leader@example.test"],
            "Förfrågan avböjd: Förråd",
            'Hej!\n\nFörfrågan om platsen "Förråd" (Förrådet) har avböjts.\n'
            "Avböjd av Lena (leader@example.test).\n\n"
            "Skäl: Ingen handledare i vår\n\n"
            f"Sök gärna en annan plats i Självklart: {SITE}/placements/\n\n"
            "Hälsningar\nSjälvklart\n\n",
        )
    ]


def test_a_withdrawal_tells_the_units_managers(
    placement, manager, case_worker, agency_af, django_capture_on_commit_callbacks
):
    assignment = _request(case_worker, placement, agency_af, django_capture_on_commit_callbacks)
    OutgoingEmail.objects.all().delete()
    mail.outbox.clear()
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        services.assignment_withdraw(user=case_worker, assignment=assignment)

    assert _sent() == [
        (
            ["anders.chef@example.test"],
            "Förfrågan återtagen: Lager & logistik",
            'Hej!\n\nFörfrågan om eller placeringen på platsen "Lager & logistik" (Lagret),\n'
            "1 januari 2026–30 juni 2026, har återtagits av den anvisande handläggaren.\n\n"
            "Hälsningar\nSjälvklart\n",
        )
    ]


def test_who_both_asked_and_decided_gets_one_copy(host, leader, agency_af, django_capture_on_commit_callbacks):
    assignment = _request(leader, host, agency_af, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_confirm(user=leader, assignment=assignment)

    assert [to for to, _subject, _body in _sent()] == [["leader@example.test"], ["leader@example.test"]]
    assert "Bekräftad av Lena (leader@example.test)." in mail.outbox[-1].body


def test_a_request_without_a_requester_still_tells_the_decider(placement, manager, django_capture_on_commit_callbacks):
    assignment = AssignmentFactory(placement=placement, status=Assignment.Status.REQUESTED, requested_by=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_confirm(user=manager, assignment=assignment)

    assert [to for to, _subject, _body in _sent()] == [["anders.chef@example.test"]]


def test_nobody_with_an_address_means_nothing_read_rendered_or_queued(
    placement, manager, django_assert_num_queries, django_capture_on_commit_callbacks
):
    assignment = AssignmentFactory(placement=placement, status=Assignment.Status.REQUESTED, requested_by=None)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, django_assert_num_queries(0):
        services._notify(template="declined", assignment=assignment, recipients=["", ""])
    assert callbacks == []

    with django_capture_on_commit_callbacks(execute=True):
        services.placement_close(user=manager, placement=placement)  # withdraws the request: no one to tell
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.WITHDRAWN
    assert not OutgoingEmail.objects.exists()
    assert mail.outbox == []


def test_the_email_waits_for_the_commit_and_a_rollback_sends_none(
    placement, manager, case_worker, agency_af, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.assignment_request(
            user=case_worker,
            referral=ReferralFactory(agency=agency_af),
            placement=placement,
            start_date=JAN,
            planned_end_date=JUN,
        )
    assert len(callbacks) == 1
    assert not OutgoingEmail.objects.exists()  # not before the commit
    callbacks[0]()
    assert [to for to, _subject, _body in _sent()] == [["anders.chef@example.test"]]

    OutgoingEmail.objects.all().delete()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.assignment_withdraw(user=case_worker, assignment=Assignment.objects.get())
        raise RuntimeError("rolled back")
    assert Assignment.objects.get().status == Assignment.Status.REQUESTED
    assert not OutgoingEmail.objects.exists()
    assert mail.outbox == []


def test_a_request_to_a_host_whose_managers_have_no_address_goes_to_the_leader(
    host, leader, case_worker, agency_af, org_b, django_capture_on_commit_callbacks
):
    """A manager account without an e-mail address reaches nobody: the leader is asked, as for a host without one."""
    make_manager(organisation=org_b, email="")
    _request(case_worker, host, agency_af, django_capture_on_commit_callbacks)

    [(to, subject, body)] = _sent()
    assert (to, subject) == (["leader@example.test"], "Förfrågan om arbetsträningsplats: Förråd")
    assert "Testby kommun har ingen chef med konto och e-postadress i Självklart" in body
