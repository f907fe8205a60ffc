"""The import's bulk write (tuples through core.bulkcopy.copy_rows) against the services' own writes: the same
rows, the same history, the same rules; one bad row among 10,000 writes nothing and is named."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.bulkcopy import copy_rows
from organisations.models import Unit
from participants.tests.factories import ReferralFactory
from placements import imports, services
from placements.models import Assignment, Placement
from placements.services import ImportRowError, placements_import_write
from placements.tests.factories import PlacementFactory
from placements.tests.test_import import HEADER

# What a row is, apart from who wrote it when: the columns compared between the two paths.
COMPARED = ("title", "unit_id", "occupational_area_id", "tasks", "capacity", "status", "available_from",
            "available_to", "supervisor_id", "attested_no_displacement", "attested_by_id", "created_by_id",
            "closed_on")


def _row_of(placement) -> dict:
    return {name: getattr(placement, name) for name in COMPARED}


def _history_of(placement) -> list[tuple]:
    return [(record.history_type, record.history_user_id, _row_of(record),
             sorted(link.adaptation_id for link in record.adaptations.all()))
            for record in placement.history.order_by("history_id")]


def test_the_bulk_write_writes_the_rows_and_history_the_service_writes(leader, rows, unit_a, supervisor_a,
                                                                       wheelchair, quiet):
    plan = imports.plan_import(HEADER, rows[:1], user=leader)
    assert plan.ok
    imported_pk = placements_import_write(user=leader, rows=plan.rows, attested=True)[0]
    created = services.placement_create(
        user=leader, title="Lagerplats", unit=unit_a, occupational_area=plan.rows[0].values["occupational_area"],
        capacity=2,
        available_from=dt.date(2026, 1, 1), tasks="Plocka varor", code="P-9", supervisor=supervisor_a,
        adaptations=[wheelchair, quiet], attested=True)
    imported = Placement.objects.get(pk=imported_pk)
    created.refresh_from_db()
    assert _row_of(imported) == _row_of(created)
    assert imported.code == "P-1" and imported.attested_at is not None
    assert sorted(imported.adaptations.values_list("pk", flat=True)) == sorted([wheelchair.pk, quiet.pk])
    # The service saves, then sets the adaptations (a second, "~" history row); the import writes the row and
    # its adaptations at once, so one "+" history row holds what the service's last one holds.
    _type, *state_after_service = _history_of(created)[-1]
    assert _history_of(imported) == [("+", *state_after_service)]
    assert state_after_service == [leader.pk, _row_of(imported), sorted([wheelchair.pk, quiet.pk])]
    link = imported.adaptations.through.objects.filter(placement=imported).order_by("pk").first()
    assert imported.history.get().adaptations.order_by("id").first().id == link.pk


def test_the_bulk_write_takes_a_constant_number_of_statements(leader, org_a, unit_a, area):
    def write(count: int) -> int:
        lines = [[f"K-{count}-{i}", f"Plats {i}", org_a.name, unit_a.name, "", area.name, "", "1", "2026-01-01",
                  "", "", "rullstol" if i % 2 else ""] for i in range(count)]
        plan = imports.plan_import(HEADER, lines, user=leader)
        assert plan.ok, plan.errors
        with CaptureQueriesContext(connection) as queries:
            placements_import_write(user=leader, rows=plan.rows, attested=True)
        return len(queries)

    assert write(5) == write(40)


@pytest.fixture
def ten_thousand(org_a, unit_a, area, wheelchair):
    return [[f"B-{i:05d}", f"Plats {i}", org_a.name, unit_a.name, "", area.name, "", "2", "2026-01-01", "", "",
             "rullstol" if i % 3 == 0 else ""] for i in range(10_000)]


def _written() -> tuple[int, int, int, int]:
    return (Placement.objects.count(), Placement.history.model.objects.count(),
            Placement.adaptations.through.objects.count(), Unit.objects.count())


def test_one_bad_row_among_ten_thousand_writes_nothing_and_is_named(leader, ten_thousand):
    ten_thousand[6_000][7] = "0"  # spreadsheet row 6,002: no capacity
    before = _written()
    with pytest.raises(imports.ImportRefused) as refused:
        imports.apply_import(HEADER, ten_thousand, user=leader, attested=True)
    assert [(e.row, e.column) for e in refused.value.plan.errors] == [(6_002, "antal platser")]
    assert _written() == before


def test_a_code_taken_after_validation_refuses_the_write_and_names_its_row(leader, ten_thousand, unit_a, area):
    plan = imports.plan_import(HEADER, ten_thousand, user=leader)
    assert plan.ok
    PlacementFactory(code="B-07500", unit=unit_a, occupational_area=area)
    before = _written()
    with pytest.raises(ImportRowError) as refused:
        placements_import_write(user=leader, rows=plan.rows, attested=True)
    assert refused.value.row == 7_502 and refused.value.messages == ["Platskoden används redan av en annan plats."]
    assert _written() == before  # the write's transaction is rolled back as a whole


def test_the_write_applies_the_services_capacity_rule_to_a_changed_placement(leader, unit_a, area, org_a):
    """The capacity of a placement may not drop below what is booked from today on, whoever changes it: the
    import's write asks the same function as placement_update, with the register as it is when it writes."""
    placement = PlacementFactory(code="CAP-1", unit=unit_a, occupational_area=area, capacity=3,
                                 available_from=dt.date(2025, 1, 1))
    line = [["CAP-1", "Plats", org_a.name, unit_a.name, "", area.name, "", "1", "2025-01-01", "", "", ""]]
    plan = imports.plan_import(HEADER, line, user=leader)
    assert plan.ok  # nothing booked when validated
    today = timezone.localdate()
    for _ in range(2):
        Assignment.objects.create(placement=placement, referral=ReferralFactory(), status=Assignment.Status.ONGOING,
                                  start_date=today, planned_end_date=today + dt.timedelta(days=30))
    with pytest.raises(ImportRowError) as refused:
        placements_import_write(user=leader, rows=plan.rows, attested=True)
    assert refused.value.row == 2 and "(2)" in refused.value.messages[0]
    with pytest.raises(ValidationError) as by_service:
        services.placement_update(user=leader, placement=placement, capacity=1)
    assert by_service.value.messages == [refused.value.messages[0]]
    placement.refresh_from_db()
    assert placement.capacity == 3


