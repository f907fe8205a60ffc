"""Reads about placements: bookable capacity, who is on a placement on a day, organisation roll-ups.

Two different questions, two definitions:
- *booked* (for taking new requests, matching and the no-overbooking rule): confirmed and ongoing
  assignments whose period covers the date (end = actual end, else planned end); see with_occupancy.
- *on placement on day D* (every figure: reports, dashboard, organisation pages): an assignment that
  has actually begun (ongoing or completed: its start_date is then the actual first day) with
  start ≤ D and actual end empty or ≥ D, whatever its status is today; see on_placement.
  Occupied = those, free = capacity − occupied per open placement (never below 0).
"""

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from core.history import history_entries
from core.paging import values_compiled
from organisations.models import Organisation
from organisations.tree import OrganisationTree
from placements.models import (
    Assignment,
    OrganisationTotalsToken,
    Placement,
    PlacementCountChange,
    actual_last_day,
)


def _assignment_end():
    return Coalesce("end_date", "planned_end_date")


def occupying_assignments(*, on: dt.date) -> QuerySet[Assignment]:
    return Assignment.objects.annotate(period_end=_assignment_end()).filter(
        status__in=Assignment.OCCUPYING, start_date__lte=on, period_end__gte=on
    )


def on_placement(*, on: dt.date) -> QuerySet[Assignment]:
    """Assignments with a participant on the placement on day `on` (from the dates, not today's status).

    "Actual end empty or ≥ `on`" is written as one range on actual_last_day() so that the index
    assignment_on_placement_idx reads only the assignments still running on `on`, not every assignment."""
    return Assignment.objects.alias(last_day=actual_last_day()).filter(
        status__in=Assignment.STARTED, start_date__lte=on, last_day__gte=on)


def counted_in_organisation_totals(status: str) -> bool:
    """Whether an assignment of this status can count in a day's organisation totals (organisation_totals_of):
    only through on_placement, which counts the started ones. A write that leaves every status it touches outside
    these changes no total (placements.services._assignments_written)."""
    return status in Assignment.STARTED


# --- Placements as they stood on a day --------------------------------------------------------------
# Every figure of a day reads the placements as they stood at the end of that day: what a placement was then
# (status, capacity, unit, occupational area, availability) is its latest change-history record before the
# end of the day when it has been changed since, else its current row. Closing and reopening, a new capacity,
# a move to another unit or new dates then change the days from the change on and leave the earlier days as they
# were. A placement written in bulk without history and changed since has no record of before: it keeps its
# current row (nothing else is known).


def _end_of_day(on: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(on + dt.timedelta(days=1), dt.time.min))


def _is_past(on: dt.date) -> bool:
    """Whether the day has ended: only then can a placement have been changed since. Today and later days read
    the current rows, with the plans and indexes of today's pages."""
    return _end_of_day(on) <= timezone.now()


_STATE_COLUMNS = ("capacity", "status", "available_from", "available_to", "closed_on")


def _tables() -> tuple[str, str, str]:
    """The placements', their history's and the units' tables, quoted."""
    models = (Placement, Placement.history.model, Placement._meta.get_field("unit").related_model)
    return tuple(connection.ops.quote_name(model._meta.db_table) for model in models)


def _select_state(t: str) -> str:
    """The columns of a placement row (alias `t`: the placement or one of its history records, joined to its unit
    as u) as _states_sql returns them."""
    return ", ".join([f"{t}.id", "u.organisation_id", f"{t}.occupational_area_id AS area_id",
                      *(f"{t}.{name}" for name in _STATE_COLUMNS)])


def _days_sql(days: list[dt.date]) -> tuple[str, list]:
    """The days as rows (i, before, day): their index, the end of the day and the day."""
    sql = " UNION ALL ".join(f"SELECT {i} AS i, %s AS before, %s AS day" for i in range(len(days)))
    params = []
    for day in days:
        params += [connection.ops.adapt_datetimefield_value(_end_of_day(day)),
                   connection.ops.adapt_datefield_value(day)]
    return sql, params


def _recent_sql(days: list[dt.date]) -> tuple[str, list]:
    """The placements with a change recorded since the end of the earliest of the days (each id once or more)."""
    _placement, history, _unit = _tables()
    return (f"SELECT r.id FROM {history} r WHERE r.history_date >= %s",  # noqa: S608 (no user input)
            [connection.ops.adapt_datetimefield_value(_end_of_day(min(days)))])


def _changed_states_sql(days: list[dt.date]) -> tuple[str, list]:
    """SQL of the placements changed since the earliest of the days as they stood on each day: rows (i, the state
    columns, day). A day's row is the record in force at its end: the last written before it, up to the next one
    (their periods computed from the history once, with LEAD, for all the days). Before its first record, a
    placement written in bulk and changed since stands as its current row."""
    placement, history, unit = _tables()
    days_sql, days_params = _days_sql(days)
    recent, recent_params = _recent_sql(days)
    columns = ", ".join(f"h.{name}" for name in ("id", "unit_id", "occupational_area_id", *_STATE_COLUMNS))
    periods = (f"SELECT {columns}, h.history_date AS valid_from, "  # noqa: S608 (no user input)
               f"LEAD(h.history_date) OVER (PARTITION BY h.id ORDER BY h.history_id) AS valid_until "
               f"FROM {history} h WHERE h.id IN ({recent})")
    firsts = (f"SELECT f.id, MIN(f.history_date) AS first_recorded FROM {history} f "  # noqa: S608 (no user input)
              f"WHERE f.id IN ({recent}) GROUP BY f.id")
    sql = (f"SELECT d.i, {_select_state('h')}, d.day FROM ({periods}) h "  # noqa: S608 (no user input)
           f"JOIN {unit} u ON u.id = h.unit_id JOIN {placement} p ON p.id = h.id "
           f"JOIN ({days_sql}) d ON h.valid_from < d.before AND (h.valid_until IS NULL OR h.valid_until >= d.before) "
           f"UNION ALL SELECT d.i, {_select_state('p')}, d.day FROM {placement} p JOIN {unit} u ON u.id = p.unit_id "
           f"JOIN ({firsts}) f ON f.id = p.id JOIN ({days_sql}) d ON d.before <= f.first_recorded")
    return sql, [*recent_params, *days_params, *recent_params, *days_params]


def _states_sql(on: dt.date) -> tuple[str, list]:
    """SQL of every placement as it stood at the end of day `on`, one row each, with the columns i (0), id,
    organisation_id, area_id, _STATE_COLUMNS and day (`on`). Works on PostgreSQL and SQLite.

    Only the placements changed since are read in the history (their records since are found on the index of
    the history's dates); every other placement's row is its current one."""
    placement, _history, unit = _tables()
    current = (f"SELECT 0 AS i, {_select_state('p')}, %s AS day "  # noqa: S608 (no user input)
               f"FROM {placement} p JOIN {unit} u ON u.id = p.unit_id")
    day = [connection.ops.adapt_datefield_value(on)]
    if not _is_past(on):
        return current, day
    recent, recent_params = _recent_sql([on])
    changed, changed_params = _changed_states_sql([on])
    return (f"{current} WHERE p.id NOT IN ({recent}) UNION ALL {changed}",  # noqa: S608 (no user input)
            [*day, *recent_params, *changed_params])


