"""Who may see and change participants. Case workers: own agency's; managers: those booked at their
units (name or code and dates only); the steering group: nobody, ever."""

from django.db.models import Exists, OuterRef, QuerySet

from core.roles import is_case_worker, is_leader, is_manager
from organisations.permissions import agency_of, units_managed_by
from participants.models import Participant, Referral
from placements.models import Assignment


def participants_visible_to(user) -> QuerySet[Participant]:
    if is_leader(user):
        return Participant.objects.all()
    if is_case_worker(user):
        agency = agency_of(user)
        if agency is None:
            return Participant.objects.none()
        return Participant.objects.filter(
            Exists(Referral.objects.filter(participant=OuterRef("pk"), agency=agency))
        )
    if is_manager(user):
        booked_here = Assignment.objects.filter(
            referral__participant=OuterRef("pk"),
            placement__unit__in=units_managed_by(user),
        ).exclude(status__in=Assignment.HIDDEN_FROM_MANAGERS)
        return Participant.objects.filter(Exists(booked_here))
    return Participant.objects.none()


def participants_editable_by(user) -> QuerySet[Participant]:
    if is_leader(user):
        return Participant.objects.all()
    if is_case_worker(user):
        return participants_visible_to(user)
    return Participant.objects.none()


def referrals_visible_to(user) -> QuerySet[Referral]:
    if is_leader(user):
        return Referral.objects.all()
    if is_case_worker(user):
        agency = agency_of(user)
        return Referral.objects.filter(agency=agency) if agency else Referral.objects.none()
    if is_manager(user):
        booked_here = Assignment.objects.filter(
            referral=OuterRef("pk"), placement__unit__in=units_managed_by(user)
        ).exclude(status__in=Assignment.HIDDEN_FROM_MANAGERS)
        return Referral.objects.filter(Exists(booked_here))
    return Referral.objects.none()


def referrals_editable_by(user) -> QuerySet[Referral]:
    if is_leader(user):
        return Referral.objects.all()
    if is_case_worker(user):
        return referrals_visible_to(user)
    return Referral.objects.none()


def may_see_full_personal_data(user) -> bool:
    """Managers see name or code and dates only; never personal number, support, assessment notes."""
    return is_leader(user) or is_case_worker(user)