def test_a_manager_cannot_import_into_a_unit_given_away_since_validation(manager_a, org_a, unit_a, area):
    line = [["M-1", "Plats", org_a.name, unit_a.name, "", area.name, "", "1", "2026-01-01", "", "", ""]]
    plan = imports.plan_import(HEADER, line, user=manager_a)
    assert plan.ok
    manager_a.manager_scopes.all().delete()
    worker_user = type(manager_a).objects.get(pk=manager_a.pk)  # the scope is cached per user object
    with pytest.raises(ImportRowError) as refused:
        placements_import_write(user=worker_user, rows=plan.rows, attested=True)
    assert refused.value.messages == ["Du kan bara registrera platser vid dina egna enheter."]
    assert not Placement.objects.exists()


# --- copy_rows itself -------------------------------------------------------------------------------


def test_copy_rows_fills_defaults_and_refuses_a_column_without_one(db, unit_a, area):
    now = timezone.now()
    pks = copy_rows(Placement, ("title", "unit_id", "occupational_area_id", "available_from"),
                    [("Utan allt", unit_a.pk, area.pk, dt.date(2026, 1, 1))], returning_pk=True)
    placement = Placement.objects.get(pk=pks[0])
    assert (placement.capacity, placement.status, placement.code, placement.tasks) == (1, "open", None, "")
    assert placement.created_at >= now
    with pytest.raises(TypeError, match="no value for Placement.unit_id"):
        copy_rows(Placement, ("title", "occupational_area_id", "available_from"),
                  [("Utan enhet", area.pk, dt.date(2026, 1, 1))])


def test_a_changed_placement_gets_a_history_row_holding_its_adaptations(leader, org_a, unit_a, area, wheelchair,
                                                                        quiet):
    with_links = PlacementFactory(code="CH-1", unit=unit_a, occupational_area=area, available_from=dt.date(2025, 1, 1))
    without = PlacementFactory(code="CH-2", unit=unit_a, occupational_area=area, available_from=dt.date(2025, 1, 1))
    lines = [["CH-1", "Ny titel", org_a.name, unit_a.name, "", area.name, "", "2", "2025-01-01", "", "",
              "Tillgänglig för rullstol; lugn-miljo"],
             ["CH-2", "Annan titel", org_a.name, unit_a.name, "", area.name, "", "2", "2025-01-01", "", "", ""]]
    plan = imports.plan_import(HEADER, lines, user=leader)
    assert plan.ok
    placements_import_write(user=leader, rows=plan.rows, attested=True)
    links = sorted((link.pk, link.adaptation_id) for link in
                   with_links.adaptations.through.objects.filter(placement=with_links))
    assert [adaptation for _pk, adaptation in links] == sorted([wheelchair.pk, quiet.pk])
    record = with_links.history.order_by("history_id").last()
    assert (record.history_type, record.title) == ("~", "Ny titel")
    assert sorted((link.id, link.placement_id, link.adaptation_id) for link in record.adaptations.all()) == [
        (pk, with_links.pk, adaptation) for pk, adaptation in links]
    record = without.history.order_by("history_id").last()
    assert (record.history_type, record.title, record.adaptations.count()) == ("~", "Annan titel", 0)


def test_a_system_import_without_attestation_leaves_the_attestation_empty(rows):
    plan = imports.plan_import(HEADER, rows[1:], user=None)
    assert plan.ok
    (pk,) = placements_import_write(user=None, rows=plan.rows, attested=False)
    placement = Placement.objects.get(pk=pk)
    assert (placement.attested_no_displacement, placement.attested_by, placement.attested_at) == (False, None, None)