def _existing_sql(day: dt.date | None = None, alias: str = "s") -> tuple[str, list]:
    """The condition that the placement row `alias` (of _states_sql) exists on its day (`alias`.day), or on `day`:
    available from before it, not closed and not expired by then (closed on a day, it does not exist that day)."""
    s = alias
    on = f"{s}.day" if day is None else "%s"
    sql = (f"{s}.available_from <= {on} AND ({s}.available_to IS NULL OR {s}.available_to >= {on}) "
           f"AND NOT ({s}.status = %s AND ({s}.closed_on IS NULL OR {s}.closed_on <= {on}))")
    if day is None:
        return sql, [Placement.Status.CLOSED]
    value = connection.ops.adapt_datefield_value(day)
    return sql, [value, value, Placement.Status.CLOSED, value]


def _placement_ids(on: dt.date, condition: str, params: list) -> Q:
    """The placements whose row as they stood on `on` (alias s) meets the SQL `condition`."""
    states, states_params = _states_sql(on)
    return Q(pk__in=RawSQL(f"SELECT s.id FROM ({states}) s WHERE {condition}",  # noqa: S608, S611
                           (*states_params, *params)))


def existing_on(on: dt.date) -> Q:
    """Placements that exist on the date, as they stood then: available from before it, not closed and not expired
    by then. A placement closed on a day does not exist that day; reopened, it exists again from the day it was
    reopened, and the days it was closed stay without it."""
    if _is_past(on):
        return _placement_ids(on, *_existing_sql(on))
    closed = Q(status=Placement.Status.CLOSED) & (Q(closed_on__isnull=True) | Q(closed_on__lte=on))
    not_expired = Q(available_to__isnull=True) | Q(available_to__gte=on)
    return Q(available_from__lte=on) & not_expired & ~closed


def available_between(start: dt.date, end: dt.date) -> Q:
    """Placements that became available within [start, end]: their first day as it stood at the end of the period."""
    if _is_past(end):
        day = connection.ops.adapt_datefield_value
        return _placement_ids(end, "s.available_from >= %s AND s.available_from <= %s", [day(start), day(end)])
    return Q(available_from__gte=start, available_from__lte=end)


def closed_between(start: dt.date, end: dt.date) -> Q:
    """Placements closed on a day within [start, end], whatever has become of them since: closed now on such a day,
    or recorded closed on one in their change history (reopened since)."""
    recorded = Placement.history.model.objects.filter(
        status=Placement.Status.CLOSED, closed_on__gte=start, closed_on__lte=end).values("id")
    return Q(closed_on__gte=start, closed_on__lte=end) | Q(pk__in=recorded)


def _summed_per_day(days: list[dt.date], key: str | None, value: str) -> dict:
    """SUM(`value`) over the placements existing on each of the days as they stood then, per `key` (SQL over the
    row alias s of _states_sql; None: all together, under the key 0): {key: [sum on each day]}, keys with nothing
    on any day absent. One query.

    A placement without a record since the earliest day stood as it stands now on every day: those are summed
    from their current rows in one pass, a sum per day. Only the ones changed since are read in the history."""
    placement, _history, unit = _tables()
    past = [day for day in days if _is_past(day)]
    group_by = f" GROUP BY {key}" if key else ""
    key = key or "0"
    columns, params = [], []
    for day in days:
        existing, existing_params = _existing_sql(day)
        columns.append(f"SUM(CASE WHEN {existing} THEN {value} ELSE 0 END)")
        params += existing_params
    sql = (f"SELECT {key}, {', '.join(columns)} FROM (SELECT {_select_state('p')} "  # noqa: S608 (no user input)
           f"FROM {placement} p JOIN {unit} u ON u.id = p.unit_id) s")
    if past:
        recent, recent_params = _recent_sql(past)
        sql += f" WHERE s.id NOT IN ({recent})"
        params += recent_params
    sql += group_by
    if past:
        changed, changed_params = _changed_states_sql(days)
        existing, existing_params = _existing_sql()
        sums = ", ".join(f"SUM(CASE WHEN s.i = {i} AND {existing} THEN {value} ELSE 0 END)" for i in range(len(days)))
        sql += f" UNION ALL SELECT {key}, {sums} FROM ({changed}) s{group_by}"  # noqa: S608 (no user input)
        params += [*existing_params * len(days), *changed_params]
    summed: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for group, *values in cursor.fetchall():
            totals = summed.setdefault(group, [0] * len(days))
            for i, total in enumerate(values):
                totals[i] += int(total or 0)
    return {group: totals for group, totals in summed.items() if any(totals)}


def places_per_organisation_on(days: list[dt.date]) -> dict[int, list[int]]:
    """Places (the capacity of the placements existing that day, paused included) per organisation on each of the
    days, the placements as they stood that day: one query. An organisation with no place on any day is absent."""
    return _summed_per_day(days, "s.organisation_id", "s.capacity") if days else {}


def placements_existing_per_day(days: list[dt.date]) -> list[int]:
    """How many placements existed on each of the days, as they stood then (existing_on): one query."""
    return _summed_per_day(days, None, "1").get(0, [0] * len(days)) if days else []


def occupied_on(*, on: dt.date) -> dict[int, int]:
    """Participants on each placement on day `on`: one GROUP BY query (placements with nobody are absent)."""
    return dict(
        on_placement(on=on).order_by().values("placement_id").annotate(n=Count("*"))
        .values_list("placement_id", "n")
    )


class PlacementDay(NamedTuple):
    """One placement as it stood on a day: what the figures are summed from (a tuple: a report reads one per
    placement, and a tuple is made in a third of a frozen dataclass's time)."""

    pk: int
    organisation_id: int
    area_id: int
    capacity: int
    is_open: bool
    occupied: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.occupied, 0) if self.is_open else 0

    @property
    def overbooked(self) -> int:
        return max(self.occupied - self.capacity, 0)


def paused_at_end_of(on: dt.date) -> Q:
    """Placements paused at the end of day `on`: their status as they stood then (no pause date is stored)."""
    if _is_past(on):
        return _placement_ids(on, "s.status = %s", [Placement.Status.PAUSED])
    return Q(status=Placement.Status.PAUSED)


