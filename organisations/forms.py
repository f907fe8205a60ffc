from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput
from core.models import Role
from organisations.models import (
    Agency,
    BudgetLine,
    CostCategory,
    Organisation,
    Project,
    ProjectGroupMember,
    ProjectPartner,
    Supervisor,
    Unit,
)
from organisations.permissions import (
    organisation_with_descendant_ids,
    organisations_managed_by,
    unit_organisations_for,
    units_managed_by,
)


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


class DeactivateForm(forms.Form):
    confirm = forms.BooleanField(label=_("Ja, inaktivera kontot"),
                                 widget=forms.CheckboxInput())


# --- Set-up pages (organisations.services checks every write again) ------------------------------------


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "kind", "parent", "employee_count", "baseline_percent", "placement_target_percent"]
        help_texts = {
            "parent": _("En förvaltning ligger under sin region; lämna tomt för en egen huvudorganisation."),
            "employee_count": _("Antalet anställda; målet för platser räknas som en andel av det."),
            "baseline_percent": _("Hur många arbetsträningsplatser organisationen hade i procent av de anställda "
                                  "när projektet började. Frivilligt."),
            "placement_target_percent": _("Till exempel 3 betyder platser motsvarande 3 % av de anställda."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Organisation.objects.order_by("name")
        if self.instance.pk:
            parents = parents.exclude(pk__in=organisation_with_descendant_ids({self.instance.pk}))
        self.fields["parent"].queryset = parents


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["organisation", "name", "municipality", "address", "postal_code", "postal_town",
                  "manager_name", "manager_email", "manager_phone"]
        help_texts = {
            "municipality": _("Kommunen där enheten ligger (inte orten), till exempel Gotland."),
            "manager_name": _("Enhetens chef eller kontaktperson; visas för handläggare på platsens sida."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices = unit_organisations_for(user)
        if self.instance.pk:
            choices = choices | Organisation.objects.filter(pk=self.instance.organisation_id)
        self.fields["organisation"].queryset = choices.distinct().order_by("name")
        self.fields["manager_email"].widget.attrs["autocomplete"] = "off"
        self.fields["manager_phone"].widget.attrs["inputmode"] = "tel"
        self.fields["postal_code"].widget.attrs["inputmode"] = "numeric"


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "slug", "owner", "funder", "start_date", "end_date", "target_participants",
                  "target_work_or_studies_percent", "target_placements", "budget_total", "budget_spent"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}
        help_texts = {"slug": _("Kort namn utan mellanslag, till exempel sjalvklart.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Organisation.objects.order_by("name")

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("Slutdatum kan inte vara före startdatum."))
        return data


class PartnerForm(forms.ModelForm):
    class Meta:
        model = ProjectPartner
        fields = ["name", "role", "contribution", "co_financing_amount"]
        widgets = {"contribution": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)


class BudgetLineForm(forms.ModelForm):
    class Meta:
        model = BudgetLine
        fields = ["category", "amount", "cash_co_financing", "in_kind_co_financing"]
        help_texts = {"in_kind_co_financing": _("Till exempel arbetstid som en part bidrar med, värderad i kronor.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        categories = CostCategory.objects.filter(active=True)
        if self.instance.pk:
            categories = categories | CostCategory.objects.filter(pk=self.instance.category_id)
        self.fields["category"].queryset = categories.distinct()


class GroupMemberForm(forms.ModelForm):
    class Meta:
        model = ProjectGroupMember
        fields = ["group", "name", "represents", "title", "email", "gender"]
        help_texts = {"gender": _("Används för gruppernas sammansättning efter kön i slutrapporten.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)


def category_form_class(model):
    """A form for one category list: its name, order and active flag, plus the list's own flags."""
    own = [f.name for f in model._meta.fields
           if f.name not in {"id", "code", "name", "sort_order", "active"} and f.editable]
    return forms.modelform_factory(model, fields=["name", *own, "sort_order", "active"])


class DeleteForm(forms.Form):
    confirm = forms.BooleanField(label=_("Ja, ta bort"),
                                 widget=forms.CheckboxInput())
