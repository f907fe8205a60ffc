from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from core.roles import is_case_worker, is_leader, is_manager, is_steering

# (label, url name, predicate). The navigation shows an entry only when the URL exists and the role may use it.
NAVIGATION = [
    (_("Start"), "home", lambda u: True),
    (_("Platser"), "placements:list", lambda u: not is_steering(u)),
    (_("Organisationer"), "placements:organisation_overview", lambda u: True),
    (_("Handledare"), "placements:supervisor_list", lambda u: is_leader(u) or is_manager(u)),
    (_("Deltagare"), "participants:list", lambda u: is_leader(u) or is_case_worker(u) or is_manager(u)),
    (_("Väntelista"), "participants:waiting_list", lambda u: is_leader(u) or is_case_worker(u)),
    (_("Rapporter"), "reporting:dashboard", lambda u: is_leader(u) or is_steering(u)),
    (_("Logg"), "core:audit_log", lambda u: is_leader(u)),
    (_("E-post"), "core:outbox", lambda u: is_leader(u)),
    (_("Konton"), "organisations:account_list", lambda u: is_leader(u)),
    (_("Inställningar"), "organisations:setup", lambda u: is_leader(u)),
    (_("Enheter"), "organisations:setup_organisations", lambda u: is_manager(u)),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for label, name, allowed in NAVIGATION:
        if not allowed(user):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": False})
    # Only the longest matching prefix is active (/placements/organisations/ is not also "Platser").
    matches = [i for i in items if request.path == i["url"] or (i["url"] != "/" and request.path.startswith(i["url"]))]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return {"nav_items": items}
