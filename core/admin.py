from allauth.account.decorators import secure_admin_login
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from core.models import AuditEvent, User
from core.services import user_deactivate

# The admin signs in through allauth's login (rate limit, MFA challenge), never its own password-only form;
# RequireMFAMiddleware then covers /admin/ like every other page.
admin.site.login = secure_admin_login(admin.site.login)


def _superusers_only(request) -> bool:
    """The admin is a superuser's tool; every daily task has a page of its own (set-up, accounts, corrections)."""
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only

@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "role")}),
        (_("Behörigheter"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Datum"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),)
    actions = ["deactivate"]

    def has_delete_permission(self, request, obj=None):
        # Accounts are deactivated, never deleted: the audit log and change history keep pointing at them.
        return False

    @admin.action(description=_("Inaktivera valda konton"))
    def deactivate(self, request, queryset):
        done = 0
        for account in queryset:
            try:
                user_deactivate(user=request.user, account=account, request=request)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, f"{account.email}: {' '.join(getattr(exc, 'messages', [str(exc)]))}",
                                  messages.ERROR)
            else:
                done += 1
        self.message_user(request, _("%(n)s konton inaktiverade.") % {"n": done}, messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log has no update or delete path in the application."""

    list_display = ["at", "user_email", "action", "object_type", "object_repr", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["user_email", "object_id", "object_repr"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
