"""Role × action matrix over the scoping functions every view fetches through.

Each row: an actor, a question, and the expected answer. The per-URL walk lives in test_url_authorization.py.
"""

import pytest

from core.roles import may_see_individuals
from organisations.permissions import (
    may_see_supervisor_contacts,
    organisations_managed_by,
    supervisors_editable_by,
    supervisors_visible_to,
    units_managed_by,
)
from organisations.tests.factories import OrganisationFactory, SupervisorFactory, UnitFactory, make_manager
from participants.permissions import participants_editable_by, participants_visible_to, referrals_visible_to
from participants.tests.factories import ReferralFactory
from placements.models import Placement
from placements.permissions import (
    assignments_decidable_by,
    may_browse_placements,
    may_create_placements,
    may_see_occupancy,
    placements_editable_by,
    placements_visible_to,
)
from placements.tests.factories import AssignmentFactory, PlacementFactory


@pytest.fixture
def world(actors, unit_a, unit_b, agency_af, agency_fk):
    open_a = PlacementFactory(unit=unit_a, title="Öppen A")
    paused_a = PlacementFactory(unit=unit_a, title="Pausad A", status=Placement.Status.PAUSED)
    open_b = PlacementFactory(unit=unit_b, title="Öppen B")
    referral_af = ReferralFactory(agency=agency_af)
    referral_fk = ReferralFactory(agency=agency_fk)
    assignment_a = AssignmentFactory(placement=open_a, referral=referral_af)
    return {
        "open_a": open_a, "paused_a": paused_a, "open_b": open_b,
        "p_af": referral_af.participant, "p_fk": referral_fk.participant,
        "r_af": referral_af, "r_fk": referral_fk, "assignment_a": assignment_a,
        "sup_a": SupervisorFactory(unit=unit_a), "sup_b": SupervisorFactory(unit=unit_b),
    }


# (actor, scoping function, object key, expected membership)
MATRIX = [
    ("leader", placements_visible_to, "open_b", True),
    ("leader", placements_editable_by, "open_b", True),
    ("manager_a", placements_visible_to, "open_a", True),
    ("manager_a", placements_visible_to, "paused_a", True),
    ("manager_a", placements_visible_to, "open_b", False),
    ("manager_a", placements_editable_by, "open_a", True),
    ("manager_a", placements_editable_by, "open_b", False),
    ("manager_b", placements_editable_by, "open_a", False),
    ("case_worker_af", placements_visible_to, "open_a", True),
    ("case_worker_af", placements_visible_to, "paused_a", False),
    ("case_worker_af", placements_editable_by, "open_a", False),
    ("steering", placements_visible_to, "open_a", False),
    ("steering", placements_editable_by, "open_a", False),
    ("leader", participants_visible_to, "p_fk", True),
    ("case_worker_af", participants_visible_to, "p_af", True),
    ("case_worker_af", participants_visible_to, "p_fk", False),
    ("case_worker_fk", participants_visible_to, "p_af", False),
    ("case_worker_af", participants_editable_by, "p_af", True),
    ("manager_a", participants_visible_to, "p_af", True),
    ("manager_a", participants_visible_to, "p_fk", False),
    ("manager_a", participants_editable_by, "p_af", False),
    ("manager_b", participants_visible_to, "p_af", False),
    ("steering", participants_visible_to, "p_af", False),
    ("steering", participants_visible_to, "p_fk", False),
    ("case_worker_fk", referrals_visible_to, "r_fk", True),
    ("case_worker_fk", referrals_visible_to, "r_af", False),
    ("manager_a", assignments_decidable_by, "assignment_a", True),
    ("manager_b", assignments_decidable_by, "assignment_a", False),
    ("case_worker_af", assignments_decidable_by, "assignment_a", False),
    ("manager_a", supervisors_editable_by, "sup_a", True),
    ("manager_a", supervisors_editable_by, "sup_b", False),
    ("steering", supervisors_visible_to, "sup_a", False),
    ("case_worker_af", supervisors_visible_to, "sup_b", True),
]


@pytest.mark.parametrize(("actor", "scope", "key", "expected"), MATRIX,
                         ids=[f"{a}-{s.__name__}-{k}" for a, s, k, _ in MATRIX])
def test_scope(actors, world, actor, scope, key, expected):
    obj = world[key]
    assert scope(actors[actor]).filter(pk=obj.pk).exists() is expected


@pytest.mark.parametrize(("actor", "expected"), [
    ("leader", True), ("manager_a", True), ("case_worker_af", False), ("steering", False),
])
def test_may_create_placements(actors, unit_a, actor, expected):
    assert may_create_placements(actors[actor]) is expected


@pytest.mark.parametrize(("actor", "individuals", "contacts"), [
    ("leader", True, True), ("manager_a", True, True), ("case_worker_af", True, True), ("steering", False, False),
])
def test_role_predicates(actors, actor, individuals, contacts):
    assert may_see_individuals(actors[actor]) is individuals
    assert may_see_supervisor_contacts(actors[actor]) is contacts
    # Occupancy per placement or organisation is an exact count of people: not for the steering group.
    assert may_browse_placements(actors[actor]) is individuals
    assert may_see_occupancy(actors[actor]) is individuals


def test_manager_of_region_covers_its_forvaltningar(db):
    region = OrganisationFactory(name="Region X")
    forvaltning = OrganisationFactory(name="Förvaltning Y", parent=region)
    grandchild = OrganisationFactory(name="Avdelning Z", parent=forvaltning)
    unit = UnitFactory(organisation=grandchild)
    other = UnitFactory()
    boss = make_manager(organisation=region)
    assert set(units_managed_by(boss)) == {unit}
    assert other not in units_managed_by(boss)
    assert set(organisations_managed_by(boss)) == {region, forvaltning, grandchild}


def test_manager_bound_to_one_unit_sees_only_that_unit(org_a):
    unit_1, unit_2 = UnitFactory(organisation=org_a), UnitFactory(organisation=org_a)
    unit_manager = make_manager(unit=unit_1)
    placement_1, placement_2 = PlacementFactory(unit=unit_1), PlacementFactory(unit=unit_2)
    assert list(placements_editable_by(unit_manager)) == [placement_1]
    assert placement_2 not in placements_visible_to(unit_manager)
    assert list(organisations_managed_by(unit_manager)) == [org_a]


def test_anonymous_sees_nothing(db, world):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert not placements_visible_to(anonymous).exists()
    assert not participants_visible_to(anonymous).exists()
    assert not supervisors_visible_to(anonymous).exists()
