"""Who may see, request and download reports. Leader: everything. Steering group: the monthly
report (suppressed figures) of the periods it may see. Everyone else: nothing (403)."""

from django.db.models import QuerySet
from django.utils import timezone

from core.roles import is_leader, is_steering
from reporting.models import ReportRun
from reporting.suppression import steering_period_refusal


def may_use_reports(user) -> bool:
    return is_leader(user) or is_steering(user)


def kinds_requestable_by(user) -> list[str]:
    if is_leader(user):
        return [ReportRun.Kind.MONTHLY, ReportRun.Kind.FINAL]
    if is_steering(user):
        return [ReportRun.Kind.MONTHLY]
    return []


def may_request(user, kind: str) -> bool:
    return kind in kinds_requestable_by(user)


def runs_visible_to(user) -> QuerySet[ReportRun]:
    if is_leader(user):
        return ReportRun.objects.all()
    if is_steering(user):
        return steering_runs()
    return ReportRun.objects.none()


def steering_runs() -> QuerySet[ReportRun]:
    """The monthly runs the steering group sees: of periods it may see on the day the run was requested
    (reporting.suppression.steering_period_refusal), so built after the period ended. A run the leader requested
    for the running month or for part of a month stays the leader's: the steering group could otherwise set its
    figures beside those of the month's scheduled run and get the hidden cells back by the difference."""
    monthly = ReportRun.objects.filter(kind=ReportRun.Kind.MONTHLY)
    default_zone = timezone.get_default_timezone()
    seen = [pk for pk, start, end, created_at in monthly.values_list("pk", "period_start", "period_end", "created_at")
            if steering_period_refusal(start, end, today=timezone.localdate(created_at, default_zone)) is None]
    return monthly.filter(pk__in=seen)


def may_download(user, run: ReportRun) -> bool:
    """The final report holds exact (unsuppressed) figures for the funder: project leader only."""
    if is_leader(user):
        return True
    return is_steering(user) and run.kind == ReportRun.Kind.MONTHLY


def sees_suppressed_figures(user) -> bool:
    """The steering group's JSON, XLSX and dashboard show small counts as "<5"; the leader's are raw."""
    return not is_leader(user)


def may_edit_final_texts(user) -> bool:
    return is_leader(user)
