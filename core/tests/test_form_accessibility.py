"""Forms as a screen-reader or keyboard user meets them: password rules announced through the field's
aria-describedby, and after a failed submit a title starting with "Fel:" and an error summary whose
every entry links to its field."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import password_validation
from django.urls import reverse

from organisations.tests.factories import ProjectFactory


class _Tree(HTMLParser):
    """Each element with an id: its tag and text, and which elements a <span> or <p> wrongly holds."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "wbr", "col", "area", "base"}

    def __init__(self):
        super().__init__()
        self.stack, self.by_id, self.inputs, self.misnested = [], {}, {}, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("ul", "div") and any(parent in ("p", "span") for parent, _ in self.stack):
            self.misnested.append(tag)
        if tag == "input" and attrs.get("id"):
            self.inputs[attrs["id"]] = attrs
        if tag in self.VOID:
            return
        self.stack.append((tag, attrs.get("id")))
        if attrs.get("id"):
            self.by_id[attrs["id"]] = ""

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag == tag:
                break

    def handle_data(self, data):
        for _, element_id in self.stack:
            if element_id:
                self.by_id[element_id] += data


def _parse(html: str) -> _Tree:
    tree = _Tree()
    tree.feed(html)
    return tree


def _described(tree: _Tree, input_id: str) -> str:
    ids = tree.inputs[input_id].get("aria-describedby", "").split()
    return " ".join(" ".join(tree.by_id.get(i, "").split()) for i in ids)


def _title(html: str) -> str:
    return " ".join(re.search(r"<title>(.*?)</title>", html, re.S).group(1).split())


@pytest.mark.django_db
def test_password_change_announces_the_rules_in_valid_markup(client, leader):
    client.force_login(leader)
    tree = _parse(client.get(reverse("account_change_password")).content.decode())
    assert tree.misnested == []
    description = _described(tree, "id_password1")
    for rule in password_validation.password_validators_help_texts():
        assert rule in description
    assert "minst 12 tecken" in description


@pytest.mark.django_db
def test_failed_password_change_title_and_summary_link_to_the_fields(client, leader):
    client.force_login(leader)
    html = client.post(reverse("account_change_password"),
                       {"oldpassword": "fel-losen", "password1": "kort", "password2": "annat"}).content.decode()
    assert _title(html).startswith("Fel: ")
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    targets = re.findall(r'<a href="#([^"]+)"', summary)
    assert targets and set(targets) <= set(_parse(html).inputs)
    assert "id_oldpassword" in targets


@pytest.mark.django_db
def test_failed_referral_title_starts_with_fel_and_every_error_links_to_its_field(client, case_worker_af):
    ProjectFactory()
    client.force_login(case_worker_af)
    response = client.post(reverse("participants:referral_create"), {"notes": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert _title(html).startswith("Fel: ")
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    targets = re.findall(r'<a href="#([^"]+)"', summary)
    tree = _parse(html)
    assert len(targets) == summary.count("<li>") and targets
    assert all(t in tree.inputs or f'id="{t}"' in html for t in targets)
    assert 'src="/static/js/forms.js"' in html   # moves focus to the summary (checked in the browser journey)


@pytest.mark.django_db
def test_a_page_without_errors_has_no_fel_in_the_title(client, case_worker_af):
    client.force_login(case_worker_af)
    html = client.get(reverse("participants:referral_create")).content.decode()
    assert not _title(html).startswith("Fel")
