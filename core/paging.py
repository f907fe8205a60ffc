"""A list page in two steps: the keys of the page, then the rows of those keys.

The first query applies the list's filters and order to the listed table alone (the primary keys, without the
joined relations, the prefetches and the columns only a shown row needs), so PostgreSQL sorts and cuts the page
before any join; its row estimates for NOT EXISTS filters and per-row subqueries are far off, and it would
otherwise join every candidate row. The second query fetches just the page's rows in full."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


def page_keys(queryset: QuerySet) -> QuerySet:
    return queryset.values_list("pk", flat=True).prefetch_related(None)


def page_rows(queryset: QuerySet, keys) -> list:
    """The full rows of `keys` from `queryset`, in the keys' order (one query, plus prefetches)."""
    keys = list(keys)
    by_pk = {row.pk: row for row in queryset.filter(pk__in=keys)}
    return [by_pk[pk] for pk in keys if pk in by_pk]


def paginate(queryset: QuerySet, per_page: int, number, *, count: int | None = None) -> Page:
    """Paginator.get_page over the keys, with the page's object_list replaced by its full rows. `count`, when the
    caller already knows how many rows the list has, saves the COUNT query."""
    paginator = Paginator(page_keys(queryset), per_page)
    if count is not None:
        paginator.count = count  # Paginator.count is a cached_property: this is its value
    page = paginator.get_page(number)
    page.object_list = page_rows(queryset, page.object_list)
    return page
