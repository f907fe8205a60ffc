"""Writes about placements and their assignments (bookings).

The invariant "no overbooking" is enforced here: confirming (or starting) an assignment locks the
placement row (SELECT … FOR UPDATE on PostgreSQL) inside a transaction and re-counts the occupancy
of the period before it writes, so two people confirming the last free slot at once cannot both win.
"""

import calendar
import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.roles import is_case_worker, is_leader
from organisations.permissions import agency_of
from organisations.selectors import managers_of_unit
from placements.models import Assignment, Placement
from placements.permissions import assignments_decidable_by, assignments_visible_to
from placements.selectors import peak_occupancy


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _may_request_for(user, referral) -> bool:
    if is_leader(user):
        return True
    agency = agency_of(user) if is_case_worker(user) else None
    return agency is not None and referral.agency_id == agency.pk


def _check_period(*, placement: Placement, referral, start_date: dt.date, planned_end_date: dt.date) -> None:
    errors = {}
    if planned_end_date < start_date:
        errors["planned_end_date"] = _("Planerat slutdatum kan inte vara före startdatum.")
    if start_date < placement.available_from:
        errors["start_date"] = _("Platsen är tillgänglig först från %(date)s.") % {"date": placement.available_from}
    if placement.available_to and planned_end_date > placement.available_to:
        errors["planned_end_date"] = _("Platsen är bara tillgänglig till %(date)s.") % {
            "date": placement.available_to}
    programme = referral.programme
    if programme is not None and planned_end_date > add_months(start_date, programme.max_months):
        errors["planned_end_date"] = _(
            "Perioden är längre än programmets längsta tid (%(months)s månader för %(programme)s)."
        ) % {"months": programme.max_months, "programme": programme.name}
    if errors:
        raise ValidationError(errors)


