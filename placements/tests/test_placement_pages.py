import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from organisations.tests.factories import SupervisorFactory, UnitFactory, make_manager
from participants.tests.factories import ReferralFactory
from placements import services
from placements.models import Assignment, Placement
from placements.tests.factories import AssignmentFactory

FUTURE = timezone.localdate() + dt.timedelta(days=30)


def form_data(unit, area, **overrides):
    data = {"title": "Vaktmästeri", "unit": unit.pk, "occupational_area": area.pk, "tasks": "Enkla reparationer",
            "capacity": 2, "available_from": "2026-12-01", "available_to": "", "supervisor": "", "code": "",
            "attested": "on"}
    data.update(overrides)
    return data


def test_manager_registers_placement_with_attestation(client, manager_a, unit_a, area, wheelchair):
    client.force_login(manager_a)
    response = client.post(reverse("placements:create"), form_data(unit_a, area, adaptations=[wheelchair.pk]))
    placement = Placement.objects.get(title="Vaktmästeri")
    assert response.status_code == 302 and response["Location"] == reverse("placements:detail", args=[placement.pk])
    assert placement.attested_no_displacement and placement.attested_by == manager_a
    assert placement.attested_at is not None and placement.created_by == manager_a
    assert list(placement.adaptations.all()) == [wheelchair]
    assert placement.history.first().history_user == manager_a


def test_attestation_is_required_on_create(client, manager_a, unit_a, area):
    client.force_login(manager_a)
    data = form_data(unit_a, area)
    del data["attested"]
    response = client.post(reverse("placements:create"), data)
    assert response.status_code == 200
    assert not Placement.objects.exists()
    html = response.content.decode()
    assert "Formuläret innehåller fel" in html
    assert '<li><a href="#id_attested">Jag intygar' in html  # the summary links to the checkbox
    checkbox = html[html.rindex("<input", 0, html.index('name="attested"')):]
    checkbox = checkbox[:checkbox.index(">") + 1]
    # The checkbox is marked invalid like every other field (it used to be hand-written without aria-invalid).
    assert 'aria-invalid="true"' in checkbox and "is-invalid" in checkbox
    assert 'aria-describedby="id_attested_helptext id_attested_error"' in checkbox


def test_swedish_validation_end_before_start(client, manager_a, unit_a, area):
    client.force_login(manager_a)
    response = client.post(reverse("placements:create"),
                           form_data(unit_a, area, available_from="2026-12-01", available_to="2026-11-01"))
    # The service's rule (placement_value_errors), shown on its field.
    assert response.context["form"].errors["available_to"] == ["Tillgänglig till kan inte vara före tillgänglig från."]
    assert not Placement.objects.exists()


def test_manager_form_offers_only_own_units_and_post_to_other_unit_fails(client, manager_a, unit_a, unit_b, area):
    client.force_login(manager_a)
    form = client.get(reverse("placements:create")).context["form"]
    assert list(form.fields["unit"].queryset) == [unit_a]
    response = client.post(reverse("placements:create"), form_data(unit_b, area))
    assert response.status_code == 200 and not Placement.objects.exists()


def test_service_refuses_other_units_even_without_form(manager_a, unit_b, area):
    with pytest.raises(PermissionDenied):
        services.placement_create(user=manager_a, title="X", unit=unit_b, occupational_area=area, capacity=1,
                                  available_from=dt.date(2026, 1, 1), attested=True)


def test_service_refuses_supervisor_of_other_organisation(manager_a, unit_a, unit_b, area):
    other = SupervisorFactory(unit=unit_b)
    with pytest.raises(PermissionDenied):
        services.placement_create(user=manager_a, title="X", unit=unit_a, occupational_area=area, capacity=1,
                                  available_from=dt.date(2026, 1, 1), supervisor=other, attested=True)


