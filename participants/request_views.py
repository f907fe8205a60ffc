"""Act where you are: a case worker on a placement's page asks for the place for one of their agency's
participants who wait for a placement. The request itself goes through participants.services.assignment_request
(and from there placements.services, which owns capacity and the other assignment rules)."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.audit import shows_participants
from core.dates import add_months
from core.forms import apply_errors
from core.roles import is_case_worker, is_leader
from participants import services
from participants.forms import MatchingPeriodForm
from participants.selectors import WaitingState, waiting_list
from placements.models import Placement
from placements.permissions import placements_visible_to


class AssignmentRequestForm(MatchingPeriodForm):
    referral = forms.ChoiceField(label=gettext_lazy("Deltagare som väntar på plats"))
    field_order = ["referral", "start_date", "planned_end_date"]

    def __init__(self, *args, waiting, **kwargs):
        super().__init__(*args, **kwargs)
        self.waiting = {str(r.pk): r for r in waiting}
        self.fields["referral"].choices = [("", "—"), *[
            (str(r.pk), _("%(who)s (%(agency)s), anvisad %(date)s") % {
                "who": r.participant.display_name, "agency": r.agency.code.upper(),
                "date": r.referral_date.isoformat()}) for r in waiting]]


def _default_period(placement: Placement) -> tuple[dt.date, dt.date]:
    start = max(timezone.localdate(), placement.available_from)
    end = add_months(start, 3)
    if placement.available_to and end > placement.available_to:
        end = placement.available_to
    return start, end


@shows_participants("Fråga efter plats {pk}: väntande deltagare")
@login_required
@require_http_methods(["GET", "POST"])
def request_for_placement(request, pk: int):
    if not (is_case_worker(request.user) or is_leader(request.user)):
        raise PermissionDenied
    placement = get_object_or_404(placements_visible_to(request.user).select_related("unit__organisation"), pk=pk)
    waiting = [r for r in waiting_list(user=request.user) if r.waiting_state == WaitingState.WAITING]
    request.participants_shown(r.participant_id for r in waiting)
    start, end = _default_period(placement)
    form = AssignmentRequestForm(request.POST or None, waiting=waiting,
                                initial={"start_date": start, "planned_end_date": end})
    is_open = placement.status == Placement.Status.OPEN
    if is_open and request.method == "POST" and form.is_valid():
        referral = form.waiting[form.cleaned_data["referral"]]
        try:
            services.assignment_request(user=request.user, referral=referral, placement=placement,
                                       start_date=form.cleaned_data["start_date"],
                                       planned_end_date=form.cleaned_data["planned_end_date"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Förfrågan om %(placement)s för %(who)s är skickad.") % {
                "placement": placement.title, "who": referral.participant.display_name})
            return redirect("placements:detail", pk=placement.pk)
    return render(request, "participants/request_for_placement.html",
                  {"form": form, "placement": placement, "waiting": waiting, "is_open": is_open})