def placements_on(*, on: dt.date, occupancy: bool = True) -> list[PlacementDay]:
    """Every placement existing on `on` with its occupancy that day, in a fixed number of queries.

    Paused placements exist (they count in places and capacity) but offer no free slot. Without
    `occupancy` nobody is counted (occupied 0): for pages whose reader may not see who is placed.
    """
    occupied = occupied_on(on=on) if occupancy else {}
    states, params = _states_sql(on)
    existing, existing_params = _existing_sql(on)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT s.id, s.organisation_id, s.area_id, s.capacity, s.status FROM ({states}) s "  # noqa: S608 (no user input)
                       f"WHERE {existing}", (*params, *existing_params))
        rows = cursor.fetchall()
    return [PlacementDay(pk=pk, organisation_id=org, area_id=area, capacity=capacity,
                         is_open=status != Placement.Status.PAUSED, occupied=occupied.get(pk, 0))
            for pk, org, area, capacity, status in rows]


def with_occupancy(queryset: QuerySet[Placement], *, on: dt.date | None = None) -> QuerySet[Placement]:
    """Annotate `occupied` and `free` (never below 0) on the given date, default today, in one query."""
    on = on or timezone.localdate()
    occupied = (
        occupying_assignments(on=on)
        .filter(placement=OuterRef("pk"))
        .order_by()
        .values("placement")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        occupied=Coalesce(Subquery(occupied, output_field=IntegerField()), Value(0)),
    ).annotate(free=Greatest(F("capacity") - F("occupied"), Value(0)))


def with_free_slot(queryset: QuerySet[Placement], *, on: dt.date | None = None) -> QuerySet[Placement]:
    """Open placements available on the date that have at least one free slot then."""
    on = on or timezone.localdate()
    return (
        with_occupancy(queryset, on=on)
        .filter(status=Placement.Status.OPEN, available_from__lte=on)
        .filter(Q(available_to__isnull=True) | Q(available_to__gte=on))
        .filter(free__gt=0)
    )


def peak_occupancy(*, placement: Placement, start: dt.date, end: dt.date,
                   exclude_assignment_id: int | None = None, statuses=Assignment.OCCUPYING) -> int:
    """The largest number of occupying assignments (of `statuses`) on any one day within [start, end].

    Concurrency only changes where an assignment starts, so checking those days (and `start`) suffices.
    """
    overlapping = (
        Assignment.objects.annotate(period_end=_assignment_end())
        .filter(placement=placement, status__in=statuses, start_date__lte=end, period_end__gte=start)
        .exclude(pk=exclude_assignment_id)
        .values_list("start_date", "period_end")
    )
    return peak_of_periods(overlapping, start=start, end=end)


def peak_of_periods(periods, *, start: dt.date, end: dt.date) -> int:
    """The capacity rule's arithmetic: the most (first day, last day) periods running on one day of [start, end].

    Concurrency only changes where a period starts, so checking those days (and `start`) suffices. Used on the
    register's assignments (peak_occupancy), on an import's rows and on the demo builder's plan alike.
    """
    inside = [(s, e) for s, e in periods if s <= end and e >= start]
    checkpoints = {start} | {max(s, start) for s, _e in inside}
    return max(sum(1 for s, e in inside if s <= day <= e) for day in checkpoints)


def has_room(*, capacity: int, periods, start: dt.date, end: dt.date) -> bool:
    """True if a placement of `capacity` with these booked periods can take one more for [start, end]."""
    return peak_of_periods(periods, start=start, end=end) < capacity


# --- Lists, idle placements, organisation progress ------------------------------------------------

# Statuses of assignments that once put a participant at the placement (for "free since").
HAS_HOSTED = (Assignment.Status.CONFIRMED, Assignment.Status.ONGOING, Assignment.Status.COMPLETED)


def _last_hosted_end_before(on: dt.date) -> Subquery:
    return Subquery(
        Assignment.objects.annotate(period_end=_assignment_end())
        .filter(placement=OuterRef("pk"), status__in=HAS_HOSTED, period_end__lt=on)
        .order_by("-period_end")
        .values("period_end")[:1]
    )


def with_idle_since_from_history(queryset: QuerySet[Placement], *, on: dt.date | None = None) -> QuerySet[Placement]:
    """The definition of `idle_since`: the day since which the placement has stood without any participant.

    That is the later of `available_from` and the end of the last assignment that ended before `on`.
    Only meaningful when nobody occupies it on `on` (`occupied == 0`, see with_occupancy). One subquery per
    placement; with_idle_since gives the same from the stored values.
    """
    on = on or timezone.localdate()
    return queryset.annotate(
        last_hosted_end=_last_hosted_end_before(on),
    ).annotate(idle_since=Greatest("available_from", Coalesce("last_hosted_end", "available_from")))


def idle_placements_from_history(queryset: QuerySet[Placement], *, days: int,
                                 on: dt.date | None = None) -> QuerySet[Placement]:
    """The definition of the idle filter: open placements, available on `on` (default today), nobody on them
    that day, free for more than `days` days: `idle_since` (see with_idle_since_from_history) before `on - days`.

    `idle_since` is before the cut-off exactly when `available_from` is and no hosted period ended between the
    cut-off and `on`; nobody on it is no occupying assignment that day (two NOT EXISTS over the assignments).
    idle_placements gives the same from the stored values.
    """
    on = on or timezone.localdate()
    return _available_for_idle(queryset, days=days, on=on).exclude(_hosted_since_cut_off(days=days, on=on)).exclude(
        Exists(occupying_assignments(on=on).filter(placement=OuterRef("pk"))))


def _available_for_idle(queryset: QuerySet[Placement], *, days: int, on: dt.date) -> QuerySet[Placement]:
    cut_off = on - dt.timedelta(days=days)
    return queryset.filter(status=Placement.Status.OPEN, available_from__lt=cut_off).filter(
        Q(available_to__isnull=True) | Q(available_to__gte=on))


def _hosted_since_cut_off(*, days: int, on: dt.date) -> Exists:
    cut_off = on - dt.timedelta(days=days)
    return Exists(Assignment.objects.annotate(period_end=_assignment_end()).filter(
        placement=OuterRef("pk"), status__in=HAS_HOSTED, period_end__gte=cut_off, period_end__lt=on))


# --- The stored idle values (Placement.idle_last_end, idle_next_end, idle_occupied_from) --------------------
#
# "Idle since" changes only on the day after a hosted period ends, and "someone on it" only where an occupying
# period starts or ends. For a day D, let L be the last hosted period end before D, N the first one on or after D
# and M the first day of an occupying period that ends on or after D. For every day T with L < T <= N:
# - the last hosted end before T is L (no hosted period ends in (L, N)), so idle_since(T) = max(available_from, L);
# - the occupying periods that run on T are those ending after L (they all end on or after N >= T) that have
#   started by T: someone is on it on T exactly when M <= T.
# The three values do not depend on D beyond which of the gaps between period ends they describe, so they stay
# exact as the days pass until N; after N (or for a day up to L) the selectors ask the assignments.


