"""Start-page panels of the reporting app (core.home registry, registered in ReportingConfig.ready)."""

from core.home import register_panel
from reporting.models import ReportRun
from reporting.permissions import may_use_reports, runs_visible_to, sees_suppressed_figures
from reporting.suppression import suppress_small_counts


@register_panel(order=50)
def reports_panel(request):
    """Start-page card for the project leader and the steering group: latest report and key figures."""
    user = request.user
    if not may_use_reports(user):
        return None
    latest = (runs_visible_to(user).filter(status=ReportRun.Status.DONE, kind=ReportRun.Kind.MONTHLY)
              .select_related("project").order_by("-period_end", "-finished_at").first())
    figures = latest.figures if latest and latest.figures else None
    if figures and sees_suppressed_figures(user):
        figures = suppress_small_counts(figures)
    return "reporting/_home_panel.html", {"latest": latest, "figures": figures}
