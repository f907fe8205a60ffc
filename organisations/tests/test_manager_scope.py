"""A manager's scope (whole organisations with what lies below them, or single units) is read once per request
user and kept on that user object; another user, or the same person loaded afresh, reads their own."""

import pytest

from organisations.permissions import organisations_managed_by, units_managed_by
from organisations.tests.factories import OrganisationFactory, UnitFactory, make_manager

pytestmark = pytest.mark.django_db


def pks(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def test_the_scope_is_read_once_per_user_object(django_assert_num_queries, org_a, unit_a, unit_b):
    below = OrganisationFactory(name="Underförvaltning", parent=org_a)
    unit_below = UnitFactory(organisation=below)
    manager = make_manager(organisation=org_a)
    assert pks(units_managed_by(manager)) == {unit_a.pk, unit_below.pk}
    with django_assert_num_queries(1):
        assert pks(units_managed_by(manager)) == {unit_a.pk, unit_below.pk}
    with django_assert_num_queries(1):
        assert pks(organisations_managed_by(manager)) == {org_a.pk, below.pk}


def test_each_user_has_their_own_scope(org_a, org_b, unit_a, unit_b):
    whole_a = make_manager(organisation=org_a)
    unit_only = make_manager(unit=unit_b)
    assert pks(units_managed_by(whole_a)) == {unit_a.pk}
    assert pks(units_managed_by(unit_only)) == {unit_b.pk}
    assert pks(organisations_managed_by(unit_only)) == {org_b.pk}
