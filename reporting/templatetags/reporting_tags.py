"""Formatting of report figures: counts (possibly "<5"), shares as Swedish percentages, days."""

import datetime as dt

from django import template
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from reporting import formats

register = template.Library()


@register.filter
def css_string(value) -> str:
    """`value` as a quoted CSS string that is safe inside a <style> element: every character but letters,
    digits and spaces written as a CSS escape, so that no quote, backslash, "<" or line break in it can end the
    string, the rule or the element."""
    escaped = "".join(char if char.isalnum() or char == " " else f"\\{ord(char):x} " for char in str(value))
    return mark_safe(f'"{escaped}"')  # noqa: S308 - every character that could end anything is escaped above



@register.filter
def count(value):
    """A count of persons or places: the number, the suppression label ("<5") as is, or "–"."""
    if isinstance(value, bool):
        return _("ja") if value else _("nej")
    return formats.count(value)


@register.filter
def percent(value, decimals=0):
    """A share 0–1 as "67 %" (Swedish: decimal comma, space before %); None → "–"."""
    return formats.percent(value, decimals)


@register.filter
def goal_status(value):
    labels = {"met": _("nått målet"), "on_track": _("i fas"), "behind": _("efter")}
    return labels.get(value, "–")


@register.filter
def days(value):
    if value is None:
        return "–"
    text = f"{float(value):.1f}".replace(".", ",").removesuffix(",0")
    return f"{text}\u00a0" + _("dagar")


@register.filter
def gender_label(key):
    labels = {"kvinna": _("Kvinnor"), "man": _("Män"), "icke-binär": _("Icke-binära"), "okänd": _("Okänt")}
    return labels.get(key, key)


@register.filter
def lookup(mapping, key):
    """A label by its key (the key itself when no label is known). For figures use `figure`."""
    if isinstance(mapping, dict):
        return mapping.get(key, key)
    return key


@register.filter
def figure(mapping, key):
    """A figure by its key: a key that is absent (no rows for that agency or group) is 0, never the key."""
    if isinstance(mapping, dict):
        return mapping.get(key, 0)
    return None


@register.filter
def met(value):
    if value is None:
        return "–"
    return _("Ja") if value else _("Nej")


@register.filter
def sek(value):
    if value is None:
        return "–"
    return f"{int(value):,}".replace(",", "\u00a0") + "\u00a0kr"


# --- Key figures: each defined once (value and label), shown by reporting/_key_figures.html on the dashboard,
# the start page, the monthly report and the final report alike.

def _at(figures, path: str):
    node = figures
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _with_target(label: str, target: str) -> str:
    return _("%(label)s (mål %(target)s)") % {"label": label, "target": target}


KEY_FIGURES = {
    "starts": lambda f: (count(_at(f, "participants.starts")), _("starter")),
    "unique": lambda f: (count(_at(f, "participants.unique")), _("unika deltagare")),
    "unique_against_target": lambda f: (
        count(_at(f, "participants.unique")),
        _with_target(_("unika deltagare"), count(_at(f, "targets.participants.target")))),
    "exits": lambda f: (count(_at(f, "exits.total")), _("avslut")),
    "work_or_studies": lambda f: (percent(_at(f, "outcomes.work_or_studies.share")),
                                  _with_target(_("till arbete eller studier"),
                                               percent(_at(f, "outcomes.work_or_studies.target")))),
    "capacity": lambda f: (count(_at(f, "placements.capacity")),
                           _("platser för deltagare, på %(n)s arbetsträningsplatser") % {
                               "n": count(_at(f, "placements.total"))}),
    "occupied": lambda f: (count(_at(f, "placements.occupied")), _("belagda platser")),
    "free": lambda f: (count(_at(f, "placements.free")), _("lediga platser")),
    "waiting": lambda f: (count(_at(f, "waiting_list.waiting_for_placement")), _("väntar på plats")),
    "placements_used": lambda f: (count(_at(f, "placements.used.placements")), _("arbetsträningsplatser använda")),
    "goal_share": lambda f: (percent(_at(f, "goals.overall.share"), 1),
                             _with_target(_("av de anställda har en arbetsträningsplats"),
                                          percent(_at(f, "goals.overall.target"), 1))),
    "placed": lambda f: (count(_at(f, "summary.placed.value")), _("började på en arbetsträningsplats")),
}
# Key figure → its item in the monthly `summary` section (value, previous month) and how to show the change.
KEY_FIGURE_CHANGES = {
    "goal_share": ("goal_share", "points"), "capacity": ("capacity", "count"), "free": ("free", "count"),
    "occupied": ("occupied", "count"), "waiting": ("waiting", "count"), "placed": ("placed", "count"),
    "exits": ("exited", "count"), "work_or_studies": ("work_or_studies", "points"),
}
KEY_FIGURE_SETS = {
    "monthly": ("goal_share", "capacity", "free", "occupied", "waiting", "placed", "starts", "exits",
                "work_or_studies"),
    "final": ("unique_against_target", "starts", "work_or_studies", "placements_used"),
    "home": ("starts", "exits", "work_or_studies", "capacity", "free"),
}


@register.filter
def key_figures(figures, which: str) -> list[dict]:
    """The key figures of one page kind as [{"key", "value", "label"}], values formatted like every table."""
    items = []
    for key in KEY_FIGURE_SETS[which]:
        value, label = KEY_FIGURES[key](figures or {})
        items.append({"key": key, "value": value, "label": label, "change": _change(figures or {}, key)})
    return items


def _change(figures, key: str) -> str:
    """"+3 sedan oktober", "−0,4 procentenheter sedan oktober"; "" when either month's value is hidden or missing."""
    summary = figures.get("summary")
    if not isinstance(summary, dict) or key not in KEY_FIGURE_CHANGES:
        return ""
    item_key, kind = KEY_FIGURE_CHANGES[key]
    item = summary.get(item_key) or {}
    now, before = item.get("value"), item.get("previous")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (now, before)):
        return ""
    month = date_format(dt.date.fromisoformat(summary["previous_period_start"]), "F")
    if kind == "points":
        difference = round((now - before) * 100, 1)
        text = f"{abs(difference):.1f}".replace(".", ",")
        sign = "+" if difference > 0 else ("−" if difference < 0 else "±")
        return _("%(sign)s%(n)s procentenheter sedan %(month)s") % {"sign": sign, "n": text, "month": month}
    difference = now - before
    sign = "+" if difference > 0 else ("−" if difference < 0 else "±")
    return _("%(sign)s%(n)s sedan %(month)s") % {"sign": sign, "n": count(abs(difference)), "month": month}
