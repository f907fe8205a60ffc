"""Who may see and change placements and assignments. Other organisation's object → 404; visible but
not editable → 403 (views use the querysets below with get_object_or_404, then check editability)."""

from django.db.models import QuerySet

from core.roles import is_case_worker, is_leader, is_manager, is_steering
from organisations.permissions import agency_of, units_managed_by
from placements.models import Assignment, Placement


def may_browse_placements(user) -> bool:
    """The placement registry (list, detail, exports) shows how many are on each placement today: exact
    counts the steering group's reports hide below five, so the steering group has no registry."""
    return user.is_authenticated and not is_steering(user)


def may_see_occupancy(user) -> bool:
    """Occupancy (people on placement today) per organisation or placement, on the organisation pages."""
    return may_browse_placements(user)


def placements_visible_to(user) -> QuerySet[Placement]:
    if not may_browse_placements(user):
        return Placement.objects.none()
    if is_leader(user):
        return Placement.objects.all()
    if is_manager(user):
        return Placement.objects.filter(unit__in=units_managed_by(user))
    if is_case_worker(user):
        # Case workers book places: they see the open ones (free capacity is checked per date in selectors).
        return Placement.objects.filter(status=Placement.Status.OPEN)
    return Placement.objects.none()


def placements_editable_by(user) -> QuerySet[Placement]:
    if is_leader(user):
        return Placement.objects.all()
    if is_manager(user):
        return Placement.objects.filter(unit__in=units_managed_by(user))
    return Placement.objects.none()


def may_create_placements(user) -> bool:
    return is_leader(user) or (is_manager(user) and units_managed_by(user).exists())


def assignments_visible_to(user) -> QuerySet[Assignment]:
    if is_leader(user):
        return Assignment.objects.all()
    if is_manager(user):
        return Assignment.objects.filter(placement__unit__in=units_managed_by(user)).exclude(
            status__in=Assignment.HIDDEN_FROM_MANAGERS)
    if is_case_worker(user):
        agency = agency_of(user)
        if agency is None:
            return Assignment.objects.none()
        return Assignment.objects.filter(referral__agency_id=agency.pk)
    return Assignment.objects.none()


def assignments_decidable_by(user) -> QuerySet[Assignment]:
    """Confirm or decline a request: the placement's manager or the project leader."""
    if is_leader(user):
        return Assignment.objects.all()
    if is_manager(user):
        return Assignment.objects.filter(placement__unit__in=units_managed_by(user))
    return Assignment.objects.none()

