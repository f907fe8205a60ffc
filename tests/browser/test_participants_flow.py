"""Browser journey: a case worker refers a participant and requests a placement, the manager confirms it,
the project leader records the exit, and the participant answers the survey through the one-time link.
Every page on the way is scanned with axe-core. Set SCREENSHOT_DIR to keep full-page screenshots.

serialized_rollback: a transactional test flushes the database afterwards; this restores the category
lists seeded by data migrations, so tests run later (or in a later --reuse-db session) still have them."""

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from participants.models import Exit, Participant, SurveyAnswer
from participants.tests.conftest import area_testvard, calm, categories  # noqa: F401 - fixtures
from placements.models import Assignment
from placements.tests.factories import PlacementFactory
from tests.browser.conftest import assert_no_axe_violations, login


def _shot(page, name):
    directory = os.environ.get("SCREENSHOT_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)


def _sign_out(page):
    page.context.clear_cookies()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_referral_request_confirm_exit_survey(page, live_server, case_worker_af, manager_a, leader, project, unit_a,
                                              area_testvard, calm, categories):  # noqa: F811
    placement = PlacementFactory(title="Vårdbiträde på avdelning 1", unit=unit_a, occupational_area=area_testvard,
                                 capacity=2, available_from=dt.date(2025, 1, 1))
    placement.adaptations.add(calm)

    # Case worker: referral
    login(page, live_server, case_worker_af, next_path="/participants/new/")
    assert_no_axe_violations(page)
    _shot(page, "referral_form")
    page.get_by_label("Projekt (obligatoriskt)").select_option(label=project.name)
    page.get_by_label("Kön (obligatoriskt)").select_option(label="Kvinna")
    page.get_by_label("Testvård").check()
    page.get_by_label("Lugn testmiljö").check()
    page.get_by_label("Önskad kommun").fill("Visby")
    page.get_by_role("button", name="Registrera anvisningen").click()
    page.wait_for_url(re.compile(r"/participants/\d+/"))
    participant = Participant.objects.get()
    assert page.get_by_role("heading", level=1).inner_text() == participant.code
    assert_no_axe_violations(page)

    # Matching and request
    page.get_by_role("link", name="Hitta plats (matchning)").click()
    page.wait_for_url(re.compile(r"/matching/"))
    assert page.get_by_text("Yrkesintresse: Testvård").is_visible()
    assert_no_axe_violations(page)
    _shot(page, "matching")
    page.get_by_role("button", name=re.compile("Fråga efter platsen")).first.click()
    page.wait_for_url(re.compile(r"/participants/\d+/"))
    assert page.get_by_text("Förfrågan om Vårdbiträde på avdelning 1 är skickad").is_visible()
    assert Assignment.objects.get().status == Assignment.Status.REQUESTED
    assert_no_axe_violations(page)

    # Manager confirms on the placement page
    _sign_out(page)
    login(page, live_server, manager_a, next_path=f"/placements/{placement.pk}/")
    page.get_by_role("button", name=f"Bekräfta {participant.code}").click()
    page.wait_for_load_state()
    assert Assignment.objects.get().status == Assignment.Status.CONFIRMED
    assert_no_axe_violations(page)

    # Project leader records the exit
    _sign_out(page)
    login(page, live_server, leader, next_path=f"/participants/{participant.pk}/")
    _shot(page, "participant_detail")
    page.get_by_role("link", name="Registrera avslut").click()
    page.wait_for_url(re.compile(r"/exit/"))
    assert_no_axe_violations(page)
    page.get_by_label("Avslutsdatum (obligatoriskt)").fill(dt.date.today().isoformat())
    page.get_by_label("Enligt plan").check()
    page.get_by_label("Avslutsorsak", exact=True).select_option(label="Arbete")
    page.get_by_role("button", name="Spara avslutet").click()
    page.wait_for_url(re.compile(r"/survey-link/"))
    assert_no_axe_violations(page)
    survey_url = page.get_by_label("Enkätlänk").input_value()
    assert Exit.objects.get().kind == "enligt plan"
    assert Assignment.objects.get().status in (Assignment.Status.COMPLETED, Assignment.Status.WITHDRAWN)
    page.goto(f"{live_server.url}/participants/{participant.pk}/")
    _shot(page, "participant_detail_after_exit")
    assert_no_axe_violations(page)

    # The participant answers the survey, without an account
    _sign_out(page)
    page.goto(survey_url)
    assert participant.code not in page.content()
    assert_no_axe_violations(page)
    _shot(page, "survey")
    for index in range(5):
        page.get_by_role("group").nth(index).get_by_label("Ja").check()
    page.get_by_role("button", name="Skicka svaren").click()
    assert page.get_by_role("heading", name="Tack för dina svar!").is_visible()
    assert_no_axe_violations(page)
    assert SurveyAnswer.objects.filter(agrees=True).count() == 5
    page.goto(survey_url)
    assert page.get_by_role("heading", name="Enkäten är redan besvarad").is_visible()