def _notify(*, template: str, assignment: Assignment, recipients: list[str]) -> None:
    recipients = sorted({r for r in recipients if r})
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {"assignment": assignment, "site_url": settings.SITE_URL}
        subject = render_to_string(f"placements/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"placements/email/{template}.txt", context)

    def send():
        send_mail(subject, body, None, recipients, fail_silently=True)

    transaction.on_commit(send)


def _manager_emails(placement: Placement) -> list[str]:
    return list(managers_of_unit(placement.unit).values_list("email", flat=True))


@transaction.atomic
def assignment_request(*, user, referral, placement: Placement, start_date: dt.date, planned_end_date: dt.date,
                       supervisor=None) -> Assignment:
    """A case worker (or the project leader) asks a placement for a participant's start."""
    if not _may_request_for(user, referral):
        raise PermissionDenied
    if placement.status != Placement.Status.OPEN:
        raise ValidationError(_("Platsen tar inte emot förfrågningar just nu."))
    _check_period(placement=placement, referral=referral, start_date=start_date, planned_end_date=planned_end_date)
    if Assignment.objects.filter(
        referral=referral, status__in=(Assignment.Status.REQUESTED, *Assignment.OCCUPYING)
    ).exists():
        raise ValidationError(_("Deltagaren har redan en förfrågad eller pågående placering."))
    assignment = Assignment.objects.create(
        placement=placement, referral=referral, start_date=start_date, planned_end_date=planned_end_date,
        supervisor=supervisor or placement.supervisor, requested_by=user,
    )
    _notify(template="requested", assignment=assignment, recipients=_manager_emails(placement))
    return assignment


def _lock_and_check_capacity(assignment: Assignment) -> Placement:
    placement = Placement.objects.select_for_update().get(pk=assignment.placement_id)
    end = assignment.end_date or assignment.planned_end_date
    if peak_occupancy(placement=placement, start=assignment.start_date, end=end,
                      exclude_assignment_id=assignment.pk) >= placement.capacity:
        raise ValidationError(_("Platsen är fullbokad för perioden. Välj en annan period eller plats."))
    return placement


def _get_for_update(queryset, assignment: Assignment) -> Assignment:
    try:
        return queryset.select_for_update(of=("self",)).get(pk=assignment.pk)
    except Assignment.DoesNotExist:
        raise PermissionDenied from None


@transaction.atomic
def assignment_confirm(*, user, assignment: Assignment) -> Assignment:
    assignment = _get_for_update(assignments_decidable_by(user), assignment)
    if assignment.status != Assignment.Status.REQUESTED:
        raise ValidationError(_("Bara förfrågade placeringar kan bekräftas."))
    _lock_and_check_capacity(assignment)
    assignment.status = Assignment.Status.CONFIRMED
    assignment.decided_by = user
    assignment.decided_at = timezone.now()
    assignment.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    recipients = [assignment.requested_by.email if assignment.requested_by else "", user.email]
    _notify(template="confirmed", assignment=assignment, recipients=recipients)
    return assignment


@transaction.atomic
def assignment_decline(*, user, assignment: Assignment, reason: str) -> Assignment:
    assignment = _get_for_update(assignments_decidable_by(user), assignment)
    if assignment.status != Assignment.Status.REQUESTED:
        raise ValidationError(_("Bara förfrågade placeringar kan avböjas."))
    if not reason.strip():
        raise ValidationError({"reason": _("Ange ett skäl till att förfrågan avböjs.")})
    assignment.status = Assignment.Status.DECLINED
    assignment.decline_reason = reason.strip()
    assignment.decided_by = user
    assignment.decided_at = timezone.now()
    assignment.save(update_fields=["status", "decline_reason", "decided_by", "decided_at", "updated_at"])
    recipients = [assignment.requested_by.email if assignment.requested_by else "", user.email]
    _notify(template="declined", assignment=assignment, recipients=recipients)
    return assignment


@transaction.atomic
def assignment_start(*, user, assignment: Assignment, start_date: dt.date | None = None) -> Assignment:
    """Confirmed → ongoing, on the actual first day (which may differ from the planned one)."""
    assignment = _get_for_update(assignments_visible_to(user), assignment)
    if not (is_leader(user) or assignments_decidable_by(user).filter(pk=assignment.pk).exists()
            or _may_request_for(user, assignment.referral)):
        raise PermissionDenied
    if assignment.status != Assignment.Status.CONFIRMED:
        raise ValidationError(_("Bara bekräftade placeringar kan starta."))
    if start_date and start_date != assignment.start_date:
        if start_date > assignment.planned_end_date:
            raise ValidationError({"start_date": _("Startdatum kan inte vara efter planerat slutdatum.")})
        assignment.start_date = start_date
        _lock_and_check_capacity(assignment)
    assignment.status = Assignment.Status.ONGOING
    assignment.save(update_fields=["status", "start_date", "updated_at"])
    return assignment


@transaction.atomic
def assignment_complete(*, user, assignment: Assignment, end_date: dt.date) -> Assignment:
    assignment = _get_for_update(assignments_visible_to(user), assignment)
    if not (is_leader(user) or _may_request_for(user, assignment.referral)
            or assignments_decidable_by(user).filter(pk=assignment.pk).exists()):
        raise PermissionDenied
    if assignment.status not in Assignment.OCCUPYING:
        raise ValidationError(_("Bara bekräftade eller pågående placeringar kan avslutas."))
    if end_date < assignment.start_date:
        raise ValidationError({"end_date": _("Slutdatum kan inte vara före startdatum.")})
    assignment.status = Assignment.Status.COMPLETED
    assignment.end_date = end_date
    assignment.save(update_fields=["status", "end_date", "updated_at"])
    return assignment


@transaction.atomic
def assignment_withdraw(*, user, assignment: Assignment, reason: str = "") -> Assignment:
    """The referring side takes back a request or ends a booking before it starts."""
    assignment = _get_for_update(assignments_visible_to(user), assignment)
    if not (is_leader(user) or _may_request_for(user, assignment.referral)):
        raise PermissionDenied
    if assignment.status not in (Assignment.Status.REQUESTED, Assignment.Status.CONFIRMED):
        raise ValidationError(_("Bara förfrågade eller bekräftade placeringar kan återtas."))
    assignment.status = Assignment.Status.WITHDRAWN
    assignment.decline_reason = reason.strip()
    assignment.save(update_fields=["status", "decline_reason", "updated_at"])
    _notify(template="withdrawn", assignment=assignment, recipients=_manager_emails(assignment.placement))
    return assignment
