from django.core.signals import setting_changed
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import cached_property
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


def _entries(user) -> list[tuple[object, str]]:
    """(label, url) of the entries the user's role may use, reversed once per role, script prefix and URL
    configuration."""
    key = (bool(user.is_superuser), user.role, get_script_prefix(), get_urlconf())
    entries = _ENTRIES.get(key)
    if entries is None:
        entries = []
        for label, name, allowed in NAVIGATION:
            if not allowed(user):
                continue
            try:
                entries.append((label, reverse(name)))
            except NoReverseMatch:
                continue
        _ENTRIES[key] = entries
    return entries


_ENTRIES: dict[tuple, list[tuple[object, str]]] = {}
setting_changed.connect(lambda **kwargs: _ENTRIES.clear(), weak=False, dispatch_uid="navigation-entries")


class Navigation:
    """The menu of one request, worked out only when a template draws it. `key` names the menu (the role's
    entries and the active one), so base.html draws each menu once per language ({% kept navigation.key %})."""

    def __init__(self, request):
        self._request = request

    @cached_property
    def _entries_and_active(self) -> tuple[list[tuple[object, str]], int | None]:
        user = getattr(self._request, "user", None)
        if user is None or not user.is_authenticated:
            return [], None
        entries = _entries(user)
        path = self._request.path
        # Only the longest matching prefix is active (/placements/organisations/ is not also "Platser").
        active, longest = None, -1
        for index, (_label, url) in enumerate(entries):
            if (path == url or (url != "/" and path.startswith(url))) and len(url) > longest:
                active, longest = index, len(url)
        return entries, active

    @cached_property
    def key(self) -> tuple:
        user = getattr(self._request, "user", None)
        entries, active = self._entries_and_active
        if not entries:
            return ((), None)
        return ((bool(user.is_superuser), user.role), active)

    @cached_property
    def items(self) -> list[dict]:
        entries, active = self._entries_and_active
        return [{"label": label, "url": url, "active": index == active} for index, (label, url) in enumerate(entries)]


def navigation(request):
    return {"navigation": Navigation(request)}
