"""Writes about placements and their assignments (a participant's period at a placement).

The invariant "no overbooking" is enforced here: confirming (or starting) an assignment locks the
placement row (SELECT … FOR UPDATE on PostgreSQL) inside a transaction and re-counts the occupancy
of the period before it writes, so two people confirming the last free slot at once cannot both win.
"""

import datetime as dt
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connections, transaction
from django.db.models import F, Q
from django.db.models.signals import post_save, pre_save
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.audit import audit_log
from core.bulkcopy import (
    copy_history,
    copy_history_rows,
    copy_insert,
    copy_insert_with_history,
    copy_rows,
    day_count_add,
    existing_values,
)
from core.dates import add_months
from core.mail import email_queue, render_plain
from core.models import AuditEvent, Role, User
from core.roles import is_case_worker, is_leader
from organisations.models import Organisation, Unit
from organisations.permissions import agency_of, supervisors_editable_by, units_managed_by
from organisations.selectors import contact_of, managers_of_unit, unit_contacts
from placements.models import (
    IDLE_STATE_FIELDS,
    Assignment,
    OrganisationTotalsToken,
    Placement,
    PlacementCountChange,
)
from placements.permissions import assignments_decidable_by, assignments_visible_to, placements_editable_by
from placements.selectors import (
    HAS_HOSTED,
    counted_in_organisation_totals,
    future_peak_occupancy,
    has_room,
    idle_state_values,
    peak_occupancy,
    placement_list,
    with_free_slot,
)
from placements.signals import assignments_changed

IDLE_REFRESH_BATCH = 2000


def placements_count_change(delta: int) -> None:
    """Add `delta` placements (negative: removed) to the stored number of placements (PlacementCountChange, today's
    row; one upsert). Every writer that adds or deletes placements calls it in the same transaction."""
    day_count_add(PlacementCountChange, delta)


_totals_collecting = threading.local()


@contextmanager
def organisation_totals_collected():
    """Inside, organisation_totals_changed only collects the organisations it is given (a set, yielded); the caller
    writes their tokens once, as its last write, after the waiting count rows its waiting periods change (recording
    or correcting an exit, the history import: their assignments' writes come before their waiting periods'
    refresh). Every writer then takes the count rows before the tokens: the other order deadlocks with a host's
    booking step in the same organisation and agency. Inside another such block it collects into that block's
    set."""
    outer = getattr(_totals_collecting, "ids", None)
    if outer is not None:
        yield outer
        return
    _totals_collecting.ids = collected = set()
    try:
        yield collected
    finally:
        del _totals_collecting.ids


def organisation_totals_changed(organisation_ids=None, *, using: str = "default") -> None:
    """Leave behind the cached organisation totals of the trees the given organisations are in (placements.
    selectors.organisation_totals_cached): a new token for each of them (None: every organisation) in their
    OrganisationTotalsToken rows, written (or created) in one statement, in key order.

    Every writer of what the totals are summed from calls it inside its transaction with the organisations whose
    placements' figures it changed: placements (create, edit, pause, reopen, close, the import: the organisations
    of their units, before and after a move; organisations_of_placements, organisations_of_units), their
    assignments (every booking step that starts or ends one, end corrections and the history import, through
    _assignments_written), a unit moved to another organisation (both, _unit_saved below); every organisation
    after the demo builder, its reset and a migration run. The rows stay locked until the writer commits, so each
    writer calls it as its last write: it then takes no other lock while holding these. A reader reads the tokens
    before the totals, so totals cached under a token were summed after it was committed."""
    collected = getattr(_totals_collecting, "ids", None)
    if collected is not None and organisation_ids is not None and using == "default":
        collected.update(organisation_ids)
        return
    if organisation_ids is None:
        organisation_ids = Organisation.objects.using(using).values_list("pk", flat=True)
    ids = sorted(set(organisation_ids))
    if ids:
        OrganisationTotalsToken.objects.using(using).bulk_create(
            [OrganisationTotalsToken(organisation_id=pk, token=uuid.uuid4()) for pk in ids],
            update_conflicts=True, unique_fields=["organisation"], update_fields=["token"])


def organisations_of_units(unit_ids, *, using: str = "default") -> set[int]:
    """The organisations of the units, the units share-locked on PostgreSQL (FOR SHARE, key order) until the writer
    commits: a unit moved to another organisation meanwhile (_unit_saved replaces both organisations' tokens)
    waits for this writer, or this writer waits for the move and reads the organisation it moved to. Without the
    lock a writer could replace the token of the organisation its unit has just left, and the totals of the one it
    joined, summed between the two commits, would stay cached without this writer's change."""
    ids = sorted(set(unit_ids))
    if not ids:
        return set()
    db = connections[using]
    units = Unit.objects.using(using).filter(pk__in=ids).order_by("pk").values_list("organisation_id")
    sql, params = units.query.sql_with_params()
    if db.vendor == "postgresql" and db.in_atomic_block:
        sql += " FOR SHARE"
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def organisations_of_placements(placement_ids, *, using: str = "default") -> set[int]:
    """The organisations of the placements' units (organisations_of_units). The caller holds the placements
    locked (their unit stays) or has just created them."""
    ids = set(placement_ids)
    if not ids:
        return set()
    return organisations_of_units(
        Placement.objects.using(using).filter(pk__in=ids).values_list("unit_id", flat=True).distinct(), using=using)


