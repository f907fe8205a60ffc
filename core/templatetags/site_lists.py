from django import template

from core.list_state import list_url as _list_url

register = template.Library()


@register.simple_tag(takes_context=True)
def list_url(context, name: str) -> str:
    """The list's URL with the filters the user last chose on it (for breadcrumbs back to the list)."""
    request = context.get("request")
    return _list_url(request, name) if request is not None else ""
