"""System checks that keep participant data audited by construction (see core.audit)."""

from django.contrib import admin
from django.core import checks

from core.audit import AuditedReadOnlyAdmin, names_a_participant, undeclared_views


@checks.register(checks.Tags.security)
def check_views_declare_participant_audit(app_configs=None, **kwargs):
    return [
        checks.Error(
            f"The view at {route} does not declare whether it shows participant data.",
            hint="Decorate it with core.audit.shows_participant, shows_participants or no_participant_data.",
            id="core.E001",
        )
        for route in undeclared_views()
    ]


@checks.register(checks.Tags.security, checks.Tags.admin)
def check_admin_of_participant_data_is_audited(app_configs=None, **kwargs):
    return [
        checks.Error(
            f"The admin of {model._meta.label} shows participant data but is not an AuditedReadOnlyAdmin.",
            hint="Register it with core.audit.AuditedReadOnlyAdmin (read-only, every person shown is logged).",
            id="core.E002",
        )
        for model, model_admin in admin.site._registry.items()
        if names_a_participant(model) and not isinstance(model_admin, AuditedReadOnlyAdmin)
    ]
