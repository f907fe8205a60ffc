from django import template
from django.conf import settings
from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import gettext as _

from placements.selectors import idle_days as _idle_days

register = template.Library()


@register.filter
def idle_days(placement):
    """Days a placement has stood free, or None (see placements.selectors.idle_days)."""
    return _idle_days(placement)


@register.filter
def is_idle(placement) -> bool:
    days = _idle_days(placement)
    return days is not None and days > settings.IDLE_PLACEMENT_DAYS


STATUS_BADGE_CLASSES = {"open": "text-bg-success", "paused": "text-bg-warning"}


@register.simple_tag
def status_badge(placement):
    """The placement's status as a coloured badge (green open, yellow paused, grey closed)."""
    css = STATUS_BADGE_CLASSES.get(placement.status, "text-bg-secondary")
    return format_html('<span class="badge {}">{}</span>', css, placement.get_status_display())


@register.simple_tag
def idle_badge(placement):
    """"ledig i N dagar" when the placement has stood free longer than IDLE_PLACEMENT_DAYS, else nothing."""
    if not is_idle(placement):
        return ""
    return format_html('<span class="badge badge-idle">{}</span>',
                       _("ledig i %(days)s dagar") % {"days": _idle_days(placement)})


@register.simple_tag(takes_context=True)
def query_with(context, **overrides):
    """The current query string with some parameters replaced (None removes one)."""
    params = context["request"].GET.copy()
    for key, value in overrides.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    return params.urlencode()


@register.simple_tag
def target_progress(progress):
    """An organisation's progress towards its placement target (a row of placements.selectors._progress_row):
    the bar and the sentence under it. Drawn here rather than in an included template because the organisation
    overview draws one per organisation: two blocktranslates and an include cost several times as much a row."""
    places = formats.localize(progress["places"])
    if progress["share"] is None:
        return format_html('<p class="small mb-0">{}</p>', _(
            "%(places)s platser; antal anställda saknas, så andelen kan inte räknas ut.") % {"places": places})
    return format_html(
        '<progress class="target-progress{}" max="100" value="{}" aria-label="{}">{} %</progress>\n'
        '<p class="small mb-0">{}</p>',
        " reached" if progress["reached"] else "", progress["of_target"],
        _("Andel av målet för %(name)s") % {"name": progress["organisation"].name},
        formats.localize(progress["of_target"]),
        _("%(places)s platser = %(share)s %% av anställda (mål %(target)s %%)") % {
            "places": places, "share": formats.localize(progress["share"]),
            "target": formats.localize(progress["target"])})
