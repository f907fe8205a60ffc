"""The shared layout (templates/base.html) draws its fixed parts once per language and menu ({% kept %},
core/templatetags/layout.py) and the navigation only when drawn: the pages stay byte for byte what the layout
drew before, and what belongs to one request (CSRF token, e-mail, messages, the return address) is never kept."""

import re
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.template import TemplateSyntaxError, engines
from django.template.loader import get_template
from django.templatetags.static import StaticNode
from django.test import Client, RequestFactory
from django.utils import translation

import core.context_processors
from core.templatetags.layout import forget_kept

BASE = Path(settings.BASE_DIR) / "templates" / "base.html"


def _unkept_base():
    """base.html without its {% kept %} tags: the layout drawn in full on every request, as before."""
    source = re.sub(r"\{% (?:kept[^%]*|endkept) %\}", "", BASE.read_text())
    return engines["django"].from_string(source.replace("{% load static i18n layout %}", "{% load static i18n %}"))


def _masked(html: str) -> str:
    """CSRF tokens are masked afresh on every use: compare the pages around them."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "CSRF", html)


def _request(user, path, messages=()):
    request = RequestFactory().get(path, {"q": "<c>"})
    request.user = user
    request.session = {}
    storage = CookieStorage(request)
    for level, text in messages:
        storage.add(level, text)
    request._messages = storage
    return request


@pytest.mark.django_db
def test_the_kept_layout_draws_what_the_full_layout_draws(leader, case_worker_af, manager_a):
    """Every role, both languages, with and without messages and form errors, and each drawn after the others
    filled the kept texts: the same bytes as base.html without {% kept %}."""
    forget_kept()
    kept, unkept = get_template("base.html"), _unkept_base()
    messages = [(constants.SUCCESS, "Sparat <b>"), (constants.ERROR, "Fel & fel"), (constants.INFO, "Info")]
    cases = [(user, path, lang, msgs, errors)
             for user in (leader, case_worker_af, manager_a)
             for path in ("/", "/placements/", "/placements/organisations/", "/participants/waiting/",
                          "/reports/", "/elsewhere/")
             for lang in ("sv", "en")
             for msgs, errors in (((), False), (messages, True))]
    for _round in range(2):
        for user, path, lang, msgs, errors in cases:
            with translation.override(lang):
                context = {"form": mock.Mock(errors={"x": ["y"]})} if errors else {}
                drawn = kept.render(context, _request(user, path, msgs))
                expected = unkept.render(context, _request(user, path, msgs))
            assert _masked(drawn) == _masked(expected), (user.email, path, lang, msgs)
            assert user.email in drawn and f'name="next" type="hidden" value="{path}?q=%3Cc%3E"' in drawn
            assert ("Fel &amp; fel" in drawn) == bool(msgs)


@pytest.mark.django_db
def test_the_page_of_one_user_never_shows_what_belongs_to_another(leader, case_worker_af):
    """The e-mail, the active menu entry and the CSRF token (valid for the user's own session) are each
    request's own, after another user's page was drawn."""
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(leader)
    second.force_login(case_worker_af)
    assert leader.email in first.get("/participants/waiting/").content.decode()
    html = second.get("/participants/waiting/").content.decode()
    assert case_worker_af.email in html and leader.email not in html
    assert 'href="/reports/"' not in html    # the leader's menu entry "Rapporter": not the case worker's
    assert re.search(r'class="nav-link active" href="/participants/waiting/" aria-current="page"', html)
    other = second.get("/placements/").content.decode()
    assert re.search(r'class="nav-link active" href="/placements/" aria-current="page"', other)
    assert 'class="nav-link active" href="/participants/waiting/"' not in other
    token = re.search(r'action="/accounts/logout/"><input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"',
                      html).group(1)
    assert first.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 403
    assert second.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302


@pytest.mark.django_db
def test_a_second_page_draws_the_layout_from_the_kept_texts(client, case_worker_af):
    """The layout's static files and the menu's addresses are looked up on the first page only."""
    client.force_login(case_worker_af)
    client.get("/participants/waiting/")
    with mock.patch.object(StaticNode, "handle_simple", wraps=StaticNode.handle_simple) as static, \
            mock.patch.object(core.context_processors, "reverse", wraps=core.context_processors.reverse) as reverse:
        html = client.get("/participants/waiting/").content.decode()
    assert 'href="/participants/waiting/"' in html and "bootstrap.min.css" in html
    assert static.call_count == 0
    assert reverse.call_count == 0


@pytest.mark.django_db
def test_a_language_of_its_own_draws_its_own_layout(client, case_worker_af):
    client.force_login(case_worker_af)
    swedish = client.get("/participants/waiting/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    english = client.get("/participants/waiting/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Hoppa till innehållet" in swedish and 'lang="sv"' in swedish
    assert "Skip to content" in english and "Hoppa till innehållet" not in english
    assert '<option value="en" selected>' in english and '<option value="sv" selected>' in swedish


def test_per_request_values_cannot_be_kept():
    for body in ("{% csrf_token %}", "{{ user.email }}", "{{ request.get_full_path }}", "{{ csrf_token }}"):
        with pytest.raises(TemplateSyntaxError):
            engines["django"].from_string("{% load layout %}{% kept %}" + body + "{% endkept %}")

