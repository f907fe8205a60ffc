"""With DEBUG off, 403, 404 and 500 are Swedish pages in the site's layout, with navigation and a plain reason."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def _boom(request):
    raise RuntimeError("ett fel i en vy")


urlpatterns = [path("test-boom/", _boom), *site_urlpatterns]


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


@pytest.mark.django_db
def test_404_is_swedish_with_navigation_for_a_signed_in_user(client, case_worker_af):
    client.force_login(case_worker_af)
    response = client.get("/placements/999999/")
    html = response.content.decode()
    assert response.status_code == 404
    assert _title(html) == "Sidan finns inte · Självklart"
    assert "Sidan finns inte eller så har du inte behörighet att se den." in html
    assert 'aria-label="Huvudmeny"' in html and 'href="/participants/waiting/"' in html   # the role's navigation
    assert 'href="/tillganglighet/"' in html
    assert "Not Found" not in html


@pytest.mark.django_db
def test_404_for_an_anonymous_visitor_offers_login(client):
    response = client.get("/finns-inte/")
    assert response.status_code == 404
    assert 'href="/accounts/login/"' in response.content.decode()


@pytest.mark.django_db
def test_403_is_swedish_with_the_reason(client, manager_a):
    client.force_login(manager_a)
    response = client.get("/core/audit/")
    html = response.content.decode()
    assert response.status_code == 403
    assert _title(html) == "Du har inte behörighet · Självklart"
    assert "ditt konto har inte behörighet att göra det här" in html
    assert 'aria-label="Huvudmeny"' in html


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_500_is_swedish_in_the_layout(client):
    client.raise_request_exception = False
    response = client.get("/test-boom/")
    html = response.content.decode()
    assert response.status_code == 500
    assert _title(html) == "Något gick fel · Självklart"
    assert "Ett fel uppstod hos oss, inte hos dig." in html
    assert 'class="site-header"' in html and 'href="/tillganglighet/"' in html


@pytest.mark.django_db
def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.ico"
    assert finders.find("favicon.ico")
    assert '<link rel="icon" href="/static/favicon.ico"' in client.get("/accounts/login/").content.decode()