def idle_state_values(assignment_model, *, on: dt.date) -> dict:
    """The stored idle values of each placement as of day `on`, as subqueries for an UPDATE of the placements
    (placements.services.placements_refresh_idle and the migration that back-filled them)."""
    hosted = (assignment_model.objects.filter(placement=OuterRef("pk"), status__in=HAS_HOSTED)
              .annotate(period_end=Coalesce("end_date", "planned_end_date")).order_by())

    def first(queryset, field: str, *, descending: bool = False) -> Subquery:
        return Subquery(queryset.order_by(f"-{field}" if descending else field).values(field)[:1])

    return {
        "idle_last_end": first(hosted.filter(period_end__lt=on), "period_end", descending=True),
        "idle_next_end": first(hosted.filter(period_end__gte=on), "period_end"),
        "idle_occupied_from": first(hosted.filter(status__in=Assignment.OCCUPYING, period_end__gte=on),
                                    "start_date"),
    }


def _stored_idle_answers(on: dt.date) -> Q:
    """Placements whose stored idle values describe day `on` (see above)."""
    return ((Q(idle_last_end__isnull=True) | Q(idle_last_end__lt=on))
            & (Q(idle_next_end__isnull=True) | Q(idle_next_end__gte=on)))


def _stored_idle_does_not_answer(on: dt.date) -> Q:
    """The rest; false (not unknown) where a column is empty, so that SQL's AND stops before the subqueries."""
    return (Q(idle_last_end__isnull=False, idle_last_end__gte=on)
            | Q(idle_next_end__isnull=False, idle_next_end__lt=on))


def with_idle_since(queryset: QuerySet[Placement], *, on: dt.date | None = None) -> QuerySet[Placement]:
    """Annotate `idle_since` (the definition: with_idle_since_from_history) from the stored values, and from the
    assignments for the placements those do not answer for `on`."""
    on = on or timezone.localdate()
    from_history = Greatest("available_from", Coalesce(_last_hosted_end_before(on), "available_from"))
    return queryset.annotate(idle_since=Case(When(_stored_idle_answers(on), then=stored_idle_since()),
                                             default=from_history))


def stored_idle_since():
    """`idle_since` from the stored values alone (Placement's "placement_idle_since_idx" index is on it)."""
    return Greatest("available_from", Coalesce("idle_last_end", "available_from"))


def order_by_idle_since(queryset: QuerySet[Placement], *, descending: bool = False,
                        on: dt.date | None = None) -> QuerySet[Placement]:
    """Order an idle_since-annotated list (with_idle_since) by `idle_since`, then pk. While no placement's stored
    values are stale on `on`, the stored key is `idle_since` for every placement and the order comes from its
    index (the page's rows, not every placement); otherwise by the annotation, placement by placement."""
    on = on or timezone.localdate()
    any_stale = Placement.objects.filter(_stored_idle_does_not_answer(on)).exists()
    key = F("idle_since") if any_stale else stored_idle_since()
    if descending:
        return queryset.order_by(key.desc(), "-pk")
    return queryset.order_by(key.asc(), "pk")


def idle_placements(queryset: QuerySet[Placement], *, days: int, on: dt.date | None = None) -> QuerySet[Placement]:
    """The idle filter (the definition: idle_placements_from_history) from the stored values, and from the
    assignments for the placements those do not answer for `on`."""
    on = on or timezone.localdate()
    cut_off = on - dt.timedelta(days=days)
    # "Idle since before the cut-off" as the stored idle_since (available_from and the last end, both before it):
    # with "nobody on it", the two keys of Placement's "placement_open_idle_idx", read as ranges.
    stored = (_stored_idle_answers(on) & Q(idle_stored_since__lt=cut_off)
              & (Q(idle_occupied_from__isnull=True) | Q(idle_occupied_from__gt=on)))
    # The definition's two NOT EXISTS as "the last hosted end before `on` is before the cut-off" and "no occupying
    # assignment's key": scalar subqueries with LIMIT 1, which PostgreSQL runs for the rows that reach them (a
    # NOT EXISTS inside an OR becomes a hashed subplan built from every assignment, whether any row needs it).
    someone_on_it = Subquery(occupying_assignments(on=on).filter(placement=OuterRef("pk")).order_by().values("pk")[:1])
    from_history = _stored_idle_does_not_answer(on) & (
        Q(idle_last_hosted_end__isnull=True) | Q(idle_last_hosted_end__lt=cut_off)) & Q(idle_someone_on_it__isnull=True)
    return (_available_for_idle(queryset, days=days, on=on)
            .alias(idle_stored_since=stored_idle_since(), idle_last_hosted_end=_last_hosted_end_before(on),
                   idle_someone_on_it=someone_on_it)
            .filter(stored | from_history))


# idle_placements' three disjoint parts, each counted from placement_open_idle_idx alone (its keys, and the columns
# the rest of the filter reads in its INCLUDE): nobody booked, booked from a later day (both from the stored values
# that describe `on`), and the placements whose stored values do not describe `on` (from their assignments). An OR
# of the three reads the table's rows, one heap page per idle placement; this reads the index entries.
_IDLE_AVAILABLE_SQL = ("p.status = 'open' AND p.available_from < %(cut_off)s"
                       " AND (p.available_to IS NULL OR p.available_to >= %(on)s)")
_IDLE_STORED_SQL = (_IDLE_AVAILABLE_SQL
                    + " AND (p.idle_last_end IS NULL OR p.idle_last_end < %(on)s)"
                      " AND (p.idle_next_end IS NULL OR p.idle_next_end >= %(on)s)"
                      " AND greatest(p.available_from, coalesce(p.idle_last_end, p.available_from)) < %(cut_off)s")
_IDLE_COUNT_SQL = f"""
    SELECT count(*) FROM (
        SELECT 1 FROM placements_placement p WHERE {_IDLE_STORED_SQL} AND p.idle_occupied_from IS NULL
        UNION ALL
        SELECT 1 FROM placements_placement p WHERE {_IDLE_STORED_SQL} AND p.idle_occupied_from > %(on)s
        UNION ALL
        SELECT 1 FROM placements_placement p
         WHERE {_IDLE_AVAILABLE_SQL}
           AND ((p.idle_last_end IS NOT NULL AND p.idle_last_end >= %(on)s)
                OR (p.idle_next_end IS NOT NULL AND p.idle_next_end < %(on)s))
           AND (SELECT 1 FROM placements_assignment x
                 WHERE x.placement_id = p.id AND x.status = ANY(%(hosted)s)
                   AND coalesce(x.end_date, x.planned_end_date) >= %(cut_off)s
                   AND coalesce(x.end_date, x.planned_end_date) < %(on)s LIMIT 1) IS NULL
           AND (SELECT 1 FROM placements_assignment x
                 WHERE x.placement_id = p.id AND x.status = ANY(%(occupying)s)
                   AND x.start_date <= %(on)s AND coalesce(x.end_date, x.planned_end_date) >= %(on)s LIMIT 1) IS NULL
    ) idle"""  # noqa: S608 (no user input: constants, the values as parameters)


