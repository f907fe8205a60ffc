from django import template
from django.conf import settings

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


@register.simple_tag(takes_context=True)
def query_with(context, **overrides):
    """The current query string with some parameters replaced (None removes one)."""
    params = context["request"].GET.copy()
    for key, value in overrides.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    return params.urlencode()
