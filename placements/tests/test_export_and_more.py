import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from core.spreadsheets import safe_cell
from organisations.models import AgencyMembership, Supervisor
from organisations.tests.factories import OrganisationFactory, SupervisorFactory, UnitFactory, make_case_worker
from placements.models import Assignment
from placements.selectors import organisation_progress, organisation_progress_table
from placements.tasks import send_free_placements_digest
from placements.tests.factories import AssignmentFactory, PlacementFactory

HOSTILE = ["=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.mark.parametrize("value", HOSTILE)
def test_csv_cell_guard_prefixes_formula_starts(value):
    assert safe_cell(value) == "'" + value
    assert safe_cell("Lager") == "Lager"
    assert safe_cell(3) == 3


def test_exports_cannot_run_formulas_and_are_audited(client, leader, unit_a, area):
    PlacementFactory(unit=unit_a, occupational_area=area, title="=HYPERLINK(\"http://evil\",\"klick\")",
                     tasks="@SUM(1+1)")
    client.force_login(leader)
    xlsx = client.get(reverse("placements:export_xlsx"))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = [cell.value for cell in sheet[2]]
    # XLSX: the text exactly as entered, in string cells (no apostrophe, never a formula).
    assert values[1] == "=HYPERLINK(\"http://evil\",\"klick\")" and values[6] == "@SUM(1+1)"
    assert sheet[2][1].data_type == "s"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)  # no formula cells at all
    response = client.get(reverse("placements:export_csv"), {"q": "SUM"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["kod", "benämning"]
    assert rows[1][1].startswith("'=") and rows[1][6] == "'@SUM(1+1)"
    events = AuditEvent.objects.filter(action="export", object_type="placements.Placement")
    assert events.count() == 2 and "q=SUM" in events.first().detail


def test_export_respects_filters_and_scope(client, manager_a, placement_a, placement_b):
    client.force_login(manager_a)
    body = client.get(reverse("placements:export_csv")).content.decode("utf-8-sig")
    assert "Lagerarbete" in body and "Kök och servering" not in body


def test_export_round_trips_into_import(client, leader, placement_a):
    from placements import imports

    placement_a.code = "RT-1"
    placement_a.save()
    client.force_login(leader)
    header, rows, _ = imports.read_table(client.get(reverse("placements:export_xlsx")).content)
    # The figure columns (status …) are not import columns: drop them before re-import.
    header, rows = header[:12], [r[:12] for r in rows]
    plan = imports.plan_import(header, rows, user=leader)
    assert plan.ok and [r.action for r in plan.rows] == ["update"]


# --- supervisors ---------------------------------------------------------------------------------


def test_manager_registers_and_edits_supervisor(client, manager_a, org_a, unit_a):
    client.force_login(manager_a)
    response = client.post(reverse("placements:supervisor_create"), {
        "name": "Sara Handledare", "organisation": org_a.pk, "unit": unit_a.pk, "email": "Sara@Example.test",
        "phone": "", "training_completed_on": ""})
    assert response.status_code == 302
    supervisor = Supervisor.objects.get(name="Sara Handledare")
    assert supervisor.email == "sara@example.test" and not supervisor.is_trained
    client.post(reverse("placements:supervisor_edit", args=[supervisor.pk]), {
        "name": "Sara Handledare", "organisation": org_a.pk, "unit": unit_a.pk, "email": "sara@example.test",
        "phone": "0498-12 34 56", "training_completed_on": "2026-02-01"})
    supervisor.refresh_from_db()
    assert supervisor.training_completed_on == dt.date(2026, 2, 1)


def test_supervisor_form_limits_organisations_and_refuses_future_training(client, manager_a, org_a, org_b):
    client.force_login(manager_a)
    form = client.get(reverse("placements:supervisor_create")).context["form"]
    assert list(form.fields["organisation"].queryset) == [org_a]
    future = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    response = client.post(reverse("placements:supervisor_create"), {
        "name": "Framtida", "organisation": org_a.pk, "unit": "", "email": "", "phone": "",
        "training_completed_on": future})
    assert "kan inte ligga i framtiden" in response.content.decode()
    response = client.post(reverse("placements:supervisor_create"), {
        "name": "Fel org", "organisation": org_b.pk, "unit": "", "email": "", "phone": "",
        "training_completed_on": ""})
    assert response.status_code == 200 and not Supervisor.objects.filter(name="Fel org").exists()


def test_untrained_filter_and_lacking_list(client, manager_a, placement_a, unit_a, area, supervisor_a):
    untrained = SupervisorFactory(unit=unit_a, name="Ulf Outbildad", training_completed_on=None)
    PlacementFactory(unit=unit_a, occupational_area=area, title="Städ", supervisor=untrained)
    PlacementFactory(unit=unit_a, occupational_area=area, title="Reception", supervisor=None)
    client.force_login(manager_a)
    response = client.get(reverse("placements:supervisor_list"), {"utbildning": "ej"})
    assert [s.name for s in response.context["supervisors"]] == ["Ulf Outbildad"]
    assert sorted(p.title for p in response.context["lacking"]) == ["Reception", "Städ"]


# --- organisations -------------------------------------------------------------------------------


def test_progress_counts_capacity_incl_sub_organisations(org_a, unit_a, area):
    org_a.employee_count, org_a.placement_target_percent = 4900, Decimal("3.00")
    org_a.save()
    child = OrganisationFactory(parent=org_a, employee_count=100)  # employees roll up too: 5,000
    PlacementFactory(unit=unit_a, occupational_area=area, capacity=30)
    PlacementFactory(unit=UnitFactory(organisation=child), occupational_area=area, capacity=20)
    PlacementFactory(unit=unit_a, occupational_area=area, capacity=99, status="closed")  # not counted
    progress = organisation_progress(org_a)
    assert progress["places"] == 50 and progress["employees"] == 5000
    assert progress["share"] == Decimal("1.00") and progress["of_target"] == 33
    assert not progress["reached"]
    table = organisation_progress_table()
    assert table[0]["organisation"] == child and table[0]["share"] == Decimal("20.00")


def test_organisation_pages_render_bar_with_text(client, steering, org_a, placement_a, supervisor_a):
    client.force_login(steering)
    overview = client.get(reverse("placements:organisation_overview")).content.decode()
    assert "<progress" in overview and "% av anställda (mål 3,00 %)" in overview
    detail = client.get(reverse("placements:organisation_detail", args=[org_a.pk])).content.decode()
    assert "Vårdavdelning 1" in detail and supervisor_a.name not in detail


def test_a_target_of_zero_is_reached_and_drawn_full(client, steering):
    """Any share reaches a target of 0 %: the bar is full and says so (it said "None %")."""
    organisation = OrganisationFactory(name="Nollmål AB", employee_count=100, placement_target_percent=Decimal("0"))
    PlacementFactory(unit=UnitFactory(organisation=organisation), capacity=2, available_from=dt.date(2025, 1, 1))
    progress = organisation_progress(organisation)
    assert (progress["share"], progress["of_target"], progress["reached"]) == (Decimal("2.00"), 100, True)
    client.force_login(steering)
    overview = client.get(reverse("placements:organisation_overview")).content.decode()
    assert 'value="100" aria-label="Andel av målet för Nollmål AB">100 %</progress>' in overview
    assert "None" not in overview


# --- weekly digest -------------------------------------------------------------------------------


def test_digest_goes_to_case_workers_in_their_area(placement_a, placement_b, agency_af, case_worker_af):
    visby = make_case_worker(agency=agency_af, email="visby@example.test")
    AgencyMembership.objects.filter(user=visby).update(municipality="Visby")
    full = PlacementFactory(unit=placement_a.unit, occupational_area=placement_a.occupational_area,
                            title="Full plats", capacity=1)
    AssignmentFactory(placement=full, status=Assignment.Status.ONGOING,
                      start_date=timezone.localdate() - dt.timedelta(days=1),
                      planned_end_date=timezone.localdate() + dt.timedelta(days=9))
    sent = send_free_placements_digest.delay().get()
    assert sent == 2
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert "Lagerarbete" in by_recipient["visby@example.test"].body
    assert "Kök och servering" not in by_recipient["visby@example.test"].body  # Slite
    everything = by_recipient[case_worker_af.email].body
    assert "Lagerarbete" in everything and "Kök och servering" in everything and "Full plats" not in everything
    assert "i Visby" in by_recipient["visby@example.test"].subject


def test_digest_recipients_order_and_day(unit_a, unit_b, area, agency_af, leader, django_assert_max_num_queries):
    """Only active case workers with an e-mail address get it; one without an agency membership reads the whole
    region, one whose area has nothing gets nothing (and the others still get theirs); the placements are those
    free on the given day, by municipality then title, each with its link."""
    from django.conf import settings

    from core.models import Role
    from organisations.tests.factories import UserFactory
    from placements.services import free_placements_digest_send

    day = timezone.localdate() + dt.timedelta(days=30)
    nothing_here = make_case_worker(agency=agency_af, email="faro@example.test")  # the first one asked
    AgencyMembership.objects.filter(user=nothing_here).update(municipality="Fårö")
    make_case_worker(agency=agency_af, email="")
    make_case_worker(agency=agency_af, email="gone@example.test", is_active=False)
    visby = make_case_worker(agency=agency_af, email="visby@example.test")
    AgencyMembership.objects.filter(user=visby).update(municipality=" visby ")
    UserFactory(role=Role.CASE_WORKER, email="nomembership@example.test")
    later = PlacementFactory(unit=unit_a, occupational_area=area, title="B-plats", available_from=day)
    first = PlacementFactory(unit=unit_a, occupational_area=area, title="A-plats", available_from=day)
    slite = PlacementFactory(unit=unit_b, occupational_area=area, title="Ö-plats", available_from=day)
    PlacementFactory(unit=unit_a, occupational_area=area, title="Slutat", available_to=day - dt.timedelta(days=1))
    with django_assert_max_num_queries(13):  # as measured; the memberships come with the case workers
        assert free_placements_digest_send(on=day) == 2
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_recipient) == ["nomembership@example.test", "visby@example.test"]
    links = [f"{settings.SITE_URL}/placements/{p.pk}/" for p in (slite, first, later)]
    region = by_recipient["nomembership@example.test"].body
    assert [region.index(link) for link in links] == sorted(region.index(link) for link in links)
    assert "Slutat" not in region and "veckans lediga arbetsträningsplatser i regionen." in region
    assert by_recipient["nomembership@example.test"].subject == "3 lediga arbetsträningsplatser"
    assert by_recipient["visby@example.test"].subject == "2 lediga arbetsträningsplatser i visby"
    assert "Ö-plats" not in by_recipient["visby@example.test"].body


def test_digest_counts_free_places_and_idle_days_on_its_own_day(unit_a, area, agency_af):
    """The digest for a later day says how many places are free and how long the placement has stood free
    on that day, not today: someone is on one of its two places now and leaves before that day."""
    from placements.services import free_placements_digest_send

    today = timezone.localdate()
    make_case_worker(agency=agency_af, email="region@example.test")
    placement = PlacementFactory(unit=unit_a, occupational_area=area, title="Två platser", capacity=2,
                                 available_from=today - dt.timedelta(days=10))
    AssignmentFactory(placement=placement, status=Assignment.Status.ONGOING, start_date=today - dt.timedelta(days=5),
                      planned_end_date=today + dt.timedelta(days=9))
    day = today + dt.timedelta(days=100)
    assert free_placements_digest_send(on=day) == 1
    line = next(row for row in mail.outbox[0].body.splitlines() if "lediga" in row and "·" in row)
    assert line.strip() == f"{area.name} · 2 av 2 lediga · ledig i 91 dagar"
    mail.outbox.clear()

    assert free_placements_digest_send(on=today) == 1
    line = next(row for row in mail.outbox[0].body.splitlines() if "lediga" in row and "·" in row)
    assert line.strip() == f"{area.name} · 1 av 2 lediga"
