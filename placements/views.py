"""Placement pages. Thin: parse input, call one selector or service, render.

Every object is fetched through the scoping querysets in */permissions.py: not visible → 404,
visible but not editable → 403, anonymous → login.
"""

import datetime as dt
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.audit import audit_log, no_participant_data, shows_participants
from core.forms import apply_errors
from core.importjobs import ImportPreview, import_job_confirm, import_job_create
from core.list_state import remember_list_query
from core.models import ImportJob
from core.paging import KeysFromEitherEnd, paginate
from core.roles import is_case_worker, is_leader, is_manager
from core.spreadsheets import max_bytes, table_to_bytes, too_large_message
from core.uploads import upload_too_large
from organisations.forms import SupervisorForm
from organisations.models import Unit
from organisations.permissions import (
    may_see_supervisor_contacts,
    organisations_managed_by,
    organisations_visible_to,
    supervisors_editable_by,
    supervisors_visible_to,
    units_managed_by,
)
from organisations.selectors import unit_contacts
from organisations.services import supervisor_create, supervisor_update
from organisations.tree import organisation_with_descendant_ids
from placements import exports, imports, services
from placements.filters import PlacementFilter
from placements.forms import PAGE_SIZES, DeclineForm, ImportUploadForm, PlacementForm
from placements.models import Assignment, Placement
from placements.permissions import (
    assignments_decidable_by,
    assignments_visible_to,
    may_browse_placements,
    may_create_placements,
    may_see_occupancy,
    placements_editable_by,
    placements_visible_to,
)
from placements.selectors import (
    OVERVIEW_PAGE_SIZE,
    idle_placements_count,
    organisation_overview_page,
    organisation_progress,
    placement_history,
    placement_list,
    placement_list_rows,
    placements_count_stored,
    placements_lacking_trained_supervisor,
    with_occupancy,
)

DEFAULT_PAGE_SIZE = 25
# The organisation page's placements and units, a page at a time.
ORGANISATION_PAGE_SIZE = 25
ORGANISATION_UNITS_PAGE_SIZE = 50
ACTIVE_ASSIGNMENTS = (Assignment.Status.REQUESTED, Assignment.Status.CONFIRMED, Assignment.Status.ONGOING)


def _filter_units(user):
    """A manager filters among their own units; everyone else among all (None: the filter's shared, cached lists)."""
    return units_managed_by(user) if is_manager(user) else None


def _free_on(request) -> dt.date | None:
    """The "Ledig plats den" date when it is a valid date (the filter itself reports an invalid one)."""
    try:
        return dt.date.fromisoformat(request.GET.get("free_on", ""))
    except ValueError:
        return None


def _require_registry(request):
    if not may_browse_placements(request.user):
        raise PermissionDenied(_("Styrgruppen ser platserna i rapporterna, inte i platsregistret."))


# Orderings by placement_list's annotations (the rest order by the placement's own columns and its relations').
ANNOTATED_ORDERINGS = frozenset({"free", "idle_since"})


def _ordered_by_annotation(request) -> bool:
    return any(value.strip().lstrip("-") in ANNOTATED_ORDERINGS
               for given in request.GET.getlist("ordering") for value in given.split(","))


def _filtered(request, *, on: dt.date | None = None, keys_only: bool = False):
    """The placement filter over the user's placements as placement_list annotates them. `keys_only`: the list
    page, which takes only its page's keys and their count from the filter (its rows come from
    placement_list_rows): the annotations are built only when the order needs them (the same SQL either way)."""
    _require_registry(request)
    queryset = placements_visible_to(request.user)
    if not keys_only or _ordered_by_annotation(request):
        queryset = placement_list(queryset, on=on, free_on=_free_on(request))
    return PlacementFilter(request.GET or None, queryset=queryset, units=_filter_units(request.user))


def _page_size(request) -> int:
    try:
        size = int(request.GET.get("per_page", DEFAULT_PAGE_SIZE))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


def _querystring(request, **overrides) -> str:
    params = request.GET.copy()
    for key, value in overrides.items():
        params.pop(key, None)
        if value is not None:
            params[key] = value
    return params.urlencode()


