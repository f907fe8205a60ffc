"""Participant pages. Thin: parse input, call one service or selector, render.

Every object comes through the scoping querysets (participants.permissions / placements.permissions):
not visible → 404, visible but not editable → 403, the steering group → 403, anonymous → login.
Every view declares whether it shows participant data (core.audit): the declaration writes the audit event.
"""

import datetime as dt
import uuid
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.audit import audit_log, no_participant_data, shows_participant, shows_participants
from core.forms import apply_errors
from core.importjobs import ImportPreview, import_job_confirm, import_job_create
from core.list_state import remember_list_query
from core.models import AuditEvent, ImportJob
from core.paging import paginate
from core.pdf import render_pdf
from core.roles import is_leader, is_manager, may_see_individuals
from core.spreadsheets import max_bytes, table_to_bytes, too_large_message
from core.uploads import upload_too_large
from participants import exports, personnummer, selectors, services
from participants.filters import ParticipantFilter, WaitingListFilter
from participants.forms import (
    AssessmentForm,
    AssignmentCompleteForm,
    AssignmentStartForm,
    AssignmentWithdrawForm,
    CompetenceForm,
    ExitForm,
    FollowUp6MonthsForm,
    FollowUp90Form,
    FollowUpForm,
    ImportForm,
    MatchingPeriodForm,
    PlanStepForm,
    ReferralForm,
    SurveyForm,
    default_period,
)
from participants.imports import COLUMNS, ImportFileError, read_table
from participants.models import Exit, FollowUp6Months, FollowUp90, PlanStep, Referral, SurveyStatement
from participants.permissions import (
    may_see_full_personal_data,
    participants_visible_to,
    referrals_editable_by,
    referrals_visible_to,
)
from placements import services as placement_services
from placements.models import Assignment
from placements.permissions import assignments_visible_to, placements_visible_to

PAGE_SIZE = 50
# --- helpers -------------------------------------------------------------------------------------


def _require_individual_access(user) -> None:
    if not may_see_individuals(user):
        raise PermissionDenied


def _require_full_access(user) -> None:
    if not may_see_full_personal_data(user):
        raise PermissionDenied


def _referral(request, pk: int, *, edit: bool) -> Referral:
    user = request.user
    _require_individual_access(user)
    referral = get_object_or_404(
        referrals_visible_to(user).select_related("participant", "agency", "project", "programme"), pk=pk)
    if edit and not referrals_editable_by(user).filter(pk=referral.pk).exists():
        raise PermissionDenied
    return referral


def _page_number(request) -> str:
    return request.GET.get("page") or "1"


def _detail_audit_text(request, pk) -> str:
    return "Deltagarsida" if may_see_full_personal_data(request.user) else "Deltagarsida (chef: namn/kod och datum)"


def _detail_url(referral: Referral) -> str:
    return reverse("participants:detail", args=[referral.participant_id]) + f"#start-{referral.pk}"


def _query(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _survey_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("participants:survey", args=[token]))


# --- lists ---------------------------------------------------------------------------------------


@shows_participants(lambda request: f"Deltagarlista, sida {_page_number(request)}")
@login_required
def participant_list(request):
    user = request.user
    _require_individual_access(user)
    if is_manager(user):
        page = Paginator(selectors.manager_assignment_list(user=user), PAGE_SIZE).get_page(request.GET.get("page"))
        request.participants_shown(a.referral.participant_id for a in page.object_list)
        return render(request, "participants/manager_list.html", {"page": page, "query": _query(request)})
    remember_list_query(request, "participants:list")
    today = timezone.localdate()  # one day for the list and its rows, also across midnight
    filterset = ParticipantFilter(request.GET or None, queryset=selectors.participant_list(user=user, on=today))
    filters = filterset.form.cleaned_data if filterset.is_valid() else None if filterset.is_bound else {}
    count = selectors.participant_list_count(user=user, filters=filters)
    page = paginate(filterset.qs, PAGE_SIZE, request.GET.get("page"), count=count,
                    rows=lambda _queryset, keys: selectors.participant_list_rows(user=user, keys=keys, on=today))
    request.participants_shown(row.pk for row in page.object_list)
    stages = dict(selectors.Stage.choices)  # one label per stage, not an enum member per row
    rows = [(row, stages[row.stage] if row.stage else "",
             selectors.days_since_referral(row.waiting_since, on=today) if row.waiting_since else None)
            for row in page.object_list]
    return render(request, "participants/list.html",
                  {"filter": filterset, "page": page, "rows": rows, "query": _query(request)})