def test_unit_scoped_manager_only_gets_that_unit(client, org_a, unit_a, area):
    second = UnitFactory(organisation=org_a, name="Annan enhet")
    manager = make_manager(unit=unit_a)
    client.force_login(manager)
    assert list(client.get(reverse("placements:create")).context["form"].fields["unit"].queryset) == [unit_a]
    with pytest.raises(PermissionDenied):
        services.placement_create(user=manager, title="X", unit=second, occupational_area=area, capacity=1,
                                  available_from=dt.date(2026, 1, 1), attested=True)


def test_capacity_cannot_drop_below_future_occupancy(client, leader, placement_a):
    for start in (FUTURE, FUTURE + dt.timedelta(days=1)):
        AssignmentFactory(placement=placement_a, status=Assignment.Status.CONFIRMED, start_date=start,
                          planned_end_date=start + dt.timedelta(days=60))
    with pytest.raises(ValidationError) as excinfo:
        services.placement_update(user=leader, placement=placement_a, capacity=1)
    assert "största antalet bokade deltagare framöver (2)" in str(excinfo.value)
    client.force_login(leader)
    data = form_data(placement_a.unit, placement_a.occupational_area, capacity=1, title=placement_a.title)
    response = client.post(reverse("placements:edit", args=[placement_a.pk]), data)
    assert response.status_code == 200
    assert "framöver (2)" in response.content.decode()
    placement_a.refresh_from_db()
    assert placement_a.capacity == 2


def test_leader_edits_and_history_shows_who_what_when(client, leader, placement_a, wheelchair):
    client.force_login(leader)
    data = form_data(placement_a.unit, placement_a.occupational_area, title="Lager och logistik", capacity=4,
                     supervisor=placement_a.supervisor_id, adaptations=[wheelchair.pk])
    del data["attested"]
    response = client.post(reverse("placements:edit", args=[placement_a.pk]), data)
    assert response.status_code == 302
    detail = client.get(reverse("placements:detail", args=[placement_a.pk]))
    html = detail.content.decode()
    history = detail.context["history"]
    changed = {c["field"]: (c["old"], c["new"]) for entry in history for c in entry["changes"]}
    assert changed["benämning"] == ("Lagerarbete", "Lager och logistik")
    assert changed["antal platser samtidigt"] == ("2", "4")
    # A many-to-many change names the adaptations, not the placement the rows belong to.
    assert changed["anpassningar"] == ("–", str(wheelchair))
    assert any(entry["who"] == leader for entry in history if entry["changes"])
    assert "Lager och logistik" in html and "<del>Lagerarbete</del>" in html


def test_pause_reopen_and_close_with_confirmation(client, manager_a, placement_a):
    client.force_login(manager_a)
    client.post(reverse("placements:pause", args=[placement_a.pk]))
    placement_a.refresh_from_db()
    assert placement_a.status == Placement.Status.PAUSED
    client.post(reverse("placements:reopen", args=[placement_a.pk]))
    placement_a.refresh_from_db()
    assert placement_a.status == Placement.Status.OPEN
    confirm = client.get(reverse("placements:close", args=[placement_a.pk]))
    assert "Ja, stäng platsen" in confirm.content.decode()
    placement_a.refresh_from_db()
    assert placement_a.status == Placement.Status.OPEN  # GET changes nothing
    client.post(reverse("placements:close", args=[placement_a.pk]))
    placement_a.refresh_from_db()
    assert placement_a.status == Placement.Status.CLOSED and placement_a.closed_on == timezone.localdate()


def test_close_refused_while_participants_are_booked(client, manager_a, placement_a):
    AssignmentFactory(placement=placement_a, status=Assignment.Status.CONFIRMED, start_date=FUTURE,
                      planned_end_date=FUTURE + dt.timedelta(days=10))
    client.force_login(manager_a)
    response = client.post(reverse("placements:close", args=[placement_a.pk]), follow=True)
    assert "har bokade eller pågående placeringar" in response.content.decode()
    placement_a.refresh_from_db()
    assert placement_a.status == Placement.Status.OPEN