def _unnarrowed_count(user, placement_filter, *, on: dt.date) -> int | None:
    """The list's length when it is every placement (the leader's list narrowed by no filter; the order is no
    filter, and a filter that does not validate narrows nothing: the view shows the whole list): the stored number
    of placements; when it is every idle placement (the leader's list narrowed by the idle filter alone): their
    number from the idle index (idle_placements_count). None otherwise (the paginator counts)."""
    if not is_leader(user):
        return None
    narrowed_by = set()
    if placement_filter.is_bound and placement_filter.is_valid():
        for name, value in placement_filter.form.cleaned_data.items():
            if name != "ordering" and value is not None and value != "" and not (
                    hasattr(value, "__len__") and not isinstance(value, str) and len(value) == 0):
                narrowed_by.add(name)
    if not narrowed_by:
        return placements_count_stored()
    if narrowed_by == {"idle_days"}:
        return idle_placements_count(days=int(placement_filter.form.cleaned_data["idle_days"]), on=on)
    return None


# --- List and exports ------------------------------------------------------------------------------


@no_participant_data("placements only")
@login_required
@require_GET
def placement_list_view(request):
    remember_list_query(request, "placements:list")
    today, free_on = timezone.localdate(), _free_on(request)
    placement_filter = _filtered(request, on=today, keys_only=True)
    queryset = placement_filter.qs if placement_filter.is_bound and placement_filter.is_valid() else \
        placement_filter.queryset
    per_page = _page_size(request)

    def rows(_queryset, keys):
        # The page's keys come from the filtered, scoped list; their rows as placement_list annotates them.
        return placement_list_rows(keys, on=today, free_on=free_on)

    # The deepest pages read from the end of the list (KeysFromEitherEnd): not every row before them.
    count = _unnarrowed_count(request.user, placement_filter, on=today)
    page = paginate(queryset, per_page, request.GET.get("page"), rows=rows,
                    keys=KeysFromEitherEnd(queryset, count=count))
    context = {
        "filter": placement_filter,
        "page": page,
        # The current page ±2 and the first and last: never a loop over every page number (1,000 at scale).
        "page_numbers": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
        "base_query": _querystring(request, page=None),
        "export_query": _querystring(request, page=None, per_page=None),
        "may_create": may_create_placements(request.user),
        "free_on": free_on,
        "show_supervisors": may_see_supervisor_contacts(request.user),
    }
    partial = bool(request.htmx and not request.htmx.boosted)
    if partial:
        # The unit choices follow the organisation filter: swap the unit <select> out of band.
        context["unit_select_oob"] = placement_filter.form["unit"].as_widget(attrs={"data-hx-swap-oob": "true"})
    else:
        context["filter_fields"] = placement_filter.rendered_fields()
    template = "placements/_results.html" if partial else "placements/placement_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@no_participant_data("placements only")
@login_required
@require_GET
def placement_export(request, fmt: str):
    placement_filter = _filtered(request)
    if placement_filter.is_bound and not placement_filter.is_valid():
        messages.error(request, _("Filtren är ogiltiga; rätta dem och exportera igen."))
        return redirect("placements:list")
    queryset = placement_filter.qs if placement_filter.is_bound else placement_filter.queryset
    rows = list(queryset)
    with_contacts = may_see_supervisor_contacts(request.user)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        body = exports.placements_xlsx(rows, with_contacts=with_contacts)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = exports.placements_csv(rows, with_contacts=with_contacts)
        content_type = "text/csv; charset=utf-8"
    audit_log(user=request.user, action="export", object_type="placements.Placement", request=request,
              detail=f"{fmt}, {len(rows)} rader, filter: {_querystring(request, page=None, per_page=None)}")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="arbetstraningsplatser-{stamp}.{fmt}"'
    return response


# --- Detail, create, edit, status ------------------------------------------------------------------


def _visible_placement(request, pk):
    _require_registry(request)
    return get_object_or_404(with_occupancy(placements_visible_to(request.user)).select_related(
        "unit__organisation", "occupational_area", "supervisor", "attested_by"), pk=pk)


def _editable_placement(request, pk):
    placement = _visible_placement(request, pk)
    if not placements_editable_by(request.user).filter(pk=placement.pk).exists():
        raise PermissionDenied
    return placement


