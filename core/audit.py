import functools
import ipaddress
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.models import AuditEvent


def current_request():
    """The request being served, if any: simple_history's HistoryRequestMiddleware keeps it for the thread, so a
    service called from a view logs the client's address without taking the request as an argument."""
    return getattr(HistoricalRecords.context, "request", None)


def client_ip(request) -> str | None:
    """The client's address behind settings.TRUSTED_PROXY_COUNT proxies: that many X-Forwarded-For entries from
    the right (each proxy appends the address it saw; entries further left came from the client and are never
    believed). Without the header, or with fewer entries than proxies, REMOTE_ADDR. allauth's rate limits use
    this too (core.adapters), so the audit log and the login counters agree on who the client is."""
    request = request if request is not None else current_request()
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if count > 0 and len(hops) >= count:
        address = hops[-count]
    try:
        return str(ipaddress.ip_address(address.strip("[]"))) if address else None
    except ValueError:
        return None


def audit_log(*, user, action: str, obj=None, object_type: str = "", object_id="", detail: str = "",
              request=None, object_repr: str = "") -> AuditEvent:
    """Write one append-only audit event. Call it from services and views that show personal data."""
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or obj.pk
    authenticated = user is not None and user.is_authenticated
    return AuditEvent.objects.create(
        user=user if authenticated else None,
        user_email=user.email if authenticated else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        detail=detail[:500],
        ip_address=client_ip(request),
    )


PARTICIPANT_OBJECT_TYPE = "participants.Participant"


def audit_log_participants_shown(*, user, participant_ids, detail: str, request=None,
                                 action: str = AuditEvent.Action.VIEW) -> None:
    """One view event per participant shown on a list page, written in one insert, so that the leader's
    search "who looked at this person" also finds the lists and pages the person appeared on."""
    ids = sorted({pid for pid in participant_ids if pid is not None})
    if not ids:
        return
    authenticated = user is not None and user.is_authenticated
    ip_address = client_ip(request)
    if connection.vendor == "postgresql":
        # The same rows as below in one statement over an array of the ids: no model object per person (50 on a
        # list page, every row of an export), which cost more than the insert itself.
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (at, user_id, user_email, action, object_type, object_id, object_repr, "  # noqa: S608
                "detail, ip_address) SELECT %s::timestamptz, %s::bigint, %s, %s, %s, shown.id, '', %s, %s::inet "
                "FROM unnest(%s::varchar[]) AS shown(id)",
                [timezone.now(), user.pk if authenticated else None, user.email if authenticated else "", action,
                 PARTICIPANT_OBJECT_TYPE, detail[:500], ip_address, [str(pid) for pid in ids]])
        return
    AuditEvent.objects.bulk_create([
        AuditEvent(
            user=user if authenticated else None, user_email=user.email if authenticated else "",
            action=action, object_type=PARTICIPANT_OBJECT_TYPE, object_id=str(pid),
            detail=detail[:500], ip_address=ip_address,
        )
        for pid in ids
    ])


# --- Audit by construction ---------------------------------------------------------------------------
#
# Every project view declares, with one of the three decorators below, whether it shows participant data:
#
#   @shows_participant("Kartläggning, start {pk}", via="participants.Referral:participant")
#       one person, found from the URL: `via` is "<app.Model>:<path to the participant>" looked up with the
#       URL's `pk` (use "participants.Participant:pk" when pk is the participant itself). Every 200 response
#       writes one event for that person; a redirect or an error writes none (the services log writes).
#   @shows_participants("Väntelista")
#       a list of people chosen by the view: the view passes who it shows with
#       `request.participants_shown(ids)` (an empty list when nobody is shown). A 200 response from a list
#       view that never reported raises ImproperlyConfigured, so a forgotten call fails the URL walk.
#   @no_participant_data("why")
#       pages with no personal data of participants, or POST-only actions that redirect (their services log
#       the change).
#
# ParticipantAuditMiddleware refuses to serve a project view that carries none of them, and the system check
# core.E001 lists such views at start-up, so a new view cannot show participants unaudited by omission.
# The detail text may use the URL's keyword arguments ("{pk}") or be a callable (request, **kwargs) -> str.
# Both decorators take `action=AuditEvent.Action.EXPORT` for files (PDFs) that contain participant data.

AUDIT_ATTRIBUTE = "participant_audit"


@dataclass(frozen=True)
class AuditSpec:
    kind: str                      # "page", "list" or "none"
    detail: object = ""
    via: str = ""
    action: str = AuditEvent.Action.VIEW
    reason: str = ""


class ShownParticipants:
    """request.participants_shown: the list views report the people on the page."""

    def __init__(self):
        self.ids: set = set()
        self.reported = False

    def __call__(self, participant_ids) -> None:
        self.ids.update(pid for pid in participant_ids if pid is not None)
        self.reported = True


