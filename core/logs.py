"""Structured logs: one JSON object per line (time, level, logger, message, request id), and the request id
middleware that ties a request's lines together. Production turns the formatter on (config/settings/production.py).

No personal data: the message is the code's own text (ids, never names or codes: keep it so when you add a log
call), exceptions are logged as their type and stack (file, line, function) without the exception's text,
which may quote a value (an IntegrityError names the duplicate code), and no request body, query or header.
"""

import contextvars
import datetime as dt
import json
import logging
import re
import traceback
import uuid

from celery.signals import task_postrun, task_prerun

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def current_request_id() -> str:
    return _request_id.get()


def set_request_id(value: str) -> contextvars.Token:
    return _request_id.set(value)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", current_request_id()),
        }
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _exc, tb = record.exc_info
            entry["exception"] = {
                "type": f"{exc_type.__module__}.{exc_type.__qualname__}",
                "stack": [f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in traceback.extract_tb(tb)],
            }
        return json.dumps(entry, ensure_ascii=False)


class RequestIdMiddleware:
    """Takes the proxy's X-Request-ID when it looks like an id (so the proxy's and the app's lines match),
    otherwise makes one; every log line of the request carries it, and the response returns it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = offered if _SAFE_ID.match(offered) else uuid.uuid4().hex
        request.request_id = request_id
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


@task_prerun.connect
def _task_request_id(task_id=None, **kwargs):
    """A Celery task's log lines carry its task id where a request's carry the request id."""
    set_request_id(task_id or "-")


@task_postrun.connect
def _task_request_id_done(**kwargs):
    set_request_id("-")
