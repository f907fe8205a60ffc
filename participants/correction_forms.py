"""Forms of the correction pages: the record's own fields plus the reason, which is always required."""

from django import forms
from django.db import models
from django.forms.models import fields_for_model, model_to_dict
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput
from participants import corrections
from participants.forms import ExitForm
from participants.models import Competence, FollowUp, PlanStep, Referral


def _reason_field():
    return forms.CharField(
        label=_("Skäl till rättelsen"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Till exempel ”fel avslutsorsak registrerades, deltagaren fick arbete”. Skälet syns i "
                    "ändringshistoriken och loggen."),
        error_messages={"required": _("Ange varför uppgiften rättas.")},
    )


def _form_for(model, names: tuple[str, ...], name: str):
    fields = fields_for_model(model, fields=names, formfield_callback=_formfield)
    fields["correction_reason"] = _reason_field()
    return type(name, (forms.Form,), fields)


def _formfield(field, **kwargs):
    if isinstance(field, models.DateField):
        kwargs["widget"] = DateInput()
    if isinstance(field, models.TextField):
        kwargs["widget"] = forms.Textarea(attrs={"rows": 3})
    return field.formfield(**kwargs)


class ExitCorrectionForm(ExitForm):
    correction_reason = _reason_field()


ReferralCorrectionForm = _form_for(Referral, corrections.REFERRAL_FIELDS, "ReferralCorrectionForm")
FollowUpCorrectionForm = _form_for(FollowUp, corrections.FOLLOW_UP_FIELDS, "FollowUpCorrectionForm")
PlanStepCorrectionForm = _form_for(PlanStep, corrections.PLAN_STEP_FIELDS, "PlanStepCorrectionForm")
CompetenceCorrectionForm = _form_for(Competence, corrections.COMPETENCE_FIELDS, "CompetenceCorrectionForm")


def initial_for(instance, names) -> dict:
    return model_to_dict(instance, fields=names)


class ConsentForm(forms.Form):
    first_name = forms.CharField(label=_("Förnamn"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Efternamn"), max_length=100, required=False)
    personal_number = forms.CharField(label=_("Personnummer"), max_length=13, required=False,
                                      help_text=_("Frivilligt. ÅÅÅÅMMDD-NNNN."))
    consent = forms.BooleanField(label=_("Deltagaren har gett sitt samtycke till att namn och personnummer "
                                         "registreras"),
                                 error_messages={"required": _("Namn får bara registreras efter samtycke.")})
    correction_reason = forms.CharField(label=_("Hur samtycket lämnades"), max_length=1000, required=False,
                                        widget=forms.Textarea(attrs={"rows": 2}),
                                        help_text=_("Till exempel ”skriftligt samtycke vid möte 3 mars”."))


class WithdrawConsentForm(forms.Form):
    correction_reason = _reason_field()
    confirm = forms.BooleanField(label=_("Ja, ta bort namn och personnummer"))
