"""Who may see, request and download reports. Leader: everything. Steering group: the monthly
report (suppressed figures). Everyone else: nothing (403)."""

from django.db.models import QuerySet

from core.roles import is_leader, is_steering
from reporting.models import ReportRun


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
        return ReportRun.objects.filter(kind=ReportRun.Kind.MONTHLY)
    return ReportRun.objects.none()


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
