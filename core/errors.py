"""Optional error reporting to Sentry or a Sentry-compatible service (GlitchTip, …): on when SENTRY_DSN is set.

The registry holds health and social-services data, so nothing personal may leave with an error:
send_default_pii is off (no user, IP, cookies), no local variables, no request bodies, and `scrub_event` removes
what the SDK would still send: the request's query string, headers and data, the user, breadcrumbs' messages and
data (SQL parameters), extra data, and the exception's text (only its type and stack are kept).

The SDK and its integrations (≈ 14 MB of every web and Celery process, with the HTTP client they pull in) are
imported only when a DSN is given: without one, nothing of it is loaded (tested by `tests/test_logging_and_errors.py`).
"""

REDACTED = "[borttaget]"
_SAFE_HEADERS = {"content-type", "content-length", "x-request-id"}


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    request = event.get("request")
    if isinstance(request, dict):
        url = str(request.get("url", "")).split("?", 1)[0]
        headers = {k: v for k, v in (request.get("headers") or {}).items() if k.lower() in _SAFE_HEADERS}
        event["request"] = {"method": request.get("method", ""), "url": url, "headers": headers}
    user = event.get("user")
    event["user"] = {"id": user["id"]} if isinstance(user, dict) and "id" in user else {}
    event.pop("extra", None)
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        crumb.pop("data", None)
        if crumb.get("message"):
            crumb["message"] = REDACTED
    for exception in (event.get("exception") or {}).get("values", []):
        if exception.get("value"):
            exception["value"] = REDACTED
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        # Keep the code's template ("Report run %s failed"), drop the values formatted into it.
        logentry.pop("params", None)
        logentry["formatted"] = logentry.get("message", "")
    if event.get("message") and isinstance(logentry, dict):
        event["message"] = logentry["formatted"]
    return event


def init_error_reporting(dsn: str, *, environment: str = "production", release: str | None = None,
                         transport=None) -> bool:
    if not dsn:
        return False
    import sentry_sdk  # noqa: PLC0415 - only with a DSN (see the module's docstring)
    from sentry_sdk.integrations.celery import CeleryIntegration  # noqa: PLC0415
    from sentry_sdk.integrations.django import DjangoIntegration  # noqa: PLC0415

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=0.0,
        before_send=scrub_event,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        transport=transport,
    )
    return True
