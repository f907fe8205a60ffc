from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput
from organisations.models import Adaptation, OccupationalArea
from organisations.permissions import supervisors_editable_by, units_managed_by
from placements.models import Placement


class PlacementForm(forms.ModelForm):
    """Field parsing and choices only; placements.services checks scope and the domain rules again."""

    attested = forms.BooleanField(
        label=_("Jag intygar att arbetsuppgifterna inte tränger undan ordinarie anställningar."),
        required=True,
        help_text=_("Arbetsträning får inte ersätta personal som annars skulle ha anställts."),
    )

    class Meta:
        model = Placement
        fields = ["title", "unit", "occupational_area", "tasks", "capacity", "available_from", "available_to",
                  "supervisor", "adaptations", "code"]
        widgets = {
            "available_from": DateInput(),
            "available_to": DateInput(),
            "adaptations": forms.CheckboxSelectMultiple,
            "tasks": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "title": _("T.ex. ”Lagerarbete” eller ”Kök och servering”."),
            "capacity": _("Hur många deltagare platsen kan ta emot samtidigt."),
            "available_to": _("Lämna tomt om platsen finns tills vidare."),
            "supervisor": _("Saknas handledaren? Registrera hen under Handledare."),
            "code": _("Frivilligt. Används för att känna igen platsen vid import."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = units_managed_by(user).select_related("organisation")
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = lambda u: f"{u.name}, {u.organisation.name} ({u.municipality})"
        self.fields["supervisor"].queryset = supervisors_editable_by(user).order_by("name")
        self.fields["supervisor"].label_from_instance = lambda s: (
            f"{s.name}" if s.is_trained else f"{s.name} – {_('ej utbildad')}")
        self.fields["occupational_area"].queryset = OccupationalArea.objects.filter(active=True)
        self.fields["adaptations"].queryset = Adaptation.objects.filter(active=True)
        self.fields["capacity"].widget.attrs.update({"min": 1, "inputmode": "numeric"})
        if not self.instance.pk:
            self.fields["available_from"].initial = timezone.localdate()
            if units.count() == 1:
                self.fields["unit"].initial = units.first().pk
        if self.instance.pk:
            # Editing keeps the earlier attestation; ticking it again records a new one.
            self.fields["attested"].required = False
            self.fields["attested"].label = _("Jag intygar på nytt att arbetsuppgifterna inte tränger undan "
                                              "ordinarie anställningar.")

    # The rules of the values (period order, capacity) live in placements.services.placement_value_errors.
    def _post_clean(self):
        # Model validation (constraints) runs in the service; skip the ModelForm's instance construction.
        pass


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Skäl till att förfrågan avböjs"),
                             widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fil (XLSX eller CSV)"),
        help_text=_("Högst %(mb)s MB. En rad per plats; se exempelfilen för kolumnerna.") % {
            "mb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)},
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )
    attested = forms.BooleanField(
        label=_("Jag intygar att arbetsuppgifterna för platserna i filen inte tränger undan ordinarie anställningar."),
        required=True,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)


PAGE_SIZES = (10, 25, 50, 100)