def idle_placements_count(*, days: int, on: dt.date | None = None) -> int:
    """The number of placements idle_placements(Placement.objects.all(), days=days, on=on) lists (the same
    definition: idle_placements_from_history), in one query over placement_open_idle_idx (above)."""
    on = on or timezone.localdate()
    params = {"on": on, "cut_off": on - dt.timedelta(days=days), "hosted": [str(s) for s in HAS_HOSTED],
              "occupying": [str(s) for s in Assignment.OCCUPYING]}
    with connection.cursor() as cursor:
        cursor.execute(_IDLE_COUNT_SQL, params)
        return cursor.fetchone()[0]


def placements_count_stored() -> int:
    """The number of placements, from the stored per-day changes (PlacementCountChange, kept by every writer of
    placements; the tests hold it equal to Placement.objects.count()): a few rows per day of writing."""
    return PlacementCountChange.objects.aggregate(n=Sum("delta"))["n"] or 0


def placement_list(queryset: QuerySet[Placement], *, on: dt.date | None = None,
                   free_on: dt.date | None = None) -> QuerySet[Placement]:
    """The list/export queryset: occupancy and idle annotations, relations joined, adaptations prefetched.
    `free_on` (the list's "Ledig plats den" filter) is the day `occupied` and `free` are counted for;
    idleness is always counted up to `on` (today).

    The number of queries does not depend on the number of rows (one for the rows, one for adaptations).
    """
    on = on or timezone.localdate()
    return with_idle_since(with_occupancy(queryset, on=free_on or on), on=on).select_related(
        "unit__organisation", "occupational_area", "supervisor"
    ).prefetch_related("adaptations")


class PlacementListRow(NamedTuple):
    """One row of the placement list as its page shows it (placements_tags.placement_rows): a placement's own
    columns, the names of its unit, organisation, area and supervisor, `occupied`, `free` and `idle_since` as
    placement_list annotates them, and the names of its adaptations in their order."""

    pk: int
    title: str
    status: str
    capacity: int
    available_from: dt.date
    available_to: dt.date | None
    unit_name: str
    municipality: str
    organisation_name: str
    area_name: str
    supervisor_id: int | None
    supervisor_name: str | None
    supervisor_trained_on: dt.date | None
    occupied: int
    free: int
    idle_since: dt.date
    adaptations: tuple[str, ...]


# The columns of PlacementListRow up to its adaptations, in its order.
_LIST_ROW_COLUMNS = ("id", "title", "status", "capacity", "available_from", "available_to", "unit__name",
                     "unit__municipality", "unit__organisation__name", "occupational_area__name", "supervisor_id",
                     "supervisor__name", "supervisor__training_completed_on", "occupied", "free", "idle_since")


def placement_list_rows(keys, *, on: dt.date | None = None, free_on: dt.date | None = None) -> list[PlacementListRow]:
    """The rows of the placements `keys` (a page of placement_list(…, on=on, free_on=free_on), whose filters and
    scope chose the keys) in the keys' order, as plain values: one query for the rows with placement_list's
    annotations and one for their adaptations, each compiled once per day (core.paging.values_compiled), not a
    model object per placement, unit, organisation, area and supervisor and a prefetch."""
    on = on or timezone.localdate()
    keys = list(keys)

    def rows():
        return (with_idle_since(with_occupancy(Placement.objects.order_by(), on=free_on or on), on=on)
                .values_list(*_LIST_ROW_COLUMNS))

    def names():
        # In the order of Placement.adaptations.all() (Adaptation's Meta.ordering), as a prefetch gives them.
        return (Placement.adaptations.through.objects
                .order_by("adaptation__sort_order", "adaptation__name", "adaptation_id")
                .values_list("placement_id", "adaptation__name"))

    by_pk = {row[0]: row for row in values_compiled(rows, keys, compiled_as=("placement_list_rows", on, free_on))}
    adaptations = defaultdict(list)
    for placement_id, name in values_compiled(names, keys, compiled_as=("placement_list_adaptations",),
                                              key="placement_id"):
        adaptations[placement_id].append(name)
    return [PlacementListRow(*by_pk[pk], tuple(adaptations.get(pk, ()))) for pk in keys if pk in by_pk]


def idle_days(placement: Placement, *, on: dt.date | None = None) -> int | None:
    """Days the placement has stood free (None if occupied, not open, or not yet available)."""
    on = on or timezone.localdate()
    if placement.status != Placement.Status.OPEN or getattr(placement, "occupied", 0):
        return None
    since = getattr(placement, "idle_since", None) or placement.available_from
    if since > on:
        return None
    return (on - since).days


def future_peak_occupancy(*, placement: Placement, on: dt.date | None = None) -> int:
    """The most participants the placement holds on any day from `on` (default today) onwards."""
    on = on or timezone.localdate()
    return peak_occupancy(placement=placement, start=on, end=dt.date.max)


@dataclass
class OrganisationFigures:
    """An organisation's figures on a day, its sub-organisations included (rolled up)."""

    organisation: Organisation
    placements: int
    places: int          # capacity: a placement taking three at once offers three places
    occupied: int
    free: int
    employees: int | None  # own employees plus those of every sub-organisation; None when none is known

    @property
    def share(self) -> Decimal | None:
        """Places as a fraction of employees (0–1), None without employees."""
        if not self.employees:
            return None
        return Decimal(self.places) / Decimal(self.employees)


ORGANISATION_TOTALS = ("placements", "places", "occupied", "free")


def organisation_totals_of(days: list[PlacementDay]) -> dict[str, dict[int, int]]:
    """Per organisation (its own units only, not rolled up): placements, places (their capacity), participants
    on them and free slots, summed from the placements' days (the definition; organisation_totals_on sums
    the same in the database)."""
    placements: dict[int, int] = {}
    places: dict[int, int] = {}
    occupied: dict[int, int] = {}
    free: dict[int, int] = {}
    for day in days:
        org = day.organisation_id
        placements[org] = placements.get(org, 0) + 1
        places[org] = places.get(org, 0) + day.capacity
        occupied[org] = occupied.get(org, 0) + day.occupied
        free[org] = free.get(org, 0) + day.free
    return dict(zip(ORGANISATION_TOTALS, (placements, places, occupied, free), strict=True))


def _placements_existing(on: dt.date, within: set[int] | None = None) -> tuple[str, list]:
    """SQL of one row per placement existing on `on` as it stood then (of the organisations `within`, default all):
    its id (placement), organisation, capacity (places) and 1 if open that day, 0 if paused (is_open)."""
    states, params = _states_sql(on)
    existing, existing_params = _existing_sql(on)
    params = [Placement.Status.PAUSED, *params, *existing_params]
    sql = (f"SELECT s.id AS placement, s.organisation_id AS organisation, s.capacity AS places, "  # noqa: S608 (no user input)
           f"CASE WHEN s.status = %s THEN 0 ELSE 1 END AS is_open FROM ({states}) s WHERE {existing}")
    if within is not None:
        sql += f" AND s.organisation_id IN ({', '.join(['%s'] * len(within))})"
        params += sorted(within)
    return sql, params


