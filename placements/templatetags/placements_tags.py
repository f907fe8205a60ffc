from django import template
from django.conf import settings
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
