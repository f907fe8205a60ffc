"""Start-page panels of the placements app (registered in PlacementsConfig.ready)."""

from django.conf import settings
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.home import register_panel
from core.roles import is_case_worker, is_leader, is_manager
from organisations.selectors import managers_of_unit
from placements.models import Assignment, Placement
from placements.permissions import assignments_decidable_by, placements_editable_by, placements_visible_to
from placements.selectors import (
    idle_placements,
    placement_list,
    placements_lacking_trained_supervisor,
    with_free_slot,
)


def _list_url(**params) -> str:
    return f"{reverse('placements:list')}?{urlencode(params)}" if params else reverse("placements:list")


@register_panel(order=10)
def placements_panel(request):
    user = request.user
    if not (is_leader(user) or is_manager(user) or is_case_worker(user)):
        return None
    visible = placements_visible_to(user)
    free_now = with_free_slot(visible).count()
    idle_days = settings.IDLE_PLACEMENT_DAYS
    idle = idle_placements(placement_list(visible), days=idle_days).count()
    lines = [
        {"text": ngettext("%(n)s plats med ledigt idag", "%(n)s platser med ledigt idag", free_now) % {"n": free_now},
         "url": _list_url(status="open")},
        {"text": ngettext("%(n)s plats ledig i mer än %(days)s dagar", "%(n)s platser lediga i mer än %(days)s dagar",
                          idle) % {"n": idle, "days": idle_days},
         "url": _list_url(idle_days=idle_days)},
    ]
    actions = [{"text": _("Alla platser"), "url": reverse("placements:list")}]
    if is_manager(user) or is_leader(user):
        lacking = placements_lacking_trained_supervisor(placements_editable_by(user)).count()
        lines.append({"text": ngettext("%(n)s plats saknar utbildad handledare",
                                       "%(n)s platser saknar utbildad handledare", lacking) % {"n": lacking},
                      "url": _list_url(supervisor="untrained")})
        actions.insert(0, {"text": _("Registrera plats"), "url": reverse("placements:create")})
    title = _("Mina platser") if is_manager(user) else _("Arbetsträningsplatser")
    return "placements/panels/placements.html", {"title": title, "lines": lines, "actions": actions}


@register_panel(order=5)
def requests_panel(request):
    """The requests to answer, one by one, with confirm and decline right on the start page. The leader's queue
    lists first the requests to hosts without a manager account: nobody else will answer them."""
    user = request.user
    if not (is_manager(user) or is_leader(user)):
        return None
    pending = (
        assignments_decidable_by(user).filter(status=Assignment.Status.REQUESTED)
        .exclude(placement__status=Placement.Status.CLOSED)
        .select_related("placement__unit__organisation", "referral__participant", "referral__agency",
                        "requested_by__agency_membership__agency")
        .order_by("start_date", "pk")
    )
    shown = 8
    items = list(pending[:50])  # a region has a few dozen open requests at most
    if not items:
        return None
    for item in items:
        item.no_manager = is_leader(user) and not managers_of_unit(item.placement.unit).exists()
    if is_leader(user):
        items.sort(key=lambda a: not a.no_manager)
    items = items[:shown]
    # Codes of participants are shown: the start page reports them for the audit log.
    request.participants_shown(a.referral.participant_id for a in items)
    return "placements/panels/requests.html", {"items": items, "more": max(pending.count() - shown, 0),
                                               "is_leader": is_leader(user)}
