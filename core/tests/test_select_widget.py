"""The project's select.html (options written inline rather than included one by one) renders exactly
what Django's own template does."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from core.forms import FormRenderer

CHOICES = [("", "Alla"), (1, "Alby kommun"), (2, "Askby & Berga <kommun>"),
           ("Regioner", [(3, "Region Gotland"), (4, "Region Norr")])]


@pytest.mark.parametrize(("widget", "value"), [
    (forms.Select(choices=CHOICES, attrs={"class": "form-select", "required": True, "disabled": False}), 2),
    (forms.Select(choices=CHOICES), None),
    (forms.Select(choices=CHOICES), 4),
    (forms.SelectMultiple(choices=CHOICES, attrs={"size": 3}), [1, 3]),
    (forms.NullBooleanSelect(), True),
    (forms.SelectDateWidget(years=[2025, 2026]), "2026-12-02"),
])
def test_select_renders_as_djangos_own_template(widget, value):
    ours = widget.render("field", value, attrs={"id": "id_field"}, renderer=FormRenderer())
    djangos = widget.render("field", value, attrs={"id": "id_field"}, renderer=DjangoTemplates())
    assert "<option" in ours
    assert ours == djangos
