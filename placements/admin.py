from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from core.audit import AuditedReadOnlyAdmin
from core.forms import apply_errors
from placements import services
from placements.models import Assignment, Placement


class PlacementAdminForm(forms.ModelForm):
    """The admin edits a placement through placements.services (capacity not below what is booked ahead, scope,
    code): the same rules as the placement form. Status changes (pause, close) go through the app's pages."""

    user = None  # set per request by PlacementAdmin.get_form

    class Meta:
        model = Placement
        fields = [*services.PLACEMENT_FIELDS, "adaptations"]

    def clean(self):
        data = super().clean()
        values = {name: data.get(name) for name in services.PLACEMENT_FIELDS}
        try:
            services.placement_validate(user=self.user, placement=self.instance, values=values)
        except ValidationError as exc:
            apply_errors(self, exc)
        return data


@admin.register(Placement)
class PlacementAdmin(SimpleHistoryAdmin):
    form = PlacementAdminForm
    list_display = ["title", "code", "unit", "occupational_area", "capacity", "status", "available_from"]
    list_filter = ["status", "occupational_area", "unit__municipality"]
    search_fields = ["title", "tasks", "code"]
    list_select_related = ["unit__organisation", "occupational_area"]
    autocomplete_fields = ["unit", "supervisor"]
    filter_horizontal = ["adaptations"]
    readonly_fields = ["status", "closed_on", "attested_no_displacement", "attested_by", "attested_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def has_add_permission(self, request):
        return False  # registered in the app, where the host attests that no hiring is displaced

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_history_permission(self, request, obj=None):
        return False  # no "revert": an old version could hold a capacity below today's booked assignments

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in services.PLACEMENT_FIELDS if name in form.cleaned_data}
        services.placement_update(user=request.user, placement=obj, adaptations=form.cleaned_data.get("adaptations"),
                                  **values)

    def save_related(self, request, form, formsets, change):
        """placement_update has set the adaptations; there are no inlines."""


@admin.register(Assignment)
class AssignmentAdmin(AuditedReadOnlyAdmin):
    list_display = ["placement", "referral", "status", "start_date", "planned_end_date", "end_date"]
    list_filter = ["status"]
    list_select_related = ["placement__unit", "referral__participant", "referral__agency"]
    participant_path = "referral__participant_id"