def _unit_saving(sender, *, instance, raw: bool = False, using: str = "default", **kwargs) -> None:
    """Before a unit's save: the organisation it is in now, the row locked inside a transaction (the admin, unit_save)
    so that two moves of one unit replace the tokens one after the other, each of where the other left it."""
    instance._organisation_before_save = None
    if raw or instance.pk is None:
        return
    stored = Unit.objects.using(using).filter(pk=instance.pk)
    if connections[using].in_atomic_block:
        stored = stored.select_for_update()
    instance._organisation_before_save = stored.values_list("organisation_id", flat=True).first()


def _unit_saved(sender, *, instance, created: bool = False, raw: bool = False, using: str = "default",
                **kwargs) -> None:
    """Every save of a unit (unit_save, the admin and its history revert, the factories of the tests) that moves
    it to another organisation moves its placements' figures: both organisations' tokens. A new unit has no
    placements yet, and a unit is deleted only without placements (PROTECT): nothing moves."""
    before = getattr(instance, "_organisation_before_save", None)
    if not raw and not created and before != instance.organisation_id:
        organisation_totals_changed({instance.organisation_id} | ({before} if before is not None else set()),
                                    using=using)


def _organisation_saved(sender, *, instance, created: bool = False, raw: bool = False, using: str = "default",
                        **kwargs) -> None:
    """A new organisation gets its token at once, so that its tree is cached from the first request (an
    organisation without one has its tree summed on every request)."""
    if created and not raw:
        organisation_totals_changed([instance.pk], using=using)


def organisation_totals_migrated(sender, *, using: str = "default", **kwargs) -> None:
    """After `migrate` (connected in PlacementsConfig.ready): a migration may rewrite placements in bulk, and a
    database just restored from a backup is migrated before it serves. One migrated back to before the token table
    has none to write."""
    if OrganisationTotalsToken._meta.db_table in connections[using].introspection.table_names():
        organisation_totals_changed(using=using)


pre_save.connect(_unit_saving, sender=Unit, dispatch_uid="organisation-totals-unit-saving")
post_save.connect(_unit_saved, sender=Unit, dispatch_uid="organisation-totals-unit-saved")
post_save.connect(_organisation_saved, sender=Organisation, dispatch_uid="organisation-totals-organisation-saved")


def placements_refresh_idle(*, placement_ids=None, on: dt.date | None = None) -> int:
    """Store each placement's idle values (Placement.idle_last_end, idle_next_end, idle_occupied_from) from its
    assignments as of `on` (default today), in one UPDATE; all placements when `placement_ids` is None. Every write
    of an assignment calls this for the placements it touched (here through _assignments_written: the booking
    steps, closing a placement, the history import; and the demo builder); placements_refresh_stale_idle keeps
    them current as the days pass. Returns the number of placements updated.

    The placements are locked first, in key order: a writer of the same placement that got there first has then
    committed, and the UPDATE (whose subqueries read the assignments as they stood when it began) sees its
    assignments. Without the lock it waits for that writer's row only inside the UPDATE, and writes values that
    leave its assignments out."""
    on = on or timezone.localdate()
    values = idle_state_values(Assignment, on=on)
    with transaction.atomic(savepoint=False):
        if placement_ids is None:
            list(Placement.objects.select_for_update().order_by("pk").values_list("pk"))
            return Placement.objects.update(**values)
        ids = sorted(set(placement_ids))
        updated = 0
        for i in range(0, len(ids), IDLE_REFRESH_BATCH):
            batch = Placement.objects.filter(pk__in=ids[i:i + IDLE_REFRESH_BATCH])
            list(batch.select_for_update().order_by("pk").values_list("pk"))
            updated += batch.update(**values)
        return updated


def placements_refresh_stale_idle(*, on: dt.date | None = None) -> int:
    """Refresh the placements whose stored idle values are not what their assignments give for `on`: those a
    passed period end has made stale (the selectors answer them from the assignments, exact but slower) and any a
    writer outside the services left wrong. Reads every placement's values once (seconds at national scale),
    writes only those that differ. Run daily; returns the number refreshed."""
    on = on or timezone.localdate()
    fresh = {f"fresh_{name}": value for name, value in idle_state_values(Assignment, on=on).items()}
    differs = Q()
    for name in IDLE_STATE_FIELDS:
        stored, computed = name, f"fresh_{name}"
        differs |= (Q(**{f"{stored}__isnull": True, f"{computed}__isnull": False})
                    | Q(**{f"{stored}__isnull": False, f"{computed}__isnull": True})
                    | Q(**{f"{stored}__lt": F(computed)}) | Q(**{f"{stored}__gt": F(computed)}))
    ids = list(Placement.objects.annotate(**fresh).filter(differs).values_list("pk", flat=True))
    return placements_refresh_idle(placement_ids=ids, on=on) if ids else 0


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


def _notify(*, template: str, assignment: Assignment, recipients: list[str], **extra) -> None:
    """E-mail a booking step in the site's language. core.mail.email_queue keeps each address once, drops the
    empty ones and strips the subject; with no address at all nothing is read or rendered."""
    if not any(recipients):
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {"assignment": assignment, "site_url": settings.SITE_URL,
                   "requester": contact_of(assignment.requested_by), "decider": contact_of(assignment.decided_by),
                   "unit": unit_contacts(assignment.placement.unit), **extra}
        subject = render_plain(f"placements/email/{template}_subject.txt", context)
        body = render_plain(f"placements/email/{template}.txt", context)
    # Only for an assignment that was saved; core.mail sends it in the background and keeps failures visible.
    transaction.on_commit(partial(email_queue, to=recipients, subject=subject, body=body))


def _manager_emails(placement: Placement) -> list[str]:
    return list(managers_of_unit(placement.unit).values_list("email", flat=True))


def _leader_emails() -> list[str]:
    return list(User.objects.filter(role=Role.LEADER, is_active=True).values_list("email", flat=True))


