"""Shared helpers for the Playwright journeys (headless Debian Chromium against live_server).

Use: mark a test `@pytest.mark.browser` and `@pytest.mark.django_db(transaction=True)` (the live
server runs in another thread and must see the test's data), then `login(page, live_server, user)`.
"""

import os

import pytest

# live_server + Playwright's sync API + the ORM in one test: Django's async-safety check would refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The password every UserFactory user gets (organisations/tests/factories.py).
TEST_PASSWORD = "test-losen-123"


def login(page, live_server, user, password: str = TEST_PASSWORD, next_path: str = "/"):
    """Sign in through the real login form and wait until the start (or `next_path`) page has loaded."""
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.get_by_label("E-postadress").fill(user.email)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{live_server.url}{next_path}")
    return page


NARROW = 320


def assert_fits_320(page):
    """WCAG 1.4.10 reflow: at 320 CSS px nothing makes the page scroll sideways (tables scroll in their
    own region). The viewport is put back afterwards."""
    before = page.viewport_size
    page.set_viewport_size({"width": NARROW, "height": 800})
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= NARROW, f"{page.url} is {width} px wide at {NARROW} px"
    finally:
        if before:
            page.set_viewport_size(before)


def assert_no_axe_violations(page):
    """Run axe-core (bundled with axe-playwright-python, no network) and fail listing each violation;
    then check the same page at 320 px (assert_fits_320)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response["violations"]
    assert not violations, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} – " + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in violations
    )
    assert_fits_320(page)


@pytest.fixture
def browser_context_args(browser_context_args):
    """Swedish locale like the users; a desktop viewport by default."""
    return {**browser_context_args, "locale": "sv-SE", "viewport": {"width": 1280, "height": 900}}
