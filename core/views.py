import csv

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponsePermanentRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.audit import audit_log, no_participant_data, shows_participants
from core.filters import AuditEventFilter
from core.health import broker_status, database_status
from core.home import panels_for
from core.mail import email_retry
from core.models import AuditEvent, OutgoingEmail
from core.roles import is_leader
from core.spreadsheets import safe_cell


@no_participant_data("service status")
@never_cache
@require_GET
def healthz(request):
    database = database_status()
    broker = broker_status()
    healthy = database == "ok" and broker in ("ok", "eager")
    return JsonResponse({"status": "ok" if healthy else "error", "database": database, "broker": broker},
                        status=200 if healthy else 503)


@no_participant_data("the accessibility statement")
@require_GET
def accessibility_statement(request):
    """The tillgänglighetsredogörelse, open to everyone (the law asks for it to be public)."""
    return render(request, "core/accessibility.html", {"contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL})


@no_participant_data("a redirect to the icon")
@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links; send them to the static icon."""
    return HttpResponsePermanentRedirect(static("favicon.ico"))


@shows_participants("Startsida")
@login_required
def home(request):
    """The role's start page. Each app contributes its own panels through core.home; a panel that shows
    participants (the manager's requests to answer) reports them with request.participants_shown."""
    request.participants_shown(())
    return render(request, "core/home.html", {"home_panels": panels_for(request)})


class _Echo:
    def write(self, value):
        return value


@no_participant_data("the leader's audit trail itself (who did what); its CSV export is logged")
@login_required
@require_GET
def audit_log_list(request):
    """The project leader searches the append-only audit log, e.g. who read one person's record."""
    if not is_leader(request.user):
        raise PermissionDenied
    event_filter = AuditEventFilter(request.GET, queryset=AuditEvent.objects.order_by("-at", "-pk"))
    events = event_filter.qs
    if request.GET.get("format") == "csv":
        audit_log(user=request.user, action=AuditEvent.Action.EXPORT, object_type="core.AuditEvent",
                  detail=request.GET.urlencode()[:500], request=request)
        writer = csv.writer(_Echo())
        header = ["tidpunkt", "användare", "händelse", "objekttyp", "objekt-id", "objekt", "detalj", "ip"]

        def rows():
            yield writer.writerow(header)
            for event in events.iterator(chunk_size=2000):
                yield writer.writerow([safe_cell(value) for value in (
                    timezone.localtime(event.at).isoformat(timespec="seconds"), event.user_email, event.action,
                    event.object_type, event.object_id, event.object_repr, event.detail, event.ip_address or "",
                )])

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="logg.csv"'
        return response
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "core/audit_log.html", {
        "filter": event_filter, "page": page, "query": query.urlencode(),
    })


@no_participant_data("outgoing e-mail: staff addresses and subjects, never a participant")
@login_required
@require_GET
def outbox(request):
    """The project leader sees e-mail that could not be sent (and what is still waiting), newest first."""
    if not is_leader(request.user):
        raise PermissionDenied
    status = request.GET.get("status") or OutgoingEmail.Status.FAILED
    if status not in OutgoingEmail.Status.values:
        status = OutgoingEmail.Status.FAILED
    emails = OutgoingEmail.objects.filter(status=status).only(
        "created_at", "to", "subject", "status", "attempts", "last_error", "sent_at")
    page = Paginator(emails, 50).get_page(request.GET.get("page"))
    counts = dict(OutgoingEmail.objects.values_list("status").annotate(n=Count("pk")).order_by())
    statuses = [(value, label, counts.get(value, 0)) for value, label in OutgoingEmail.Status.choices]
    return render(request, "core/outbox.html", {"page": page, "status": status, "statuses": statuses,
                                                "query": f"status={status}"})


@no_participant_data("re-sends a queued e-mail")
@login_required
@require_POST
def outbox_retry(request, pk):
    if not is_leader(request.user):
        raise PermissionDenied
    email = get_object_or_404(OutgoingEmail, pk=pk)
    if email_retry(email=email):
        messages.success(request, _("E-postmeddelandet skickas igen."))
    else:
        messages.error(request, _("Bara ett misslyckat meddelande kan skickas igen."))
    return redirect(f"{reverse('core:outbox')}?status={OutgoingEmail.Status.FAILED}")
