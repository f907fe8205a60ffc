"""Whose supervisors each role sees and may edit, as exact sets (not just "contains"); a case worker's agency."""

import pytest

from core.models import Role
from organisations.permissions import agency_of, supervisors_editable_by, supervisors_visible_to
from organisations.tests.factories import SupervisorFactory, UnitFactory, UserFactory, make_manager

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisors(org_a, org_b, unit_a, unit_b):
    return {
        "a_org": SupervisorFactory(organisation=org_a, unit=None),
        "a_unit": SupervisorFactory(unit=unit_a),
        "a_other_unit": SupervisorFactory(unit=UnitFactory(organisation=org_a)),
        "b": SupervisorFactory(unit=unit_b),
    }


def names(queryset, supervisors) -> set[str]:
    by_pk = {s.pk: key for key, s in supervisors.items()}
    return {by_pk[pk] for pk in queryset.values_list("pk", flat=True)}


def test_leader_and_case_workers_see_every_supervisor(leader, case_worker_af, supervisors):
    everyone = set(supervisors)
    assert names(supervisors_visible_to(leader), supervisors) == everyone
    assert names(supervisors_visible_to(case_worker_af), supervisors) == everyone
    assert names(supervisors_editable_by(leader), supervisors) == everyone
    assert names(supervisors_editable_by(case_worker_af), supervisors) == set()


def test_a_manager_sees_and_edits_their_organisations_supervisors_only(manager_a, supervisors):
    own = {"a_org", "a_unit", "a_other_unit"}
    assert names(supervisors_visible_to(manager_a), supervisors) == own
    assert names(supervisors_editable_by(manager_a), supervisors) == own


def test_a_unit_manager_edits_their_units_supervisors_only(unit_a, supervisors):
    unit_manager = make_manager(unit=unit_a)
    assert names(supervisors_editable_by(unit_manager), supervisors) == {"a_unit"}


def test_the_steering_group_sees_no_supervisor(steering, supervisors):
    assert names(supervisors_visible_to(steering), supervisors) == set()
    assert names(supervisors_editable_by(steering), supervisors) == set()


def test_a_case_workers_agency_is_read_once_per_user_object(case_worker_af, agency_af, django_assert_num_queries):
    with django_assert_num_queries(1):   # the membership with its agency, then the cached value
        assert agency_of(case_worker_af) == agency_af
        assert agency_of(case_worker_af) == agency_af



def test_a_case_worker_without_an_agency_has_none(db):
    assert agency_of(make_case_worker_without_agency()) is None


def make_case_worker_without_agency():
    return UserFactory(role=Role.CASE_WORKER)
