from django import forms


def add_bootstrap_classes(form: forms.BaseForm) -> forms.BaseForm:
    """Give every widget Bootstrap's class and mark invalid fields for assistive technology."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)):
            css = "form-check-input"
        elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
        if form.is_bound and name in form.errors:
            widget.attrs["aria-invalid"] = "true"
            widget.attrs["class"] += " is-invalid"
    return form
