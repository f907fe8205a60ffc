from django.contrib import admin

from core.audit import AuditedReadOnlyAdmin
from participants.models import (
    Activity,
    Exit,
    ExitReason,
    Referral,
    SupportKind,
    SurveyStatement,
)

# Participant has no admin page on purpose: every read of a person goes through the audited views.


@admin.register(SupportKind, Activity, ExitReason)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "sort_order", "active"]
    list_editable = ["sort_order", "active"]


@admin.register(SurveyStatement)
class SurveyStatementAdmin(admin.ModelAdmin):
    list_display = ["number", "text", "target_percent", "active"]


@admin.register(Referral)
class ReferralAdmin(AuditedReadOnlyAdmin):
    list_display = ["participant", "project", "agency", "referral_date", "start_date"]
    list_filter = ["agency", "project"]
    list_select_related = ["participant", "project", "agency"]


@admin.register(Exit)
class ExitAdmin(AuditedReadOnlyAdmin):
    list_display = ["referral", "exit_date", "kind", "reason"]
    list_filter = ["kind", "reason"]
    list_select_related = ["referral__participant", "referral__agency", "reason"]
    participant_path = "referral__participant_id"