@shows_participants(lambda request: f"Väntelista, sida {_page_number(request)}")
@login_required
def waiting_list(request):
    user = request.user
    if not selectors.may_use_waiting_list(user):
        raise PermissionDenied
    remember_list_query(request, "participants:waiting_list")
    filterset = WaitingListFilter(request.GET or None, queryset=selectors.waiting_list(user=user))
    # The counts by state add up to the list's length: the paginator takes it from them, not from a second pass.
    filters = filterset.form.cleaned_data if filterset.is_valid() else None if filterset.is_bound else {}
    counts = selectors.waiting_list_page_counts(user=user, queryset=filterset.qs, filters=filters)
    keys = selectors.waiting_list_page_keys(user=user, queryset=filterset.qs, filters=filters)
    today = timezone.localdate()
    page = paginate(filterset.qs, PAGE_SIZE, request.GET.get("page"), count=sum(counts.values()), keys=keys,
                    rows=lambda _queryset, page_keys: selectors.waiting_list_rows(page_keys, on=today))
    rows = [(row, selectors.days_waiting(row, on=today)) for row in page.object_list]
    request.participants_shown(row.participant_id for row, _days in rows)
    states = [(value, label, counts[value]) for value, label in selectors.WaitingState.choices]
    return render(request, "participants/waiting_list.html",
                  {"filter": filterset, "page": page, "rows": rows, "total": page.paginator.count,
                   "states": states, "query": _query(request)})


# --- exports of the lists: the page's columns and filters, every row, audited as an export ---------


def _export_response(request, fmt: str, name: str, title: str, header, rows) -> HttpResponse:
    if fmt not in exports.FORMATS:
        raise Http404
    response = HttpResponse(exports.render(fmt, title, header, rows), content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localdate():%Y%m%d}.{fmt}"'
    return response


def _export_detail(what: str):
    return lambda request, fmt: f"{what} ({fmt}){': ' + _query(request) if _query(request) else ''}"


@shows_participants(_export_detail("Export av deltagarlistan"), action=AuditEvent.Action.EXPORT)
@login_required
@require_GET
def participant_list_export(request, fmt: str):
    user = request.user
    _require_individual_access(user)
    if is_manager(user):
        assignments = list(selectors.manager_assignment_list(user=user))
        request.participants_shown(a.referral.participant_id for a in assignments)
        return _export_response(request, fmt, "deltagare", _("Deltagare"), *exports.manager_rows(assignments))
    participants = list(ParticipantFilter(request.GET or None, queryset=selectors.participant_list(user=user)).qs)
    request.participants_shown(p.pk for p in participants)
    return _export_response(request, fmt, "deltagare", _("Deltagare"), *exports.participant_rows(participants))


@shows_participants(_export_detail("Export av väntelistan"), action=AuditEvent.Action.EXPORT)
@login_required
@require_GET
def waiting_list_export(request, fmt: str):
    user = request.user
    if not selectors.may_use_waiting_list(user):
        raise PermissionDenied
    referrals = list(WaitingListFilter(request.GET or None, queryset=selectors.waiting_list(user=user)).qs)
    request.participants_shown(r.participant_id for r in referrals)
    header, rows = exports.waiting_rows(referrals, on=timezone.localdate())
    return _export_response(request, fmt, "vantelista", _("Väntelista"), header, rows)


@shows_participants(_export_detail("Export av 90-dagarsuppföljningar"), action=AuditEvent.Action.EXPORT)
@login_required
@require_GET
def followup90_list_export(request, fmt: str):
    user = request.user
    if not selectors.may_use_waiting_list(user):
        raise PermissionDenied
    today = timezone.localdate()
    followups = list(selectors.followups90_due(user=user, on=today + dt.timedelta(days=14)))
    request.participants_shown(f.exit.referral.participant_id for f in followups)
    header, rows = exports.followup_rows(followups, today=today)
    return _export_response(request, fmt, "uppfoljning-90-dagar", _("Uppföljning 90 dagar"), header, rows)


