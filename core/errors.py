"""Optional error reporting to Sentry or a Sentry-compatible service (GlitchTip, …): on when SENTRY_DSN is set.

The registry holds health and social-services data, so nothing personal may leave with an error: the SDK is told
to collect none of it (DATA_COLLECTION: no user, IP, cookies, query strings, bodies, SQL parameters or local
variables), and `scrub_event` removes what it would still send: the request's query string, headers and data, the
user, breadcrumbs' messages and data (SQL parameters), extra data, and the exception's text (only its type and stack
are kept).

The SDK and its integrations (≈ 14 MB of every web and Celery process, with the HTTP client they pull in) are
imported only when a DSN is given: without one, nothing of it is loaded (tested by `tests/test_logging_and_errors.py`).
"""

REDACTED = "[borttaget]"
_SAFE_HEADERS = {"content-type", "content-length", "x-request-id"}

# What the SDK's integrations collect at all (its `data_collection` option; given, every category not named here
# is collected): nothing of the user, no cookies, query strings, bodies, SQL parameters, task arguments or local
# variables, of the request's headers only those scrub_event keeps. The stack's source lines are the code's. With
# data_collection given the SDK leaves its own EventScrubber out (and ignores `event_scrubber`): scrub_event is the
# filter after collection, and an exception in it drops the event.
DATA_COLLECTION = {
    "user_info": False,
    "cookies": {"mode": "off"},
    "http_headers": {"request": {"mode": "allowlist", "terms": sorted(_SAFE_HEADERS)}},
    "http_bodies": [],
    "url_query_params": {"mode": "off"},
    "graphql": {"document": False, "variables": False},
    "gen_ai": {"inputs": False, "outputs": False},
    "database_query_data": False,
    "queues": False,
    "stack_frame_variables": False,
}


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
        data_collection=DATA_COLLECTION,
        max_request_body_size="never",
        traces_sample_rate=0.0,
        before_send=scrub_event,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        transport=transport,
    )
    return True