@transaction.atomic
def assignment_request(*, user, referral, placement: Placement, start_date: dt.date, planned_end_date: dt.date,
                       supervisor=None) -> Assignment:
    """A case worker (or the project leader) asks a placement for a participant's start."""
    if not _may_request_for(user, referral):
        raise PermissionDenied
    # One open assignment per start: the start's row is locked so that simultaneous requests (a double
    # click, two tabs, two placements at once) queue here and all but the first find the open one. The partial
    # unique index assignment_one_open_per_referral is the last line if a writer ever skips this.
    type(referral).objects.select_for_update().filter(pk=referral.pk).first()
    if Assignment.objects.filter(referral=referral, status__in=Assignment.OPEN).exists():
        raise ValidationError(_("Deltagaren har redan en förfrågad eller pågående placering."))
    # Then the placement, read locked: a pause or close of it waits for this request, or this request for it and
    # then finds it paused or closed (placement_close withdraws the requests it finds once it holds the placement).
    # A writer that holds a placement and then waits for a start writes an open assignment of that start (or holds
    # the start first, as an exit's correction), so this request is refused above before it reaches the placement.
    placement = Placement.objects.select_for_update(of=("self",)).select_related("unit").get(pk=placement.pk)
    if placement.status != Placement.Status.OPEN:
        raise ValidationError(_("Platsen tar inte emot förfrågningar just nu."))
    _check_period(placement=placement, referral=referral, start_date=start_date, planned_end_date=planned_end_date)
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                placement=placement, referral=referral, start_date=start_date, planned_end_date=planned_end_date,
                supervisor=supervisor or placement.supervisor, requested_by=user,
            )
    except IntegrityError:
        raise ValidationError(_("Deltagaren har redan en förfrågad eller pågående placering.")) from None
    _assignments_written([assignment], statuses_before=())
    _audit_assignment(user, assignment, AuditEvent.Action.CREATE, "förfrågad")
    managers = _manager_emails(placement)
    if any(managers):
        _notify(template="requested", assignment=assignment, recipients=managers)
    else:
        # A host without a manager to write to (no account, e.g. a state agency, or none with an address): the
        # project leader answers in its place.
        _notify(template="requested", assignment=assignment, recipients=_leader_emails(), to_leader=True)
    return assignment


def _assignments_written(assignments, *, statuses_before=None) -> None:
    """Every write of assignments ends here, inside its transaction: their placements' stored idle values
    (placements_refresh_idle), then the layers above told which starts changed (placements.signals.
    assignments_changed), then the cached organisation totals left behind (organisation_totals_changed) unless
    the totals cannot have changed: `statuses_before` (the written assignments' statuses before the write, () for
    new ones; None: not known) and their statuses now are all statuses the totals do not count
    (placements.selectors.counted_in_organisation_totals), as for a request, its confirmation, decline or
    withdrawal."""
    assignments = list(assignments)
    if not assignments:
        return
    placements_refresh_idle(placement_ids={a.placement_id for a in assignments})
    assignments_changed.send(sender=Assignment, referral_ids=[a.referral_id for a in assignments])
    if statuses_before is None or any(counted_in_organisation_totals(status)
                                      for status in (*statuses_before, *(a.status for a in assignments))):
        organisation_totals_changed(organisations_of_placements({a.placement_id for a in assignments}))


def _audit_assignment(user, assignment: Assignment, action: str, what: str) -> None:
    """An assignment is part of a participant's record: log it under the participant, so the leader's search for
    one person shows every change to their placements too."""
    participant_id = assignment.referral.participant_id
    audit_log(user=user, action=action, object_type="participants.Participant", object_id=participant_id,
              object_repr=str(assignment)[:200], detail=f"Placering {assignment.pk}: {what}")


def _lock_and_check_capacity(assignment: Assignment, *, must_be_open: bool = False) -> Placement:
    placement = Placement.objects.select_for_update().get(pk=assignment.placement_id)
    if must_be_open and placement.status != Placement.Status.OPEN:
        raise ValidationError(_("Platsen är pausad eller stängd. Öppna platsen igen innan förfrågan bekräftas."))
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
    _lock_and_check_capacity(assignment, must_be_open=True)
    assignment.status = Assignment.Status.CONFIRMED
    assignment.decided_by = user
    assignment.decided_at = timezone.now()
    assignment.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    _assignments_written([assignment], statuses_before=[Assignment.Status.REQUESTED])
    _audit_assignment(user, assignment, AuditEvent.Action.UPDATE, "bekräftad")
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
    _assignments_written([assignment], statuses_before=[Assignment.Status.REQUESTED])
    _audit_assignment(user, assignment, AuditEvent.Action.UPDATE, "avböjd")
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
    _assignments_written([assignment])
    _audit_assignment(user, assignment, AuditEvent.Action.UPDATE, "startad")
    return assignment


def _get_endable_for_update(user, assignment: Assignment) -> Assignment:
    """The assignment locked, if the user may end it (or correct its end): the project leader, the referring
    agency's case worker, or the host who decides on it."""
    assignment = _get_for_update(assignments_visible_to(user), assignment)
    if not (is_leader(user) or _may_request_for(user, assignment.referral)
            or assignments_decidable_by(user).filter(pk=assignment.pk).exists()):
        raise PermissionDenied
    return assignment


@transaction.atomic
def assignment_complete(*, user, assignment: Assignment, end_date: dt.date) -> Assignment:
    assignment = _get_endable_for_update(user, assignment)
    if assignment.status not in Assignment.OCCUPYING:
        raise ValidationError(_("Bara bekräftade eller pågående placeringar kan avslutas."))
    if end_date < assignment.start_date:
        raise ValidationError({"end_date": _("Slutdatum kan inte vara före startdatum.")})
    assignment.status = Assignment.Status.COMPLETED
    assignment.end_date = end_date
    assignment.save(update_fields=["status", "end_date", "updated_at"])
    _assignments_written([assignment])
    _audit_assignment(user, assignment, AuditEvent.Action.UPDATE, "avslutad")
    return assignment


