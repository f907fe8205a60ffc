from django.contrib import admin

from core.audit import audit_log_participants_shown
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


class AuditedListOnlyAdmin(admin.ModelAdmin):
    """Participants' starts and exits in the admin: a read-only list of pseudonymous rows, no detail pages
    (those are the audited participant pages), and every person listed is written to the audit log."""

    list_display_links = None
    participant_path = "participant_id"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return obj is None and super().has_view_permission(request, obj)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            ids = [self._participant_id(row) for row in changelist.result_list]
            audit_log_participants_shown(user=request.user, participant_ids=ids,
                                         detail=f"Admin: {self.model._meta.verbose_name_plural}", request=request)
        return response

    def _participant_id(self, row):
        value = row
        for part in self.participant_path.split("__"):
            value = getattr(value, part)
        return value


@admin.register(Referral)
class ReferralAdmin(AuditedListOnlyAdmin):
    list_display = ["participant", "project", "agency", "referral_date", "start_date"]
    list_filter = ["agency", "project"]
    list_select_related = ["participant", "project", "agency"]


@admin.register(Exit)
class ExitAdmin(AuditedListOnlyAdmin):
    list_display = ["referral", "exit_date", "kind", "reason"]
    list_filter = ["kind", "reason"]
    list_select_related = ["referral__participant", "referral__agency", "reason"]
    participant_path = "referral__participant_id"
