"""The one field renderer and error summary every form uses (core/forms.py, core/templates/forms/)."""

import datetime as dt

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.template import engines

from core.forms import DateInput, apply_errors


class SampleForm(forms.Form):
    name = forms.CharField(label="Namn", help_text="Som i passet")
    when = forms.DateField(label="Datum", widget=DateInput())
    kind = forms.ChoiceField(label="Typ", choices=[("a", "A"), ("b", "B")])
    colours = forms.MultipleChoiceField(label="Färger", choices=[("r", "Röd"), ("g", "Grön")],
                                        widget=forms.CheckboxSelectMultiple)
    agree = forms.BooleanField(label="Jag intygar")


def render(template: str, **context) -> str:
    return engines["django"].from_string(template).render(context)


def widget_tag(html: str, name: str) -> str:
    start = html.index(f'name="{name}"')
    return html[html.rindex("<", 0, start):html.index(">", start) + 1]


def test_valid_field_has_bootstrap_class_and_no_invalid_marks():
    form = SampleForm(data={"name": "Ada", "when": "2026-03-01", "kind": "a", "colours": ["r"], "agree": "on"})
    assert form.is_valid()
    html = render("{% for f in form %}{{ f.as_field_group }}{% endfor %}", form=form)
    assert 'class="form-control"' in widget_tag(html, "name")
    assert 'class="form-select"' in widget_tag(html, "kind")
    assert 'class="form-check-input"' in widget_tag(html, "agree")
    assert "aria-invalid" not in html and "is-invalid" not in html
    assert 'aria-describedby="id_name_helptext"' in widget_tag(html, "name")


@pytest.mark.parametrize("name", ["name", "when", "kind", "agree"])
def test_every_kind_of_field_with_an_error_is_marked_invalid_for_assistive_technology(name):
    form = SampleForm(data={})
    assert not form.is_valid()
    tag = widget_tag(render("{{ f.as_field_group }}", f=form[name]), name)
    assert 'aria-invalid="true"' in tag
    assert "is-invalid" in tag
    assert f"id_{name}_error" in tag  # aria-describedby points at the message


def test_choice_group_is_a_fieldset_described_by_its_error():
    form = SampleForm(data={})
    form.is_valid()
    html = render("{{ f.as_field_group }}", f=form["colours"])
    assert '<fieldset aria-describedby=" id_colours_error">' in html
    assert '<legend class="form-label fs-6 fw-semibold mb-1">Färger <span class="required-marker">' in html
    assert html.count('class="form-check-input is-invalid"') == 2


def test_date_input_is_a_date_picker_with_iso_value():
    form = SampleForm(initial={"when": dt.date(2026, 3, 9)})
    assert widget_tag(str(form["when"]), "when") == (
        '<input type="date" name="when" value="2026-03-09" required class="form-control" id="id_when">')


def test_error_summary_lists_every_error_with_a_link_to_its_field():
    form = SampleForm(data={"name": "Ada", "when": "x", "kind": "a", "agree": "on"})
    form.is_valid()
    html = render('{% include "forms/error_summary.html" %}', form=form)
    assert '<a href="#id_when">Datum: Fyll i ett giltigt datum.</a>' in html
    assert '<a href="#id_colours_0">Färger: Detta fält måste fyllas i.</a>' in html
    assert render('{% include "forms/error_summary.html" %}', form=SampleForm()).strip() == ""


def test_apply_errors_puts_a_service_error_on_its_field_or_at_the_top():
    form = SampleForm(data={"name": "Ada", "when": "2026-03-01", "kind": "a", "agree": "on", "colours": ["r"]})
    assert form.is_valid()
    apply_errors(form, ValidationError({"when": "För tidigt.", "capacity": "Fullt."}))
    assert form.errors["when"] == ["För tidigt."]
    assert form.non_field_errors() == ["Fullt."]
    apply_errors(form, ValidationError("Platsen är stängd."))
    assert form.non_field_errors() == ["Fullt.", "Platsen är stängd."]
