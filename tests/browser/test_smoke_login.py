import pytest

from tests.browser.conftest import assert_no_axe_violations, login


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_login_helper_reaches_start_page(page, live_server, leader):
    login(page, live_server, leader)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Välkommen")
    # The stylesheet is served in the live server (whitenoise + StaticFilesStorage in test settings).
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Source Sans 3" in font
    assert_no_axe_violations(page)
