"""Fast bulk inserts on PostgreSQL (seed_demo, the imports): COPY instead of multi-row INSERT … RETURNING.

`copy_rows(model, columns, rows)` writes plain tuples (no model instance per row: building one costs more than
writing it) and `copy_history_rows` their simple_history rows from the same tuples; the imports use them.
`copy_insert(model, objs)` behaves like `bulk_create` for what the demo builder needs: it fills in
primary keys (taken from the table's sequence in one query, so later objects can point at them),
runs each field's `pre_save` (auto_now and defaults as bulk_create would) and marks the objects as
saved. It writes no history rows and sends no signals, exactly like bulk_create. On any other
database it falls back to `bulk_create`. Measured at scale 100: the inserts take about a third of
the time of bulk_create in batches of 2000 (docs/benchmarks.md).
"""

from __future__ import annotations

from django.db import connections, router
from django.db.models.base import ModelState
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone


def copy_insert(model, objs: list, *, batch_size: int = 2000) -> list:
    if not objs:
        return objs
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=batch_size)
        return objs

    opts = model._meta
    pk = opts.pk
    fields = [f for f in opts.concrete_fields if f.column]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        missing = [obj for obj in objs if obj.pk is None]
        if missing:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [opts.db_table, pk.column, len(missing)],
            )
            for obj, (value,) in zip(missing, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, value)
        columns = ", ".join(quote(f.column) for f in fields)
        # Plain columns go to psycopg as they are (it adapts str, int, bool, date, aware datetime, UUID);
        # anything else (JSON, auto_now timestamps, custom fields) through Django's own preparation.
        plain = [f.attname if _is_plain(f) else None for f in fields]
        raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
        with raw.copy(f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                values = obj.__dict__
                copy.write_row([
                    values[name] if name else f.get_db_prep_save(f.pre_save(obj, True), connection)
                    for name, f in zip(plain, fields, strict=True)
                ])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    return objs


def copy_rows(model, columns, rows: list, *, returning_pk: bool = False) -> list | None:
    """Insert `rows` (tuples of values in the order of `columns`, field attnames such as "unit_id") into
    `model`'s table without building a model instance per row. With `returning_pk` (the primary key not among
    the columns) the keys are taken from the table's sequence in one query and returned in the rows' order.

    Every concrete column not named gets what Django would write: its default (a callable default evaluated
    per row), `now` for auto_now fields, NULL where the field is nullable, "" for text; a column with none of
    these raises TypeError, so a field added to the model later cannot be left out silently. Values go to
    psycopg as they are for plain field types and through the field's own preparation otherwise. No signals,
    no history (see copy_history_rows), no validation: the caller has checked the values. On another database:
    bulk_create."""
    opts = model._meta
    pk = opts.pk
    columns = list(columns)
    by_attname = {f.attname: f for f in opts.concrete_fields}
    unknown = [name for name in columns if name not in by_attname]
    if unknown:
        raise TypeError(f"copy_rows: {model.__name__} has no columns {unknown}")
    now = timezone.now()
    fill = []  # (field, constant or None, callable or None) for the columns not given
    for f in opts.concrete_fields:
        if f.attname in columns or (f is pk and (returning_pk or isinstance(f, AutoFieldMixin))):
            continue  # an automatic primary key not asked for comes from the table's own sequence
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            fill.append((f, now, None))
        elif f.has_default():
            fill.append((f, None, f.default) if callable(f.default) else (f, f.get_default(), None))
        elif f.null:
            fill.append((f, None, None))
        elif f.empty_strings_allowed:
            fill.append((f, "", None))  # text without a default: "", as Django writes it
        else:
            raise TypeError(f"copy_rows: no value for {model.__name__}.{f.attname}")
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        objs = []
        for row in rows:
            obj = model(**dict(zip(columns, row, strict=True)))
            for f, constant, make in fill:
                setattr(obj, f.attname, make() if make else constant)
            objs.append(obj)
        model.objects.bulk_create(objs, batch_size=2000)
        return [obj.pk for obj in objs] if returning_pk else None
    if not rows:
        return [] if returning_pk else None

    fields = [by_attname[name] for name in columns] + [f for f, _c, _m in fill]
    plain = [_is_plain_type(f) for f in fields]  # values as given: no pre_save, so auto_now fields are plain too
    constants = [constant for _f, constant, _m in fill]
    makers = [make for _f, _c, make in fill]
    dynamic = any(makers)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        pks = None
        if returning_pk:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [opts.db_table, pk.column, len(rows)])
            pks = [value for (value,) in cursor.fetchall()]
            fields.insert(0, pk)
            plain.insert(0, True)
        needs_prep = not all(plain)
        names = ", ".join(quote(f.column) for f in fields)
        raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
        with raw.copy(f"COPY {quote(opts.db_table)} ({names}) FROM STDIN") as copy:
            for index, row in enumerate(rows):
                extra = [make() if make else constant for make, constant in zip(makers, constants, strict=True)] \
                    if dynamic else constants
                values = [*((pks[index],) if pks else ()), *row, *extra]
                if needs_prep:
                    values = [value if simple else f.get_db_prep_save(value, connection)
                              for value, simple, f in zip(values, plain, fields, strict=True)]
                copy.write_row(values)
    return pks