def assignment_end_correct(*, user, assignment: Assignment, end_date: dt.date) -> Assignment:
    """Move a completed assignment's actual end (its start's exit date was corrected). Moved later, the placement
    needs room on the days it adds, counting everyone who was there then (those completed since too). The
    transaction is a `with` block, not the decorator, so that mutation testing reaches the function."""
    with transaction.atomic():
        assignment = _get_endable_for_update(user, assignment)
        if assignment.status != Assignment.Status.COMPLETED:
            raise ValidationError(_("Bara avslutade placeringar kan få ett rättat slutdatum."))
        if end_date < assignment.start_date:
            raise ValidationError({"end_date": _("Slutdatum kan inte vara före startdatum.")})
        old_end = assignment.end_date
        if end_date == old_end:
            return assignment
        if end_date > old_end:
            placement = Placement.objects.select_for_update().get(pk=assignment.placement_id)
            first_added = old_end + dt.timedelta(days=1)
            if peak_occupancy(placement=placement, start=first_added, end=end_date,
                              statuses=HAS_HOSTED) >= placement.capacity:
                raise ValidationError({"end_date": _(
                    "Platsen %(placement)s har ingen ledig plats %(first)s–%(last)s, så placeringen kan inte pågå "
                    "till det nya slutdatumet.") % {"placement": placement.title, "first": first_added.isoformat(),
                                                    "last": end_date.isoformat()}})
        assignment.end_date = end_date
        assignment._history_user = user
        assignment.save(update_fields=["end_date", "updated_at"])
        _assignments_written([assignment])
        _audit_assignment(user, assignment, AuditEvent.Action.UPDATE,
                          f"slutdatum rättat {old_end.isoformat()} → {end_date.isoformat()}")
        return assignment


def assignment_withdrawn_on_correct(*, user, assignment: Assignment, withdrawn_on: dt.date) -> Assignment:
    """Move the day a withdrawn request or booking was taken back (its start's exit, which withdrew it, was
    corrected to another date)."""
    with transaction.atomic():
        assignment = _get_for_update(assignments_visible_to(user), assignment)
        if not (is_leader(user) or _may_request_for(user, assignment.referral)):
            raise PermissionDenied
        if assignment.status != Assignment.Status.WITHDRAWN:
            raise ValidationError(_("Bara återtagna placeringar kan få ett rättat återtagandedatum."))
        old = assignment.withdrawn_on
        if withdrawn_on == old:
            return assignment
        assignment.withdrawn_on = withdrawn_on
        assignment._history_user = user
        assignment.save(update_fields=["withdrawn_on", "updated_at"])
        _assignments_written([assignment])
        _audit_assignment(user, assignment, AuditEvent.Action.UPDATE,
                          f"återtagandedatum rättat {old.isoformat() if old else '–'} → {withdrawn_on.isoformat()}")
        return assignment


@transaction.atomic
def assignment_withdraw(*, user, assignment: Assignment, reason: str = "", on: dt.date | None = None) -> Assignment:
    """The referring side takes back a request or ends a confirmed assignment before it starts (`on`: default today)."""
    assignment = _get_for_update(assignments_visible_to(user), assignment)
    if not (is_leader(user) or _may_request_for(user, assignment.referral)):
        raise PermissionDenied
    if assignment.status not in (Assignment.Status.REQUESTED, Assignment.Status.CONFIRMED):
        raise ValidationError(_("Bara förfrågade eller bekräftade placeringar kan återtas."))
    before = assignment.status
    assignment.status = Assignment.Status.WITHDRAWN
    assignment.decline_reason = reason.strip()
    assignment.withdrawn_on = on or timezone.localdate()
    assignment.save(update_fields=["status", "decline_reason", "withdrawn_on", "updated_at"])
    _assignments_written([assignment], statuses_before=[before])
    _audit_assignment(user, assignment, AuditEvent.Action.UPDATE, "återtagen")
    _notify(template="withdrawn", assignment=assignment, recipients=_manager_emails(assignment.placement))
    return assignment


# --- Placements: register, edit, pause, reopen, close ----------------------------------------------

PLACEMENT_FIELDS = ("code", "title", "unit", "occupational_area", "tasks", "capacity", "available_from",
                    "available_to", "supervisor")


UNIT_OUT_OF_SCOPE = _lazy("Du kan bara registrera platser vid dina egna enheter.")
SUPERVISOR_OUT_OF_SCOPE = _lazy("Du kan bara välja handledare i din egen organisation.")
CODE_TAKEN = _lazy("Platskoden används redan av en annan plats.")


def placements_out_of_scope(user, *, unit_ids, supervisor_ids) -> tuple[set, set]:
    """The unit ids and supervisor ids among these that `user` may not give a placement (one query each, none
    for an empty list). The one scope rule of create, update and import."""
    unit_ids, supervisor_ids = set(unit_ids), {pk for pk in supervisor_ids if pk is not None}
    allowed_units = set(units_managed_by(user).filter(pk__in=unit_ids).values_list("pk", flat=True)) \
        if unit_ids else set()
    allowed_supervisors = set(supervisors_editable_by(user).filter(pk__in=supervisor_ids)
                              .values_list("pk", flat=True)) if supervisor_ids else set()
    return unit_ids - allowed_units, supervisor_ids - allowed_supervisors


