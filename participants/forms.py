"""Forms for the participant pages. Forms are not a security boundary: the services check again."""

import datetime as dt
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dates import add_months
from core.forms import DateInput
from core.models import Gender
from core.roles import is_leader
from organisations.models import Adaptation, Agency, AgencyProgramme, OccupationalArea, Project
from organisations.permissions import agency_of
from participants import personnummer
from participants.models import (
    Activity,
    EducationLevel,
    ExitKind,
    ExitReason,
    LabourMarketStatus,
    Participant,
    SupportKind,
)
from placements.models import Assignment


def _active(model):
    return model.objects.filter(active=True)


class ReferralForm(forms.Form):
    # A new key each time the empty form is shown; kept when the form comes back with errors.
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False, initial=uuid.uuid4)
    project = forms.ModelChoiceField(label=_("Projekt"), queryset=Project.objects.all())
    agency = forms.ModelChoiceField(label=_("Anvisande myndighet"), queryset=Agency.objects.none())
    programme = forms.ModelChoiceField(label=_("Program"), queryset=AgencyProgramme.objects.none(),
                                       required=False, help_text=_("Styr längsta tid för arbetsträningen."))
    referral_date = forms.DateField(label=_("Anvisningsdatum"), widget=DateInput())
    identity = forms.ChoiceField(
        label=_("Hur registreras deltagaren?"), choices=Participant.Identity.choices,
        initial=Participant.Identity.PSEUDONYMOUS, widget=forms.RadioSelect,
        help_text=_("Pseudonym är standard. Anonym när personen inte samtycker eller har skyddad identitet: "
                    "bara kön och startår sparas."),
    )
    gender = forms.ChoiceField(label=_("Kön"), choices=[("", "—"), *Gender.choices])
    code = forms.CharField(label=_("Deltagarkod"), max_length=40, required=False,
                           help_text=_("Koden som myndigheten har nyckeln till. Lämna tom så föreslås en kod."))
    birth_year = forms.IntegerField(label=_("Födelseår"), required=False, min_value=1900, max_value=2100,
                                    help_text=_("Frivilligt, används för åldersgrupper i rapporter."))
    consent = forms.BooleanField(label=_("Deltagaren har samtyckt till att namn och personnummer registreras"),
                                 required=False)
    first_name = forms.CharField(label=_("Förnamn"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Efternamn"), max_length=100, required=False)
    personal_number = forms.CharField(label=_("Personnummer"), max_length=13, required=False,
                                      help_text=_("ÅÅÅÅMMDD-XXXX eller ÅÅMMDD-XXXX."))
    start_date = forms.DateField(label=_("Startdatum i projektet"), required=False, widget=DateInput(),
                                 help_text=_("Kan lämnas tomt; sätts när arbetsträningen startar."))
    support_before = forms.ModelChoiceField(label=_("Försörjning före start"), queryset=_active(SupportKind),
                                            required=False)
    activity_before = forms.ModelChoiceField(label=_("Sysselsättning före start"), queryset=_active(Activity),
                                             required=False)
    education_level = forms.ChoiceField(
        label=_("Utbildningsnivå"), choices=[("", "—"), *EducationLevel.choices], required=False,
        help_text=_("Frivilligt. Högsta avslutade utbildning, för ESF+-redovisningen."))
    labour_market_status = forms.ChoiceField(
        label=_("Ställning på arbetsmarknaden vid start"), choices=[("", "—"), *LabourMarketStatus.choices],
        required=False,
        help_text=_("Frivilligt, för ESF+-redovisningen. Långtidsarbetslös: arbetslös i mer än 12 månader "
                    "(mer än 6 månader för den som är under 25 år)."))
    interests = forms.ModelMultipleChoiceField(label=_("Yrkesintressen"), queryset=_active(OccupationalArea),
                                               required=False, widget=forms.CheckboxSelectMultiple)
    adaptation_needs = forms.ModelMultipleChoiceField(label=_("Behov av anpassning"),
                                                      queryset=_active(Adaptation), required=False,
                                                      widget=forms.CheckboxSelectMultiple)
    wished_municipality = forms.CharField(label=_("Önskad kommun"), max_length=100, required=False)
    notes = forms.CharField(label=_("Anteckningar"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=_("Skriv inga känsliga uppgifter om hälsa här."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["referral_date"].initial = timezone.localdate()
        projects = Project.objects.all()
        if projects.count() == 1:
            self.fields["project"].initial = projects.first()
        if is_leader(user):
            self.fields["agency"].queryset = _active(Agency)
            self.fields["programme"].queryset = AgencyProgramme.objects.select_related("agency")
        else:
            own = agency_of(user)
            self.fields["agency"].queryset = Agency.objects.filter(pk=own.pk if own else None)
            self.fields["agency"].initial = own
            self.fields["agency"].disabled = True
            self.fields["agency"].help_text = _("Din myndighet.")
            self.fields["programme"].queryset = AgencyProgramme.objects.filter(agency=own).select_related("agency")

    def clean_personal_number(self):
        value = self.cleaned_data.get("personal_number", "").strip()
        if value:
            value = personnummer.normalise(value)
        return value

    def clean(self):
        data = super().clean()
        identity = data.get("identity")
        if identity == Participant.Identity.IDENTIFIED:
            if not data.get("consent"):
                self.add_error("consent", _("Namn och personnummer får bara registreras efter samtycke."))
            if not (data.get("first_name") or data.get("last_name")):
                self.add_error("first_name", _("Ange namn."))
        programme, agency = data.get("programme"), data.get("agency")
        if programme and agency and programme.agency_id != agency.pk:
            self.add_error("programme", _("Programmet hör inte till den anvisande myndigheten."))
        start, referral_date = data.get("start_date"), data.get("referral_date")
        if start and referral_date and start < referral_date:
            self.add_error("start_date", _("Startdatum kan inte vara före anvisningsdatum."))
        return data


class AssessmentForm(forms.Form):
    obstacles = forms.CharField(label=_("Hinder"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    resources = forms.CharField(label=_("Resurser"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    interests = forms.ModelMultipleChoiceField(label=_("Yrkesintressen"), queryset=_active(OccupationalArea),
                                               required=False, widget=forms.CheckboxSelectMultiple)
    wished_municipality = forms.CharField(label=_("Önskad kommun"), max_length=100, required=False)
    completed_on = forms.DateField(label=_("Kartläggningen genomförd"), required=False, widget=DateInput())


class MatchingPeriodForm(forms.Form):
    start_date = forms.DateField(label=_("Önskat startdatum"), widget=DateInput())
    planned_end_date = forms.DateField(label=_("Planerat slutdatum"), widget=DateInput())

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("planned_end_date")
        if start and end and end < start:
            self.add_error("planned_end_date", _("Planerat slutdatum kan inte vara före startdatum."))
        return data


class AssignmentStartForm(forms.Form):
    start_date = forms.DateField(label=_("Faktiskt startdatum"), widget=DateInput())


class AssignmentCompleteForm(forms.Form):
    end_date = forms.DateField(label=_("Slutdatum"), widget=DateInput())


class AssignmentWithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Skäl"), required=False, max_length=500)


class FollowUpForm(forms.Form):
    met_on = forms.DateField(label=_("Datum för mötet"), widget=DateInput())
    assignment = forms.ModelChoiceField(label=_("Placering"), queryset=Assignment.objects.none(), required=False)
    notes = forms.CharField(label=_("Anteckningar"), widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args, referral, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment"].queryset = referral.assignments.select_related("placement__unit")
        self.fields["met_on"].initial = timezone.localdate()


class PlanStepForm(forms.Form):
    description = forms.CharField(label=_("Steg mot arbete"), max_length=300)
    due_on = forms.DateField(label=_("Klart senast"), required=False, widget=DateInput())


class CompetenceForm(forms.Form):
    name = forms.CharField(label=_("Kompetens"), max_length=200)
    description = forms.CharField(label=_("Beskrivning"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    validated_on = forms.DateField(label=_("Validerad datum"), widget=DateInput())
    validated_by = forms.CharField(label=_("Validerad av"), max_length=200, required=False,
                                   help_text=_("T.ex. handledarens namn och roll."))


class ExitForm(forms.Form):
    exit_date = forms.DateField(label=_("Avslutsdatum"), widget=DateInput())
    kind = forms.ChoiceField(label=_("Typ av avslut"), choices=ExitKind.choices, widget=forms.RadioSelect,
                             help_text=_("Felregistrering räknas inte i någon statistik."))
    reason = forms.ModelChoiceField(label=_("Avslutsorsak"), queryset=_active(ExitReason), required=False)
    activity_after = forms.ModelChoiceField(label=_("Sysselsättning vid avslut"), queryset=_active(Activity),
                                            required=False)
    support_after = forms.ModelChoiceField(label=_("Försörjning vid avslut"), queryset=_active(SupportKind),
                                           required=False)

    def clean(self):
        data = super().clean()
        if data.get("kind") and data["kind"] != ExitKind.REGISTERED_IN_ERROR and not data.get("reason"):
            self.add_error("reason", _("Välj avslutsorsak."))
        return data


class FollowUp90Form(forms.Form):
    done_on = forms.DateField(label=_("Uppföljningen gjord"), widget=DateInput())
    activity = forms.ModelChoiceField(label=_("Sysselsättning efter 90 dagar"), queryset=_active(Activity))
    support = forms.ModelChoiceField(label=_("Försörjning efter 90 dagar"), queryset=_active(SupportKind),
                                     required=False)
    notes = forms.CharField(label=_("Anteckningar"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    confirm_early = forms.BooleanField(
        label=_("Jag bekräftar datumet fast det är långt före den dag uppföljningen ska göras"), required=False)


class FollowUp6MonthsForm(FollowUp90Form):
    activity = forms.ModelChoiceField(label=_("Sysselsättning efter sex månader"), queryset=_active(Activity))
    support = forms.ModelChoiceField(label=_("Försörjning efter sex månader"), queryset=_active(SupportKind),
                                     required=False)


class SurveyForm(forms.Form):
    """One yes/no radio group per active statement; rendered as fieldsets with legends."""

    CHOICES = [("ja", _("Ja")), ("nej", _("Nej"))]

    def __init__(self, *args, statements, **kwargs):
        super().__init__(*args, **kwargs)
        self.statements = list(statements)
        for statement in self.statements:
            self.fields[f"statement_{statement.pk}"] = forms.ChoiceField(
                label=statement.text, choices=self.CHOICES,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                error_messages={"required": _("Svara ja eller nej.")},
            )

    def answers(self) -> dict[int, bool]:
        return {s.pk: self.cleaned_data[f"statement_{s.pk}"] == "ja" for s in self.statements}

    def rows(self):
        return [(statement, self[f"statement_{statement.pk}"]) for statement in self.statements]


ALLOWED_IMPORT_EXTENSIONS = (".csv", ".xlsx")


class ImportForm(forms.Form):
    project = forms.ModelChoiceField(label=_("Projekt"), queryset=Project.objects.all())
    file = forms.FileField(label=_("Fil (CSV eller XLSX)"),
                           help_text=_("En rad per start. Högst 5 MB. Se kolumnerna nedan."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ALLOWED_IMPORT_EXTENSIONS):
            raise ValidationError(_("Filen måste vara CSV eller XLSX."))
        return upload


def default_period(start: dt.date, months: int = 3) -> tuple[dt.date, dt.date]:
    return start, add_months(start, months) - dt.timedelta(days=1)
