from django.contrib import admin

from reporting.models import FinalReportText, ReportRun


@admin.register(ReportRun)
class ReportRunAdmin(admin.ModelAdmin):
    list_display = ["kind", "project", "period_start", "period_end", "status", "attempts", "created_at"]
    list_filter = ["kind", "status"]
    readonly_fields = ["figures", "error"]


@admin.register(FinalReportText)
class FinalReportTextAdmin(admin.ModelAdmin):
    list_display = ["project", "section", "updated_at"]