def _occupied_per_placement(on: dt.date, within: set[int] | None = None) -> QuerySet:
    """One row per placement (of the organisations `within`, default all) with somebody on it on `on`: the
    placement and how many (see on_placement). The organisation is the placement's as it stood that day."""
    assignments = on_placement(on=on)
    if within is not None and _is_past(on):
        ids = _placement_ids(on, f"s.organisation_id IN ({', '.join(['%s'] * len(within))})", sorted(within))
        assignments = assignments.filter(placement__in=Placement.objects.filter(ids).values("pk"))
    elif within is not None:
        assignments = assignments.filter(placement__unit__organisation_id__in=within)
    return (assignments.order_by().values(occupied_placement=F("placement_id"))
            .annotate(n=Count("*")).values("occupied_placement", "n"))


def organisation_totals_on(*, on: dt.date, occupancy: bool = True,
                           within: set[int] | None = None) -> dict[str, dict[int, int]]:
    """organisation_totals_of(placements_on(on=on, occupancy=occupancy)) in one GROUP BY query: one row per
    organisation reaches Python instead of one per placement. With `within` (organisation ids), only those
    organisations' rows, and only their placements and assignments are read.

    Django cannot join a grouped subquery, so the placements existing that day and the occupancy per placement
    (both querysets, the definitions above) are joined and summed here in SQL that SQLite and PostgreSQL share."""
    placements_sql, params = _placements_existing(on, within)
    occupied, join = "0", ""
    if occupancy:
        occupied_sql, occupied_params = _occupied_per_placement(on, within).query.sql_with_params()
        occupied, join = "COALESCE(o.n, 0)", f"LEFT JOIN ({occupied_sql}) o ON o.occupied_placement = p.placement"
        params = (*params, *occupied_params)
    sql = (f"SELECT p.organisation, COUNT(*), SUM(p.places), SUM({occupied}), "  # noqa: S608 (compiled querysets)
           f"SUM(CASE WHEN p.is_open = 1 AND p.places > {occupied} THEN p.places - {occupied} ELSE 0 END) "
           f"FROM ({placements_sql}) p {join} GROUP BY p.organisation")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {key: {row[0]: int(row[i]) for row in rows} for i, key in enumerate(ORGANISATION_TOTALS, start=1)}


def _organisations_with_tokens() -> list[Organisation]:
    """Every organisation by name, each with its totals token (`totals_cache_token`, None without a row), in one
    query: the page reads the tokens before the totals (see placements.services.organisation_totals_changed)."""
    return list(Organisation.objects.order_by("name").annotate(totals_cache_token=F("totals_token__token")))


def organisation_trees(tree: OrganisationTree) -> list[list[int]]:
    """The organisations in groups that are cached together: each top-level organisation with every organisation
    below it (key order), and any left over (a cycle, which the forms cannot save) in one more group."""
    groups, covered = [], set()
    for root in sorted(tree.roots()):
        members = tree.with_descendants({root})
        groups.append(sorted(members))
        covered |= members
    rest = sorted(set(tree.parent) - covered)
    return groups + [rest] if rest else groups


def _tree_key(members: list[int], tokens: dict, *, on: dt.date, occupancy: bool, kind: str = "tree") -> str | None:
    """The cache key of a tree's totals of day `on` (`kind` "all": of every organisation at once): named by its
    organisations and their tokens, so that a write in the tree (a new token) or a change of which organisations it
    holds (one moved in or out) names another entry. None when one of them has no token: that tree is not
    cached."""
    if any(tokens.get(pk) is None for pk in members):
        return None
    digest = hashlib.blake2b(",".join(f"{pk}:{tokens[pk].hex}" for pk in members).encode(), digest_size=16)
    return f"organisation-totals:{kind}:{digest.hexdigest()}:{on.isoformat()}:{int(occupancy)}"


def _cached_totals(organisations: list[Organisation], tree: OrganisationTree, *, on: dt.date, occupancy: bool,
                   of: set[int] | None = None) -> dict[str, dict[int, int]]:
    """The direct totals (organisation_totals_on) of every organisation, or only of the trees holding the
    organisations `of`: each tree's from the cache when its entry is there (one get_many for all), the missing
    trees summed in one query restricted to their organisations (all: unrestricted) and stored. Every
    organisation's are also kept under all their tokens together, so that a request after no write reads one
    entry, not one per tree."""
    tokens = {org.pk: getattr(org, "totals_cache_token", None) for org in organisations}
    whole_key = None
    if of is None:
        whole_key = _tree_key(sorted(tokens), tokens, on=on, occupancy=occupancy, kind="all")
        whole = cache.get(whole_key) if whole_key else None
        if whole is not None:
            return whole
    direct = _trees_totals(tree, tokens, on=on, occupancy=occupancy, of=of)
    if whole_key:
        cache.set(whole_key, direct, settings.ORGANISATION_TOTALS_CACHE_SECONDS)
    return direct


def _trees_totals(tree: OrganisationTree, tokens: dict, *, on: dt.date, occupancy: bool,
                  of: set[int] | None) -> dict[str, dict[int, int]]:
    groups = organisation_trees(tree)
    if of is not None:
        groups = [members for members in groups if not of.isdisjoint(members)]
    keys = [_tree_key(members, tokens, on=on, occupancy=occupancy) for members in groups]
    found = cache.get_many([key for key in keys if key]) if any(keys) else {}
    direct: dict[str, dict[int, int]] = {key: {} for key in ORGANISATION_TOTALS}
    missing = []
    for members, key in zip(groups, keys, strict=True):
        if key in found:
            for name, values in found[key].items():
                direct[name].update(values)
        else:
            missing.append((members, key))
    if not missing:
        return direct
    within = {pk for members, _key in missing for pk in members}
    summed = organisation_totals_on(on=on, occupancy=occupancy,
                                    within=None if len(within) == len(tree.parent) else within)
    store = {}
    for members, key in missing:
        part = {name: {pk: values[pk] for pk in members if pk in values} for name, values in summed.items()}
        for name, values in part.items():
            direct[name].update(values)
        if key:
            store[key] = part
    if store:
        cache.set_many(store, settings.ORGANISATION_TOTALS_CACHE_SECONDS)
    return direct


def organisation_totals_cached(*, on: dt.date, occupancy: bool = True) -> dict[str, dict[int, int]]:
    """organisation_totals_on(on=on, occupancy=occupancy), each organisation tree's part taken from the cache while
    no writer has replaced the token of one of its organisations since it was summed (placements.services.
    organisation_totals_changed): a write sums its own tree again, not the country. Cached per day, so the next
    day is summed anew and a past day stays cached until the next write in a tree. A warm request costs the
    organisations' query (with the tokens) and one cache read; the first after a write two more (the trees
    cached) and the totals of the trees written."""
    organisations = _organisations_with_tokens()
    tree = OrganisationTree((org.pk, org.parent_id) for org in organisations)
    if not settings.ORGANISATION_TOTALS_CACHE_SECONDS:
        return organisation_totals_on(on=on, occupancy=occupancy)
    return _cached_totals(organisations, tree, on=on, occupancy=occupancy)


