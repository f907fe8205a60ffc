"""Form rendering shared by every app: one date widget, one way to style widgets and mark errors, one field
template and one error summary, through Django's form renderer (settings.FORM_RENDERER).

Every form gets Bootstrap's classes, `is-invalid` and (from Django) `aria-invalid` / `aria-describedby` on its
widgets at render time, so no form styles its own fields. `{{ field.as_field_group }}` renders
templates/forms/field.html; `{% include "forms/error_summary.html" %}` the summary at the top of a form.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting


class DateInput(forms.DateInput):
    """The browser's date picker; the value in ISO format, which is what <input type="date"> expects."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs=attrs, format=format or "%Y-%m-%d")


def widget_css_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
        return "form-check-input"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "form-select"
    return "form-control"


class StyledBoundField(forms.BoundField):
    def build_widget_attrs(self, attrs, widget=None):
        widget = widget or self.field.widget
        attrs = super().build_widget_attrs(attrs, widget)
        if widget.is_hidden:
            return attrs
        classes = f"{widget.attrs.get('class', '')} {attrs.get('class', '')}".split()
        wanted = [widget_css_class(widget)] + (["is-invalid"] if self.errors else [])
        attrs["class"] = " ".join(dict.fromkeys(classes + wanted))
        return attrs


class FormRenderer(TemplatesSetting):
    """Django's renderer with the project's templates (core/templates/forms/) and styled bound fields."""

    field_template_name = "forms/field.html"
    bound_field_class = StyledBoundField


def apply_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one, else at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)
