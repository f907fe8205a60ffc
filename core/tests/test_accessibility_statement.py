"""The tillgänglighetsredogörelse: public, Swedish, Digg's model headings, linked from every footer."""

import re

import pytest


@pytest.mark.django_db
def test_statement_is_public_and_has_the_model_sections(client, settings):
    settings.ACCESSIBILITY_CONTACT_EMAIL = "tillganglighet@region.example"
    response = client.get("/tillganglighet/")
    html = response.content.decode()
    assert response.status_code == 200
    headings = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h[2-4][^>]*>(.*?)</h[2-4]>", html, re.S)]
    assert headings[:7] == [
        "Hur tillgänglig är tjänsten?",
        "Vad kan du göra om du inte kan använda delar av tjänsten?",
        "Rapportera brister i tjänstens tillgänglighet",
        "Tillsyn",
        "Teknisk information om tjänstens tillgänglighet",
        "Innehåll som inte är tillgängligt",
        "Bristande förenlighet med lagkraven",
    ]
    assert "Myndigheten för digital förvaltning (Digg)" in html
    assert 'href="mailto:tillganglighet@region.example"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["leader", "manager_a", "case_worker_af", "steering"])
def test_every_footer_links_to_the_statement(client, request, actor):
    client.force_login(request.getfixturevalue(actor))
    footer = client.get("/").content.decode().split('<footer class="site-footer')[1]
    assert '<a href="/tillganglighet/">Tillgänglighetsredogörelse</a>' in footer


@pytest.mark.django_db
def test_signed_out_footer_links_to_the_statement(client):
    footer = client.get("/accounts/login/").content.decode().split('<footer class="site-footer')[1]
    assert '<a href="/tillganglighet/">Tillgänglighetsredogörelse</a>' in footer


@pytest.mark.django_db
def test_the_statement_names_the_checks_the_suite_really_runs(client):
    """"Hur vi testat" must stay true: each tool it names is run by the test suite over the pages list."""
    from tests.accessibility import pages, test_outside_checkers
    from tests.browser import conftest as journeys

    html = client.get("/tillganglighet/").content.decode()
    assert "W3C:s Nu HTML Checker" in html and test_outside_checkers.VNU_JAR.name == "vnu.jar"
    assert "pa11y med HTML_CodeSniffer mot WCAG 2.1 nivå AA" in html
    assert "runners: [\"htmlcs\"]" in test_outside_checkers.PA11Y_RUNNER.read_text()
    assert "320 pixlars bredd" in html and test_outside_checkers.NARROW == journeys.NARROW == 320
    assert "axe-core" in html and hasattr(journeys, "assert_no_axe_violations")
    roles = {page.role for page in pages.PAGES}
    assert roles == {"anonymous", "leader", "manager", "case_worker", "steering"}
    assert any(page.post is not None for page in pages.PAGES)            # "även formulär med fel"
    assert any(page.files for page in pages.PAGES)                       # "importens förhandsgranskning"
    assert any(page.label == "survey" for page in pages.PAGES)           # "enkätsidan"
