"""Participant data is audited by construction: every project view declares whether it shows participants
(core.audit), an undeclared view is refused, a list that forgets to report is an error, and the Django admin of
anything naming a participant is a read-only, audited list."""

import datetime as dt

import pytest
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import path

from core.audit import (
    AuditedReadOnlyAdmin,
    audit_spec_of,
    names_a_participant,
    shows_participant,
    shows_participants,
    undeclared_views,
)
from core.middleware import ParticipantAuditMiddleware
from core.models import AuditEvent, User
from participants.tests.factories import ReferralFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory, PlacementFactory


def test_every_project_view_declares_whether_it_shows_participants():
    assert undeclared_views() == []
    call_command("check")  # core.E001 / core.E002 would raise SystemCheckError


def undeclared(request):
    return HttpResponse("Deltagare D-1")


def test_an_undeclared_project_view_is_refused():
    request = RequestFactory().get("/x/")
    request.resolver_match = None
    middleware = ParticipantAuditMiddleware(lambda r: HttpResponse())
    with pytest.raises(ImproperlyConfigured, match="does not declare"):
        middleware.process_view(request, undeclared, (), {})
    assert undeclared_views([path("x/", undeclared)]) == ["x/ (tests.test_audit_by_construction.undeclared)"]


@pytest.mark.django_db
def test_a_list_view_that_does_not_report_whom_it_showed_is_an_error(leader):
    @shows_participants("Lista")
    def forgetful(request):
        return HttpResponse("Deltagare D-1")

    request = RequestFactory().get("/x/")
    request.user = leader
    with pytest.raises(ImproperlyConfigured, match="participants_shown"):
        forgetful(request)
    assert audit_spec_of(forgetful).kind == "list"


@pytest.mark.django_db
def test_a_page_writes_one_event_for_its_participant_only_when_it_answers_200(leader):
    referral = ReferralFactory()

    @shows_participant("Sida, start {pk}", via="participants.Referral:participant")
    def page(request, pk, status=200):
        return HttpResponse(status=status)

    request = RequestFactory().get("/x/")
    request.user = leader
    page(request, pk=referral.pk, status=302)
    page(request, pk=referral.pk, status=403)
    assert not AuditEvent.objects.exists()
    page(request, pk=referral.pk)
    event = AuditEvent.objects.get()
    assert (event.user, event.action, event.object_type, event.object_id, event.detail) == (
        leader, AuditEvent.Action.VIEW, "participants.Participant", str(referral.participant_id),
        f"Sida, start {referral.pk}")


# --- the Django admin --------------------------------------------------------------------------------


def test_every_admin_that_names_a_participant_is_audited_and_read_only():
    naming = {model._meta.label for model in admin.site._registry if names_a_participant(model)}
    assert {"participants.Referral", "participants.Exit", "placements.Assignment"} <= naming
    for model, model_admin in admin.site._registry.items():
        if names_a_participant(model):
            assert isinstance(model_admin, AuditedReadOnlyAdmin), model._meta.label


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(email="admin@example.test", password="x-admin-pass-2026")


@pytest.mark.django_db
def test_admin_assignment_list_is_audited_and_its_detail_pages_refused(client, superuser):
    assignment = AssignmentFactory(status=Assignment.Status.DECLINED, decline_reason="Skäl om personen",
                                   start_date=dt.date(2026, 2, 1), planned_end_date=dt.date(2026, 3, 1))
    participant_id = assignment.referral.participant_id
    client.force_login(superuser)
    response = client.get("/admin/placements/assignment/")
    assert response.status_code == 200
    assert list(AuditEvent.objects.values_list("object_type", "object_id", "detail")) == [
        ("participants.Participant", str(participant_id), "Admin: placeringar")]
    for url in (f"/admin/placements/assignment/{assignment.pk}/change/",
                f"/admin/placements/assignment/{assignment.pk}/history/",
                f"/admin/placements/assignment/{assignment.pk}/delete/", "/admin/placements/assignment/add/"):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert "Skäl om personen" not in response.content.decode(), url
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_admin_cannot_save_a_capacity_below_the_assignments_ahead(client, superuser):
    placement = PlacementFactory(capacity=3, available_from=dt.date(2020, 1, 1))
    today = dt.date.today()
    for _ in range(3):
        AssignmentFactory(placement=placement, status=Assignment.Status.CONFIRMED,
                          start_date=today + dt.timedelta(days=10), planned_end_date=today + dt.timedelta(days=40))
    client.force_login(superuser)
    url = f"/admin/placements/placement/{placement.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(unit=placement.unit_id, occupational_area=placement.occupational_area_id, capacity=1,
                available_from="2020-01-01", adaptations=[])
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Antal platser kan inte vara lägre än det största antalet bokade deltagare framöver (3)." in (
        response.context["adminform"].form.errors["capacity"])
    placement.refresh_from_db()
    assert placement.capacity == 3
    data["capacity"] = 4
    assert client.post(url, data).status_code == 302
    placement.refresh_from_db()
    assert placement.capacity == 4
    assert client.get("/admin/placements/placement/add/").status_code == 403
