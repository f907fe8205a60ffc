"""Who may see and edit organisations, units and supervisors. Every view fetches through these."""

from django.db.models import Q, QuerySet

from core.roles import is_case_worker, is_leader, is_manager, is_steering
from organisations.models import Agency, AgencyMembership, Organisation, Supervisor, Unit
from organisations.tree import organisation_with_descendant_ids


def _manager_scope(user) -> tuple[set[int], set[int]]:
    """(organisation ids incl. descendants, single unit ids) a manager is bound to; cached per request user."""
    cached = getattr(user, "_manager_scope_cache", None)
    if cached is None:
        scopes = list(user.manager_scopes.values_list("organisation_id", "unit_id"))
        whole = organisation_with_descendant_ids({org for org, unit in scopes if unit is None})
        units = {unit for org, unit in scopes if unit is not None}
        cached = (whole, units)
        user._manager_scope_cache = cached
    return cached


def units_managed_by(user) -> QuerySet[Unit]:
    if is_leader(user):
        return Unit.objects.all()
    if not is_manager(user):
        return Unit.objects.none()
    org_ids, unit_ids = _manager_scope(user)
    return Unit.objects.filter(Q(organisation_id__in=org_ids) | Q(pk__in=unit_ids))


def organisations_managed_by(user) -> QuerySet[Organisation]:
    """Organisations in which the user may register placements (a unit scope counts its organisation)."""
    if is_leader(user):
        return Organisation.objects.all()
    if not is_manager(user):
        return Organisation.objects.none()
    org_ids, unit_ids = _manager_scope(user)
    return Organisation.objects.filter(Q(pk__in=org_ids) | Q(units__pk__in=unit_ids)).distinct()


def unit_organisations_for(user) -> QuerySet[Organisation]:
    """Organisations in which the user may add units: the leader anywhere; a manager in the organisations
    (and sub-organisations) they manage as a whole, not where they are bound to one unit only."""
    if is_leader(user):
        return Organisation.objects.all()
    if not is_manager(user):
        return Organisation.objects.none()
    org_ids, _unit_ids = _manager_scope(user)
    return Organisation.objects.filter(pk__in=org_ids)


def organisations_visible_to(user) -> QuerySet[Organisation]:
    """Host organisations and their figures are not personal data: every signed-in role sees them."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.all()


def supervisors_visible_to(user) -> QuerySet[Supervisor]:
    """Supervisors' contact details: leader, managers of their units, case workers; never the steering group."""
    if is_leader(user) or is_case_worker(user):
        return Supervisor.objects.all()
    if is_manager(user):
        return supervisors_editable_by(user)
    return Supervisor.objects.none()


def supervisors_editable_by(user) -> QuerySet[Supervisor]:
    if is_leader(user):
        return Supervisor.objects.all()
    if not is_manager(user):
        return Supervisor.objects.none()
    org_ids, unit_ids = _manager_scope(user)
    return Supervisor.objects.filter(Q(organisation_id__in=org_ids) | Q(unit_id__in=unit_ids))


def may_see_supervisor_contacts(user) -> bool:
    return user.is_authenticated and not is_steering(user)


def agency_of(user) -> Agency | None:
    """The agency a case worker is bound to, or None. One query, cached on the (request's) user object."""
    if not is_case_worker(user):
        return None
    if not hasattr(user, "_agency_cache"):
        membership = AgencyMembership.objects.select_related("agency").filter(user=user).first()
        user._agency_cache = membership.agency if membership else None
    return user._agency_cache
