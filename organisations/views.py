"""Accounts for the project leader: list, create (with an e-mailed invitation) and deactivate.

"Accounts are invited or created by the project leader", without the Django admin.
Leader only: other roles 403, anonymous → login.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.audit import no_participant_data
from core.models import User
from core.roles import is_leader
from organisations import services
from organisations.forms import AccountForm, DeactivateForm


def _require_leader(user) -> None:
    if not is_leader(user):
        raise PermissionDenied


@no_participant_data("staff accounts, not participants")
@login_required
@require_GET
def account_list(request):
    _require_leader(request.user)
    accounts = (User.objects.order_by("-is_active", "email")
                .select_related("agency_membership__agency")
                .prefetch_related("manager_scopes__organisation", "manager_scopes__unit"))
    page = Paginator(accounts, 50).get_page(request.GET.get("page"))
    return render(request, "organisations/account_list.html", {"page": page})


@no_participant_data("staff accounts, not participants")
@login_required
@require_http_methods(["GET", "POST"])
def account_create(request):
    _require_leader(request.user)
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_invite(user=request.user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            services.account_send_invitation(request=request, account=account)
            messages.success(request, _("Kontot för %(email)s är skapat och en inbjudan har skickats.") % {
                "email": account.email})
            return redirect("organisations:account_list")
    return render(request, "organisations/account_form.html", {"form": form})


@no_participant_data("staff accounts, not participants")
@login_required
@require_http_methods(["GET", "POST"])
def account_deactivate(request, pk: int):
    _require_leader(request.user)
    account = get_object_or_404(User, pk=pk)
    form = DeactivateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_deactivate(user=request.user, account=account, request=request)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Kontot %(email)s är inaktiverat.") % {"email": account.email})
        return redirect("organisations:account_list")
    return render(request, "organisations/account_deactivate.html", {"form": form, "account": account})
