"""Reports: dashboard, report runs (request, progress, download, retry) and the final report's texts.

Leader and steering group only: every other role gets 403, anonymous users the login page. Runs are
fetched through reporting.permissions.runs_visible_to (the steering group sees monthly runs only).
"""

import re
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import changelog
from core.audit import audit_log, no_participant_data
from organisations.models import Project
from participants.selectors import mark_corrected
from reporting import services
from reporting.documents import FINAL_SECTION_KEYS, FINAL_SECTIONS, final_context, monthly_context
from reporting.forms import STEERING_PERIOD, DashboardForm, FinalReportTextForm, ReportRequestForm
from reporting.models import FinalReportText, ReportRun
from reporting.permissions import (
    may_download,
    may_edit_final_texts,
    may_request,
    may_use_reports,
    runs_visible_to,
    sees_suppressed_figures,
)
from reporting.selectors import final_report_period, report_figures, report_figures_as_of

BROKER_DOWN_MESSAGE = gettext_lazy(
    "Rapporten är beställd men kön för rapportbyggen går inte att nå just nu. Beställningen är sparad "
    "och rapporten byggs så snart kön fungerar igen – du behöver inte beställa den på nytt."
)


def _require_reports(user):
    if not may_use_reports(user):
        raise PermissionDenied(_("Rapporterna är till för projektledare och styrgrupp."))


def _require_leader(user):
    if not may_edit_final_texts(user):
        raise PermissionDenied(_("Bara projektledaren skriver slutrapporten."))


def _dashboard_figures(project, period_start, period_end, *, suppress: bool, current: bool = True) -> dict:
    """Figures and charts for the dashboard, cached for a few minutes: the dashboard is read far more often than
    data change. On PostgreSQL, where `current`, they are made again as soon as anything was written since
    (core.changelog, as the reports' kept figures), so the dashboard and a report built after a change show the
    same figures. They are the month's report figures (report_figures): kept figures are taken where a build, the
    figures computed ahead or another request computed them since the last write, and requests that need them
    while another process computes them wait for those instead of computing them too."""
    key = _dashboard_key(project, period_start, period_end, suppress)
    cached = cache.get(key)
    since = cached and cached.get("since")  # .get: an entry cached by an earlier version has none
    if cached is None or (current and since is not None and changelog.changed_since(since)):
        # The figures' own moment: a write while they were computed, or since they were kept, makes them old.
        figures, _computed, since = report_figures_as_of(ReportRun.Kind.MONTHLY, project, period_start, period_end)
        cached = monthly_context(figures, suppress=suppress)
        cached["computed_at"] = timezone.now()
        cached["since"] = since
        cache.set(key, cached, settings.DASHBOARD_CACHE_SECONDS)
        # The charts of these figures beside them, under their version: a page's chart requests get its charts
        # even where a later request has computed newer figures since.
        cache.set(_dashboard_charts_key(key, _figures_version(cached)), cached["charts"],
                  settings.DASHBOARD_CACHE_SECONDS)
    return cached


def _dashboard_key(project, period_start, period_end, suppress: bool) -> str:
    # The figures are drawn into charts with translated titles: one cache entry per language.
    return f"reporting:dashboard:{project.pk}:{period_start}:{period_end}:{int(suppress)}:{get_language()}"


def _dashboard_charts_key(key: str, version: str) -> str:
    return f"{key}:charts:{version}"


def _figures_version(cached: dict) -> str:
    """The dashboard figures' version in their charts' URLs: the moment they were computed, to the microsecond."""
    computed_at = cached["computed_at"]
    return str(int(computed_at.timestamp()) * 1_000_000 + computed_at.microsecond)


@no_participant_data("aggregates only")
@login_required
@require_GET
def dashboard(request):
    _require_reports(request.user)
    form = DashboardForm(request.GET or None, user=request.user)
    project = form.selected_project()
    period_start, period_end = form.selected_period()
    context = {"form": form, "project": project, "period_start": period_start, "period_end": period_end}
    if project is not None:
        suppress = sees_suppressed_figures(request.user)
        context.update(_dashboard_figures(project, period_start, period_end, suppress=suppress))
        context["period_start"], context["period_end"] = period_start, period_end
        # The figures' HTML is cached beside them, under the same key parts and the time they were computed.
        context["figures_html_key"] = (project.pk, period_start, period_end, int(suppress), get_language(),
                                       context["computed_at"].isoformat())
        context["figures_html_seconds"] = settings.DASHBOARD_CACHE_SECONDS
        # Each chart is drawn in its own request (dashboard_chart), from the figures this one just cached: the
        # page's cold build is the figures only. The time they were computed makes new figures a new URL.
        context["chart_query"] = urlencode({"project": project.pk, "month": f"{period_start:%Y-%m}",
                                            "v": _figures_version(context)})
    context["latest_runs"] = runs_visible_to(request.user).select_related("project")[:5]
    return render(request, "reporting/dashboard.html", context)


