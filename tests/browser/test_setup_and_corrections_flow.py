"""Browser journeys for the project leader's set-up and corrections and the case worker's request from a
placement page. Every new page is scanned with axe-core and checked at 320 px (WCAG 1.4.10: no sideways
scrolling)."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from organisations.models import (
    BudgetLine,
    CostCategory,
    Organisation,
    ProjectGroupMember,
    ProjectPartner,
    Unit,
)
from organisations.tests.factories import OccupationalAreaFactory
from participants.models import Correction, Exit, ExitKind, ExitReason, FollowUp, Participant, PlanStep
from participants.tests.factories import ExitFactory, ReferralFactory
from placements.models import Assignment, Placement
from placements.tests.factories import PlacementFactory
from reporting.selectors import outcomes_section
from tests.browser.conftest import assert_no_axe_violations, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check_page(page):
    assert_no_axe_violations(page)   # with the 320-px check (tests/browser/conftest.py)


def test_leader_sets_up_organisation_unit_and_placement(page, live_server, leader):
    OccupationalAreaFactory(code="vard-test", name="Vårdtest")
    login(page, live_server, leader)
    page.get_by_role("link", name="Inställningar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inställningar")
    check_page(page)
    page.get_by_role("link", name="Organisationer och enheter").click()
    check_page(page)
    page.get_by_role("link", name="Ny organisation").click()
    check_page(page)
    page.get_by_role("button", name="Lägg upp organisationen").click()  # empty: errors in Swedish
    expect(page.get_by_role("alert")).to_contain_text("Formuläret innehåller fel")
    check_page(page)
    page.get_by_label(re.compile("^Namn")).fill("Region Testholm")
    page.get_by_label(re.compile("^Typ")).select_option(label="Region")
    page.get_by_label(re.compile("^Antal anställda")).fill("5200")
    page.get_by_label(re.compile("^Mål för platser")).fill("2.5")
    page.get_by_role("button", name="Lägg upp organisationen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Region Testholm")
    check_page(page)
    organisation = Organisation.objects.get(name="Region Testholm")
    assert organisation.employee_count == 5200

    page.get_by_role("link", name="Ny enhet").click()
    check_page(page)
    page.get_by_label(re.compile("^Namn")).fill("Hamnens vårdcentral")
    page.get_by_label(re.compile("^Kommun")).fill("Testholm")
    page.get_by_label(re.compile("^Adress")).fill("Hamngatan 4")
    page.get_by_label(re.compile("^Chef$|^Chef ")).fill("Pia Chef")
    page.get_by_label(re.compile("^Chefens e-post")).fill("pia.chef@example.test")
    page.get_by_role("button", name="Lägg upp enheten").click()
    expect(page.get_by_role("status").first).to_contain_text("Enheten Hamnens vårdcentral är upplagd")
    expect(page.get_by_text("Chef: Pia Chef")).to_be_visible()
    unit = Unit.objects.get(name="Hamnens vårdcentral")

    page.goto(f"{live_server.url}/placements/new/")
    page.get_by_label("Benämning").fill("Receptionist")
    page.get_by_label(re.compile("^Enhet")).select_option(label="Hamnens vårdcentral, Region Testholm (Testholm)")
    page.get_by_label("Yrkesområde").select_option(label="Vårdtest")
    page.get_by_label("Antal platser samtidigt").fill("1")
    page.get_by_label("Tillgänglig från").fill("2026-12-01")
    page.get_by_label(re.compile("Jag intygar att arbetsuppgifterna")).check()
    page.get_by_role("button", name="Registrera platsen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Receptionist")
    expect(page.get_by_text("Hamngatan 4")).to_be_visible()
    assert Placement.objects.get(title="Receptionist").unit == unit


def test_leader_corrects_an_exit_and_the_figure_changes(page, live_server, leader, project, agency_af):
    work = ExitReason.objects.get_or_create(code="arbete", defaults={"name": "Arbete", "is_work_or_studies": True})[0]
    ill = ExitReason.objects.get_or_create(code="sjukdom", defaults={"name": "Sjukdom"})[0]
    referral = ReferralFactory(project=project, agency=agency_af, referral_date=dt.date(2026, 1, 5),
                               participant__code="AF-WEB-1")
    exit = ExitFactory(referral=referral, exit_date=dt.date(2026, 3, 20), kind=ExitKind.AS_PLANNED, reason=ill)
    march = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert outcomes_section(project, *march)["work_or_studies"]["count_all_exited"] == 0

    login(page, live_server, leader, next_path=f"/participants/{referral.participant_id}/")
    check_page(page)  # the participant page with its new correction links
    page.get_by_role("link", name="Rätta avslutet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rätta avslut")
    check_page(page)
    page.get_by_label(re.compile("^Avslutsorsak")).select_option(label="Arbete")
    page.get_by_role("button", name="Spara rättelsen").click()  # no reason given
    expect(page.get_by_role("alert")).to_contain_text("Ange varför uppgiften rättas.")
    check_page(page)
    page.get_by_label(re.compile("^Skäl till rättelsen")).fill("Deltagaren fick arbete; fel orsak valdes")
    page.get_by_role("button", name="Spara rättelsen").click()
    expect(page.get_by_role("status").first).to_contain_text("Rättelsen är sparad.")
    exit.refresh_from_db()
    assert exit.reason == work and Correction.objects.filter(kind="exit").count() == 1
    assert outcomes_section(project, *march)["work_or_studies"]["count_all_exited"] == 1
    page.goto(f"{live_server.url}/participants/exits/{exit.pk}/correct/")
    expect(page.locator(".history")).to_contain_text("skäl: Deltagaren fick arbete; fel orsak valdes")
    assert Exit.objects.get(pk=exit.pk).reason == work


def test_case_worker_requests_the_place_from_its_page(page, live_server, case_worker_af, manager_a, project,
                                                      agency_af, unit_a):
    area = OccupationalAreaFactory(code="lager-test", name="Lagertest")
    unit_a.address = "Lagervägen 2"
    unit_a.save()
    place = PlacementFactory(unit=unit_a, occupational_area=area, title="Lagerarbete", capacity=2,
                             available_from=dt.date(2025, 1, 1))
    referral = ReferralFactory(project=project, agency=agency_af, referral_date=dt.date(2026, 1, 5),
                               case_worker=case_worker_af, participant__code="AF-WEB-2")
    login(page, live_server, case_worker_af, next_path=f"/placements/{place.pk}/")
    expect(page.get_by_text("Lagervägen 2")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="Fråga efter platsen för …").click()
    check_page(page)
    page.get_by_label(re.compile("^Deltagare som väntar på plats")).select_option(
        label="AF-WEB-2 (AF), anvisad 2026-01-05")
    page.get_by_role("button", name="Skicka förfrågan").click()
    expect(page.get_by_role("status").first).to_contain_text("Förfrågan om Lagerarbete för AF-WEB-2 är skickad.")
    assignment = Assignment.objects.get(referral=referral)
    assert assignment.status == Assignment.Status.REQUESTED

    # The manager answers from the start page.
    page.context.clear_cookies()
    login(page, live_server, manager_a)
    check_page(page)
    page.get_by_role("button", name="Bekräfta AF-WEB-2").click()
    expect(page.get_by_role("status").first).to_contain_text("Förfrågan är bekräftad.")
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.CONFIRMED


def test_every_new_page_passes_axe_and_fits_320_px(page, live_server, leader, project, agency_af, unit_a):
    """The pages the journeys above do not pass through: project set-up, category lists, the other corrections
    and the consent pages."""
    ProjectPartner.objects.create(project=project, name="Försäkringskassan", role="co_financier",
                                  contribution="Handläggartid", co_financing_amount=250000)
    line = BudgetLine.objects.create(project=project, category=CostCategory.objects.get_or_create(
        code="personal", defaults={"name": "Personal"})[0], amount=5000000, cash_co_financing=100000,
        in_kind_co_financing=400000)
    ProjectGroupMember.objects.create(project=project, group="steering", name="Anna Andersson", gender="kvinna",
                                      represents="Region Testland")
    referral = ReferralFactory(project=project, agency=agency_af, referral_date=dt.date(2026, 1, 5),
                               participant__code="AF-WEB-3")
    follow_up = FollowUp.objects.create(referral=referral, met_on=dt.date(2026, 2, 1), notes="Möte")
    step = PlanStep.objects.create(referral=referral, description="Söka jobb")
    competence = referral.competences.create(name="Kassa", validated_on=dt.date(2026, 2, 1))
    identified = ReferralFactory(project=project, agency=agency_af, referral_date=dt.date(2026, 1, 5),
                                 participant__code="AF-WEB-4")
    Participant.objects.filter(pk=identified.participant_id).update(
        identity=Participant.Identity.IDENTIFIED, first_name="Sara", last_name="Lind",
        consent_recorded_at=timezone.now())
    login(page, live_server, leader)
    for path in (
        "/organisations/setup/projects/",
        f"/organisations/setup/projects/{project.pk}/",
        f"/organisations/setup/projects/{project.pk}/edit/",
        f"/organisations/setup/projects/{project.pk}/budget/{line.pk}/",
        f"/organisations/setup/projects/{project.pk}/members/new/",
        f"/organisations/setup/projects/{project.pk}/budget/{line.pk}/delete/",
        "/organisations/setup/lists/avslutsorsaker/",
        "/organisations/setup/lists/avslutsorsaker/new/",
        f"/organisations/setup/units/{unit_a.pk}/",
        f"/participants/starts/{referral.pk}/correct/",
        f"/participants/follow-ups/{follow_up.pk}/correct/",
        f"/participants/plan-steps/{step.pk}/correct/",
        f"/participants/competences/{competence.pk}/correct/",
        f"/participants/{referral.participant_id}/consent/",
        f"/participants/{identified.participant_id}/consent/withdraw/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        check_page(page)