def organisation_roll_up(*, on: dt.date | None = None, days: list[PlacementDay] | None = None,
                         occupancy: bool = True) -> dict[int, OrganisationFigures]:
    """Every organisation's placements, places, occupancy, free slots and employees on `on` (default
    today), each including all its sub-organisations. Without `days`, two queries whatever the data, one while
    the totals are cached: organisations with their tokens and one row of totals per organisation of the trees
    not cached (organisation_totals_cached); with the day's placements already read (`days`, from
    placements_on), they are summed here."""
    on = on or timezone.localdate()
    organisations = _organisations_with_tokens()
    tree = OrganisationTree((org.pk, org.parent_id) for org in organisations)
    if days is not None:
        direct = organisation_totals_of(days)
    elif settings.ORGANISATION_TOTALS_CACHE_SECONDS:
        direct = _cached_totals(organisations, tree, on=on, occupancy=occupancy)
    else:
        direct = organisation_totals_on(on=on, occupancy=occupancy)
    return _rolled_up(organisations, tree, direct)


def organisation_figures(organisation: Organisation, *, on: dt.date | None = None,
                         occupancy: bool = True) -> OrganisationFigures:
    """organisation_roll_up(on=on, occupancy=occupancy)[organisation.pk], from the totals of the organisation's
    tree only: the cached ones when they are there, else summed (and cached) for that tree alone. Without the
    cache, only the placements of the organisation and its sub-organisations are summed: an organisation's page
    reads its part of the data, not the country's."""
    on = on or timezone.localdate()
    organisations = _organisations_with_tokens()
    tree = OrganisationTree((org.pk, org.parent_id) for org in organisations)
    if settings.ORGANISATION_TOTALS_CACHE_SECONDS:
        direct = _cached_totals(organisations, tree, on=on, occupancy=occupancy, of={organisation.pk})
    else:
        direct = organisation_totals_on(on=on, occupancy=occupancy, within=tree.with_descendants({organisation.pk}))
    return _rolled_up(organisations, tree, direct)[organisation.pk]


def _rolled_up(organisations: list[Organisation], tree: OrganisationTree,
               direct: dict[str, dict[int, int]]) -> dict[int, OrganisationFigures]:
    rolled = {key: tree.roll_up(values) for key, values in direct.items()}
    employees = tree.roll_up({org.pk: org.employee_count or 0 for org in organisations})
    known = tree.roll_up({org.pk: 1 for org in organisations if org.employee_count is not None})
    return {
        org.pk: OrganisationFigures(
            organisation=org, placements=rolled["placements"][org.pk], places=rolled["places"][org.pk],
            occupied=rolled["occupied"][org.pk], free=rolled["free"][org.pk],
            employees=employees[org.pk] if known[org.pk] else None)
        for org in organisations
    }


def organisation_progress_table(*, on: dt.date | None = None, occupancy: bool = True) -> list[dict]:
    """Every organisation with its rolled-up places, share of its rolled-up employees and target,
    ranked by share (highest first); organisations without employees come last. Without `occupancy`
    the rows carry no "occupied" (it is neither counted nor shipped)."""
    table = [_progress_row(figures, occupancy=occupancy)
             for figures in organisation_roll_up(on=on, occupancy=occupancy).values()]
    table.sort(key=lambda r: (r["share"] is None, -(r["share"] or 0), r["organisation"].name))
    return table


class OverviewOrganisation(NamedTuple):
    """An organisation as the overview's rows show it, cached with them instead of the model object."""

    pk: int
    name: str
    parent_id: int | None
    children: int  # its direct sub-organisations


@dataclass(frozen=True)
class OverviewLevel:
    """One level of the organisation overview: the sub-organisations of `organisation` (None: the top-level
    organisations), ranked as organisation_progress_table ranks them, with the figures it gives them."""

    organisation: OverviewOrganisation | None
    path: tuple[OverviewOrganisation, ...]  # from its top-level organisation down to `organisation`; () at the top
    progress: dict | None  # `organisation`'s own row (its sub-organisations included); None at the top
    rows: list[dict]       # rows of organisation_progress_table, each "organisation" an OverviewOrganisation
    total: dict            # the whole region: places, employees, share (and occupied with occupancy)


def _overview_fingerprint() -> str | None:
    """What the overview's figures and names are made of, in one query whatever the number of organisations: every
    organisation's key, parent, name, employees and target with its totals token (which every writer of its
    placements replaces: placements.services.organisation_totals_changed), hashed. None when an organisation has no
    token yet (its figures are then never cached, as in organisation_totals_cached)."""
    quote = connection.ops.quote_name
    organisations, tokens = quote(Organisation._meta.db_table), quote(OrganisationTotalsToken._meta.db_table)
    line = ("CAST(o.id AS TEXT) || ':' || COALESCE(CAST(o.parent_id AS TEXT), '') || ':' "
            "|| COALESCE(CAST(o.employee_count AS TEXT), '') || ':' || CAST(o.placement_target_percent AS TEXT) "
            "|| ':' || COALESCE(CAST(t.token AS TEXT), '') || ':' || CAST(LENGTH(o.name) AS TEXT) || ':' || o.name")
    joined = f"FROM {organisations} o LEFT JOIN {tokens} t ON t.organisation_id = o.id"
    if connection.vendor == "postgresql":
        sql = f"SELECT COUNT(*) - COUNT(t.token), md5(string_agg({line}, ',' ORDER BY o.id)) {joined}"  # noqa: S608
    else:  # SQLite: the lines concatenated in key order, hashed here
        sql = (f"SELECT COUNT(*) - COUNT(token), group_concat(line, ',') FROM "  # noqa: S608 (table names)
               f"(SELECT t.token AS token, {line} AS line {joined} ORDER BY o.id)")
    with connection.cursor() as cursor:
        cursor.execute(sql)
        untokened, lines = cursor.fetchone()
    if untokened:
        return None
    if connection.vendor != "postgresql":
        lines = hashlib.blake2b((lines or "").encode(), digest_size=16).hexdigest()
    return lines or "none"


def _overview_key(fingerprint: str, *, on: dt.date, under: int | None, occupancy: bool, per_page: int,
                  number: int | str) -> str:
    return (f"organisation-overview:{fingerprint}:{on.isoformat()}:{under or 'top'}:{int(occupancy)}:"
            f"{per_page}:{number}")


