"""Reads about placements: occupancy and free capacity. Occupancy counts confirmed and ongoing
assignments whose period covers the date (end = actual end, else planned end)."""

import datetime as dt
from decimal import Decimal

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organisations.models import Organisation
from organisations.permissions import organisation_with_descendant_ids
from placements.models import Assignment, Placement


def _assignment_end():
    return Coalesce("end_date", "planned_end_date")


def occupying_assignments(*, on: dt.date) -> QuerySet[Assignment]:
    return Assignment.objects.annotate(period_end=_assignment_end()).filter(
        status__in=Assignment.OCCUPYING, start_date__lte=on, period_end__gte=on
    )


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
                   exclude_assignment_id: int | None = None) -> int:
    """The largest number of occupying assignments on any one day within [start, end].

    Concurrency only changes where an assignment starts, so checking those days (and `start`) suffices.
    """
    overlapping = list(
        Assignment.objects.annotate(period_end=_assignment_end())
        .filter(placement=placement, status__in=Assignment.OCCUPYING, start_date__lte=end, period_end__gte=start)
        .exclude(pk=exclude_assignment_id)
        .values_list("start_date", "period_end")
    )
    checkpoints = {start} | {max(s, start) for s, _e in overlapping}
    return max((sum(1 for s, e in overlapping if s <= day <= e) for day in checkpoints), default=0)


# --- Lists, idle placements, organisation progress ------------------------------------------------

# Statuses of assignments that once put a participant at the placement (for "free since").
HAS_HOSTED = (Assignment.Status.CONFIRMED, Assignment.Status.ONGOING, Assignment.Status.COMPLETED)


def with_idle_since(queryset: QuerySet[Placement], *, on: dt.date | None = None) -> QuerySet[Placement]:
    """Annotate `idle_since`: the day since which the placement has stood without any participant.

    That is the later of `available_from` and the end of the last assignment that ended before `on`.
    Only meaningful when nobody occupies it on `on` (`occupied == 0`, see with_occupancy).
    """
    on = on or timezone.localdate()
    last_end = (
        Assignment.objects.annotate(period_end=_assignment_end())
        .filter(placement=OuterRef("pk"), status__in=HAS_HOSTED, period_end__lt=on)
        .order_by("-period_end")
        .values("period_end")[:1]
    )
    return queryset.annotate(
        last_hosted_end=Subquery(last_end),
    ).annotate(idle_since=Greatest("available_from", Coalesce("last_hosted_end", "available_from")))


def idle_placements(queryset: QuerySet[Placement], *, days: int, on: dt.date | None = None) -> QuerySet[Placement]:
    """Open placements, available now, nobody on them, free for more than `days` days."""
    on = on or timezone.localdate()
    return (
        queryset.filter(status=Placement.Status.OPEN, occupied=0, idle_since__lt=on - dt.timedelta(days=days))
        .filter(Q(available_to__isnull=True) | Q(available_to__gte=on))
    )


def placement_list(queryset: QuerySet[Placement], *, on: dt.date | None = None) -> QuerySet[Placement]:
    """The list/export queryset: occupancy and idle annotations, relations joined, adaptations prefetched.

    The number of queries does not depend on the number of rows (one for the rows, one for adaptations).
    """
    on = on or timezone.localdate()
    return with_idle_since(with_occupancy(queryset, on=on), on=on).select_related(
        "unit__organisation", "occupational_area", "supervisor"
    ).prefetch_related("adaptations")


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


def organisation_places(organisation_ids=None) -> dict[int, int]:
    """Places offered per organisation (direct units only): the sum of `capacity` of placements not closed.

    A placement's "places" are its capacity, not 1: a unit that takes three participants at once
    offers three work-training places, which is what the employer's target (a share of its
    employees) is about. Closed placements no longer count; paused ones still do (they return).
    """
    rows = Placement.objects.exclude(status=Placement.Status.CLOSED)
    if organisation_ids is not None:
        rows = rows.filter(unit__organisation_id__in=organisation_ids)
    return dict(
        rows.order_by().values("unit__organisation_id").annotate(places=Sum("capacity"))
        .values_list("unit__organisation_id", "places")
    )