def _participant_id(via: str, kwargs: dict):
    model_label, _sep, path = via.partition(":")
    model = apps.get_model(model_label)
    return model._default_manager.filter(pk=kwargs["pk"]).values_list(path, flat=True).first()


def _detail(spec: AuditSpec, request, kwargs: dict) -> str:
    if callable(spec.detail):
        return str(spec.detail(request, **kwargs))
    return str(spec.detail).format(**kwargs)


def _audited(spec: AuditSpec):
    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            shown = ShownParticipants()
            request.participants_shown = shown
            response = view(request, *args, **kwargs)
            if response.status_code != 200:
                return response
            ids = set(shown.ids)
            if spec.kind == "page":
                ids.add(_participant_id(spec.via, kwargs))
            elif not shown.reported:
                raise ImproperlyConfigured(
                    f"{view.__module__}.{view.__qualname__} is a participant list but did not report who it "
                    "showed: call request.participants_shown(ids).")
            audit_log_participants_shown(user=request.user, participant_ids=ids, action=spec.action,
                                         detail=_detail(spec, request, kwargs), request=request)
            return response

        setattr(wrapper, AUDIT_ATTRIBUTE, spec)
        return wrapper

    return decorator


def shows_participant(detail, *, via: str, action: str = AuditEvent.Action.VIEW):
    """The view shows one participant, found from the URL's pk through `via`; see the block comment above."""
    return _audited(AuditSpec(kind="page", detail=detail, via=via, action=action))


def shows_participants(detail, *, action: str = AuditEvent.Action.VIEW):
    """The view shows the participants it reports with request.participants_shown(ids)."""
    return _audited(AuditSpec(kind="list", detail=detail, action=action))


def no_participant_data(reason: str):
    """The view shows no participant data (say why); it is served without an audit event."""
    def decorator(view):
        setattr(view, AUDIT_ATTRIBUTE, AuditSpec(kind="none", reason=reason))
        return view

    return decorator


# Views of these packages are not the project's: Django's own and allauth's sign-in pages. The Django admin
# (namespace "admin") is covered by AuditedReadOnlyAdmin and the system check core.E002 instead.
THIRD_PARTY_VIEW_MODULES = ("django.", "allauth.")
ADMIN_NAMESPACE = "admin"


def audit_spec_of(view) -> AuditSpec | None:
    return getattr(view, AUDIT_ATTRIBUTE, None) or getattr(getattr(view, "view_class", None), AUDIT_ATTRIBUTE, None)


def is_project_view(view, app_names=()) -> bool:
    if ADMIN_NAMESPACE in app_names:
        return False
    module = getattr(view, "__module__", "") or ""
    return not module.startswith(THIRD_PARTY_VIEW_MODULES)


def undeclared_views(patterns=None, prefix="", app_names=()) -> list[str]:
    """Routes of project views that declare neither shows_participant/shows_participants nor no_participant_data."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            found += undeclared_views(pattern.url_patterns, prefix + str(pattern.pattern),
                                      (*app_names, pattern.app_name))
        elif (isinstance(pattern, URLPattern) and is_project_view(pattern.callback, app_names)
              and audit_spec_of(pattern.callback) is None):
                found.append(f"{prefix}{pattern.pattern} ({pattern.callback.__module__}."
                             f"{pattern.callback.__qualname__})")
    return found


# --- The Django admin ------------------------------------------------------------------------------------

PARTICIPANT_MODEL = "participants.Participant"


def names_a_participant(model, depth: int = 4) -> bool:
    """True for the participant model and every model that reaches it through foreign keys (a start, an assignment,
    an exit …): its admin rows name a person. The system check core.E002 requires AuditedReadOnlyAdmin for them."""
    if model._meta.label == PARTICIPANT_MODEL:
        return True
    if depth == 0:
        return False
    return any(
        names_a_participant(field.related_model, depth - 1)
        for field in model._meta.get_fields()
        if (field.many_to_one or field.one_to_one) and field.concrete and field.related_model is not None
    )


class AuditedReadOnlyAdmin(admin.ModelAdmin):
    """The admin of anything that names a participant: a read-only list, no change, history, add or delete pages
    (the participant pages are the audited place to read and change a person), and every person listed is
    written to the audit log. `participant_path` leads from a row to the participant's id."""

    list_display_links = None
    participant_path = "participant_id"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return obj is None and super().has_view_permission(request, obj)

    def get_actions(self, request):
        return {}

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            ids = [self._participant_id(row) for row in changelist.result_list]
            audit_log_participants_shown(user=request.user, participant_ids=ids,
                                         detail=f"Admin: {self.model._meta.verbose_name_plural}", request=request)
        return response

    def _participant_id(self, row):
        value = row
        for part in self.participant_path.split("__"):
            value = getattr(value, part)
        return value