@shows_participants("Placeringar på plats {pk}")
@login_required
@require_GET
def placement_detail(request, pk):
    placement = _visible_placement(request, pk)
    assignments = list(
        assignments_visible_to(request.user)
        .filter(placement=placement, status__in=ACTIVE_ASSIGNMENTS)
        .select_related("referral__participant", "referral__agency", "requested_by__agency_membership__agency")
        .order_by("start_date", "pk")
    )
    # The participant code (pseudonymous) and agency are personal data: the declaration logs who was shown.
    request.participants_shown(a.referral.participant_id for a in assignments)
    decidable = set(assignments_decidable_by(request.user).filter(placement=placement).values_list("pk", flat=True))
    context = {
        "placement": placement,
        "assignments": assignments,
        "decidable_ids": decidable,
        "may_edit": placements_editable_by(request.user).filter(pk=placement.pk).exists(),
        "show_supervisor": may_see_supervisor_contacts(request.user),
        "history": placement_history(placement),
        "adaptations": list(placement.adaptations.all()),
        "decline_form": DeclineForm(),
        "contacts": unit_contacts(placement.unit) if may_see_supervisor_contacts(request.user) else None,
        "may_request": is_case_worker(request.user) and placement.status == Placement.Status.OPEN,
    }
    return render(request, "placements/placement_detail.html", context)


def _form_values(form) -> dict:
    data = dict(form.cleaned_data)
    data.pop("attested", None)
    adaptations = list(data.pop("adaptations", []))
    return data, adaptations


@no_participant_data("placements only")
@login_required
@require_http_methods(["GET", "POST"])
def placement_create(request):
    if not may_create_placements(request.user):
        raise PermissionDenied
    form = PlacementForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        values, adaptations = _form_values(form)
        try:
            placement = services.placement_create(user=request.user, adaptations=adaptations,
                                                  attested=form.cleaned_data["attested"], **values)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Platsen ”%(title)s” är registrerad.") % {"title": placement.title})
            return redirect("placements:detail", pk=placement.pk)
    return render(request, "placements/placement_form.html", {"form": form, "placement": None})


@no_participant_data("placements only")
@login_required
@require_http_methods(["GET", "POST"])
def placement_edit(request, pk):
    placement = _editable_placement(request, pk)
    form = PlacementForm(request.POST or None, instance=placement, user=request.user)
    if request.method == "POST" and form.is_valid():
        values, adaptations = _form_values(form)
        try:
            services.placement_update(user=request.user, placement=placement, adaptations=adaptations,
                                      attested=bool(form.cleaned_data.get("attested")), **values)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Ändringarna är sparade."))
            return redirect("placements:detail", pk=placement.pk)
    return render(request, "placements/placement_form.html", {"form": form, "placement": placement})


def _status_action(request, pk, service, success: str):
    placement = _editable_placement(request, pk)
    try:
        service(user=request.user, placement=placement)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("placements:detail", pk=placement.pk)


@no_participant_data("POST-only, redirects")
@login_required
@require_POST
def placement_pause(request, pk):
    return _status_action(request, pk, services.placement_pause,
                          _("Platsen är pausad och tar inte emot nya förfrågningar."))


@no_participant_data("POST-only, redirects")
@login_required
@require_POST
def placement_reopen(request, pk):
    return _status_action(request, pk, services.placement_reopen, _("Platsen är öppen igen."))


@no_participant_data("a confirmation naming the placement only")
@login_required
@require_http_methods(["GET", "POST"])
def placement_close(request, pk):
    """GET shows a confirmation page; POST closes."""
    if request.method == "POST":
        return _status_action(request, pk, services.placement_close, _("Platsen är stängd."))
    placement = _editable_placement(request, pk)
    return render(request, "placements/placement_close.html", {"placement": placement})


# --- Requests: confirm / decline -------------------------------------------------------------------


def _decidable_assignment(request, pk, assignment_pk):
    placement = _visible_placement(request, pk)
    # A request already declined or withdrawn is hidden from the manager's pages but still theirs to be told
    # about: a second click on "Avböj" gets the service's message, not a 404.
    reachable = assignments_visible_to(request.user) | assignments_decidable_by(request.user)
    assignment = get_object_or_404(reachable.filter(placement=placement), pk=assignment_pk)
    if not assignments_decidable_by(request.user).filter(pk=assignment.pk).exists():
        raise PermissionDenied
    return placement, assignment