@no_participant_data("a chart of the dashboard's aggregates")
@login_required
@require_GET
def dashboard_chart(request, key):
    """One of the dashboard's charts as an SVG image, drawn from the same cached figures as the page (suppressed
    for the steering group like the page) and kept drawn in the chart cache. The page shows the chart's numbers as
    a table beside it, so nothing is lost while it loads or if it fails."""
    _require_reports(request.user)
    form = DashboardForm(request.GET, user=request.user)
    if form.has_error("month", STEERING_PERIOD):
        raise Http404(_("Styrgruppen ser inga diagram för en period som inte har tagit slut."))
    project = form.selected_project()
    if project is None:
        raise Http404(_("Det finns inget projekt ännu."))
    period_start, period_end = form.selected_period()
    suppress = sees_suppressed_figures(request.user)
    # The charts of the figures the page was drawn from (its version), not of newer ones: the page shows their
    # numbers beside them, and a write since then would have each of its chart requests compute them again, at once.
    # Where that version is gone (expired, or no version asked for), the cached figures as they are.
    version = request.GET.get("v", "")
    charts = None
    if re.fullmatch(r"[0-9]{1,20}", version):
        charts = cache.get(_dashboard_charts_key(_dashboard_key(project, period_start, period_end, suppress), version))
    if charts is None:
        charts = _dashboard_figures(project, period_start, period_end, suppress=suppress, current=False)["charts"]
    chart = charts.get(key)
    if chart is None:
        raise Http404(_("Diagrammet finns inte."))
    response = HttpResponse(chart.svg, content_type="image/svg+xml; charset=utf-8")
    # Private: the steering group's and the leader's drawings differ; the URL changes with new figures.
    patch_cache_control(response, private=True, max_age=settings.DASHBOARD_CACHE_SECONDS)
    return response