def copy_history_rows(model, columns, rows: list, *, user=None, date=None, history_type: str = "+") -> list:
    """The django-simple-history rows of rows just written with copy_rows (`columns` must name the primary key,
    as "id"), built from the same tuples: the tracked values as given, the history fields filled in. Returns
    the history rows' primary keys in the rows' order (for the m2m history rows)."""
    history = model.history.model
    tracked = {field.attname for field in history.tracked_fields}
    keep = [index for index, name in enumerate(columns) if name in tracked]
    history_columns = [columns[index] for index in keep] + ["history_date", "history_user_id",
                                                            "history_change_reason", "history_type"]
    fixed = (date or timezone.now(), getattr(user, "pk", None), "", history_type)
    history_rows = [(*(row[index] for index in keep), *fixed) for row in rows]
    return copy_rows(history, history_columns, history_rows, returning_pk=True)


def analyze(models) -> None:
    """Fresh planner statistics for the tables of `models`, on PostgreSQL (a no-op elsewhere).

    Autovacuum never sees rows of a transaction that has not committed (seed_demo inside a test's
    transaction), and without statistics PostgreSQL plans the reports' joins as if the tables were empty:
    nested loops that took minutes at demo scale. ANALYZE in the same transaction counts its own rows."""
    tables = sorted({model._meta.db_table for model in models})
    connection = connections[router.db_for_write(models[0])] if tables else None
    if connection is None or connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {quote(table)}")


_PLAIN_TYPES = {
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
    "PositiveIntegerField", "PositiveSmallIntegerField", "PositiveBigIntegerField", "BooleanField",
    "CharField", "TextField", "EmailField", "SlugField", "DateField", "DateTimeField", "UUIDField",
    "ForeignKey", "OneToOneField",
}


def _is_plain_type(field) -> bool:
    return type(field).__name__ in _PLAIN_TYPES  # exact Django classes only, no custom subclasses


def _is_plain(field) -> bool:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return False
    return _is_plain_type(field)


def copy_history(model, objs: list, *, user=None, date=None, history_type: str = "+") -> list:
    """The django-simple-history rows of `objs` (already saved), written like copy_insert: what
    bulk_history_create builds, without its INSERT … RETURNING. Returns the historical objects.

    The historical objects are built without Model.__init__ (which costs more than writing the row: at
    10,000 imported placements about a fifth of the whole write): their field values straight into the
    instance, as Model.from_db would set them, and no pre_init/post_init signal (none is connected to the
    history models; the rows are only copied and their primary keys read)."""
    history = model.history.model
    date = date or timezone.now()
    tracked = [field.attname for field in history.tracked_fields]
    fixed = {"history_date": date, "history_user_id": getattr(user, "pk", None), "history_change_reason": "",
             "history_type": history_type, history._meta.pk.attname: None}
    defaults = {f.attname: f.get_default() for f in history._meta.concrete_fields
                if f.attname not in fixed and f.attname not in tracked}
    rows = []
    for obj in objs:
        record = history.__new__(history)
        record._state = ModelState()
        record.__dict__.update(defaults)
        record.__dict__.update({name: getattr(obj, name) for name in tracked})
        record.__dict__.update(fixed)
        rows.append(record)
    return copy_insert(history, rows)


def copy_insert_with_history(model, objs: list, *, user=None, date=None) -> list:
    """copy_insert, then one "created" history row per object (simple_history's bulk_create_with_history)."""
    copy_insert(model, objs)
    copy_history(model, objs, user=user, date=date)
    return objs


def existing_values(model, attname: str, values: list) -> set:
    """Which of `values` a row of `model` has in column `attname`, in one query with a single array parameter on
    PostgreSQL (as any_exists); elsewhere `__in`."""
    if not values:
        return set()
    connection = connections[router.db_for_read(model)]
    if connection.vendor != "postgresql":
        return set(model.objects.filter(**{f"{attname}__in": values}).values_list(attname, flat=True))
    opts = model._meta
    quote = connection.ops.quote_name
    column = quote(opts.get_field(attname).column)
    with connection.cursor() as cursor:
        # Only the model's own table and column names, quoted, go into the text; the values are a parameter.
        sql = f"SELECT DISTINCT {column} FROM {quote(opts.db_table)} WHERE {column} = ANY(%s)"  # noqa: S608
        cursor.execute(sql, [list(values)])
        return {value for (value,) in cursor.fetchall()}


def any_exists(model, attname: str, values: list) -> bool:
    """Whether a row of `model` has one of `values` in column `attname`: on PostgreSQL one query with a single
    array parameter (`= ANY`), which plans and binds in constant time where `__in` sends one parameter per value
    (0.4 s for 10,000 imported codes); elsewhere `__in`."""
    if not values:
        return False
    connection = connections[router.db_for_read(model)]
    if connection.vendor != "postgresql":
        return model.objects.filter(**{f"{attname}__in": values}).exists()
    opts = model._meta
    quote = connection.ops.quote_name
    column = opts.get_field(attname).column
    with connection.cursor() as cursor:
        # Only the model's own table and column names, quoted, go into the text; the values are a parameter.
        sql = f"SELECT 1 FROM {quote(opts.db_table)} WHERE {quote(column)} = ANY(%s) LIMIT 1"  # noqa: S608
        cursor.execute(sql, [list(values)])
        return cursor.fetchone() is not None


def day_count_add(model, delta: int) -> None:
    """Add `delta` to today's row of a per-day count of changes (`model`: a `day` unique and a `delta`, e.g.
    PlacementCountChange, ParticipantCountChange), in one upsert; nothing for 0. The caller's transaction holds it."""
    if not delta:
        return
    connection = connections[router.db_for_write(model)]
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, delta) VALUES (%s, %s) "  # noqa: S608 - no user input
            f"ON CONFLICT (day) DO UPDATE SET delta = {table}.delta + excluded.delta",
            [connection.ops.adapt_datefield_value(timezone.localdate()), delta])
