from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from placements.models import Assignment, Placement


@admin.register(Placement)
class PlacementAdmin(SimpleHistoryAdmin):
    list_display = ["title", "code", "unit", "occupational_area", "capacity", "status", "available_from"]
    list_filter = ["status", "occupational_area", "unit__municipality"]
    search_fields = ["title", "tasks", "code"]
    list_select_related = ["unit__organisation", "occupational_area"]
    autocomplete_fields = ["unit", "supervisor"]
    filter_horizontal = ["adaptations"]


@admin.register(Assignment)
class AssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["placement", "referral", "status", "start_date", "planned_end_date", "end_date"]
    list_filter = ["status"]
    list_select_related = ["placement__unit", "referral__participant", "referral__agency"]
    raw_id_fields = ["placement", "referral", "supervisor"]