def _back(request, placement):
    """Back where the decision was made: the start page's request panel sends next=/, otherwise the placement."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect("placements:detail", pk=placement.pk)


@no_participant_data("POST-only, redirects; the assignment service logs the decision")
@login_required
@require_POST
def assignment_confirm(request, pk, assignment_pk):
    placement, assignment = _decidable_assignment(request, pk, assignment_pk)
    try:
        services.assignment_confirm(user=request.user, assignment=assignment)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Förfrågan är bekräftad."))
    return _back(request, placement)


@no_participant_data("POST-only, redirects; the assignment service logs the decision")
@login_required
@require_POST
def assignment_decline(request, pk, assignment_pk):
    placement, assignment = _decidable_assignment(request, pk, assignment_pk)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Ange ett skäl till att förfrågan avböjs."))
        return _back(request, placement)
    try:
        services.assignment_decline(user=request.user, assignment=assignment, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Förfrågan är avböjd."))
    return _back(request, placement)


# --- Supervisors -----------------------------------------------------------------------------------


@no_participant_data("supervisors, not participants")
@login_required
@require_GET
def supervisor_list(request):
    if not may_see_supervisor_contacts(request.user):
        raise PermissionDenied
    supervisors = supervisors_visible_to(request.user).select_related("organisation", "unit")
    training = request.GET.get("utbildning", "")
    if training == "ej":
        supervisors = supervisors.filter(training_completed_on__isnull=True)
    elif training == "ja":
        supervisors = supervisors.filter(training_completed_on__isnull=False)
    lacking = None
    if is_manager(request.user) or is_leader(request.user):
        lacking = placements_lacking_trained_supervisor(placements_editable_by(request.user)).select_related(
            "unit__organisation", "supervisor")[:100]
    context = {
        "supervisors": supervisors.order_by("name"),
        "training": training,
        "lacking": lacking,
        "may_create": organisations_managed_by(request.user).exists(),
        "editable_ids": set(supervisors_editable_by(request.user).values_list("pk", flat=True)),
    }
    return render(request, "placements/supervisor_list.html", context)


@no_participant_data("supervisors, not participants")
@login_required
@require_http_methods(["GET", "POST"])
def supervisor_create_view(request):
    if not organisations_managed_by(request.user).exists():
        raise PermissionDenied
    form = SupervisorForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            supervisor = supervisor_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Handledaren %(name)s är registrerad.") % {"name": supervisor.name})
            return redirect("placements:supervisor_list")
    return render(request, "placements/supervisor_form.html", {"form": form, "supervisor": None})


@no_participant_data("supervisors, not participants")
@login_required
@require_http_methods(["GET", "POST"])
def supervisor_edit(request, pk):
    supervisor = get_object_or_404(supervisors_visible_to(request.user), pk=pk)
    if not supervisors_editable_by(request.user).filter(pk=supervisor.pk).exists():
        raise PermissionDenied
    form = SupervisorForm(request.POST or None, instance=supervisor, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            supervisor_update(user=request.user, supervisor=supervisor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Ändringarna är sparade."))
            return redirect("placements:supervisor_list")
    return render(request, "placements/supervisor_form.html", {"form": form, "supervisor": supervisor})


# --- Host organisations ----------------------------------------------------------------------------


@no_participant_data("organisations and their placement figures")
@login_required
@require_GET
def organisation_overview(request):
    """One level of the organisations (the top-level ones, or with ?under=<pk> the sub-organisations of one), ranked,
    a page of OVERVIEW_PAGE_SIZE at a time, with the region's total on every page."""
    occupancy = may_see_occupancy(request.user)
    under = request.GET.get("under") or None
    if under is not None:
        if not (under.isascii() and under.isdigit()):
            raise Http404(_("Ingen sådan organisation."))
        under = get_object_or_404(organisations_visible_to(request.user).values_list("pk", flat=True), pk=under)
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1  # as Paginator.get_page: not a number, the first page (out of range, the last)
    level = organisation_overview_page(under=under, number=number, occupancy=occupancy)
    if level is None:  # removed since it was looked up
        raise Http404(_("Ingen sådan organisation."))
    paginator = Paginator([], OVERVIEW_PAGE_SIZE)
    paginator.count = level.count  # Paginator.count is a cached_property: this is its value
    page = paginator.page(level.number)
    page.object_list = level.rows
    return render(request, "placements/organisation_overview.html", {
        "level": level, "page": page, "table": page.object_list, "show_occupancy": occupancy,
        "page_numbers": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "query": _querystring(request, page=None)})