def placement_value_errors(*, values: dict, current_capacity: int | None, booked) -> dict[str, str]:
    """The domain rules of a placement's values, by field: the period's order, at least one slot, and a
    capacity that does not drop below the largest number booked from today on (`booked()`, asked only when the
    capacity drops; `current_capacity` None for a new placement). The one place of these rules: the form
    services and the import call it."""
    errors = {}
    start, end = values.get("available_from"), values.get("available_to")
    if start and end and end < start:
        errors["available_to"] = _("Tillgänglig till kan inte vara före tillgänglig från.")
    capacity = values.get("capacity")
    if capacity is None or capacity < 1:
        errors["capacity"] = _("Antal platser måste vara minst 1.")
    elif current_capacity is not None and capacity < current_capacity:
        peak = booked()
        if capacity < peak:
            errors["capacity"] = _(
                "Antal platser kan inte vara lägre än det största antalet bokade deltagare framöver (%(n)s)."
            ) % {"n": peak}
    return errors


def placement_codes_taken(codes, *, except_pk=None) -> set[str]:
    """Those of `codes` that another placement already has (one query, none without a code)."""
    codes = [code for code in codes if code]
    if except_pk is None or not codes:
        return existing_values(Placement, "code", codes)
    return set(Placement.objects.filter(code__in=codes).exclude(pk=except_pk).values_list("code", flat=True))


def _check_placement(*, user, placement: Placement | None, values: dict, adaptations) -> None:
    """Scope and domain checks of create and update (the import applies the same functions in bulk). Raises
    ValidationError in Swedish."""
    unit, supervisor = values.get("unit"), values.get("supervisor")
    bad_units, bad_supervisors = placements_out_of_scope(
        user, unit_ids=[unit.pk] if unit is not None else [],
        supervisor_ids=[supervisor.pk] if supervisor is not None else [])
    if unit is None or bad_units:
        raise PermissionDenied(UNIT_OUT_OF_SCOPE)
    if bad_supervisors:
        raise PermissionDenied(SUPERVISOR_OUT_OF_SCOPE)
    existing = placement is not None and placement.pk
    errors = placement_value_errors(values=values, current_capacity=placement.capacity if existing else None,
                                    booked=partial(future_peak_occupancy, placement=placement))
    if placement_codes_taken([values.get("code")], except_pk=placement.pk if existing else None):
        errors["code"] = str(CODE_TAKEN)
    if errors:
        raise ValidationError(errors)


def placement_validate(*, user, placement: Placement | None, values: dict) -> None:
    """The checks of placement_create/placement_update without writing, for forms that show the errors
    beside the fields (the Django admin); the services check again when they write."""
    _check_placement(user=user, placement=placement, values=values, adaptations=None)


@transaction.atomic
def placement_create(*, user, title: str, unit, occupational_area, capacity: int, available_from: dt.date,
                     available_to: dt.date | None = None, tasks: str = "", code: str | None = None,
                     supervisor=None, adaptations=(), attested: bool) -> Placement:
    """A manager (or the project leader) registers a placement and attests that it displaces no hiring."""
    values = {"code": code or None, "title": title, "unit": unit, "occupational_area": occupational_area,
              "tasks": tasks, "capacity": capacity, "available_from": available_from,
              "available_to": available_to, "supervisor": supervisor}
    _check_placement(user=user, placement=None, values=values, adaptations=adaptations)
    if not attested:
        raise ValidationError({"attested": _(
            "Du måste intyga att arbetsuppgifterna inte tränger undan ordinarie anställningar.")})
    placement = Placement(**values, attested_no_displacement=True, attested_by=user, attested_at=timezone.now(),
                          created_by=user)
    placement._history_user = user
    placement.full_clean(exclude=["unit", "occupational_area", "supervisor"])
    placement.save()
    placements_count_change(1)
    placement.adaptations.set(adaptations)
    organisation_totals_changed(organisations_of_units([placement.unit_id]))
    return placement