@no_participant_data("report runs: aggregates only")
@login_required
@require_http_methods(["GET", "POST"])
def run_list(request):
    _require_reports(request.user)
    form = ReportRequestForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.report_run_request(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if getattr(run, "enqueue_failed", False):
                messages.warning(request, BROKER_DOWN_MESSAGE)
            else:
                messages.success(request, _("Rapporten är beställd och byggs nu."))
            return redirect("reporting:run_detail", pk=run.pk)
    runs = list(runs_visible_to(request.user).select_related("project", "requested_by")[:50])
    mark_corrected(runs)
    return render(request, "reporting/run_list.html", {"form": form, "runs": runs})


def _visible_run(request, pk) -> ReportRun:
    _require_reports(request.user)
    return get_object_or_404(runs_visible_to(request.user).select_related("project", "requested_by"), pk=pk)


@no_participant_data("report runs: aggregates only")
@login_required
@require_GET
def run_detail(request, pk):
    run = _visible_run(request, pk)
    mark_corrected([run])
    return render(request, "reporting/run_detail.html", _run_context(request, run))


@no_participant_data("report runs: aggregates only")
@login_required
@require_GET
def run_status(request, pk):
    """The polled partial: it carries data-hx-trigger="every 2s" only while the run is queued or running."""
    run = _visible_run(request, pk)
    return render(request, "reporting/_run_status.html", _run_context(request, run))


def _run_context(request, run: ReportRun) -> dict:
    return {"run": run, "may_download": may_download(request.user, run), "stuck": services.run_is_stuck(run),
            "may_retry": may_request(request.user, run.kind)}


def _downloadable_run(request, pk) -> ReportRun:
    run = _visible_run(request, pk)
    if not may_download(request.user, run):
        raise PermissionDenied(_("Du får inte hämta den här rapporten."))
    if run.status != ReportRun.Status.DONE:
        raise Http404(_("Rapporten är inte klar."))
    return run


def _filename(run: ReportRun, extension: str) -> str:
    period = f"{run.period_start:%Y-%m-%d}–{run.period_end:%Y-%m-%d}"
    return f"{run.get_kind_display()} {run.project.slug} {period}.{extension}"


@no_participant_data("aggregate reports; the download is logged")
@login_required
@require_GET
def run_download(request, pk):
    run = _downloadable_run(request, pk)
    if not run.file:
        raise Http404(_("Rapportfilen saknas."))
    audit_log(user=request.user, action="download", obj=run, detail="pdf", request=request)
    return FileResponse(run.file.open("rb"), as_attachment=True, filename=_filename(run, "pdf"),
                        content_type="application/pdf")


@no_participant_data("aggregate figures; the download is logged")
@login_required
@require_GET
def run_figures(request, pk, fmt):
    run = _downloadable_run(request, pk)
    data = services.figures_file(run.figures or {}, fmt=fmt, suppress=sees_suppressed_figures(request.user))
    audit_log(user=request.user, action="download", obj=run, detail=fmt, request=request)
    if fmt == "json":
        response = HttpResponse(data, content_type="application/json; charset=utf-8")
    else:
        response = HttpResponse(
            data,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(_filename(run, fmt))}"
    return response


def _quote(value: str) -> str:
    return quote(value)


@no_participant_data("POST-only, redirects")
@login_required
@require_POST
def run_retry(request, pk):
    run = _visible_run(request, pk)
    try:
        run = services.report_run_retry(user=request.user, run=run)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if getattr(run, "enqueue_failed", False):
            messages.warning(request, BROKER_DOWN_MESSAGE)
        else:
            messages.success(request, _("Rapporten byggs igen."))
    return redirect("reporting:run_detail", pk=run.pk)


# --- final report ---------------------------------------------------------------------------------


def _final_forms(project, data=None):
    texts = {text.section: text for text in FinalReportText.objects.filter(project=project)}
    forms = []
    for key, title, help_text in FINAL_SECTIONS:
        instance = texts.get(key) or FinalReportText(project=project, section=key)
        forms.append({"key": key, "title": title, "help": help_text,
                      "form": FinalReportTextForm(data, instance=instance, prefix=key)})
    return forms


@no_participant_data("the project's narrative and aggregates")
@login_required
@require_http_methods(["GET", "POST"])
def final_editor(request, slug):
    _require_leader(request.user)
    project = get_object_or_404(Project, slug=slug)
    sections = _final_forms(project, request.POST or None)
    if request.method == "POST" and all(section["form"].is_valid() for section in sections):
        for section in sections:
            data = section["form"].cleaned_data
            services.final_report_text_save(
                user=request.user, project=project, section=section["key"],
                body=data.get("body", ""), could_have_been_better=data.get("could_have_been_better", ""))
        messages.success(request, _("Utkastet är sparat."))
        if request.POST.get("next") == "preview":
            return redirect("reporting:final_preview", slug=project.slug)
        return redirect("reporting:final_editor", slug=project.slug)
    period_start, period_end = final_report_period(project)
    request_form = ReportRequestForm(user=request.user, initial={
        "kind": ReportRun.Kind.FINAL, "project": project, "period_start": period_start, "period_end": period_end,
    })
    # The figures each section will carry, beside its text box (exact: only the project leader edits); kept while
    # only texts are written, as the PDF's are.
    context = final_context(report_figures(ReportRun.Kind.FINAL, project, period_start, period_end), {})
    context.update({"project": project, "sections": sections, "request_form": request_form})
    return render(request, "reporting/final_editor.html", context)


@no_participant_data("the project's narrative; answers a small status text")
@login_required
@require_POST
def final_autosave(request, slug, section):
    """The editor's automatic draft save (htmx, a second after typing stops): one section's two texts."""
    _require_leader(request.user)
    project = get_object_or_404(Project, slug=slug)
    if section not in FINAL_SECTION_KEYS:
        raise Http404(_("Okänt avsnitt."))
    instance = (FinalReportText.objects.filter(project=project, section=section).first()
                or FinalReportText(project=project, section=section))
    form = FinalReportTextForm(request.POST, instance=instance, prefix=section)
    if not form.is_valid():
        return render(request, "reporting/_autosave_status.html", {"saved": False}, status=400)
    text = services.final_report_text_save(
        user=request.user, project=project, section=section, body=form.cleaned_data.get("body", ""),
        could_have_been_better=form.cleaned_data.get("could_have_been_better", ""))
    return render(request, "reporting/_autosave_status.html", {"saved": True, "text": text})


@no_participant_data("the project's narrative and aggregates")
@login_required
@require_GET
def final_preview(request, slug):
    _require_leader(request.user)
    project = get_object_or_404(Project, slug=slug)
    period_start, period_end = final_report_period(project)
    figures = report_figures(ReportRun.Kind.FINAL, project, period_start, period_end)
    texts = {text.section: text for text in FinalReportText.objects.filter(project=project)}
    context = final_context(figures, texts)
    context.update({"project": project, "edit_url": reverse("reporting:final_editor", args=[project.slug])})
    return render(request, "reporting/final_preview.html", context)
