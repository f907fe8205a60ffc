from django.db.models import Q, QuerySet

from core.models import Role, User
from organisations.models import AgencyMembership, Unit


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


def contact_of(user) -> dict | None:
    """How a person is named to others on requests and in e-mails: name (or e-mail), e-mail, and the agency of a
    case worker ("Karin Berg, Arbetsförmedlingen")."""
    if user is None:
        return None
    membership = AgencyMembership.objects.select_related("agency").filter(user=user).first()
    name = user.get_full_name() or user.email
    agency = membership.agency.name if membership else ""
    return {"name": name, "email": user.email, "agency": agency,
            "label": f"{name}, {agency}" if agency else name}


def unit_contacts(unit: Unit) -> dict:
    """The unit's address and whom to contact: the manager named on the unit, and the managers with an account."""
    accounts = [{"name": u.get_full_name() or u.email, "email": u.email}
                for u in managers_of_unit(unit).order_by("last_name", "first_name", "email")]
    return {
        "address": ", ".join(part for part in (unit.address, f"{unit.postal_code} {unit.postal_town}".strip())
                             if part),
        "manager_name": unit.manager_name, "manager_email": unit.manager_email,
        "manager_phone": unit.manager_phone, "accounts": accounts,
    }