@transaction.atomic
def placement_update(*, user, placement: Placement, adaptations=None, attested: bool = False,
                     **changes) -> Placement:
    """Change a placement's fields; the capacity may not drop below what is booked from today on."""
    unknown = set(changes) - set(PLACEMENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown placement fields: {sorted(unknown)}")
    placement = _editable_for_update(user, placement)
    unit_before = placement.unit_id
    # The placement must be editable where it is now and where it is moved to.
    values = {name: getattr(placement, name) for name in PLACEMENT_FIELDS} | changes
    if "code" in changes:
        values["code"] = changes["code"] or None
    _check_placement(user=user, placement=placement, values=values, adaptations=adaptations)
    for name, value in values.items():
        setattr(placement, name, value)
    if attested:
        placement.attested_no_displacement = True
        placement.attested_by = user
        placement.attested_at = timezone.now()
    placement._history_user = user
    placement.full_clean(exclude=["unit", "occupational_area", "supervisor"])
    placement.save()
    if adaptations is not None:
        placement.adaptations.set(adaptations)
    organisation_totals_changed(organisations_of_units({unit_before, placement.unit_id}))
    return placement


def _editable_for_update(user, placement: Placement) -> Placement:
    try:
        return placements_editable_by(user).select_for_update(of=("self",)).get(pk=placement.pk)
    except Placement.DoesNotExist:
        raise PermissionDenied from None


def _set_status(*, user, placement: Placement, status: str, allowed_from: tuple, message: str) -> Placement:
    placement = _editable_for_update(user, placement)
    if placement.status not in allowed_from:
        raise ValidationError(message)
    placement.status = status
    placement.closed_on = timezone.localdate() if status == Placement.Status.CLOSED else None
    placement._history_user = user
    placement.save(update_fields=["status", "closed_on", "updated_at"])
    return placement


@transaction.atomic
def placement_pause(*, user, placement: Placement) -> Placement:
    """Paused: takes no new requests for now, existing assignments stay."""
    placement = _set_status(user=user, placement=placement, status=Placement.Status.PAUSED,
                            allowed_from=(Placement.Status.OPEN,), message=_("Bara öppna platser kan pausas."))
    organisation_totals_changed(organisations_of_units([placement.unit_id]))
    return placement


@transaction.atomic
def placement_reopen(*, user, placement: Placement) -> Placement:
    placement = _set_status(user=user, placement=placement, status=Placement.Status.OPEN,
                            allowed_from=(Placement.Status.PAUSED, Placement.Status.CLOSED),
                            message=_("Platsen är redan öppen."))
    organisation_totals_changed(organisations_of_units([placement.unit_id]))
    return placement


def _lock_pending_then_placement(user, placement: Placement) -> list[Assignment]:
    """The placement's pending requests locked, then the placement (PermissionDenied if the user may not edit it):
    the requests first, as every assignment service locks its assignment before the placement
    (placements_refresh_idle); the other order deadlocks with a host answering one of them. A request sent while
    the requests were read (assignment_request holds the placement until it commits) is found once the placement is
    held: the locks are then given back (a savepoint) and taken again in the same order, with it among them."""
    while True:
        with transaction.atomic():
            pending = list(Assignment.objects.select_for_update(of=("self",))
                           .filter(placement=placement, status=Assignment.Status.REQUESTED).order_by("pk")
                           .select_related("referral", "requested_by", "placement__unit"))
            _editable_for_update(user, placement)
            if not (Assignment.objects.filter(placement=placement, status=Assignment.Status.REQUESTED)
                    .exclude(pk__in=[assignment.pk for assignment in pending]).exists()):
                return pending
            transaction.set_rollback(True)


@transaction.atomic
def placement_close(*, user, placement: Placement) -> Placement:
    """Closed: no longer offered. Refused while participants are booked or placed there from today on; its
    pending requests are withdrawn (and their senders told), so none waits for an answer that cannot come."""
    pending = _lock_pending_then_placement(user, placement)
    # Read with the placement locked: a booking confirmed or a request sent at the same time has committed first
    # (and is counted here) or waits for the close (and then finds the placement closed).
    if future_peak_occupancy(placement=placement) > 0:
        raise ValidationError(_(
            "Platsen har bokade eller pågående placeringar. Avsluta eller flytta dem innan platsen stängs."))
    placement = _set_status(user=user, placement=placement, status=Placement.Status.CLOSED,
                            allowed_from=(Placement.Status.OPEN, Placement.Status.PAUSED),
                            message=_("Platsen är redan stängd."))
    withdrawn = []
    for assignment in pending:
        assignment.status = Assignment.Status.WITHDRAWN
        assignment.decline_reason = _("Platsen stängdes.")
        assignment.decided_by = user
        assignment.decided_at = timezone.now()
        # withdrawn that day, as assignment_withdraw records it: the waiting list reads the request as pending
        # until then and as nothing after (never as booked)
        assignment.withdrawn_on = timezone.localdate()
        assignment.save(update_fields=["status", "decline_reason", "decided_by", "decided_at", "withdrawn_on",
                                       "updated_at"])
        withdrawn.append(assignment)
        _audit_assignment(user, assignment, AuditEvent.Action.UPDATE, "återtagen (platsen stängdes)")
        _notify(template="declined", assignment=assignment,
                recipients=[assignment.requested_by.email if assignment.requested_by else ""])
    _assignments_written(withdrawn, statuses_before=[Assignment.Status.REQUESTED] * len(withdrawn))
    organisation_totals_changed(organisations_of_units([placement.unit_id]))
    return placement


# --- Import (reading and validation live in placements.imports) ------------------------------------

IMPORT_BATCH = 1000


class ImportRowError(ValidationError):
    """A row that the write step refuses (the database changed since validation); carries the row number."""

    def __init__(self, row: int, message: str):
        super().__init__(message)
        self.row = row


# The columns of a new placement as the import writes them (copy_rows): every other column gets its default.
_IMPORT_COLUMNS = ("created_at", "updated_at", "code", "title", "unit_id", "occupational_area_id", "tasks",
                   "capacity", "status", "available_from", "available_to", "supervisor_id",
                   "attested_no_displacement", "attested_by_id", "attested_at", "created_by_id")


def _history_m2m_rows(historical, placements, links_by_placement) -> list:
    """The m2m part of each historical placement row, as simple_history writes it after a save()."""
    m2m_model = Placement.history.model.adaptations.model
    return [m2m_model(history=record, id=link.pk, placement_id=placement.pk, adaptation_id=link.adaptation_id)
            for record, placement in zip(historical, placements, strict=True)
            for link in links_by_placement.get(placement.pk, ())]


def _write_new_placements(creates: list, *, user, attested: bool, now, progress=None) -> list[int]:
    """The new placements of an import as tuples (COPY, no model instance per row), their adaptation links, the
    history row of each and its m2m part, in batches. Returns the new primary keys in the rows' order."""
    through = Placement.adaptations.through
    m2m_history = Placement.history.model.adaptations.model
    user_id = getattr(user, "pk", None)
    attested_by, attested_at = (user_id, now) if attested else (None, None)
    columns = ("id", *_IMPORT_COLUMNS)
    pks: list[int] = []
    for start in range(0, len(creates), IMPORT_BATCH):
        batch = creates[start:start + IMPORT_BATCH]
        rows = [(now, now, values["code"], values["title"], values["unit"].pk, values["occupational_area"].pk,
                 values["tasks"], values["capacity"], Placement.Status.OPEN, values["available_from"],
                 values["available_to"], getattr(values["supervisor"], "pk", None), attested, attested_by,
                 attested_at, user_id) for values, _adaptations in batch]
        batch_pks = copy_rows(Placement, _IMPORT_COLUMNS, rows, returning_pk=True)
        placements_count_change(len(batch_pks))
        rows = [(pk, *row) for pk, row in zip(batch_pks, rows, strict=True)]
        link_keys = [(pk, adaptation.pk) for pk, (_values, adaptations) in zip(batch_pks, batch, strict=True)
                     for adaptation in adaptations]
        link_pks = copy_rows(through, ("placement_id", "adaptation_id"), link_keys, returning_pk=True)
        history_pks = copy_history_rows(Placement, columns, rows, user=user, date=now)
        history_of = dict(zip(batch_pks, history_pks, strict=True))
        copy_rows(m2m_history, ("history_id", "id", "placement_id", "adaptation_id"),
                  [(history_of[placement_id], link_pk, placement_id, adaptation_id)
                   for link_pk, (placement_id, adaptation_id) in zip(link_pks, link_keys, strict=True)])
        pks.extend(batch_pks)
        if progress is not None:
            progress(len(pks))
    return pks


def _refuse_row(row: int, errors: dict) -> None:
    if errors:
        raise ImportRowError(row, next(iter(errors.values())))


@transaction.atomic
def placements_import_write(*, user, rows, attested: bool, progress=None) -> list[int]:
    """Write validated import rows in bulk: new units, new placements, changed placements, their adaptations and
    the change history of each, a constant number of statements per thousand rows and no savepoint per row.
    Returns the primary keys of the placements written (the new ones first).

    The rows' values were parsed and checked by placements.imports (lengths, references), so no per-row model
    validation runs here (it would query every foreign key); the database constraints stand behind it. The
    placement rules of create and update apply here as well, through the same functions
    (`placements_out_of_scope`, `placement_value_errors`, `placement_codes_taken`); placements that change
    are locked first. `user=None` is a system import (management command) with full rights. Any refusal raises
    (an ImportRowError names the row) and the caller's transaction writes nothing.
    """
    if user is not None and not attested:
        raise ValidationError(_("Du måste intyga att arbetsuppgifterna inte tränger undan ordinarie anställningar."))
    now = timezone.now()
    editable = set(placements_editable_by(user).values_list("pk", flat=True)) if user is not None else None

    new_units: dict[tuple[int, str], Unit] = {}
    for row in rows:
        if "unit" not in row.values:
            organisation, name = row.values["_organisation"], row.values["_unit_name"]
            new_units.setdefault((organisation.pk, name.lower()), Unit(
                organisation=organisation, name=name, municipality=row.values["_municipality"]))
    if new_units:
        for unit in new_units.values():
            unit.clean_fields()
        copy_insert_with_history(Unit, list(new_units.values()), user=user, date=now)

    planned = []
    for row in rows:
        values = {key: value for key, value in row.values.items() if not key.startswith("_")}
        if "unit" not in values:
            values["unit"] = new_units[(row.values["_organisation"].pk, row.values["_unit_name"].lower())]
        values.setdefault("supervisor", None)
        planned.append((row, values))
    if user is not None:
        bad_units, bad_supervisors = placements_out_of_scope(
            user, unit_ids=[values["unit"].pk for _row, values in planned],
            supervisor_ids=[getattr(values["supervisor"], "pk", None) for _row, values in planned])
        for row, values in planned:
            if values["unit"].pk in bad_units:
                raise ImportRowError(row.row, str(UNIT_OUT_OF_SCOPE))
            if getattr(values["supervisor"], "pk", None) in bad_supervisors:
                raise ImportRowError(row.row, str(SUPERVISOR_OUT_OF_SCOPE))

    # In key order, as placements_refresh_idle locks them: two writers of several placements wait, never deadlock.
    locked = {p.pk: p for p in Placement.objects.select_for_update().filter(
        pk__in=[row.placement.pk for row in rows if row.placement is not None]).order_by("pk")}
    creates, updates, changed_fields = [], [], set()
    # The units the written placements are in, before and after: their organisations' totals change.
    units_written = {p.unit_id for p in locked.values()} | {values["unit"].pk for _row, values in planned}
    adaptations: dict[int | None, list] = {}
    for row, values in planned:
        if row.placement is None:
            _refuse_row(row.row, placement_value_errors(values=values, current_capacity=None, booked=None))
            creates.append((values, row.adaptations))
            continue
        placement = locked.get(row.placement.pk)
        if placement is None or (editable is not None and placement.pk not in editable):
            raise ImportRowError(row.row, _("Du har inte behörighet att ändra platsen med den här koden."))
        _refuse_row(row.row, placement_value_errors(values=values, current_capacity=placement.capacity,
                                                    booked=partial(future_peak_occupancy, placement=placement)))
        for name, value in values.items():
            setattr(placement, name, value)
        changed_fields |= set(values)
        if attested:
            placement.attested_no_displacement, placement.attested_by, placement.attested_at = True, user, now
        placement.updated_at = now
        updates.append(placement)
        if row.adaptations:
            adaptations[placement.pk] = row.adaptations

    taken = placement_codes_taken([values["code"] for values, _a in creates])
    if taken:
        row = next(row for row, values in planned if row.placement is None and values["code"] in taken)
        raise ImportRowError(row.row, str(CODE_TAKEN))

    created = _write_new_placements(creates, user=user, attested=attested, now=now, progress=progress)
    if updates:
        through = Placement.adaptations.through
        m2m_history = Placement.history.model.adaptations.model
        fields = sorted(changed_fields | {"updated_at"} | ({"attested_no_displacement", "attested_by",
                                                             "attested_at"} if attested else set()))
        Placement.objects.bulk_update(updates, fields, batch_size=IMPORT_BATCH)
        if adaptations:
            through.objects.filter(placement_id__in=list(adaptations)).delete()
            copy_insert(through, [through(placement_id=pk, adaptation_id=a.pk)
                                  for pk, items in adaptations.items() for a in items])
        current: dict[int, list] = {}
        for link in through.objects.filter(placement_id__in=[p.pk for p in updates]):
            current.setdefault(link.placement_id, []).append(link)
        historical = copy_history(Placement, updates, user=user, date=now, history_type="~")
        copy_insert(m2m_history, _history_m2m_rows(historical, updates, current))
        if progress is not None:
            progress(len(created) + len(updates))
    organisation_totals_changed(organisations_of_units(units_written))
    return created + [p.pk for p in updates]


# --- History import: assignments of imported starts -----------------------------------------------


@dataclass
class ImportedAssignment:
    """One imported start's period at a placement. With an end date it is history (completed, written as it
    happened); without one it is ongoing from its start, or booked (confirmed) if it starts after today."""

    row: int
    placement: Placement
    start_date: dt.date
    planned_end_date: dt.date
    end_date: dt.date | None = None
    referral_id: int | None = None

    def status(self, today: dt.date) -> str:
        if self.end_date is not None:
            return Assignment.Status.COMPLETED
        return Assignment.Status.ONGOING if self.start_date <= today else Assignment.Status.CONFIRMED


def assignments_import_check(*, rows, lock: bool = False) -> list[tuple[int, str]]:
    """(row, message) for each ongoing or future assignment that the placement cannot take: closed, or full on
    some day of the period counting the register's booked assignments and the earlier rows of the same file.
    Past rows are history and are not checked. Reads only; with `lock` the placements are locked first (the
    write step)."""
    current = [b for b in rows if b.end_date is None]
    if not current:
        return []
    ids = {b.placement.pk for b in current}
    placements = Placement.objects.filter(pk__in=ids)
    if lock:
        placements = placements.select_for_update().order_by("pk")  # the order placements_refresh_idle locks in
    by_pk = {p.pk: p for p in placements}
    periods: dict[int, list] = {pk: [] for pk in ids}
    occupying = (Assignment.objects.filter(placement_id__in=ids, status__in=Assignment.OCCUPYING)
                 .values_list("placement_id", "start_date", "end_date", "planned_end_date"))
    for placement_id, start, end, planned_end in occupying:
        periods[placement_id].append((start, end or planned_end))
    problems = []
    for b in current:
        placement = by_pk[b.placement.pk]
        if placement.status == Placement.Status.CLOSED:
            problems.append((b.row, _("Platsen %(code)s är stängd och kan inte ta en pågående eller kommande "
                                      "placering.") % {"code": placement.code}))
            continue
        if not has_room(capacity=placement.capacity, periods=periods[placement.pk], start=b.start_date,
                        end=b.planned_end_date):
            problems.append((b.row, _("Platsen %(code)s är fullbokad under perioden %(start)s–%(end)s (%(n)s "
                                      "platser).") % {"code": placement.code, "start": b.start_date,
                                                      "end": b.planned_end_date, "n": placement.capacity}))
            continue
        periods[placement.pk].append((b.start_date, b.planned_end_date))
    return problems


def assignments_import(*, user, rows, today: dt.date | None = None) -> list[Assignment]:
    """Write the assignments of imported starts in bulk, with their history: the placements are locked and their
    capacity checked for ongoing and future rows (as a confirmation would), past rows written as history."""
    today = today or timezone.localdate()
    problems = assignments_import_check(rows=rows, lock=True)
    if problems:
        raise ImportRowError(*problems[0])
    assignments = [
        Assignment(placement=b.placement, referral_id=b.referral_id, start_date=b.start_date,
                   planned_end_date=b.planned_end_date, end_date=b.end_date, status=b.status(today),
                   supervisor=b.placement.supervisor, requested_by=user, decided_by=user,
                   decided_at=timezone.now())
        for b in rows
    ]
    written = copy_insert_with_history(Assignment, assignments, user=user)
    _assignments_written(written)
    return written


# --- Weekly digest of free placements to case workers ----------------------------------------------


def free_placements_digest_send(*, on: dt.date | None = None) -> int:
    """E-mail each active case worker the placements with a free slot in their area; returns e-mails sent.

    The area is AgencyMembership.municipality when set (matched to the unit's municipality), else the
    whole region. Case workers with nothing to read get no e-mail.
    """

    on = on or timezone.localdate()
    free = list(
        placement_list(with_free_slot(Placement.objects.all(), on=on), on=on).order_by("unit__municipality", "title")
    )
    case_workers = User.objects.filter(role=Role.CASE_WORKER, is_active=True).exclude(email="").select_related(
        "agency_membership")
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for user in case_workers:
            membership = getattr(user, "agency_membership", None)
            area = (membership.municipality if membership else "").strip()
            mine = [p for p in free if not area or p.unit.municipality.lower() == area.lower()]
            if not mine:
                continue
            context = {"placements": mine, "area": area, "on": on, "site_url": settings.SITE_URL, "user": user,
                       "idle_days": settings.IDLE_PLACEMENT_DAYS}
            subject = render_plain("placements/email/digest_subject.txt", context).strip()
            body = render_plain("placements/email/digest.txt", context)
            email_queue(to=[user.email], subject=subject, body=body)
            sent += 1
    return sent
