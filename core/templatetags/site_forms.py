from django import template

from core.forms import add_bootstrap_classes

register = template.Library()


@register.filter
def styled(form):
    """A form from a third-party app (allauth) with the site's widget classes, for the site's field template."""
    return add_bootstrap_classes(form)
