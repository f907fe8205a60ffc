"""Formatting of report figures: counts (possibly "<5"), shares as Swedish percentages, days."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()



@register.filter
def count(value):
    """A count of persons or places: the number, the suppression label ("<5") as is, or "–"."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("ja") if value else _("nej")
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u00a0")
    return str(value)


@register.filter
def percent(value, decimals=0):
    """A share 0–1 as "67 %" (Swedish: decimal comma, space before %); None → "–"."""
    if value is None or isinstance(value, str):
        return "–" if value is None else value
    number = float(value) * 100
    text = f"{number:.{int(decimals)}f}".replace(".", ",")
    return f"{text}\u00a0%"


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
    if isinstance(mapping, dict):
        return mapping.get(key, key)
    return key


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