def _region_total(rows: list[dict], *, occupancy: bool) -> dict:
    """The top-level organisations' rows summed: the region as one organisation above them all (employees None
    when no organisation has any known)."""
    places = sum(row["places"] for row in rows)
    known = [row["employees"] for row in rows if row["employees"] is not None]
    employees = sum(known) if known else None
    share = (Decimal(places) * 100 / Decimal(employees)).quantize(Decimal("0.01")) if employees else None
    total = {"places": places, "employees": employees, "share": share}
    if occupancy:
        total["occupied"] = sum(row["occupied"] for row in rows)
    return total


def _overview_levels(*, on: dt.date, occupancy: bool) -> tuple[dict[int | None, OverviewLevel],
                                                                Callable[[int | None], OverviewLevel | None]]:
    """Every level of the overview that has rows (the top and every organisation with sub-organisations), and a
    function giving the level of any organisation (empty for one without sub-organisations), from one
    organisation_progress_table."""
    table = organisation_progress_table(on=on, occupancy=occupancy)
    children = defaultdict(int)
    for row in table:
        children[row["organisation"].parent_id] += 1
    rows_of, own, refs = defaultdict(list), {}, {}
    for row in table:
        org = row["organisation"]
        ref = refs[org.pk] = OverviewOrganisation(org.pk, org.name, org.parent_id, children[org.pk])
        own[org.pk] = {**row, "organisation": ref}
        rows_of[org.parent_id].append(own[org.pk])
    total = _region_total(rows_of[None], occupancy=occupancy)

    def path(pk: int) -> tuple[OverviewOrganisation, ...]:
        chain, seen = [], set()
        while pk is not None and pk not in seen:  # seen: a cycle, which the forms cannot save, ends the path
            seen.add(pk)
            chain.append(refs[pk])
            pk = refs[pk].parent_id
        return tuple(reversed(chain))

    def level(under: int | None) -> OverviewLevel | None:
        if under is None:
            return OverviewLevel(None, (), None, rows_of[None], total)
        if under not in refs:
            return None
        return OverviewLevel(refs[under], path(under), own[under], rows_of.get(under, []), total)

    return {under: level(under) for under in rows_of if under is None or under in refs}, level


def organisation_overview_level(*, under: int | None = None, on: dt.date | None = None,
                                occupancy: bool = True) -> OverviewLevel | None:
    """The overview's level of the sub-organisations of `under` (None: the top-level organisations) on `on`
    (default today), every row, or None when there is no such organisation. Its rows and figures are those of
    organisation_progress_table; not cached (the page reads organisation_overview_page)."""
    levels, level_of = _overview_levels(on=on or timezone.localdate(), occupancy=occupancy)
    return levels[under] if under in levels else level_of(under)


OVERVIEW_PAGE_SIZE = 25


@dataclass(frozen=True)
class OverviewPage:
    """One page of a level of the overview (OverviewLevel's organisation, path, progress and total, the number of
    rows in the whole level, and this page's rows)."""

    organisation: OverviewOrganisation | None
    path: tuple[OverviewOrganisation, ...]
    progress: dict | None
    total: dict
    count: int   # rows in the level
    number: int  # of this page, 1 to the level's last
    rows: list[dict]


def _pages(level: OverviewLevel, per_page: int) -> list[OverviewPage]:
    """The level's pages, the first even when it has no rows (as Paginator's allow_empty_first_page)."""
    count = len(level.rows)
    return [OverviewPage(level.organisation, level.path, level.progress, level.total, count, n // per_page + 1,
                         level.rows[n:n + per_page])
            for n in range(0, max(count, 1), per_page)]


def organisation_overview_page(*, under: int | None = None, number: int = 1, per_page: int = OVERVIEW_PAGE_SIZE,
                               on: dt.date | None = None, occupancy: bool = True) -> OverviewPage | None:
    """Page `number` (its last when out of range, as Paginator.get_page) of `per_page` rows of the overview's level of
    the sub-organisations of `under` (None: the top-level organisations) on `on` (default today), or None when there
    is no such organisation: the rows and figures of organisation_overview_level. Cached per day, level, occupancy
    and page under the organisations' fingerprint (their names, tree, employees, targets and totals tokens,
    _overview_fingerprint), so that a warm request asks the database one query whatever the number of organisations
    and reads one entry of one page (two for a page out of range: it and the level's last); the first after a write
    (a new token) or a change of an organisation reads the roll-up (organisation_roll_up: its trees' totals cached)
    and stores every page of every level at once."""
    on = on or timezone.localdate()
    fingerprint = _overview_fingerprint() if settings.ORGANISATION_TOTALS_CACHE_SECONDS else None

    def key(page: int | str, of: int | None = under) -> str:
        return _overview_key(fingerprint, on=on, under=of, occupancy=occupancy, per_page=per_page, number=page)

    if fingerprint:
        found = cache.get(key(number))
        if found is not None:
            return found
        last = cache.get(key("last"))
        if last is not None and not 1 <= number <= last.number:
            return last
    levels, level_of = _overview_levels(on=on, occupancy=occupancy)
    level = levels[under] if under in levels else level_of(under)
    if level is None:
        return None
    pages = _pages(level, per_page)
    if fingerprint:
        store = {}
        for pk, each in (*levels.items(), (under, level)):
            each_pages = pages if pk == under else _pages(each, per_page)
            store.update({key(page.number, of=pk): page for page in each_pages})
            store[key("last", of=pk)] = each_pages[-1]
        cache.set_many(store, settings.ORGANISATION_TOTALS_CACHE_SECONDS)
    return pages[number - 1] if 1 <= number <= len(pages) else pages[-1]


def _progress_row(figures: OrganisationFigures, *, occupancy: bool = True) -> dict:
    share = None if figures.share is None else (figures.share * 100).quantize(Decimal("0.01"))
    org = figures.organisation
    target = org.placement_target_percent
    of_target = None
    if share is not None:  # a target of 0 % is reached by any share
        of_target = min(int(share * 100 / target), 100) if target else 100
    row = {"organisation": org, "places": figures.places,
           "employees": figures.employees, "share": share, "target": target,
           "of_target": of_target, "reached": share is not None and share >= target}
    if occupancy:
        row["occupied"] = figures.occupied
    return row


def organisation_progress(organisation, *, on: dt.date | None = None, occupancy: bool = True) -> dict:
    """Places of the organisation and all its sub-organisations against its target."""
    return _progress_row(organisation_figures(organisation, on=on, occupancy=occupancy), occupancy=occupancy)


def placements_lacking_trained_supervisor(queryset: QuerySet[Placement]) -> QuerySet[Placement]:
    return queryset.exclude(status=Placement.Status.CLOSED).filter(
        Q(supervisor__isnull=True) | Q(supervisor__training_completed_on__isnull=True)
    )


HISTORY_HIDDEN = {"created_at", "updated_at", "attested_at", "created_by"}


def placement_history(placement: Placement, *, limit: int = 30) -> list[dict]:
    """Who changed what, when: each historical record diffed against the one before it, newest first."""
    return history_entries(placement, limit=limit, hidden=HISTORY_HIDDEN)
