"""No browser or proxy keeps a copy of a personal-data response: every participant URL of the URL walk (and
the other pages that show people: placement page, audit log, report files) answers with Cache-Control
no-store, for every actor that gets a page. Static assets keep their cache lifetime."""

import pytest
from django.urls import reverse

from tests.test_url_authorization import ACTORS, TABLE, _login, _url, categories, world  # noqa: F401

PERSONAL = [row for row in TABLE if row.name.startswith("participants:")
            or row.name in ("placements:detail", "core:audit_log", "reporting:run_download",
                            "reporting:run_figures_json", "reporting:run_figures_xlsx")]


def test_the_participant_urls_are_covered():
    assert len([row for row in PERSONAL if row.name.startswith("participants:")]) >= 20


@pytest.mark.parametrize("row", PERSONAL, ids=[row.id for row in PERSONAL])
def test_personal_data_responses_are_not_stored(client, world, row):  # noqa: F811
    """Every answer, for every actor: the page itself, and the redirects and refusals around it."""
    url = _url(row, world)
    for actor in ACTORS:
        _login(client, world, actor)
        response = client.get(url, row.query)
        directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
        assert {"no-store", "private"} <= directives, (actor, url, response.status_code, response.get("Cache-Control"))


def test_the_walk_sees_real_pages():
    assert sum(1 for row in PERSONAL if " ok " in f" {row.expect} ") >= 15


@pytest.mark.django_db
def test_static_files_keep_their_cache_lifetime(client):
    response = client.get("/static/vendor/bootstrap/bootstrap.min.css")
    if response.status_code == 404:
        pytest.fail("pick an existing static file for this test")
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.django_db
def test_the_survey_page_for_participants_is_not_stored(client):
    response = client.get(reverse("participants:survey", args=["no-such-token"]))
    assert "no-store" in response["Cache-Control"]