@pytest.fixture
def request_a(placement_a, agency_af, case_worker_af):
    referral = ReferralFactory(agency=agency_af)
    return AssignmentFactory(placement=placement_a, referral=referral, status=Assignment.Status.REQUESTED,
                             start_date=FUTURE, planned_end_date=FUTURE + dt.timedelta(days=60),
                             requested_by=case_worker_af)


def test_detail_shows_code_not_name_and_logs_the_view(client, manager_a, placement_a, request_a):
    participant = request_a.referral.participant
    participant.identity = "identified"
    participant.first_name, participant.last_name = "Hemlig", "Person"
    participant.consent_recorded_at = timezone.now()
    participant.save()
    client.force_login(manager_a)
    html = client.get(reverse("placements:detail", args=[placement_a.pk])).content.decode()
    assert participant.code in html and "Arbetsförmedlingen" in html
    assert "Hemlig" not in html
    event = AuditEvent.objects.get(action="view", object_type="participants.Participant")
    assert event.user == manager_a
    assert event.object_id == str(participant.pk)
    assert event.detail == f"Placeringar på plats {placement_a.pk}"


def test_detail_without_assignments_writes_no_audit(client, manager_a, placement_a):
    client.force_login(manager_a)
    client.get(reverse("placements:detail", args=[placement_a.pk]))
    assert not AuditEvent.objects.filter(action="view").exists()


def test_manager_confirms_request(client, manager_a, placement_a, request_a):
    client.force_login(manager_a)
    response = client.post(reverse("placements:assignment_confirm", args=[placement_a.pk, request_a.pk]),
                           follow=True)
    request_a.refresh_from_db()
    assert request_a.status == Assignment.Status.CONFIRMED
    assert "Förfrågan är bekräftad." in response.content.decode()


def test_confirm_when_full_shows_error_message(client, manager_a, placement_a, request_a):
    placement_a.capacity = 1
    placement_a.save()
    AssignmentFactory(placement=placement_a, status=Assignment.Status.CONFIRMED, start_date=FUTURE,
                      planned_end_date=FUTURE + dt.timedelta(days=60))
    client.force_login(manager_a)
    response = client.post(reverse("placements:assignment_confirm", args=[placement_a.pk, request_a.pk]),
                           follow=True)
    assert "fullbokad" in response.content.decode()
    request_a.refresh_from_db()
    assert request_a.status == Assignment.Status.REQUESTED


def test_decline_needs_reason(client, manager_a, placement_a, request_a):
    client.force_login(manager_a)
    url = reverse("placements:assignment_decline", args=[placement_a.pk, request_a.pk])
    response = client.post(url, {"reason": ""}, follow=True)
    assert "Ange ett skäl" in response.content.decode()
    request_a.refresh_from_db()
    assert request_a.status == Assignment.Status.REQUESTED
    client.post(url, {"reason": "Ingen handledare i juli"})
    request_a.refresh_from_db()
    assert request_a.status == Assignment.Status.DECLINED and request_a.decline_reason == "Ingen handledare i juli"


def test_decline_requires_post(client, manager_a, placement_a, request_a):
    client.force_login(manager_a)
    url = reverse("placements:assignment_decline", args=[placement_a.pk, request_a.pk])
    assert client.get(url).status_code == 405


def test_start_page_panels_for_manager(client, manager_a, placement_a, request_a):
    client.force_login(manager_a)
    html = client.get(reverse("home")).content.decode()
    assert "Förfrågningar att besvara" in html and "Lagerarbete" in html
    assert "Mina platser" in html and "Registrera plats" in html


def test_requests_panel_shows_eight_requests_and_counts_the_rest(client, manager_a, unit_a):
    from placements.models import Assignment
    from placements.tests.factories import AssignmentFactory, PlacementFactory

    for n in range(10):
        AssignmentFactory(placement=PlacementFactory(unit=unit_a, title=f"Plats {n:02d}"),
                          status=Assignment.Status.REQUESTED)
    client.force_login(manager_a)
    html = client.get(reverse("home")).content.decode()
    assert "Plats 07" in html and "Plats 08" not in html
    assert "… och 2 förfrågningar till." in html
