"""Role × URL → status for every placements view (pretix-style permission matrix).

Other organisation's object → 404; visible but not editable → 403; anonymous → login redirect.
"""

import datetime as dt

import pytest
from django.urls import reverse

from participants.tests.factories import ReferralFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory

ROLES = ["anonymous", "leader", "manager_a", "manager_b", "case_worker_af", "steering"]


@pytest.fixture
def world(actors, placement_a, placement_b, supervisor_a, org_a, agency_af):
    referral = ReferralFactory(agency=agency_af)
    request = AssignmentFactory(placement=placement_a, referral=referral, status=Assignment.Status.REQUESTED,
                                start_date=dt.date(2030, 1, 1), planned_end_date=dt.date(2030, 3, 1))
    return {"placement": placement_a, "supervisor": supervisor_a, "org": org_a, "assignment": request}


# (method, url name, kwargs builder, expected status per role in ROLES order)
MATRIX = [
    ("get", "placements:list", lambda w: {}, [302, 200, 200, 200, 200, 403]),
    ("get", "placements:export_csv", lambda w: {}, [302, 200, 200, 200, 200, 403]),
    ("get", "placements:export_xlsx", lambda w: {}, [302, 200, 200, 200, 200, 403]),
    ("get", "placements:detail", lambda w: {"pk": w["placement"].pk}, [302, 200, 200, 404, 200, 403]),
    ("get", "placements:create", lambda w: {}, [302, 200, 200, 200, 403, 403]),
    ("get", "placements:edit", lambda w: {"pk": w["placement"].pk}, [302, 200, 200, 404, 403, 403]),
    ("post", "placements:pause", lambda w: {"pk": w["placement"].pk}, [302, 302, 302, 404, 403, 403]),
    ("post", "placements:reopen", lambda w: {"pk": w["placement"].pk}, [302, 302, 302, 404, 403, 403]),
    ("get", "placements:close", lambda w: {"pk": w["placement"].pk}, [302, 200, 200, 404, 403, 403]),
    ("post", "placements:assignment_confirm",
     lambda w: {"pk": w["placement"].pk, "assignment_pk": w["assignment"].pk}, [302, 302, 302, 404, 403, 403]),
    ("post", "placements:assignment_decline",
     lambda w: {"pk": w["placement"].pk, "assignment_pk": w["assignment"].pk}, [302, 302, 302, 404, 403, 403]),
    ("get", "placements:supervisor_list", lambda w: {}, [302, 200, 200, 200, 200, 403]),
    ("get", "placements:supervisor_create", lambda w: {}, [302, 200, 200, 200, 403, 403]),
    ("get", "placements:supervisor_edit", lambda w: {"pk": w["supervisor"].pk}, [302, 200, 200, 404, 403, 404]),
    ("get", "placements:organisation_overview", lambda w: {}, [302, 200, 200, 200, 200, 200]),
    ("get", "placements:organisation_detail", lambda w: {"pk": w["org"].pk}, [302, 200, 200, 200, 200, 200]),
    ("get", "placements:import", lambda w: {}, [302, 200, 200, 200, 403, 403]),
    ("post", "placements:import_confirm", lambda w: {}, [302, 302, 302, 302, 403, 403]),
]

CASES = [
    pytest.param(method, name, kwargs, role, statuses[i], id=f"{name}-{role}")
    for method, name, kwargs, statuses in MATRIX
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("method", "name", "kwargs", "role", "expected"), CASES)
def test_permission_matrix(client, world, actors, method, name, kwargs, role, expected):
    if role != "anonymous":
        client.force_login(actors[role])
    url = reverse(name, kwargs=kwargs(world))
    response = getattr(client, method)(url, {"reason": "Fullt just nu"} if method == "post" else None)
    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"].startswith(reverse("account_login"))


def test_case_worker_cannot_see_closed_placement(client, case_worker_af, placement_a):
    placement_a.status = "closed"
    placement_a.save()
    client.force_login(case_worker_af)
    assert client.get(reverse("placements:detail", args=[placement_a.pk])).status_code == 404


def test_steering_gets_no_placement_registry(client, steering, placement_a, supervisor_a):
    client.force_login(steering)
    for url in (reverse("placements:detail", args=[placement_a.pk]), reverse("placements:list"),
                reverse("placements:export_csv"), reverse("placements:export_xlsx")):
        response = client.get(url)
        assert response.status_code == 403
        page = response.content.decode()
        assert "Styrgruppen ser platserna i rapporterna, inte i platsregistret." in page
        assert placement_a.title not in page and supervisor_a.name not in page
    home = client.get("/").content.decode()
    assert f'href="{reverse("placements:list")}"' not in home


def test_leader_has_placement_link_in_nav(client, leader):
    client.force_login(leader)
    assert f'href="{reverse("placements:list")}"' in client.get("/").content.decode()


def test_leader_sees_supervisor_contacts(client, leader, placement_a, supervisor_a):
    client.force_login(leader)
    detail = client.get(reverse("placements:detail", args=[placement_a.pk])).content.decode()
    assert supervisor_a.email in detail
