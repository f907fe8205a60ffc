"""Set-up pages: the project leader sets up organisations, units, the project and the category lists in the app;
a manager adds and edits units of their own organisation. Every change is in the change history."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from organisations.models import BudgetLine, CostCategory, Organisation, ProjectGroupMember, ProjectPartner, Unit
from organisations.tests.factories import OrganisationFactory, UnitFactory, make_manager

ORGS = reverse("organisations:setup_organisations")
NEW_ORG = reverse("organisations:setup_organisation_create")


def _org_data(**extra):
    return {"name": "Region Testland", "kind": "region", "employee_count": "6000", "baseline_percent": "1.5",
            "placement_target_percent": "3", **extra}


def _cells(html: str, row_text: str) -> str:
    """The table row that contains `row_text`, without tags and runs of white space."""
    for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S):
        if row_text in row:
            return " ".join(re.sub(r"<[^>]+>", " ", row).split())
    raise AssertionError(f"no row with {row_text!r}")


def test_leader_sets_up_a_region_and_its_forvaltning(client, leader):
    client.force_login(leader)
    response = client.post(NEW_ORG, _org_data())
    region = Organisation.objects.get(name="Region Testland")
    assert response.status_code == 302 and response.url == reverse("organisations:setup_organisation",
                                                                   args=[region.pk])
    client.post(NEW_ORG, _org_data(name="Regionservice", parent=region.pk, employee_count="800",
                                   baseline_percent=""))
    child = Organisation.objects.get(name="Regionservice")
    assert child.parent == region and child.baseline_percent is None
    page = client.get(ORGS).content.decode()
    assert _cells(page, "Region Testland") == "Region Testland Region 6000 1,50 % 3 % 0 Ny enhet"
    assert _cells(page, "Regionservice") == "↳ Regionservice Region 800 – 3 % 0 Ny enhet"
    assert page.index("Region Testland") < page.index("Regionservice")
    record = region.history.latest()
    assert record.history_user == leader and record.history_type == "+"


def test_organisation_cannot_be_put_under_its_own_child(client, leader):
    region = OrganisationFactory(name="Region")
    child = OrganisationFactory(name="Förvaltning", parent=region)
    client.force_login(leader)
    response = client.post(reverse("organisations:setup_organisation", args=[region.pk]),
                           _org_data(name="Region", parent=child.pk))
    assert response.status_code == 200
    region.refresh_from_db()
    assert region.parent is None
    assert "parent" in response.context["form"].errors


def test_change_of_target_shows_in_history_with_who(client, leader, org_a):
    client.force_login(leader)
    client.post(reverse("organisations:setup_organisation", args=[org_a.pk]),
                _org_data(name=org_a.name, kind=org_a.kind, placement_target_percent="4"))
    org_a.refresh_from_db()
    assert org_a.placement_target_percent == 4
    page = client.get(reverse("organisations:setup_organisation", args=[org_a.pk])).content.decode()
    assert "Mål för platser (% av anställda): <del>3.00</del> → <ins>4.00</ins>" in page


def test_leader_adds_a_unit_with_address_and_manager_contact(client, leader, org_a):
    client.force_login(leader)
    response = client.post(reverse("organisations:setup_unit_create", args=[org_a.pk]), {
        "organisation": org_a.pk, "name": "Akutmottagningen", "municipality": "Gotland",
        "address": "Sjukhusvägen 1", "postal_code": "621 84", "postal_town": "Visby",
        "manager_name": "Maria Chef", "manager_email": "Maria.Chef@Example.test", "manager_phone": "0498-100 00"})
    assert response.status_code == 302
    unit = Unit.objects.get(name="Akutmottagningen")
    assert (unit.address, unit.postal_town, unit.manager_email) == ("Sjukhusvägen 1", "Visby",
                                                                    "maria.chef@example.test")
    assert unit.history.latest().history_user == leader


def test_duplicate_unit_name_is_a_form_error(client, leader, unit_a):
    client.force_login(leader)
    response = client.post(reverse("organisations:setup_unit_create", args=[unit_a.organisation_id]), {
        "organisation": unit_a.organisation_id, "name": unit_a.name, "municipality": "Gotland"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_manager_adds_and_edits_units_of_own_organisation_only(client, manager_a, org_a, org_b, unit_b):
    client.force_login(manager_a)
    response = client.post(reverse("organisations:setup_unit_create", args=[org_a.pk]), {
        "organisation": org_a.pk, "name": "Ny enhet A", "municipality": "Gotland"})
    assert response.status_code == 302
    unit = Unit.objects.get(name="Ny enhet A")
    response = client.post(reverse("organisations:setup_unit", args=[unit.pk]), {
        "organisation": org_a.pk, "name": "Ny enhet A", "municipality": "Gotland", "address": "Storgatan 2"})
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.address == "Storgatan 2" and unit.history.latest().history_user == manager_a
    # Someone else's organisation: refused, nothing written; moving an own unit there is refused too.
    assert client.post(reverse("organisations:setup_unit_create", args=[org_b.pk]), {
        "organisation": org_b.pk, "name": "Smygenhet", "municipality": "Slite"}).status_code == 403
    assert client.get(reverse("organisations:setup_unit", args=[unit_b.pk])).status_code == 403
    response = client.post(reverse("organisations:setup_unit", args=[unit.pk]), {
        "organisation": org_b.pk, "name": "Ny enhet A", "municipality": "Gotland"})
    assert response.status_code == 200 and "organisation" in response.context["form"].errors
    assert not Unit.objects.filter(name="Smygenhet").exists()
    unit.refresh_from_db()
    assert unit.organisation == org_a
    # The manager sees the organisation's page but cannot change its figures.
    assert client.get(reverse("organisations:setup_organisation", args=[org_a.pk])).status_code == 200
    assert client.post(reverse("organisations:setup_organisation", args=[org_a.pk]),
                       _org_data(name=org_a.name, placement_target_percent="50")).status_code == 403


def test_manager_of_one_unit_edits_it_but_adds_none(client, org_a, unit_a):
    boss = make_manager(organisation=org_a, unit=unit_a, email="enhetschef@example.test")
    client.force_login(boss)
    assert client.get(reverse("organisations:setup_unit", args=[unit_a.pk])).status_code == 200
    assert client.get(reverse("organisations:setup_unit_create", args=[org_a.pk])).status_code == 403


@pytest.mark.parametrize("actor", ["case_worker_af", "steering"])
def test_other_roles_have_no_set_up_pages(client, actors, actor, org_a, unit_a):
    client.force_login(actors[actor])
    for url in (reverse("organisations:setup"), ORGS, NEW_ORG,
                reverse("organisations:setup_unit", args=[unit_a.pk]),
                reverse("organisations:setup_projects"),
                reverse("organisations:setup_category_list", args=["avslutsorsaker"])):
        assert client.get(url).status_code == 403, url


def test_set_up_is_linked_from_the_leaders_navigation(client, leader, manager_a):
    client.force_login(leader)
    assert f'href="{reverse("organisations:setup")}"' in client.get("/").content.decode()
    client.force_login(manager_a)
    assert f'href="{ORGS}"' in client.get("/").content.decode()


def test_organisation_list_query_count_does_not_grow_with_rows(client, leader, django_assert_max_num_queries):
    client.force_login(leader)
    OrganisationFactory()
    with django_assert_max_num_queries(12) as one:
        client.get(ORGS)
    for _ in range(30):
        UnitFactory(organisation=OrganisationFactory())
    with django_assert_max_num_queries(12) as many:
        client.get(ORGS)
    assert len(many.captured_queries) == len(one.captured_queries)


# --- The project ---------------------------------------------------------------------------------


def test_leader_sets_up_project_period_targets_partners_budget_and_groups(client, leader, project, org_a):
    client.force_login(leader)
    detail = reverse("organisations:setup_project", args=[project.pk])
    response = client.post(reverse("organisations:setup_project_edit", args=[project.pk]), {
        "name": project.name, "slug": project.slug, "owner": org_a.pk, "funder": "ESF+",
        "start_date": "2026-01-01", "end_date": "2028-12-31", "target_participants": "120",
        "target_work_or_studies_percent": "35", "target_placements": "80", "budget_total": "9000000",
        "budget_spent": "0"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.end_date, project.target_participants) == (dt.date(2028, 12, 31), 120)

    row = "organisations:setup_project_row_create"
    client.post(reverse(row, args=[project.pk, "partners"]), {
        "name": "Försäkringskassan", "role": "co_financier", "contribution": "Handläggartid",
        "co_financing_amount": "250000"})
    personal = CostCategory.objects.get(code="personal")
    client.post(reverse(row, args=[project.pk, "budget"]), {
        "category": personal.pk, "amount": "5000000", "cash_co_financing": "1000000",
        "in_kind_co_financing": "400000"})
    client.post(reverse(row, args=[project.pk, "budget"]), {
        "category": CostCategory.objects.get(code="lokaler").pk, "amount": "300000", "cash_co_financing": "0",
        "in_kind_co_financing": "50000"})
    for name, gender, group in (("Anna", "kvinna", "steering"), ("Bo", "man", "steering"),
                                ("Cleo", "kvinna", "reference")):
        client.post(reverse(row, args=[project.pk, "members"]), {"group": group, "name": name, "gender": gender})
    assert ProjectPartner.objects.get(project=project).co_financing_amount == 250000
    assert BudgetLine.objects.filter(project=project).count() == 2
    assert ProjectGroupMember.objects.filter(project=project, group="steering").count() == 2

    page = client.get(detail).content.decode()
    assert _cells(page, "Summa") == "Summa 5300000 1000000 450000"
    assert _cells(page, "<th scope=\"row\">Styrgrupp") == "Styrgrupp 1 1 0 0 2"
    assert _cells(page, "<th scope=\"row\">Referensgrupp") == "Referensgrupp 1 0 0 0 1"

    # The same cost category twice is refused with a message, not a crash.
    response = client.post(reverse(row, args=[project.pk, "budget"]), {
        "category": personal.pk, "amount": "1", "cash_co_financing": "0", "in_kind_co_financing": "0"})
    assert response.status_code == 200 and "category" in response.context["form"].errors


def test_project_rows_are_removed_after_confirmation_and_stay_in_history(client, leader, project):
    partner = ProjectPartner.objects.create(project=project, name="Gamla parten", role="partner")
    client.force_login(leader)
    url = reverse("organisations:setup_project_row_delete", args=[project.pk, "partners", partner.pk])
    assert client.get(url).status_code == 200
    client.post(url, {})  # not confirmed
    assert ProjectPartner.objects.filter(pk=partner.pk).exists()
    client.post(url, {"confirm": "on"})
    assert not ProjectPartner.objects.filter(pk=partner.pk).exists()
    deleted = ProjectPartner.history.filter(id=partner.pk, history_type="-").get()
    assert deleted.history_user == leader


def test_project_end_before_start_is_a_form_error(client, leader, project, org_a):
    client.force_login(leader)
    response = client.post(reverse("organisations:setup_project_create"), {
        "name": "Fel", "slug": "fel", "owner": org_a.pk, "start_date": "2026-05-01", "end_date": "2026-01-01",
        "target_participants": "1", "target_work_or_studies_percent": "30", "target_placements": "1",
        "budget_total": "0", "budget_spent": "0"})
    assert response.status_code == 200 and "end_date" in response.context["form"].errors


def test_unknown_category_list_is_404(client, leader):
    client.force_login(leader)
    assert client.get(reverse("organisations:setup_category_list", args=["finns-inte"])).status_code == 404
