"""Set-up pages: host organisations and their units, the project (targets, partners, budget, groups) and the
category lists, in the app's own look instead of the Django admin.

The project leader sets up everything; a manager adds and edits units of the organisations they manage.
Other roles 403, anonymous → login; another organisation's unit → 403 (units are visible to every signed-in
user on the organisation pages, but only editable in scope).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from core.audit import no_participant_data
from core.forms import apply_errors
from core.history import history_entries
from core.models import Gender
from core.roles import is_leader, is_manager
from organisations import services
from organisations.categories import HELP, category_lists, category_model
from organisations.forms import (
    BudgetLineForm,
    DeleteForm,
    GroupMemberForm,
    OrganisationForm,
    PartnerForm,
    ProjectForm,
    UnitForm,
    category_form_class,
)
from organisations.models import Organisation, Project, ProjectGroupMember, Unit
from organisations.permissions import organisations_managed_by, unit_organisations_for, units_managed_by
from organisations.selectors import organisation_tree


def _require_leader(user) -> None:
    if not is_leader(user):
        raise PermissionDenied


def _form_page(request, *, form, title: str, back: str, submit: str, history=None, intro: str = ""):
    return render(request, "organisations/setup/form.html", {
        "form": form, "title": title, "back": back, "submit": submit, "history": history, "intro": intro})


@no_participant_data("set-up of organisations, units, categories and projects: no participant data")
@login_required
@require_GET
def setup_index(request):
    _require_leader(request.user)
    counts = {
        "organisations": Organisation.objects.count(),
        "units": Unit.objects.count(),
        "projects": Project.objects.count(),
    }
    return render(request, "organisations/setup/index.html", {"counts": counts, "lists": _category_rows()})


# --- Organisations and units -------------------------------------------------------------------------


@no_participant_data("set-up of organisations, units, categories and projects: no participant data")
@login_required
@require_GET
def organisation_list(request):
    user = request.user
    if not (is_leader(user) or (is_manager(user) and organisations_managed_by(user).exists())):
        raise PermissionDenied
    queryset = Organisation.objects.all() if is_leader(user) else organisations_managed_by(user)
    queryset = queryset.annotate(unit_count=Count("units", distinct=True))
    page = Paginator(organisation_tree(queryset), 100).get_page(request.GET.get("page"))
    addable = set(unit_organisations_for(user).values_list("pk", flat=True))
    return render(request, "organisations/setup/organisation_list.html",
                  {"page": page, "is_leader": is_leader(user), "addable_ids": addable})


@no_participant_data("set-up of organisations, units, categories and projects: no participant data")
@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request):
    _require_leader(request.user)
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_save(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Organisationen %(name)s är upplagd. Lägg nu upp dess enheter.") % {
                "name": organisation.name})
            return redirect("organisations:setup_organisation", pk=organisation.pk)
    return _form_page(request, form=form, title=_("Ny organisation"), back=reverse("organisations:setup_organisations"),
                      submit=_("Lägg upp organisationen"))


@no_participant_data("set-up of organisations, units, categories and projects: no participant data")
@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request, pk: int):
    """The organisation's page: its figures (editable by the leader), its units and the change history."""
    user = request.user
    organisation = get_object_or_404(Organisation.objects.select_related("parent"), pk=pk)
    managed = organisations_managed_by(user).filter(pk=organisation.pk).exists()
    if not (is_leader(user) or managed):
        raise PermissionDenied
    form = OrganisationForm(request.POST or None, instance=organisation) if is_leader(user) else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.organisation_save(user=user, organisation=organisation, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Ändringarna är sparade."))
                return redirect("organisations:setup_organisation", pk=organisation.pk)
    units = organisation.units.order_by("name")
    context = {
        "organisation": organisation,
        "form": form,
        "units": units,
        "editable_unit_ids": set(units_managed_by(user).filter(organisation=organisation)
                                 .values_list("pk", flat=True)),
        "may_add_unit": unit_organisations_for(user).filter(pk=organisation.pk).exists(),
        "children": organisation.children.order_by("name"),
        "history": history_entries(organisation),
    }
    return render(request, "organisations/setup/organisation_detail.html", context)


@no_participant_data("set-up of organisations, units, categories and projects: no participant data")
@login_required
@require_http_methods(["GET", "POST"])
def unit_create(request, pk: int):
    organisation = get_object_or_404(Organisation, pk=pk)
    if not unit_organisations_for(request.user).filter(pk=organisation.pk).exists():
        raise PermissionDenied
    form = UnitForm(request.POST or None, user=request.user, initial={"organisation": organisation})
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_save(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Enheten %(name)s är upplagd.") % {"name": unit.name})
            return redirect("organisations:setup_organisation", pk=unit.organisation_id)
    return _form_page(request, form=form, title=_("Ny enhet i %(org)s") % {"org": organisation.name},
                      back=reverse("organisations:setup_organisation", args=[organisation.pk]),
                      submit=_("Lägg upp enheten"))


@no_participant_data("set-up of organisations, units, categories and projects: no participant data")
@login_required
@require_http_methods(["GET", "POST"])
def unit_edit(request, pk: int):
    unit = get_object_or_404(Unit.objects.select_related("organisation"), pk=pk)
    if not units_managed_by(request.user).filter(pk=unit.pk).exists():
        raise PermissionDenied
    form = UnitForm(request.POST or None, instance=unit, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_save(user=request.user, unit=unit, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Ändringarna är sparade."))
            return redirect("organisations:setup_organisation", pk=unit.organisation_id)
    return _form_page(request, form=form, title=_("Ändra %(name)s") % {"name": unit.name},
                      back=reverse("organisations:setup_organisation", args=[unit.organisation_id]),
                      submit=_("Spara ändringar"), history=history_entries(unit))


# --- The project -------------------------------------------------------------------------------------


@no_participant_data("set-up of organisations, units, categories and projects: no participant data")
@login_required
@require_GET
def project_list(request):
    _require_leader(request.user)
    projects = Project.objects.select_related("owner").order_by("-start_date", "name")
    return render(request, "organisations/setup/project_list.html", {"projects": projects})


@no_participant_data("set-up of organisations, units, categories and projects: no participant data")
@login_required
@require_http_methods(["GET", "POST"])
def project_create(request):
    _require_leader(request.user)
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_save(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Projektet %(name)s är upplagt.") % {"name": project.name})
            return redirect("organisations:setup_project", pk=project.pk)
    return _form_page(request, form=form, title=_("Nytt projekt"), back=reverse("organisations:setup_projects"),
                      submit=_("Lägg upp projektet"))


@no_participant_data("set-up of organisations, units, categories and projects: no participant data")
@login_required
@require_GET
def project_detail(request, pk: int):
    _require_leader(request.user)
    project = get_object_or_404(Project.objects.select_related("owner"), pk=pk)
    budget = list(project.budget_lines.select_related("category"))
    members = list(project.group_members.all())
    composition = {}
    keys = {Gender.WOMAN: "women", Gender.MAN: "men", Gender.NON_BINARY: "non_binary"}
    for member in members:
        row = composition.setdefault(member.group, {"label": member.get_group_display(), "women": 0, "men": 0,
                                                    "non_binary": 0, "unknown": 0, "total": 0})
        row[keys.get(member.gender, "unknown")] += 1
        row["total"] += 1
    context = {
        "project": project,
        "partners": project.partners.all(),
        "budget": budget,
        "budget_totals": project.budget_lines.aggregate(amount=Sum("amount"), cash=Sum("cash_co_financing"),
                                                        in_kind=Sum("in_kind_co_financing")),
        "members": members,
        "composition": [composition[g] for g in ProjectGroupMember.Group.values if g in composition],
        "history": history_entries(project),
    }
    return render(request, "organisations/setup/project_detail.html", context)


@no_participant_data("set-up of organisations, units, categories and projects: no participant data")
@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request, pk: int):
    _require_leader(request.user)
    project = get_object_or_404(Project, pk=pk)
    form = ProjectForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_save(user=request.user, project=project, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Ändringarna är sparade."))
            return redirect("organisations:setup_project", pk=project.pk)
    return _form_page(request, form=form, title=_("Ändra %(name)s") % {"name": project.name},
                      back=reverse("organisations:setup_project", args=[project.pk]), submit=_("Spara ändringar"),
                      history=history_entries(project))


# Partners, budget lines and group members share one set of pages: (related name, form, service, labels).
ROWS = {
    "partners": ("partners", PartnerForm, services.project_partner_save, "partner",
                 gettext_lazy("Ny samverkanspart"), gettext_lazy("Ändra samverkanspart")),
    "budget": ("budget_lines", BudgetLineForm, services.budget_line_save, "line",
               gettext_lazy("Ny budgetpost"), gettext_lazy("Ändra budgetpost")),
    "members": ("group_members", GroupMemberForm, services.group_member_save, "member",
                gettext_lazy("Ny gruppmedlem"), gettext_lazy("Ändra gruppmedlem")),
}


def _row_setup(request, pk: int, kind: str):
    _require_leader(request.user)
    if kind not in ROWS:
        raise Http404
    project = get_object_or_404(Project, pk=pk)
    return project, ROWS[kind]


@no_participant_data("set-up of organisations, units, categories and projects: no participant data")
@login_required
@require_http_methods(["GET", "POST"])
def project_row_edit(request, pk: int, kind: str, row_pk: int | None = None):
    project, (related, form_class, service, argument, new_title, edit_title) = _row_setup(request, pk, kind)
    row = get_object_or_404(getattr(project, related), pk=row_pk) if row_pk else None
    form = form_class(request.POST or None, instance=row)
    back = reverse("organisations:setup_project", args=[project.pk]) + f"#{kind}"
    if request.method == "POST" and form.is_valid():
        try:
            service(user=request.user, project=project, **{argument: row}, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Ändringarna är sparade."))
            return redirect(back)
    return _form_page(request, form=form, title=edit_title if row else new_title, back=back,
                      submit=_("Spara"), history=history_entries(row) if row else None)


@no_participant_data("set-up of organisations, units, categories and projects: no participant data")
@login_required
@require_http_methods(["GET", "POST"])
def project_row_delete(request, pk: int, kind: str, row_pk: int):
    project, (related, *_rest) = _row_setup(request, pk, kind)
    row = get_object_or_404(getattr(project, related), pk=row_pk)
    form = DeleteForm(request.POST or None)
    back = reverse("organisations:setup_project", args=[project.pk]) + f"#{kind}"
    if request.method == "POST" and form.is_valid():
        services.project_row_delete(user=request.user, row=row)
        messages.success(request, _("%(row)s är borttagen.") % {"row": row})
        return redirect(back)
    return render(request, "organisations/setup/confirm_delete.html", {"form": form, "row": row, "back": back})


# --- Category lists ----------------------------------------------------------------------------------


def _category_rows() -> list[dict]:
    return [{"slug": slug, "label": model._meta.verbose_name_plural, "count": model.objects.count()}
            for slug, model in category_lists().items()]


def _category(request, slug: str):
    _require_leader(request.user)
    model = category_model(slug)
    if model is None:
        raise Http404
    return model


@no_participant_data("set-up of organisations, units, categories and projects: no participant data")
@login_required
@require_GET
def category_list(request, slug: str):
    model = _category(request, slug)
    return render(request, "organisations/setup/category_list.html", {
        "slug": slug, "label": model._meta.verbose_name_plural, "entries": model.objects.order_by(
            "-active", "sort_order", "name"), "help": HELP.get(slug, ""), "lists": _category_rows()})


@no_participant_data("set-up of organisations, units, categories and projects: no participant data")
@login_required
@require_http_methods(["GET", "POST"])
def category_edit(request, slug: str, entry_pk: int | None = None):
    model = _category(request, slug)
    entry = get_object_or_404(model, pk=entry_pk) if entry_pk else None
    form = category_form_class(model)(request.POST or None, instance=entry)
    back = reverse("organisations:setup_category_list", args=[slug])
    if request.method == "POST" and form.is_valid():
        try:
            services.category_save(user=request.user, model=model, entry=entry, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Ändringarna är sparade."))
            return redirect(back)
    label = model._meta.verbose_name
    return _form_page(
        request, form=form, back=back, submit=_("Spara"),
        title=(_("Ändra %(name)s") % {"name": entry.name}) if entry else (_("Ny post: %(list)s") % {"list": label}),
        history=history_entries(entry) if entry else None,
        intro=_("Poster tas aldrig bort, eftersom gamla uppgifter pekar på dem; avmarkera ”aktiv” så försvinner "
                "posten ur valen."),
    )
