from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import Role
from organisations.models import Agency, Organisation, Supervisor, Unit
from organisations.permissions import organisations_managed_by, units_managed_by


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def style_fields(form) -> None:
    """Bootstrap classes on every widget (labels, help and errors are rendered by placements/_field.html)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class SupervisorForm(forms.ModelForm):
    """Choices limited to the user's organisations and units; organisations.services checks again."""

    class Meta:
        model = Supervisor
        fields = ["name", "organisation", "unit", "email", "phone", "training_completed_on"]
        widgets = {"training_completed_on": DateInput()}
        help_texts = {
            "unit": _("Frivilligt: enheten där handledaren oftast finns."),
            "training_completed_on": _("Lämna tomt om handledaren inte har gått handledarutbildningen än."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations_managed_by(user).order_by("name")
        self.fields["unit"].queryset = units_managed_by(user).select_related("organisation")
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.fields["phone"].widget.attrs["inputmode"] = "tel"
        style_fields(self)


class AccountForm(forms.Form):
    """The project leader creates an account; organisations.services.account_invite checks again."""

    email = forms.EmailField(label=_("E-postadress"))
    first_name = forms.CharField(label=_("Förnamn"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Efternamn"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Roll"), choices=())
    organisation = forms.ModelChoiceField(label=_("Organisation (för chef)"), queryset=None, required=False)
    unit = forms.ModelChoiceField(label=_("Enhet (för chef, tom = hela organisationen)"), queryset=None,
                                  required=False)
    agency = forms.ModelChoiceField(label=_("Myndighet (för handläggare)"), queryset=None, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = Role.choices
        self.fields["organisation"].queryset = Organisation.objects.all()
        self.fields["unit"].queryset = Unit.objects.select_related("organisation")
        self.fields["agency"].queryset = Agency.objects.filter(active=True)
        style_fields(self)


class DeactivateForm(forms.Form):
    confirm = forms.BooleanField(label=_("Ja, inaktivera kontot"),
                                 widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
