"""Forms for the project leader's correction and erasure pages (participants.register_views)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import Gender
from participants.models import Participant


class ParticipantCorrectionForm(forms.Form):
    code = forms.CharField(label=_("Deltagarkod"), max_length=40, required=False)
    gender = forms.ChoiceField(label=_("Kön"), choices=Gender.choices)
    birth_year = forms.IntegerField(label=_("Födelseår"), required=False, min_value=1900, max_value=2100)
    first_name = forms.CharField(label=_("Förnamn"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Efternamn"), max_length=100, required=False)
    personal_number = forms.CharField(label=_("Personnummer"), max_length=13, required=False,
                                      help_text=_("ÅÅÅÅMMDD-NNNN"))

    def __init__(self, *args, participant: Participant, **kwargs):
        super().__init__(*args, **kwargs)
        if participant.identity != Participant.Identity.IDENTIFIED:
            for name in ("first_name", "last_name", "personal_number"):
                del self.fields[name]
        if participant.identity == Participant.Identity.ANONYMOUS:
            del self.fields["code"]


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=_("Skäl till raderingen"), max_length=400, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Till exempel ”begäran från den registrerade” med datum. Skälet sparas i loggen."))
    confirm = forms.BooleanField(label=_("Jag förstår att personuppgifterna tas bort för gott."))
