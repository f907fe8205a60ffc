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
