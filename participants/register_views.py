"""The project leader's pages for one registered person's rights: register extract (PDF), correction, erasure.

Leader only (other roles 403, anonymous → login); the participant is fetched through participants_visible_to.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.audit import shows_participant
from core.forms import apply_errors
from core.models import AuditEvent
from core.pdf import render_pdf
from core.roles import is_leader
from participants import register, services
from participants.models import Participant
from participants.permissions import participants_visible_to
from participants.register_forms import ErasureForm, ParticipantCorrectionForm


def _participant(request, pk: int) -> Participant:
    if not is_leader(request.user):
        raise PermissionDenied
    return get_object_or_404(participants_visible_to(request.user), pk=pk)


@shows_participant("Registerutdrag (PDF)", via="participants.Participant:pk", action=AuditEvent.Action.EXPORT)
@login_required
@require_GET
def register_extract(request, pk: int):
    """Registerutdrag: everything stored about the person, including who has viewed it."""
    participant = _participant(request, pk)
    context = register.register_extract(user=request.user, participant=participant)
    context.update({"now": timezone.now(), "leader": request.user})
    pdf = render_pdf("participants/pdf/register_extract.html", context)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="registerutdrag-{participant.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@shows_participant("Rättelseformulär", via="participants.Participant:pk")
@login_required
@require_http_methods(["GET", "POST"])
def participant_correct(request, pk: int):
    participant = _participant(request, pk)
    if participant.personal_data_purged_at is not None:
        messages.info(request, _("Personuppgifterna är raderade; det finns inget att rätta."))
        return redirect("participants:detail", pk=participant.pk)
    initial = {name: getattr(participant, name) for name in services.CORRECTABLE}
    form = ParticipantCorrectionForm(request.POST or None, initial=initial, participant=participant)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data.get(name, initial[name] or "") for name in services.CORRECTABLE}
        try:
            changed = services.participant_correct(user=request.user, participant=participant, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if changed:
                messages.success(request, _("Uppgifterna är rättade."))
            else:
                messages.info(request, _("Inget ändrades."))
            return redirect("participants:detail", pk=participant.pk)
    return render(request, "participants/correct_form.html", {"form": form, "participant": participant})


@shows_participant("Radera personuppgifter (bekräftelse)", via="participants.Participant:pk")
@login_required
@require_http_methods(["GET", "POST"])
def participant_erase(request, pk: int):
    participant = _participant(request, pk)
    if participant.personal_data_purged_at is not None:
        messages.info(request, _("Deltagarens personuppgifter är redan raderade."))
        return redirect("participants:detail", pk=participant.pk)
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.participant_erase(user=request.user, participant=participant,
                                        reason=form.cleaned_data["reason"], request=request)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Personuppgifterna är raderade. Uppgifterna som rapporterna räknar finns "
                                        "kvar utan koppling till personen."))
            return redirect("participants:detail", pk=participant.pk)
    return render(request, "participants/erase_confirm.html", {"form": form, "participant": participant})
