from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from organisations.models import (
    Adaptation,
    Agency,
    AgencyMembership,
    AgencyProgramme,
    ManagerScope,
    OccupationalArea,
    Organisation,
    Project,
    ProjectGroupMember,
    ProjectPartner,
    Supervisor,
    Unit,
)


@admin.register(OccupationalArea, Adaptation, Agency)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "sort_order", "active"]
    list_editable = ["sort_order", "active"]
    search_fields = ["name", "code"]


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "parent", "employee_count", "placement_target_percent"]
    list_filter = ["kind"]
    search_fields = ["name"]
    list_select_related = ["parent"]
    inlines = [UnitInline]


@admin.register(Unit)
class UnitAdmin(SimpleHistoryAdmin):
    list_display = ["name", "organisation", "municipality"]
    list_filter = ["municipality"]
    search_fields = ["name", "organisation__name"]
    list_select_related = ["organisation"]


@admin.register(Supervisor)
class SupervisorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "organisation", "unit", "email", "training_completed_on"]
    search_fields = ["name", "email"]
    list_select_related = ["organisation", "unit"]


@admin.register(AgencyProgramme)
class AgencyProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "max_months"]
    list_select_related = ["agency"]


class PartnerInline(admin.TabularInline):
    model = ProjectPartner
    extra = 0


class GroupMemberInline(admin.TabularInline):
    model = ProjectGroupMember
    extra = 0


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "owner", "start_date", "end_date"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PartnerInline, GroupMemberInline]


@admin.register(ManagerScope)
class ManagerScopeAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "unit"]
    list_select_related = ["user", "organisation", "unit"]


@admin.register(AgencyMembership)
class AgencyMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "agency", "municipality"]
    list_select_related = ["user", "agency"]
