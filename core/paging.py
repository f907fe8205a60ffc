"""A list page in two steps: the keys of the page, then the rows of those keys.

The first query applies the list's filters and order to the listed table alone (the primary keys, without the
joined relations, the prefetches and the columns only a shown row needs), so PostgreSQL sorts and cuts the page
before any join; its row estimates for NOT EXISTS filters and per-row subqueries are far off, and it would
otherwise join every candidate row. The second query fetches just the page's rows in full."""

from collections.abc import Callable

from django.core.paginator import Page, Paginator
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet


def page_keys(queryset: QuerySet) -> QuerySet:
    return queryset.values_list("pk", flat=True).prefetch_related(None)


def page_rows(queryset: QuerySet, keys) -> list:
    """The full rows of `keys` from `queryset`, in the keys' order (one query, plus prefetches)."""
    keys = list(keys)
    by_pk = {row.pk: row for row in queryset.filter(pk__in=keys)}
    return [by_pk[pk] for pk in keys if pk in by_pk]


# Rows queries compiled once: (the caller's name for the query, its keys query, number of keys) -> (SQL, params,
# where the keys are in the params). At most _COMPILED_ROWS_KEPT, then emptied.
_COMPILED_ROWS: dict[tuple, tuple[str, list, list[int]]] = {}
_COMPILED_ROWS_KEPT = 256
_KEY_MARK = -(2**62)  # no primary key is negative: the n-th key's place in the compiled params is _KEY_MARK + n


def _compiled_with_keys(name: tuple, keys: list, filtered: Callable[[list], QuerySet]) -> tuple[str, list]:
    """The SQL and params of `filtered(keys)`, compiled once per `name` and number of keys: compiled with marks in
    the keys' places, then each call's keys put in those places."""
    entry_key = (*name, len(keys))
    entry = _COMPILED_ROWS.get(entry_key)
    if entry is None:
        marks = [_KEY_MARK + n for n in range(len(keys))]
        sql, params = filtered(marks).query.sql_with_params()
        params = list(params)
        entry = (sql, params, [params.index(mark) for mark in marks])
        if len(_COMPILED_ROWS) >= _COMPILED_ROWS_KEPT:
            _COMPILED_ROWS.clear()
        _COMPILED_ROWS[entry_key] = entry
    sql, params, places = entry
    params = list(params)
    for place, value in zip(places, keys, strict=True):
        params[place] = value
    return sql, params


def page_rows_compiled(queryset: QuerySet, keys, *, compiled_as: tuple) -> list:
    """page_rows for a heavily annotated queryset, whose ORM compilation costs more than running it: its rows query
    compiled once and then run as SQL with each page's keys. `compiled_as` names what, besides the filters (its keys
    query, compared as SQL and parameters), decides the SQL: the caller's promise that two querysets with the same
    name and keys query compile alike (e.g. the scope and day of a list kept per scope and day). Only for a query
    that joins and prefetches nothing, and only on PostgreSQL (whose driver gives the annotations' dates as dates,
    as the ORM does); otherwise page_rows."""
    keys = list(keys)
    connection = connections[queryset.db]
    if (connection.vendor != "postgresql" or not keys or queryset.query.select_related
            or queryset._prefetch_related_lookups):
        return page_rows(queryset, keys)
    keys_sql, keys_params = page_keys(queryset).query.sql_with_params()
    sql, params = _compiled_with_keys((compiled_as, keys_sql, tuple(keys_params)), keys,
                                      lambda marks: queryset.filter(pk__in=marks))
    by_pk = {row.pk: row for row in queryset.model._default_manager.db_manager(queryset.db).raw(sql, params)}
    return [by_pk[pk] for pk in keys if pk in by_pk]


def values_compiled(query: Callable[[], QuerySet], keys, *, compiled_as: tuple, key: str = "pk",
                    using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """list(query().filter(<key>__in=keys)) for a values_list queryset whose ORM building and compilation cost more
    than running it (annotations, joins): built and compiled once per `compiled_as` and number of keys, then run
    as SQL with the keys. `compiled_as` is the caller's promise that it names everything besides the keys that
    decides the SQL (e.g. the day its annotations are counted for). On PostgreSQL only, whose driver gives the
    numbers, dates and text of these columns as values_list does; elsewhere (and for no keys) the ORM."""
    keys = list(keys)
    if not keys:
        return []
    connection = connections[using]
    lookup = f"{key}__in"
    if connection.vendor != "postgresql":
        return list(query().using(using).filter(**{lookup: keys}))
    sql, params = _compiled_with_keys(("values", using, compiled_as, key), keys,
                                      lambda marks: query().using(using).filter(**{lookup: marks}))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def paginate(queryset: QuerySet, per_page: int, number, *, count: int | None = None,
             rows: Callable[[QuerySet, list], list] = page_rows, keys: QuerySet | None = None) -> Page:
    """Paginator.get_page over the keys, with the page's object_list replaced by its full rows (`rows`: page_rows or
    a function like it). `count`, when the caller already knows how many rows the list has, saves the COUNT
    query. `keys`: the list's keys in its order when the caller has them from elsewhere (stored rows with their
    own index), instead of page_keys(queryset)."""
    paginator = Paginator(page_keys(queryset) if keys is None else keys, per_page)
    if count is not None:
        paginator.count = count  # Paginator.count is a cached_property: this is its value
    page = paginator.get_page(number)
    page.object_list = rows(queryset, list(page.object_list))
    return page


def _ends_with_primary_key(queryset: QuerySet) -> bool:
    """Whether the queryset's order ends with its primary key (a total order, the same rows whichever way read)."""
    query = queryset.query
    ordering = query.order_by or (queryset.model._meta.ordering if query.default_ordering else ())
    if not ordering or query.extra_order_by:
        return False
    last = ordering[-1]
    return isinstance(last, str) and last.lstrip("-") in ("pk", queryset.model._meta.pk.attname)


class KeysFromEitherEnd:
    """The keys of a list (page_keys of `queryset`) for Paginator, each page read from the nearer end of the list:
    a page in the second half as the first rows of the reversed order, then put back in order. A page of the
    deepest half then costs what a page near the start does, instead of PostgreSQL reading and skipping every row
    before it (OFFSET). Only for an order that ends with the primary key (a total order: the reversed list is the
    list backwards, ties and all); any other order reads forwards as before. `count`: the list's length when the
    caller knows it (otherwise one COUNT, as Paginator would)."""

    def __init__(self, queryset: QuerySet, count: int | None = None):
        self._keys = page_keys(queryset)
        self._reversible = _ends_with_primary_key(queryset)
        self._count = count

    def count(self) -> int:
        if self._count is None:
            self._count = self._keys.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        if not isinstance(item, slice) or item.step is not None:
            raise TypeError("KeysFromEitherEnd takes a slice without a step")
        start, stop = item.start or 0, item.stop
        if self._reversible and stop is not None and start >= 0 and stop >= start:
            count = self.count()
            stop = min(stop, count)
            if count - stop < start:
                return list(self._keys.reverse()[count - stop:count - start])[::-1]
        return list(self._keys[item])
