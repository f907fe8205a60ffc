"""Writes of the core app: accounts are deactivated, never deleted (the audit log and the change history
keep pointing at them)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.models import AuditEvent
from core.roles import is_leader


def user_deactivate(*, user, account, request=None):
    """An inactive account cannot sign in, and its open sessions stop working at the next request."""
    if not is_leader(user):
        raise PermissionDenied
    if account.pk == user.pk:
        raise ValidationError(_("Du kan inte inaktivera ditt eget konto."))
    if account.is_active:
        account.is_active = False
        account.save(update_fields=["is_active"])
        audit_log(user=user, action=AuditEvent.Action.UPDATE, obj=account, detail="Konto inaktiverat",
                  request=request)
    return account