def organisation_progress_table() -> list[dict]:
    """Every organisation with its places incl. sub-organisations, share of employees and target.

    Three queries whatever the number of organisations: organisations, places, occupancy.
    Ranked by share (highest first); organisations without an employee count come last.
    """
    organisations = list(Organisation.objects.order_by("name"))
    children: dict[int | None, list[int]] = {}
    for org in organisations:
        children.setdefault(org.parent_id, []).append(org.pk)
    places = organisation_places()
    occupied_rows = (
        with_occupancy(Placement.objects.exclude(status=Placement.Status.CLOSED))
        .order_by().values("unit__organisation_id", "occupied")
    )
    occupied: dict[int, int] = {}
    for row in occupied_rows:
        occupied[row["unit__organisation_id"]] = occupied.get(row["unit__organisation_id"], 0) + row["occupied"]

    def subtree(pk: int) -> list[int]:
        found, stack = [], [pk]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(children.get(current, []))
        return found

    table = []
    for org in organisations:
        ids = subtree(org.pk)
        total = sum(places.get(i, 0) for i in ids)
        table.append(_progress_row(org, places=total, occupied=sum(occupied.get(i, 0) for i in ids)))
    table.sort(key=lambda r: (r["share"] is None, -(r["share"] or 0), r["organisation"].name))
    return table


def _progress_row(org, *, places: int, occupied: int) -> dict:
    share = None
    if org.employee_count:
        share = (Decimal(places) * 100 / Decimal(org.employee_count)).quantize(Decimal("0.01"))
    target = org.placement_target_percent
    of_target = None
    if share is not None and target:
        of_target = min(int(share * 100 / target), 100)
    return {"organisation": org, "places": places, "occupied": occupied, "share": share, "target": target,
            "of_target": of_target, "reached": share is not None and share >= target}


def organisation_progress(organisation) -> dict:
    """Places of the organisation and all its sub-organisations against its target."""
    ids = organisation_with_descendant_ids({organisation.pk})
    places = sum(organisation_places(ids).values())
    occupied = sum(
        with_occupancy(Placement.objects.exclude(status=Placement.Status.CLOSED)
                       .filter(unit__organisation_id__in=ids)).values_list("occupied", flat=True)
    )
    return _progress_row(organisation, places=places, occupied=occupied)


def placements_lacking_trained_supervisor(queryset: QuerySet[Placement]) -> QuerySet[Placement]:
    return queryset.exclude(status=Placement.Status.CLOSED).filter(
        Q(supervisor__isnull=True) | Q(supervisor__training_completed_on__isnull=True)
    )


HISTORY_HIDDEN = {"created_at", "updated_at", "attested_at", "created_by"}


def _display(field, value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, list):  # m2m: list of through-row dicts
        names = []
        for row in value:
            for key, item in row.items():
                if key != "placement":
                    names.append(str(item))
        return ", ".join(sorted(names)) or "–"
    choices = getattr(field, "choices", None)
    if choices:
        return str(dict(choices).get(value, value))
    if isinstance(value, bool):
        return str(_("ja") if value else _("nej"))
    return str(value)


def placement_history(placement: Placement, *, limit: int = 30) -> list[dict]:
    """Who changed what, when: each historical record diffed against the one before it, newest first."""
    records = list(placement.history.select_related("history_user").order_by("-history_date", "-history_id")
                   [: limit + 1])
    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous, foreign_keys_are_objs=True)
            for change in delta.changes:
                if change.field in HISTORY_HIDDEN:
                    continue
                field = Placement._meta.get_field(change.field)
                changes.append({"field": field.verbose_name, "old": _display(field, change.old),
                                "new": _display(field, change.new)})
            if not changes:
                continue
        entries.append({
            "when": record.history_date,
            "who": record.history_user,
            "kind": {"+": _("Skapad"), "~": _("Ändrad"), "-": _("Borttagen")}.get(record.history_type, ""),
            "changes": changes,
        })
    return entries
