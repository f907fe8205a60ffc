"""Writes about organisations' supervisors (handledare). Keyword-only, take the acting user, check scope."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from organisations.models import Organisation, Supervisor, Unit
from organisations.permissions import organisations_managed_by, supervisors_editable_by, units_managed_by

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
