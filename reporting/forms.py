import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dates import month_end, previous_month
from core.forms import DateInput
from organisations.models import Project
from reporting.models import FinalReportText, ReportRun
from reporting.permissions import kinds_requestable_by


def default_project() -> Project | None:
    today = timezone.localdate()
    return (Project.objects.filter(start_date__lte=today, end_date__gte=today).order_by("start_date").first()
            or Project.objects.order_by("-start_date").first())


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Rapport"))
    project = forms.ModelChoiceField(label=_("Projekt"), queryset=Project.objects.order_by("name"),
                                     empty_label=None)
    period_start = forms.DateField(label=_("Period från"), widget=DateInput())
    period_end = forms.DateField(label=_("Period till"), widget=DateInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = kinds_requestable_by(user)
        self.fields["kind"].choices = [(k, label) for k, label in ReportRun.Kind.choices if k in allowed]
        if not self.is_bound:
            start, end = previous_month()
            self.initial.setdefault("kind", ReportRun.Kind.MONTHLY)
            self.initial.setdefault("project", default_project())
            self.initial.setdefault("period_start", start)
            self.initial.setdefault("period_end", end)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("Periodens slut kan inte vara före dess början."))
        return cleaned


class DashboardForm(forms.Form):
    project = forms.ModelChoiceField(label=_("Projekt"), queryset=Project.objects.order_by("name"),
                                     required=False, empty_label=None)
    month = forms.CharField(label=_("Månad"), required=False,
                            widget=forms.TextInput(attrs={"type": "month"}),
                            help_text=_("Välj månad, till exempel 2026-03."))

    def clean_month(self):
        value = self.cleaned_data.get("month")
        if not value:
            return None
        try:
            first = dt.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("Ange månaden som ÅÅÅÅ-MM.")) from None
        return first

    def selected_period(self) -> tuple[dt.date, dt.date]:
        first = self.cleaned_data.get("month") if self.is_valid() else None
        if first is None:
            return previous_month()
        return first, month_end(first)

    def selected_project(self) -> Project | None:
        chosen = self.cleaned_data.get("project") if self.is_valid() else None
        return chosen or default_project()


class FinalReportTextForm(forms.ModelForm):
    class Meta:
        model = FinalReportText
        fields = ["body", "could_have_been_better"]
        labels = {"body": _("Text"), "could_have_been_better": _("Vad kunde ha gjorts bättre?")}
        widgets = {
            "body": forms.Textarea(attrs={"rows": 6}),
            "could_have_been_better": forms.Textarea(attrs={"rows": 3}),
        }
