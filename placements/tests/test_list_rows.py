"""The placement list's rows as plain values (placements.selectors.placement_list_rows): the same values as the
definition (occupancy and free places on the day asked, idle since up to the day), on any day, drawn into the
cells the page shows; on PostgreSQL their two queries built and compiled once per day."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core import paging
from organisations.tests.factories import AdaptationFactory, SupervisorFactory
from placements import selectors
from placements.models import Assignment, Placement
from placements.selectors import (
    PlacementListRow,
    placement_list_rows,
    with_idle_since_from_history,
    with_occupancy,
)
from placements.tests.factories import AssignmentFactory, PlacementFactory

LIST = reverse("placements:list")


@pytest.fixture
def placements(unit_a, unit_b, area, area_care, supervisor_a):
    """Placements whose rows differ in every shown value: occupied today, booked later, idle for long, paused
    without a supervisor and with two adaptations (shown by sort order, not by name), closed, not yet available."""
    today = timezone.localdate()
    occupied = PlacementFactory(unit=unit_a, occupational_area=area, title="Upptagen", capacity=2,
                                supervisor=supervisor_a, available_from=today - dt.timedelta(days=400))
    AssignmentFactory(placement=occupied, status=Assignment.Status.ONGOING, start_date=today - dt.timedelta(days=20),
                      planned_end_date=today + dt.timedelta(days=40))
    AssignmentFactory(placement=occupied, status=Assignment.Status.COMPLETED,
                      start_date=today - dt.timedelta(days=150), planned_end_date=today - dt.timedelta(days=90),
                      end_date=today - dt.timedelta(days=95))
    booked = PlacementFactory(unit=unit_b, occupational_area=area_care, title="Bokad senare", capacity=1,
                              supervisor=SupervisorFactory(unit=unit_b, name="Otto", training_completed_on=None),
                              available_from=today - dt.timedelta(days=300))
    AssignmentFactory(placement=booked, status=Assignment.Status.CONFIRMED, start_date=today + dt.timedelta(days=10),
                      planned_end_date=today + dt.timedelta(days=70))
    AssignmentFactory(placement=booked, status=Assignment.Status.COMPLETED,
                      start_date=today - dt.timedelta(days=120), planned_end_date=today - dt.timedelta(days=30),
                      end_date=today - dt.timedelta(days=30))
    idle = PlacementFactory(unit=unit_a, occupational_area=area, title="Ledig länge", capacity=3,
                            available_from=today - dt.timedelta(days=500))
    paused = PlacementFactory(unit=unit_b, occupational_area=area, title="Pausad <b>", status=Placement.Status.PAUSED,
                              available_from=today - dt.timedelta(days=50), available_to=today + dt.timedelta(days=90))
    paused.adaptations.add(AdaptationFactory(code="z-forst", name="Ö först", sort_order=1),
                           AdaptationFactory(code="a-sist", name="A sist", sort_order=2))
    closed = PlacementFactory(unit=unit_a, occupational_area=area_care, title="Stängd", status=Placement.Status.CLOSED,
                              closed_on=today - dt.timedelta(days=5))
    later = PlacementFactory(unit=unit_a, occupational_area=area, title="Senare", available_from=today + dt.timedelta(
        days=30))
    return [occupied, booked, idle, paused, closed, later]


def _definition(keys, *, on: dt.date, free_on: dt.date | None) -> list[PlacementListRow]:
    """The rows from the models: occupancy by with_occupancy on `free_on` or `on`, idle since by its definition
    (with_idle_since_from_history) on `on`, the names through the relations, the adaptations as a prefetch orders
    them."""
    annotated = with_idle_since_from_history(with_occupancy(Placement.objects.all(), on=free_on or on), on=on)
    by_pk = {p.pk: p for p in annotated.select_related("unit__organisation", "occupational_area", "supervisor")
             .prefetch_related("adaptations").filter(pk__in=keys)}
    rows = []
    for pk in keys:
        if pk not in by_pk:
            continue
        p = by_pk[pk]
        supervisor = p.supervisor
        rows.append(PlacementListRow(
            p.pk, p.title, p.status, p.capacity, p.available_from, p.available_to, p.unit.name, p.unit.municipality,
            p.unit.organisation.name, p.occupational_area.name, p.supervisor_id, supervisor and supervisor.name,
            supervisor and supervisor.training_completed_on, p.occupied, p.free, p.idle_since,
            tuple(a.name for a in p.adaptations.all())))
    return rows


def test_rows_equal_the_definition_on_any_day(placements):
    """Today, a day in the past (before the completed periods ended: the stored idle values do not describe it, so
    the fallback counts), a day ahead, and with "Ledig plats den" on another day than the idle values' day; the
    keys in any order, a key that is no placement left out."""
    today = timezone.localdate()
    keys = [p.pk for p in placements][::-1] + [max(p.pk for p in placements) + 1000]
    for on in (today, today - dt.timedelta(days=100), today + dt.timedelta(days=15)):
        for free_on in (None, today + dt.timedelta(days=20), today - dt.timedelta(days=60)):
            expected = _definition(keys, on=on, free_on=free_on)
            for _ in range(2):  # the second time from the compiled queries on PostgreSQL
                assert placement_list_rows(keys, on=on, free_on=free_on) == expected
    shown = {row.title: row for row in placement_list_rows(keys, on=today)}
    assert (shown["Upptagen"].occupied, shown["Upptagen"].free) == (1, 1)
    assert shown["Bokad senare"].free == 1 and shown["Ledig länge"].idle_since == today - dt.timedelta(days=500)
    assert shown["Pausad <b>"].adaptations == ("Ö först", "A sist")
    booked_then = {row.title: row for row in placement_list_rows(keys, on=today, free_on=today + dt.timedelta(days=20))}
    assert (booked_then["Bokad senare"].occupied, booked_then["Bokad senare"].free) == (1, 0)


def test_the_page_draws_the_rows_cells(leader_client, placements):
    """What the rows become on the page: a link per placement, the status, idle and adaptation badges, the free
    places of "Ledig plats den" on another day, the availability's end and the supervisor's training."""
    today = timezone.localdate()
    html = leader_client.get(LIST, {"per_page": 100}).content.decode()
    rows = {re.search(r'href="/placements/(\d+)/"', r).group(1): r for r in re.findall(r"<tr>.*?</tr>", html, re.S)
            if "/placements/" in r}
    occupied, booked, idle, paused, _closed, _later = placements
    assert f'<a class="fw-semibold" href="/placements/{idle.pk}/">Ledig länge</a>' in rows[str(idle.pk)]
    assert ('<span class="badge badge-idle">ledig i 500 dagar</span>' in rows[str(idle.pk)]
            and settings.IDLE_PLACEMENT_DAYS < 500)
    assert "badge-idle" not in rows[str(occupied.pk)] and "</span>1 / 2</td>" in rows[str(occupied.pk)]
    assert '<span class="badge text-bg-warning">Pausad</span>' in rows[str(paused.pk)]
    assert ('<span class="badge text-bg-light border">Ö först</span><span class="badge text-bg-light border">'
            'A sist</span>' in rows[str(paused.pk)])
    assert "Pausad &lt;b&gt;" in rows[str(paused.pk)]
    assert f'<span class="text-muted">till {(today + dt.timedelta(days=90)).isoformat()}</span>' in rows[str(paused.pk)]
    assert '<td data-label="Handledare"><span class="text-danger-emphasis">saknas</span></td>' in rows[str(paused.pk)]
    assert ('<td data-label="Handledare">Otto<br><span class="text-danger-emphasis">ej utbildad</span></td>'
            in rows[str(booked.pk)])
    later = leader_client.get(LIST, {"free_on": (today + dt.timedelta(days=20)).isoformat(), "per_page": 100})
    assert [row.title for row in later.context["page"].object_list] == ["Ledig länge", "Upptagen"]  # free then
    assert all(isinstance(row, PlacementListRow) for row in later.context["page"].object_list)


@pytest.fixture
def leader_client(client, leader):
    client.force_login(leader)
    return client


@pytest.mark.postgres
def test_rows_are_built_and_compiled_once_per_day_and_number_of_keys(placements, monkeypatch):
    """A second page of the same day and length runs the compiled SQL with its own keys: no queryset is built or
    compiled again; another day or another number of keys is its own entry."""
    today = timezone.localdate()
    built = []
    real = selectors.with_occupancy
    monkeypatch.setattr(selectors, "with_occupancy", lambda *a, **kw: built.append(kw) or real(*a, **kw))
    paging._COMPILED_ROWS.clear()
    keys = [p.pk for p in placements]
    first = placement_list_rows(keys[:3], on=today)
    second = placement_list_rows(keys[3:], on=today)
    assert [r.pk for r in first] == keys[:3] and [r.pk for r in second] == keys[3:]
    assert second == _definition(keys[3:], on=today, free_on=None)
    assert len(built) == 1  # the first call's
    placement_list_rows(keys[:2], on=today)
    placement_list_rows(keys[:3], on=today - dt.timedelta(days=1))
    placement_list_rows(keys[:3], on=today, free_on=today + dt.timedelta(days=3))
    assert len(built) == 1 + 3
    # rows and adaptations for 3 keys today, for 2 keys today, for 3 keys of two other days (adaptations: by length)
    assert len(paging._COMPILED_ROWS) == 2 + 2 + 2
