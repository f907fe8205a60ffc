"""Writes about organisations' supervisors (handledare). Keyword-only, take the acting user, check scope."""

import datetime as dt

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.mail import email_queue, render_plain
from core.models import AuditEvent, Role, User
from core.roles import is_leader
from core.services import user_deactivate
from organisations.models import (
    AgencyMembership,
    BudgetLine,
    CategoryBase,
    ManagerScope,
    Organisation,
    Project,
    ProjectGroupMember,
    ProjectPartner,
    Supervisor,
    Unit,
)
from organisations.permissions import (
    agency_of,
    organisation_with_descendant_ids,
    organisations_managed_by,
    supervisors_editable_by,
    unit_organisations_for,
    units_managed_by,
)

SUPERVISOR_FIELDS = ("organisation", "unit", "name", "email", "phone", "training_completed_on")


def _check_supervisor(*, user, organisation: Organisation, unit: Unit | None, name: str,
                      training_completed_on: dt.date | None) -> None:
    if not organisations_managed_by(user).filter(pk=organisation.pk).exists():
        raise PermissionDenied(_("Du kan bara registrera handledare i din egen organisation."))
    errors = {}
    if unit is not None:
        if unit.organisation_id != organisation.pk:
            errors["unit"] = _("Enheten hör inte till den valda organisationen.")
        elif not units_managed_by(user).filter(pk=unit.pk).exists():
            raise PermissionDenied(_("Du kan bara välja dina egna enheter."))
    if not name.strip():
        errors["name"] = _("Ange handledarens namn.")
    if training_completed_on and training_completed_on > timezone.localdate():
        errors["training_completed_on"] = _("Utbildningsdatum kan inte ligga i framtiden.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def supervisor_create(*, user, organisation: Organisation, name: str, unit: Unit | None = None, email: str = "",
                      phone: str = "", training_completed_on: dt.date | None = None) -> Supervisor:
    _check_supervisor(user=user, organisation=organisation, unit=unit, name=name,
                      training_completed_on=training_completed_on)
    supervisor = Supervisor(organisation=organisation, unit=unit, name=name.strip(), email=email.strip().lower(),
                            phone=phone.strip(), training_completed_on=training_completed_on)
    supervisor._history_user = user
    supervisor.full_clean()
    supervisor.save()
    return supervisor


@transaction.atomic
def supervisor_update(*, user, supervisor: Supervisor, **changes) -> Supervisor:
    unknown = set(changes) - set(SUPERVISOR_FIELDS)
    if unknown:
        raise TypeError(f"unknown supervisor fields: {sorted(unknown)}")
    try:
        supervisor = supervisors_editable_by(user).select_for_update().get(pk=supervisor.pk)
    except Supervisor.DoesNotExist:
        raise PermissionDenied from None
    values = {name: getattr(supervisor, name) for name in SUPERVISOR_FIELDS} | changes
    _check_supervisor(user=user, organisation=values["organisation"], unit=values["unit"], name=values["name"],
                      training_completed_on=values["training_completed_on"])
    for name, value in values.items():
        setattr(supervisor, name, value.strip() if isinstance(value, str) else value)
    supervisor.email = supervisor.email.lower()
    supervisor._history_user = user
    supervisor.full_clean()
    supervisor.save()
    return supervisor


# --- Accounts: the project leader invites, lists and deactivates users -----------------------------------


@transaction.atomic
def account_invite(*, user, email: str, role: str, first_name: str = "", last_name: str = "",
                   organisation: Organisation | None = None, unit: Unit | None = None, agency=None,
                   request=None):
    """Create an account (no password) with its role and scope; the caller sends the invitation with
    `account_send_invitation`. Managers need an organisation (optionally one unit),
    case workers an agency."""
    if not is_leader(user):
        raise PermissionDenied
    email = (email or "").strip().lower()
    errors = {}
    if not email:
        errors["email"] = _("Ange en e-postadress.")
    elif User.objects.filter(email__iexact=email).exists():
        errors["email"] = _("Det finns redan ett konto med den e-postadressen.")
    if role not in Role.values:
        errors["role"] = _("Välj roll.")
    if role == Role.MANAGER:
        if organisation is None:
            errors["organisation"] = _("En chef behöver en organisation.")
        elif unit is not None and unit.organisation_id != organisation.pk:
            errors["unit"] = _("Enheten hör inte till den valda organisationen.")
    if role == Role.CASE_WORKER and agency is None:
        errors["agency"] = _("En handläggare behöver en myndighet.")
    if errors:
        raise ValidationError(errors)
    account = User.objects.create_user(email=email, password=None, role=role, first_name=first_name.strip(),
                                       last_name=last_name.strip())
    if role == Role.MANAGER:
        ManagerScope.objects.create(user=account, organisation=organisation, unit=unit)
    elif role == Role.CASE_WORKER:
        AgencyMembership.objects.create(user=account, agency=agency)
    audit_log(user=user, action=AuditEvent.Action.CREATE, obj=account, detail=f"Konto skapat, roll {role}",
              request=request)
    return account


