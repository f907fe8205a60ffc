from simple_history.models import HistoricalRecords

from core.models import AuditEvent


def current_request():
    """The request being served, if any: simple_history's HistoryRequestMiddleware keeps it for the thread, so a
    service called from a view logs the client's address without taking the request as an argument."""
    return getattr(HistoricalRecords.context, "request", None)


def client_ip(request) -> str | None:
    request = request if request is not None else current_request()
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


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


def audit_log_participants_shown(*, user, participant_ids, detail: str, request=None) -> None:
    """One view event per participant shown on a list page, written in one insert, so that the leader's
    search "who looked at this person" also finds the lists and pages the person appeared on."""
    ids = sorted({pid for pid in participant_ids if pid is not None})
    if not ids:
        return
    authenticated = user is not None and user.is_authenticated
    ip_address = client_ip(request)
    AuditEvent.objects.bulk_create([
        AuditEvent(
            user=user if authenticated else None, user_email=user.email if authenticated else "",
            action=AuditEvent.Action.VIEW, object_type="participants.Participant", object_id=str(pid),
            detail=detail[:500], ip_address=ip_address,
        )
        for pid in ids
    ])