# --- referral and participant page ---------------------------------------------------------------


@no_participant_data("the form is empty; the service logs the referral it writes")
@login_required
@require_http_methods(["GET", "POST"])
def referral_create(request):
    user = request.user
    if not may_see_full_personal_data(user):
        raise PermissionDenied
    form = ReferralForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.referral_create(
                user=user, project=data["project"], agency=data["agency"], identity=data["identity"],
                gender=data["gender"], referral_date=data["referral_date"], code=data["code"],
                birth_year=data["birth_year"], first_name=data["first_name"], last_name=data["last_name"],
                personal_number=data["personal_number"], consent=data["consent"], programme=data["programme"],
                start_date=data["start_date"], support_before=data["support_before"],
                activity_before=data["activity_before"], education_level=data["education_level"],
                labour_market_status=data["labour_market_status"], interests=data["interests"],
                adaptation_needs=data["adaptation_needs"], wished_municipality=data["wished_municipality"],
                notes=data["notes"], submission_key=data.get("submission_key"),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            referral = result.referral  # services.referral_create writes the audit event
            if result.recognised:
                messages.info(request, _("Deltagaren fanns redan i registret. Anvisningen har registrerats som "
                                         "en ny start för samma person."))
            else:
                messages.success(request, _("Anvisningen är registrerad för %(who)s.") % {
                    "who": referral.participant})
            return redirect(_detail_url(referral))
    return render(request, "participants/referral_form.html", {"form": form})


@shows_participant(_detail_audit_text, via="participants.Participant:pk")
@login_required
@require_http_methods(["GET", "POST"])
def participant_detail(request, pk: int):
    user = request.user
    _require_individual_access(user)
    participant = get_object_or_404(participants_visible_to(user), pk=pk)
    show_personal_number = False
    if request.method == "POST":
        if request.POST.get("action") != "show_personal_number" or not is_leader(user):
            raise PermissionDenied
        show_personal_number = bool(participant.personal_number)
        audit_log(user=user, action=AuditEvent.Action.VIEW, obj=participant,
                  detail="Visade fullständigt personnummer", request=request)
    full = may_see_full_personal_data(user)
    referrals = list(selectors.referrals_for_participant(user=user, participant=participant))
    pnr = ""
    if participant.personal_number and full:
        pnr = (personnummer.formatted(participant.personal_number) if show_personal_number
               else personnummer.masked(participant.personal_number))
    same_person = selectors.same_personal_number(user=user, participant=participant)
    request.participants_shown(other.pk for other in same_person)
    editable_ids = set(referrals_editable_by(user).filter(participant=participant).values_list("pk", flat=True))
    for referral in referrals:
        referral.editable = referral.pk in editable_ids
    context = {
        "participant": participant, "referrals": referrals, "full": full, "pnr": pnr,
        "show_personal_number": show_personal_number,
        "is_leader": is_leader(user), "today": timezone.localdate(),
        "participant_editable": bool(editable_ids),
        "same_person": same_person,
    }
    template = "participants/detail.html" if full else "participants/detail_limited.html"
    return render(request, template, context)


# --- assessment and matching ---------------------------------------------------------------------


@shows_participant("Kartläggning, start {pk}", via="participants.Referral:participant")
@login_required
@require_http_methods(["GET", "POST"])
def assessment_edit(request, pk: int):
    referral = _referral(request, pk, edit=True)
    assessment = getattr(referral, "assessment", None)
    initial = {
        "obstacles": assessment.obstacles if assessment else "",
        "resources": assessment.resources if assessment else "",
        "completed_on": assessment.completed_on if assessment else timezone.localdate(),
        "interests": list(referral.interests.all()),
        "wished_municipality": referral.wished_municipality,
    }
    form = AssessmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.assessment_save(user=request.user, referral=referral, obstacles=data["obstacles"],
                                 resources=data["resources"], completed_on=data["completed_on"],
                                 interests=data["interests"], wished_municipality=data["wished_municipality"])
        messages.success(request, _("Kartläggningen är sparad."))
        return redirect(_detail_url(referral))
    return render(request, "participants/assessment_form.html", {"form": form, "referral": referral})


@shows_participant("Matchning, start {pk}", via="participants.Referral:participant")
@login_required
def matching(request, pk: int):
    referral = _referral(request, pk, edit=True)
    start, end = default_period(max(timezone.localdate(), referral.referral_date),
                                referral.programme.max_months if referral.programme else 3)
    form = MatchingPeriodForm(request.GET or None, initial={"start_date": start, "planned_end_date": end})
    if request.GET and form.is_valid():
        start, end = form.cleaned_data["start_date"], form.cleaned_data["planned_end_date"]
    suggestions = [] if (request.GET and not form.is_valid()) else selectors.placement_suggestions(
        user=request.user, referral=referral, start_date=start, planned_end_date=end)
    return render(request, "participants/matching.html", {
        "referral": referral, "form": form, "suggestions": suggestions, "start": start, "end": end,
        "interests": list(referral.interests.all()), "needs": list(referral.adaptation_needs.all()),
        "open_assignment": referral.assignments.filter(
            status__in=(Assignment.Status.REQUESTED, *Assignment.OCCUPYING)).select_related("placement").first(),
    })


@no_participant_data("POST-only, redirects; the assignment service logs the request")
@login_required
@require_POST
def assignment_request(request, pk: int):
    referral = _referral(request, pk, edit=True)
    placement = get_object_or_404(placements_visible_to(request.user), pk=request.POST.get("placement"))
    form = MatchingPeriodForm(request.POST)
    back = reverse("participants:matching", args=[referral.pk])
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        services.assignment_request(user=request.user, referral=referral, placement=placement,
                                   start_date=form.cleaned_data["start_date"],
                                   planned_end_date=form.cleaned_data["planned_end_date"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(f"{back}?start_date={form.cleaned_data['start_date']:%Y-%m-%d}"
                        f"&planned_end_date={form.cleaned_data['planned_end_date']:%Y-%m-%d}")
    messages.success(request, _("Förfrågan om %(placement)s är skickad till platsens chef.") % {
        "placement": placement.title})
    return redirect(_detail_url(referral))


# --- assignment actions (the participant side) ---------------------------------------------------


def _assignment(request, pk: int) -> Assignment:
    _require_full_access(request.user)
    return get_object_or_404(assignments_visible_to(request.user).select_related("referral", "placement"), pk=pk)


def _run_assignment_action(request, assignment, form, action) -> HttpResponse:
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Placeringen är uppdaterad."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(_detail_url(assignment.referral))


@no_participant_data("POST-only, redirects; the assignment service logs the change")
@login_required
@require_POST
def assignment_start(request, pk: int):
    assignment = _assignment(request, pk)
    return _run_assignment_action(request, assignment, AssignmentStartForm(request.POST), lambda d: (
        services.assignment_begin(user=request.user, assignment=assignment, start_date=d["start_date"])))


@no_participant_data("POST-only, redirects; the assignment service logs the change")
@login_required
@require_POST
def assignment_complete(request, pk: int):
    assignment = _assignment(request, pk)
    return _run_assignment_action(request, assignment, AssignmentCompleteForm(request.POST), lambda d: (
        placement_services.assignment_complete(user=request.user, assignment=assignment, end_date=d["end_date"])))


@no_participant_data("POST-only, redirects; the assignment service logs the change")
@login_required
@require_POST
def assignment_withdraw(request, pk: int):
    assignment = _assignment(request, pk)
    return _run_assignment_action(request, assignment, AssignmentWithdrawForm(request.POST), lambda d: (
        placement_services.assignment_withdraw(user=request.user, assignment=assignment, reason=d["reason"])))


# --- follow-ups, plan, competence card -----------------------------------------------------------


def _simple_form_view(request, pk, form_class, template, title, save, success, form_kwargs=None):
    referral = _referral(request, pk, edit=True)
    form = form_class(request.POST or None, **(form_kwargs(referral) if form_kwargs else {}))
    if request.method == "POST" and form.is_valid():
        try:
            save(referral, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(_detail_url(referral))
    return render(request, template, {"form": form, "referral": referral, "title": title})


@shows_participant("Ny uppföljning, start {pk}", via="participants.Referral:participant")
@login_required
@require_http_methods(["GET", "POST"])
def follow_up_create(request, pk: int):
    return _simple_form_view(
        request, pk, FollowUpForm, "participants/simple_form.html", _("Ny uppföljning"),
        lambda referral, d: services.follow_up_create(user=request.user, referral=referral, met_on=d["met_on"],
                                                      notes=d["notes"], assignment=d["assignment"]),
        _("Uppföljningen är sparad."), form_kwargs=lambda referral: {"referral": referral})


@shows_participant("Nytt planeringssteg, start {pk}", via="participants.Referral:participant")
@login_required
@require_http_methods(["GET", "POST"])
def plan_step_create(request, pk: int):
    return _simple_form_view(
        request, pk, PlanStepForm, "participants/simple_form.html", _("Nytt steg i den individuella planen"),
        lambda referral, d: services.plan_step_create(user=request.user, referral=referral,
                                                      description=d["description"], due_on=d["due_on"]),
        _("Steget är tillagt i planen."))


@no_participant_data("POST-only, redirects; the service logs the change")
@login_required
@require_POST
def plan_step_done(request, pk: int):
    _require_full_access(request.user)
    step = get_object_or_404(PlanStep.objects.filter(referral__in=referrals_visible_to(request.user)), pk=pk)
    services.plan_step_mark_done(user=request.user, step=step, done_on=timezone.localdate())
    messages.success(request, _("Steget är markerat som klart."))
    return redirect(_detail_url(step.referral))


@shows_participant("Ny kompetens, start {pk}", via="participants.Referral:participant")
@login_required
@require_http_methods(["GET", "POST"])
def competence_create(request, pk: int):
    return _simple_form_view(
        request, pk, CompetenceForm, "participants/simple_form.html", _("Ny kompetens på kompetenskortet"),
        lambda referral, d: services.competence_create(
            user=request.user, referral=referral, name=d["name"], description=d["description"],
            validated_on=d["validated_on"], validated_by=d["validated_by"]),
        _("Kompetensen är tillagd."), form_kwargs=lambda referral: {"initial": {"validated_on": timezone.localdate()}})


@shows_participant("Kompetenskort (PDF), start {pk}", via="participants.Referral:participant",
                  action=AuditEvent.Action.EXPORT)
@login_required
def competence_card_pdf(request, pk: int):
    referral = _referral(request, pk, edit=False)
    _require_full_access(request.user)
    competences = list(referral.competences.all())
    assignments = list(referral.assignments.filter(status__in=(*Assignment.OCCUPYING, Assignment.Status.COMPLETED))
                       .select_related("placement__unit__organisation", "placement__occupational_area"))
    pdf = render_pdf("participants/pdf/competence_card.html", {
        "referral": referral, "participant": referral.participant, "competences": competences,
        "assignments": assignments, "today": timezone.localdate(),
    })
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="kompetenskort-{referral.pk}.pdf"'
    return response


# --- exit, 90-day follow-up, survey link ---------------------------------------------------------


@shows_participant("Avslut, start {pk}", via="participants.Referral:participant")
@login_required
@require_http_methods(["GET", "POST"])
def exit_create(request, pk: int):
    referral = _referral(request, pk, edit=True)
    if Exit.objects.filter(referral=referral).exists():
        messages.info(request, _("Starten är redan avslutad."))
        return redirect(_detail_url(referral))
    form = ExitForm(request.POST or None, initial={"exit_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.exit_record(user=request.user, referral=referral, exit_date=data["exit_date"],
                                          kind=data["kind"], reason=data["reason"],
                                          activity_after=data["activity_after"],
                                          support_after=data["support_after"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Avslutet är registrerat."))
            if result.survey_token:
                request.session["survey_link"] = {"exit": result.exit.pk,
                                                  "url": _survey_url(request, result.survey_token)}
                return redirect("participants:survey_link", pk=result.exit.pk)
            return redirect(_detail_url(referral))
    open_assignments = list(referral.assignments.filter(
        status__in=(Assignment.Status.REQUESTED, *Assignment.OCCUPYING)).select_related("placement"))
    return render(request, "participants/exit_form.html",
                  {"form": form, "referral": referral, "open_assignments": open_assignments})


@shows_participant("Enkätlänk, avslut {pk}", via="participants.Exit:referral__participant")
@login_required
@require_http_methods(["GET", "POST"])
def survey_link(request, pk: int):
    """Show the one-time survey link once, right after it was made; POST makes a new one (the old stops working)."""
    exit = get_object_or_404(Exit.objects.select_related("referral__participant"), pk=pk)
    _referral(request, exit.referral_id, edit=True)
    if request.method == "POST":
        try:
            token = services.survey_invitation_issue(user=request.user, exit=exit)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(_detail_url(exit.referral))
        request.session["survey_link"] = {"exit": exit.pk, "url": _survey_url(request, token)}
        return redirect("participants:survey_link", pk=exit.pk)
    stored = request.session.pop("survey_link", None)
    url = stored["url"] if stored and stored.get("exit") == exit.pk else ""
    return render(request, "participants/survey_link.html", {"exit": exit, "url": url})


FOLLOWUP_KINDS = {
    "90": {"model": FollowUp90, "selector": "followups90_due", "form": FollowUp90Form,
           "export_url": "participants:followup90_list_export",
           "record": "followup90_record", "edit_url": "participants:followup90_edit",
           "title": gettext_lazy("90-dagarsuppföljningar"),
           "edit_title": gettext_lazy("Uppföljning 90 dagar efter avslut"),
           "saved": gettext_lazy("90-dagarsuppföljningen är sparad.")},
    "6m": {"model": FollowUp6Months, "selector": "followups6m_due", "form": FollowUp6MonthsForm,
           "record": "followup6m_record", "edit_url": "participants:followup6m_edit",
           "title": gettext_lazy("6-månadersuppföljningar"),
           "edit_title": gettext_lazy("Uppföljning sex månader efter avslut"),
           "saved": gettext_lazy("6-månadersuppföljningen är sparad.")},
}


def _followup_list(request, kind: str):
    user = request.user
    if not selectors.may_use_waiting_list(user):
        raise PermissionDenied
    spec = FOLLOWUP_KINDS[kind]
    due = getattr(selectors, spec["selector"])
    followups = list(due(user=user, on=timezone.localdate() + dt.timedelta(days=14)))
    request.participants_shown(f.exit.referral.participant_id for f in followups)
    return render(request, "participants/followup90_list.html",
                  {"followups": followups, "today": timezone.localdate(), "title": spec["title"],
                   "edit_url": spec["edit_url"], "export_url": spec.get("export_url")})


def _followup_edit(request, pk: int, kind: str):
    user = request.user
    _require_full_access(user)
    spec = FOLLOWUP_KINDS[kind]
    followup = get_object_or_404(
        spec["model"].objects.filter(exit__referral__in=referrals_visible_to(user))
        .select_related("exit__referral__participant", "activity", "support"), pk=pk)
    referral = _referral(request, followup.exit.referral_id, edit=True)
    form = spec["form"](request.POST or None, initial={
        "done_on": followup.done_on or timezone.localdate(), "activity": followup.activity,
        "support": followup.support, "notes": followup.notes})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            getattr(services, spec["record"])(user=user, followup=followup, done_on=data["done_on"],
                                              activity=data["activity"], support=data["support"],
                                              notes=data["notes"], confirm_early=data["confirm_early"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, spec["saved"])
            return redirect(_detail_url(referral))
    return render(request, "participants/simple_form.html", {
        "form": form, "referral": referral, "title": spec["edit_title"]})


@shows_participants("90-dagarsuppföljningar")
@login_required
def followup90_list(request):
    return _followup_list(request, "90")


@shows_participant("Uppföljning 90 dagar, {pk}", via="participants.FollowUp90:exit__referral__participant")
@login_required
@require_http_methods(["GET", "POST"])
def followup90_edit(request, pk: int):
    return _followup_edit(request, pk, "90")


@shows_participants("6-månadersuppföljningar")
@login_required
def followup6m_list(request):
    return _followup_list(request, "6m")


@shows_participant("Uppföljning 6 månader, {pk}", via="participants.FollowUp6Months:exit__referral__participant")
@login_required
@require_http_methods(["GET", "POST"])
def followup6m_edit(request, pk: int):
    return _followup_edit(request, pk, "6m")


@no_participant_data("the participant's own anonymous survey: statements and yes/no only")
@never_cache
@require_http_methods(["GET", "POST"])
def survey(request, token: str):
    """The participant's exit survey: no login, no personal data, one answer per link."""
    try:
        invitation = services.survey_invitation_for_token(token)
    except services.SurveyUnavailable as exc:
        status = 404 if exc.reason == "unknown" else 410
        return render(request, "participants/survey_unavailable.html", {"reason": exc.reason}, status=status)
    form = SurveyForm(request.POST or None, statements=SurveyStatement.objects.filter(active=True))
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_answer(token=token, answers=form.answers())
        except services.SurveyUnavailable as exc:
            return render(request, "participants/survey_unavailable.html", {"reason": exc.reason}, status=410)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return render(request, "participants/survey_thanks.html")
    del invitation
    response = render(request, "participants/survey.html", {"form": form})
    # The site-wide Referrer-Policy (same-origin) keeps the token from other sites; "no-referrer" here would
    # make the browser send Origin: null and the CSRF check refuse the answers.
    response["X-Robots-Tag"] = "noindex"
    return response


# --- import --------------------------------------------------------------------------------------


IMPORT_KIND = "participants"


@no_participant_data("the result lists row numbers and errors; the import logs what it wrote")
@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    """Upload → read the file → its check (every row validated by a worker) → preview with the counts. Nothing is
    written but the stored file and its job."""
    if not is_leader(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form, "result": None, "columns": COLUMNS}
    status = 200
    if request.method == "POST" and upload_too_large(request):
        form.is_valid()
        form.errors.pop("file", None)
        form.add_error("file", too_large_message())
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(max_bytes() + 1)
        try:
            headers, rows, notices = read_table(data)
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            # Every row is validated by a worker (the job's check, with progress on the job's page); the request
            # only reads the file. If the check is done already (no broker: it ran here), the preview shows here.
            project = form.cleaned_data["project"]
            job = import_job_create(user=request.user, kind=IMPORT_KIND, data=table_to_bytes(headers, rows, notices),
                                    name=upload.name, rows_total=len(rows), params={
                                        "project": project.pk, "back_url": reverse("participants:import"),
                                        "back_label": _("Importera deltagarhistorik"),
                                        "done_url": reverse("participants:list"),
                                        "done_label": _("Till deltagarna"),
                                        "preview_template": "participants/_import_preview.html"})
            if job.status == ImportJob.Status.CHECKING:
                return redirect("core:import_job", token=job.token)
            plan = ImportPreview.of(job)
            context.update(plan=plan, notices=notices,
                           result=SimpleNamespace(errors=plan.errors, ok=plan.ok, **plan.counts))
            if job.status == ImportJob.Status.PREVIEW:
                context["token"] = job.token
    if form.errors or (context["result"] is not None and context["result"].errors):
        status = 400
    return render(request, "participants/import.html", context, status=status)


@no_participant_data("POST-only: queues the previewed file and redirects to the job page")
@login_required
@require_POST
def import_confirm(request):
    """Queue the previewed file; a worker writes every row or none while the job page shows the progress."""
    if not is_leader(request.user):
        raise PermissionDenied
    try:
        token = uuid.UUID(request.POST.get("token", ""))
    except ValueError:
        token = None
    job = ImportJob.objects.filter(token=token, user=request.user, kind=IMPORT_KIND).first()
    if job is None:
        messages.error(request, _("Förhandsgranskningen har gått ut. Ladda upp filen igen."))
        return redirect("participants:import")
    try:
        job = import_job_confirm(user=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("participants:import")
    return redirect("core:import_job", token=job.token)