def _invitation_scope(account) -> str:
    """What the new account is for, in words: the unit or organisation of a manager, a case worker's agency."""
    if account.role == Role.MANAGER:
        scope = account.manager_scopes.select_related("organisation", "unit").first()
        if scope is not None:
            return scope.unit.name + ", " + scope.organisation.name if scope.unit else scope.organisation.name
    if account.role == Role.CASE_WORKER:
        agency = agency_of(account)
        if agency is not None:
            return agency.name
    return ""


def account_send_invitation(*, request, account, invited_by=None) -> None:
    """An invitation of its own (not the generic password-reset mail, which a new user would ignore): who
    invited them, to what and why, and a link that lets them choose a password (allauth's reset key, so the
    same expiry and one-time use apply)."""
    invited_by = invited_by or getattr(request, "user", None)
    path = reverse("account_reset_password_from_key", kwargs={
        "uidb36": user_pk_to_url_str(account), "key": default_token_generator.make_token(account)})
    project = Project.objects.order_by("-start_date").first()
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "account": account,
            "inviter_name": (invited_by.get_full_name() or invited_by.email) if invited_by else "",
            "inviter_email": invited_by.email if invited_by else "",
            "role": account.role,
            "role_label": Role(account.role).label,
            "scope": _invitation_scope(account),
            "project": project,
            "link": request.build_absolute_uri(path) if request is not None else settings.SITE_URL.rstrip("/") + path,
            "login_url": settings.SITE_URL.rstrip("/") + reverse("account_login"),
            "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        }
        subject = render_plain("organisations/email/invitation_subject.txt", context).strip()
        body = render_plain("organisations/email/invitation.txt", context)
    reply_to = [invited_by.email] if invited_by and invited_by.email else None
    email_queue(to=[account.email], subject=subject, body=body, reply_to=reply_to)


@transaction.atomic
def account_deactivate(*, user, account, request=None):
    """Deactivate (never delete: the audit log and history keep pointing at the account)."""
    return user_deactivate(user=user, account=account, request=request)


# --- Set-up: organisations, units, the project, category lists -------------------------------------------

ORGANISATION_FIELDS = ("name", "kind", "parent", "employee_count", "baseline_percent", "placement_target_percent")
UNIT_FIELDS = ("organisation", "name", "municipality", "address", "postal_code", "postal_town", "manager_name",
               "manager_email", "manager_phone")
PROJECT_FIELDS = ("slug", "name", "owner", "funder", "start_date", "end_date", "target_participants",
                  "target_work_or_studies_percent", "target_placements", "budget_total", "budget_spent")
PARTNER_FIELDS = ("name", "role", "contribution", "co_financing_amount")
BUDGET_FIELDS = ("category", "amount", "cash_co_financing", "in_kind_co_financing")
MEMBER_FIELDS = ("group", "name", "represents", "title", "email", "gender")
CATEGORY_FIELDS = ("code", "name", "sort_order", "active")


def _require_leader_or_denied(user) -> None:
    if not is_leader(user):
        raise PermissionDenied


def _write(instance, *, user, allowed: tuple[str, ...], values: dict):
    """Set the given fields, validate the whole row (model validators and constraints), save with history."""
    unknown = set(values) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    for name, value in values.items():
        setattr(instance, name, value.strip() if isinstance(value, str) else value)
    for name in ("email", "manager_email"):
        if isinstance(getattr(instance, name, None), str):
            setattr(instance, name, getattr(instance, name).lower())
    instance._history_user = user
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def organisation_save(*, user, organisation: Organisation | None = None, **values) -> Organisation:
    """Create or change a host organisation (project leader). A parent may not be the organisation itself or
    one below it, so the hierarchy stays a tree."""
    _require_leader_or_denied(user)
    parent = values.get("parent")
    if (organisation is not None and organisation.pk and parent is not None
            and parent.pk in organisation_with_descendant_ids({organisation.pk})):
        raise ValidationError({"parent": _("En organisation kan inte ligga under sig själv eller sina "
                                               "underorganisationer.")})
    return _write(organisation or Organisation(), user=user, allowed=ORGANISATION_FIELDS, values=values)


