"""Correction pages: exit, referral, follow-up, plan step, competence, and consent (identified ↔ pseudonymous).

Each page is fetched through participants.permissions: another agency's start → 404, visible but not
editable (a manager) → 403, anonymous → login. Showing the form shows participant data, so it is audited.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.audit import shows_participant
from core.forms import apply_errors
from core.history import history_entries
from core.roles import may_see_individuals
from organisations.models import AgencyProgramme
from participants import corrections
from participants.correction_forms import (
    CompetenceCorrectionForm,
    ConsentForm,
    ExitCorrectionForm,
    FollowUpCorrectionForm,
    PlanStepCorrectionForm,
    ReferralCorrectionForm,
    WithdrawConsentForm,
    initial_for,
)
from participants.models import Competence, Exit, FollowUp, Participant, PlanStep, Referral
from participants.permissions import (
    participants_editable_by,
    participants_visible_to,
    referrals_editable_by,
    referrals_visible_to,
)


def _require_individuals(request) -> None:
    if not may_see_individuals(request.user):
        raise PermissionDenied


def _editable_referral(request, referral_id: int) -> Referral:
    _require_individuals(request)
    referral = get_object_or_404(referrals_visible_to(request.user).select_related("participant", "agency"),
                                 pk=referral_id)
    if not referrals_editable_by(request.user).filter(pk=referral.pk).exists():
        raise PermissionDenied
    return referral


def _detail_url(referral: Referral) -> str:
    return reverse("participants:detail", args=[referral.participant_id]) + f"#start-{referral.pk}"


def _correct(request, *, referral: Referral, instance, form_class, names, service, argument: str, title: str):
    form = form_class(request.POST or None, initial=initial_for(instance, names))
    if "programme" in form.fields:
        form.fields["programme"].queryset = AgencyProgramme.objects.filter(agency_id=referral.agency_id)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("correction_reason")
        values = {name: data[name] for name in names if name in data}
        try:
            changed = service(user=request.user, correction_reason=reason, **{argument: instance}, **values)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if changed:
                messages.success(request, _("Rättelsen är sparad."))
            else:
                messages.info(request, _("Inget ändrades."))
            return redirect(_detail_url(referral))
    return render(request, "participants/correction_form.html", {
        "form": form, "referral": referral, "title": title, "history": history_entries(instance),
        "back": _detail_url(referral)})


@shows_participant("Rätta avslut {pk}", via="participants.Exit:referral__participant")
@login_required
@require_http_methods(["GET", "POST"])
def exit_correct(request, pk: int):
    _require_individuals(request)
    exit = get_object_or_404(Exit.objects.filter(referral__in=referrals_visible_to(request.user)), pk=pk)
    referral = _editable_referral(request, exit.referral_id)
    return _correct(request, referral=referral, instance=exit, form_class=ExitCorrectionForm,
                    names=corrections.EXIT_FIELDS, service=corrections.exit_correct, argument="exit",
                    title=_("Rätta avslut"))


@shows_participant("Rätta start {pk}", via="participants.Referral:participant")
@login_required
@require_http_methods(["GET", "POST"])
def referral_correct(request, pk: int):
    referral = _editable_referral(request, pk)
    return _correct(request, referral=referral, instance=referral, form_class=ReferralCorrectionForm,
                    names=corrections.REFERRAL_FIELDS, service=corrections.referral_correct, argument="referral",
                    title=_("Rätta start"))


def _child(request, model, pk: int):
    _require_individuals(request)
    instance = get_object_or_404(model.objects.filter(referral__in=referrals_visible_to(request.user)), pk=pk)
    return instance, _editable_referral(request, instance.referral_id)


@shows_participant("Rätta uppföljning {pk}", via="participants.FollowUp:referral__participant")
@login_required
@require_http_methods(["GET", "POST"])
def follow_up_correct(request, pk: int):
    follow_up, referral = _child(request, FollowUp, pk)
    return _correct(request, referral=referral, instance=follow_up, form_class=FollowUpCorrectionForm,
                    names=corrections.FOLLOW_UP_FIELDS, service=corrections.follow_up_correct,
                    argument="follow_up", title=_("Rätta uppföljning"))


@shows_participant("Rätta steg i planen {pk}", via="participants.PlanStep:referral__participant")
@login_required
@require_http_methods(["GET", "POST"])
def plan_step_correct(request, pk: int):
    step, referral = _child(request, PlanStep, pk)
    return _correct(request, referral=referral, instance=step, form_class=PlanStepCorrectionForm,
                    names=corrections.PLAN_STEP_FIELDS, service=corrections.plan_step_correct, argument="step",
                    title=_("Rätta steg i planen"))


@shows_participant("Rätta kompetens {pk}", via="participants.Competence:referral__participant")
@login_required
@require_http_methods(["GET", "POST"])
def competence_correct(request, pk: int):
    competence, referral = _child(request, Competence, pk)
    return _correct(request, referral=referral, instance=competence, form_class=CompetenceCorrectionForm,
                    names=corrections.COMPETENCE_FIELDS, service=corrections.competence_correct,
                    argument="competence", title=_("Rätta kompetens"))


# --- Consent --------------------------------------------------------------------------------------------


def _editable_participant(request, pk: int) -> Participant:
    _require_individuals(request)
    participant = get_object_or_404(participants_visible_to(request.user), pk=pk)
    if not participants_editable_by(request.user).filter(pk=participant.pk).exists():
        raise PermissionDenied
    return participant


@shows_participant("Registrera samtycke", via="participants.Participant:pk")
@login_required
@require_http_methods(["GET", "POST"])
def consent_record(request, pk: int):
    participant = _editable_participant(request, pk)
    if participant.identity != Participant.Identity.PSEUDONYMOUS:
        messages.info(request, _("Bara en deltagare som är registrerad med kod kan bli identifierad."))
        return redirect("participants:detail", pk=participant.pk)
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            corrections.participant_record_consent(
                user=request.user, participant=participant, first_name=data["first_name"],
                last_name=data["last_name"], personal_number=data["personal_number"],
                correction_reason=data["correction_reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Samtycket är registrerat och deltagaren visas nu med namn."))
            return redirect("participants:detail", pk=participant.pk)
    return render(request, "participants/consent_form.html", {
        "form": form, "participant": participant, "title": _("Registrera samtycke"), "withdraw": False})


@shows_participant("Återkalla samtycke", via="participants.Participant:pk")
@login_required
@require_http_methods(["GET", "POST"])
def consent_withdraw(request, pk: int):
    participant = _editable_participant(request, pk)
    if participant.identity != Participant.Identity.IDENTIFIED:
        messages.info(request, _("Deltagaren är inte registrerad med namn."))
        return redirect("participants:detail", pk=participant.pk)
    form = WithdrawConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            corrections.participant_withdraw_consent(user=request.user, participant=participant,
                                                     correction_reason=form.cleaned_data["correction_reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Samtycket är återkallat; namn och personnummer är borttagna och "
                                        "deltagaren visas med kod."))
            return redirect("participants:detail", pk=participant.pk)
    return render(request, "participants/consent_form.html", {
        "form": form, "participant": participant, "title": _("Återkalla samtycke"), "withdraw": True})
