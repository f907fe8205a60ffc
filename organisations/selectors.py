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