@transaction.atomic
def unit_save(*, user, unit: Unit | None = None, **values) -> Unit:
    """Create or change a unit: the project leader anywhere, a manager in the organisations they manage."""
    if unit is not None and unit.pk and not units_managed_by(user).filter(pk=unit.pk).exists():
        raise PermissionDenied
    organisation = values.get("organisation") or (unit.organisation if unit else None)
    if organisation is None:
        raise ValidationError({"organisation": _("Välj organisation.")})
    moved = unit is not None and unit.pk and unit.organisation_id != organisation.pk
    if (unit is None or moved) and not unit_organisations_for(user).filter(pk=organisation.pk).exists():
        raise PermissionDenied(_("Du kan bara lägga upp enheter i en organisation du är chef för."))
    try:
        with transaction.atomic():
            return _write(unit or Unit(), user=user, allowed=UNIT_FIELDS, values=values)
    except IntegrityError:
        raise ValidationError({"name": _("Det finns redan en enhet med det namnet i organisationen.")}) from None


@transaction.atomic
def project_save(*, user, project: Project | None = None, **values) -> Project:
    _require_leader_or_denied(user)
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end < start:
        raise ValidationError({"end_date": _("Slutdatum kan inte vara före startdatum.")})
    return _write(project or Project(), user=user, allowed=PROJECT_FIELDS, values=values)


@transaction.atomic
def project_partner_save(*, user, project: Project, partner: ProjectPartner | None = None,
                         **values) -> ProjectPartner:
    _require_leader_or_denied(user)
    return _write(partner or ProjectPartner(project=project), user=user, allowed=PARTNER_FIELDS, values=values)


@transaction.atomic
def budget_line_save(*, user, project: Project, line: BudgetLine | None = None, **values) -> BudgetLine:
    _require_leader_or_denied(user)
    category = values.get("category")
    duplicate = BudgetLine.objects.filter(project=project, category=category)
    if line is not None and line.pk:
        duplicate = duplicate.exclude(pk=line.pk)
    if category is not None and duplicate.exists():
        raise ValidationError({"category": _("Kostnadsslaget finns redan i budgeten; ändra den raden.")})
    return _write(line or BudgetLine(project=project), user=user, allowed=BUDGET_FIELDS, values=values)


@transaction.atomic
def group_member_save(*, user, project: Project, member: ProjectGroupMember | None = None,
                      **values) -> ProjectGroupMember:
    _require_leader_or_denied(user)
    return _write(member or ProjectGroupMember(project=project), user=user, allowed=MEMBER_FIELDS, values=values)


@transaction.atomic
def project_row_delete(*, user, row: ProjectPartner | BudgetLine | ProjectGroupMember) -> None:
    """Remove a partner, budget line or group member (the deletion stays in the change history)."""
    _require_leader_or_denied(user)
    row._history_user = user
    row.delete()


@transaction.atomic
def category_save(*, user, model: type[CategoryBase], entry: CategoryBase | None = None, **values) -> CategoryBase:
    """Add or change an entry of a category list. Entries are never deleted (rows point to them); a leader
    deactivates them instead, so they disappear from the choices but old records keep their value."""
    _require_leader_or_denied(user)
    extra = {name for name in values if name not in CATEGORY_FIELDS}
    allowed = CATEGORY_FIELDS + tuple(name for name in extra if name in {f.name for f in model._meta.fields}
                                      and name not in {"id"})
    if entry is None and not values.get("code"):
        values["code"] = slugify(values.get("name", ""), allow_unicode=False)[:60]
    if entry is not None and entry.pk:
        values.pop("code", None)  # the stable import value never changes
    try:
        with transaction.atomic():
            return _write(entry or model(), user=user, allowed=allowed, values=values)
    except IntegrityError:
        raise ValidationError({"name": _("Det finns redan en post med den koden.")}) from None
