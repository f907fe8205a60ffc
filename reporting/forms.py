import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dates import month_end
from core.forms import DateInput
from organisations.models import Project
from reporting.models import FinalReportText, ReportRun
from reporting.permissions import kinds_requestable_by, sees_suppressed_figures
from reporting.suppression import last_ended_month, steering_period_refusal

# The code of the month field's error when the steering group asks for a month it may not see.
STEERING_PERIOD = "steering_period"


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
        if sees_suppressed_figures(user):
            self.fields["period_end"].help_text = _(
                "Styrgruppen beställer hela kalendermånader, kvartal eller år som har tagit slut: perioden "
                "slutar senast %(day)s.") % {"day": last_ended_month()[1].isoformat()}
        if not self.is_bound:
            start, end = last_ended_month()
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
    """The dashboard's project and month; by default the last ended month. The steering group is offered ended
    months only (reporting.suppression.steering_period_refusal): another month is refused with the reason, and
    the page shows the default month instead."""

    project = forms.ModelChoiceField(label=_("Projekt"), queryset=Project.objects.order_by("name"),
                                     required=False, empty_label=None)
    month = forms.CharField(label=_("Månad"), required=False,
                            widget=forms.TextInput(attrs={"type": "month"}),
                            help_text=_("Välj månad, till exempel 2026-03."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.steering = sees_suppressed_figures(user)
        if self.steering:
            last = last_ended_month()[0]
            self.fields["month"].widget.attrs["max"] = f"{last:%Y-%m}"
            self.fields["month"].help_text = _(
                "Välj en månad som har tagit slut, till exempel %(month)s. Styrgruppen ser en månad först när "
                "den är slut.") % {"month": f"{last:%Y-%m}"}

    def clean_month(self):
        value = self.cleaned_data.get("month")
        if not value:
            return None
        try:
            first = dt.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("Ange månaden som ÅÅÅÅ-MM.")) from None
        if self.steering:
            refusal = steering_period_refusal(first, month_end(first))
            if refusal:
                raise forms.ValidationError(refusal, code=STEERING_PERIOD)
        return first

    def _cleaned(self, name: str):
        """A field's value when it is valid, even if another field is not (a refused month keeps the project)."""
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name)

    def selected_period(self) -> tuple[dt.date, dt.date]:
        first = self._cleaned("month")
        if first is None:
            return last_ended_month()
        return first, month_end(first)

    def selected_project(self) -> Project | None:
        return self._cleaned("project") or default_project()


class FinalReportTextForm(forms.ModelForm):
    class Meta:
        model = FinalReportText
        fields = ["body", "could_have_been_better"]
        labels = {"body": _("Text"), "could_have_been_better": _("Vad kunde ha gjorts bättre?")}
        widgets = {
            "body": forms.Textarea(attrs={"rows": 6}),
            "could_have_been_better": forms.Textarea(attrs={"rows": 3}),
        }
