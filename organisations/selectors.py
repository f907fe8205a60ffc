from django.db.models import Q, QuerySet

from core.models import Role, User
from organisations.models import Unit


def managers_of_unit(unit: Unit) -> QuerySet[User]:
    """Active managers bound to the unit itself or to its organisation or an ancestor of it."""
    ancestor_ids = []
    organisation = unit.organisation
    while organisation is not None:
        ancestor_ids.append(organisation.pk)
        organisation = organisation.parent
    return User.objects.filter(
        Q(manager_scopes__unit=unit) | Q(manager_scopes__unit__isnull=True,
                                          manager_scopes__organisation_id__in=ancestor_ids),
        role=Role.MANAGER,
        is_active=True,
    ).distinct()


def organisation_tree(queryset) -> list:
    """The organisations in hierarchy order (each parent followed by its children), each with `depth` set."""
    rows = list(queryset.order_by("name"))
    by_parent: dict = {}
    ids = {row.pk for row in rows}
    for row in rows:
        by_parent.setdefault(row.parent_id if row.parent_id in ids else None, []).append(row)
    ordered = []

    def walk(parent_id, depth):
        for row in by_parent.get(parent_id, []):
            row.depth = depth
            ordered.append(row)
            walk(row.pk, depth + 1)

    walk(None, 0)
    return ordered
