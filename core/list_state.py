"""A list page's filters survive a visit to one of its rows: the list remembers its query string in the
session, and the breadcrumb back to it (template tag `list_url`) puts it back."""

from django.urls import reverse

_KEY = "list-query:"


def remember_list_query(request, name: str) -> None:
    value = request.GET.urlencode()
    if request.session.get(_KEY + name, "") != value:
        request.session[_KEY + name] = value


def list_url(request, name: str) -> str:
    url = reverse(name)
    query = request.session.get(_KEY + name, "") if hasattr(request, "session") else ""
    return f"{url}?{query}" if query else url