@no_participant_data("organisations and their placement figures")
@login_required
@require_GET
def organisation_detail(request, pk):
    """An organisation with its sub-organisations: its figures, its units and its placements that are not closed
    (for those who may see occupancy), each list a page at a time, so that the page costs the same for any tree."""
    organisation = get_object_or_404(organisations_visible_to(request.user).select_related("parent"), pk=pk)
    ids = organisation_with_descendant_ids({organisation.pk})
    occupancy = may_see_occupancy(request.user)
    placements = None
    if occupancy:
        today = timezone.localdate()
        keys = (placements_visible_to(request.user).filter(unit__organisation_id__in=ids)
                .exclude(status=Placement.Status.CLOSED).order_by("unit__name", "title", "pk")
                .values_list("pk", flat=True))
        # Paginator.get_page: not a number, the first page; out of range, the last.
        placements = Paginator(keys, ORGANISATION_PAGE_SIZE).get_page(request.GET.get("page"))
        placements.object_list = placement_list_rows(list(placements.object_list), on=today)
    units = Paginator(Unit.objects.filter(organisation_id__in=ids).select_related("organisation")
                      .order_by("organisation__name", "name", "pk"), ORGANISATION_UNITS_PAGE_SIZE
                      ).get_page(request.GET.get("units_page"))
    context = {
        "organisation": organisation,
        "progress": organisation_progress(organisation, occupancy=occupancy),
        "show_occupancy": occupancy,
        "children": organisation.children.order_by("name"),
        "units": units,
        "unit_numbers": _page_numbers(units),
        "units_query": _querystring(request, units_page=None),
        "placements": placements,
        "page": placements,
        "page_numbers": _page_numbers(placements) if placements is not None else (),
        "query": _querystring(request, page=None),
        "show_supervisors": may_see_supervisor_contacts(request.user),
    }
    return render(request, "placements/organisation_detail.html", context)


def _page_numbers(page):
    """The current page ±2 and the first and last: never a loop over every page number."""
    return page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)


# --- Import ----------------------------------------------------------------------------------------

IMPORT_KIND = "placements"


@no_participant_data("placement import")
@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    """Step 1: upload → read the file → its check (every row validated by a worker) → preview. Nothing is
    written but the stored file and its job."""
    if not may_create_placements(request.user):
        raise PermissionDenied
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    context = {"form": form, "columns": [imports.LABELS[c] for c in imports.COLUMNS]}
    if request.method == "POST" and upload_too_large(request):
        form.is_valid()
        form.errors.pop("file", None)
        form.add_error("file", too_large_message())
        return render(request, "placements/import_upload.html", context, status=400)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(max_bytes() + 1)
        try:
            header, rows, notices = imports.read_table(data)
        except imports.ImportFileError as exc:
            form.add_error("file", str(exc))
            return render(request, "placements/import_upload.html", context, status=400)
        # Every row is validated by a worker (the job's check, with progress on the job's page); the request
        # only reads the file. If the check is done already (no broker: it ran here), the preview shows here.
        job = import_job_create(user=request.user, kind=IMPORT_KIND, data=table_to_bytes(header, rows, notices),
                                name=upload.name, rows_total=len(rows), params={
                                    "attested": True, "back_url": reverse("placements:import"),
                                    "back_label": _("Importera platser"), "done_url": reverse("placements:list"),
                                    "done_label": _("Till platserna"),
                                    "preview_template": "placements/_import_preview.html"})
        if job.status == ImportJob.Status.CHECKING:
            return redirect("core:import_job", token=job.token)
        context["plan"] = plan = ImportPreview.of(job)
        if job.status == ImportJob.Status.PREVIEW:
            context["token"] = job.token
        return render(request, "placements/import_upload.html", context, status=200 if plan.ok else 400)
    return render(request, "placements/import_upload.html", context)


@no_participant_data("placement import")
@login_required
@require_POST
def import_confirm(request):
    """Step 2: queue the stored file; a worker writes all rows in one transaction, or none, while the job page
    shows the progress."""
    if not may_create_placements(request.user):
        raise PermissionDenied
    job = ImportJob.objects.filter(token=_uuid_or_none(request.POST.get("token")), user=request.user,
                                   kind=IMPORT_KIND).first()
    if job is None:
        messages.error(request, _("Förhandsgranskningen har gått ut. Ladda upp filen igen."))
        return redirect("placements:import")
    try:
        job = import_job_confirm(user=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("placements:import")
    return redirect("core:import_job", token=job.token)


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
