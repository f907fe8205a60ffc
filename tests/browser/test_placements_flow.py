"""Playwright journeys for placements in headless Chromium, each main page scanned with axe-core."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from organisations.tests.factories import AdaptationFactory, OccupationalAreaFactory, SupervisorFactory
from placements.models import Placement
from placements.tests.factories import PlacementFactory
from tests.browser.conftest import assert_no_axe_violations, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def categories(db):
    # Seeded by organisations' data migration; a transactional test flushes them, so make sure they exist.
    return {
        "area": OccupationalAreaFactory(code="transport-distribution-lager", name="Transport, distribution, lager"),
        "rullstol": AdaptationFactory(code="rullstol", name="Tillgänglig för rullstol"),
    }


def test_manager_registers_a_placement(page, live_server, manager_a, unit_a, categories):
    SupervisorFactory(unit=unit_a, name="Hanna Handledare")
    login(page, live_server, manager_a)
    page.goto(f"{live_server.url}/placements/new/")
    assert_no_axe_violations(page)
    page.get_by_label("Benämning").fill("Lager och varumottagning")
    page.get_by_label("Yrkesområde").select_option(label="Transport, distribution, lager")
    page.get_by_role("textbox", name="Arbetsuppgifter").fill("Packa upp varor och fylla på förråd.")
    page.get_by_label("Antal platser samtidigt").fill("2")
    page.get_by_label("Tillgänglig från").fill("2026-12-01")
    page.get_by_label("Handledare").select_option(label="Hanna Handledare")
    page.get_by_label("Tillgänglig för rullstol").check()
    page.get_by_label(re.compile("Jag intygar att arbetsuppgifterna")).check()
    page.get_by_role("button", name="Registrera platsen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lager och varumottagning")
    expect(page.get_by_role("status").first).to_contain_text("är registrerad")
    placement = Placement.objects.get(title="Lager och varumottagning")
    assert placement.unit == unit_a and placement.attested_by == manager_a
    assert_no_axe_violations(page)


def test_registration_error_is_shown_in_swedish_beside_field_and_in_summary(page, live_server, manager_a, unit_a,
                                                                            categories):
    login(page, live_server, manager_a)
    page.goto(f"{live_server.url}/placements/new/")
    page.get_by_role("button", name="Registrera platsen").click()
    expect(page.get_by_role("alert")).to_contain_text("Formuläret innehåller fel")
    expect(page.locator("#id_title_error")).to_be_visible()
    # A keyboard user lands on the summary, and the title says there were errors.
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.title().startswith("Fel: ")
    page.get_by_role("link", name="Benämning").click()
    assert page.evaluate("document.activeElement.id") == "id_title"
    assert_no_axe_violations(page)


def test_leader_filters_list_and_edits_a_placement(page, live_server, leader, unit_a, unit_b, categories):
    area = categories["area"]
    target = PlacementFactory(unit=unit_b, occupational_area=area, title="Kommunförrådet, materialhantering")
    for n in range(5):
        PlacementFactory(unit=unit_a, occupational_area=area, title=f"Vårdplats {n}")
    login(page, live_server, leader)
    page.goto(f"{live_server.url}/placements/")
    expect(page.locator("#hit-count")).to_contain_text("6 platser")
    assert_no_axe_violations(page)
    page.get_by_label("Kommun").select_option("Slite")  # htmx: results update, URL keeps the filter
    expect(page.locator("#hit-count")).to_contain_text("1 plats hittades")
    expect(page).to_have_url(re.compile(r"municipality=Slite"))
    page.get_by_role("link", name="Kommunförrådet, materialhantering").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kommunförrådet, materialhantering")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Ändra", exact=True).click()
    page.get_by_label("Antal platser samtidigt").fill("4")
    page.get_by_role("button", name="Spara ändringar").click()
    expect(page.get_by_role("status").first).to_contain_text("sparade")
    expect(page.locator(".history")).to_contain_text("Antal platser samtidigt")
    target.refresh_from_db()
    assert target.capacity == 4
    # The bookmarked URL shows the same filtered list without JavaScript's help.
    page.goto(f"{live_server.url}/placements/?municipality=Slite")
    expect(page.locator("#hit-count")).to_contain_text("1 plats hittades")


def test_import_with_one_bad_row_is_refused(page, live_server, leader, org_a, unit_a, categories, tmp_path):
    path = tmp_path / "platser.csv"
    path.write_text(
        "benämning;organisation;enhet;kommun;yrkesområde;antal platser\n"
        f"Bra rad;{org_a.name};{unit_a.name};Visby;transport-distribution-lager;2\n"
        f"Dålig rad;{org_a.name};{unit_a.name};Visby;transport-distribution-lager;många\n",
        encoding="utf-8",
    )
    login(page, live_server, leader)
    page.goto(f"{live_server.url}/placements/import/")
    assert_no_axe_violations(page)
    page.get_by_label("Fil (XLSX eller CSV)").set_input_files(str(path))
    page.get_by_label(re.compile("Jag intygar")).check()
    page.get_by_role("button", name="Förhandsgranska").click()
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("Importen stoppades – ingenting har sparats")
    expect(errors.get_by_role("row").nth(1)).to_contain_text("3")
    expect(errors).to_contain_text("antal platser")
    expect(page.get_by_role("button", name="Importera nu")).to_have_count(0)
    assert not Placement.objects.exists()
    assert_no_axe_violations(page)


def test_main_pages_pass_axe(page, live_server, leader, org_a, unit_a, categories):
    placement = PlacementFactory(unit=unit_a, occupational_area=categories["area"], title="Lagerarbete",
                                 available_from=dt.date(2025, 1, 1))
    SupervisorFactory(unit=unit_a, training_completed_on=None)
    login(page, live_server, leader)
    for path in ["/", "/placements/", f"/placements/{placement.pk}/", f"/placements/{placement.pk}/close/",
                 "/placements/supervisors/", "/placements/supervisors/new/", "/placements/organisations/",
                 f"/placements/organisations/{org_a.pk}/"]:
        page.goto(f"{live_server.url}{path}")
        assert_no_axe_violations(page)


def test_phone_width_registration_page_has_no_horizontal_scroll(page, live_server, manager_a, unit_a, categories):
    page.set_viewport_size({"width": 375, "height": 800})
    login(page, live_server, manager_a)
    page.goto(f"{live_server.url}/placements/new/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_no_axe_violations(page)
