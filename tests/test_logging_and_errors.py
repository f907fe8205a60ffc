"""Production logs are JSON lines with time, level, logger and request id and no personal data; errors go to a
Sentry-compatible service only with a DSN, scrubbed of personal data."""

import json
import logging
import os
import subprocess
import sys

import pytest
import sentry_sdk
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

from core import errors
from core.logs import JsonFormatter, RequestIdFilter, RequestIdMiddleware, current_request_id
from core.tasks import ping_database
from tests.test_settings import run_in_production

LOG_PROBE = """
import environ
environ.Env.read_env = classmethod(lambda cls, *args, **kwargs: None)
import django
django.setup()
import logging
from django.conf import settings
from django.test import RequestFactory
from django.http import HttpResponse
from core.logs import RequestIdMiddleware

def view(request):
    logging.getLogger("participants.views").warning("Deltagare %s visad", 31)
    try:
        raise ValueError("duplicate key value (code)=(AF-2026-0042)")
    except ValueError:
        logging.getLogger("participants.views").exception("Kunde inte spara deltagare %s", 31)
    return HttpResponse("ok")

request = RequestFactory().get("/participants/31/?q=Anna", HTTP_X_REQUEST_ID="proxy-req-0001")
RequestIdMiddleware(view)(request)
print("ERROR_REPORTING", settings.ERROR_REPORTING)
"""


def _production_logs(**extra) -> tuple[list[dict], str]:
    completed = run_in_production(LOG_PROBE, **extra)
    lines = [json.loads(line) for line in completed.stderr.splitlines() if line.startswith("{")]
    return lines, completed.stdout


def test_production_logs_are_json_lines_with_the_request_id_and_no_personal_data():
    lines, stdout = _production_logs()
    ours = [line for line in lines if line["logger"] == "participants.views"]
    assert [(line["level"], line["message"], line["request_id"]) for line in ours] == [
        ("WARNING", "Deltagare 31 visad", "proxy-req-0001"),
        ("ERROR", "Kunde inte spara deltagare 31", "proxy-req-0001"),
    ]
    assert all(set(line) >= {"time", "level", "logger", "message", "request_id"} for line in lines)
    assert ours[1]["exception"]["type"] == "builtins.ValueError"
    text = json.dumps(lines)
    assert "AF-2026-0042" not in text and "Anna" not in text      # exception text and query never logged
    assert "ERROR_REPORTING False" in stdout                      # no DSN: no error reporting


def test_with_a_dsn_production_switches_error_reporting_on():
    _lines, stdout = _production_logs(SENTRY_DSN="https://public@errors.invalid/1")
    assert "ERROR_REPORTING True" in stdout


ENTRY_PROBE = """
import sys
import environ
environ.Env.read_env = classmethod(lambda cls, *args, **kwargs: None)
import django
django.setup()
import config.wsgi, config.celery  # noqa: E401 - the web and the worker entries
config.celery.app.loader.import_default_modules()  # every task module, as a worker starting does
from django.conf import settings
loaded = "sentry_sdk" in sys.modules
print("SENTRY", loaded, settings.ERROR_REPORTING, loaded and sys.modules["sentry_sdk"].get_client().is_active())
"""


def _entry_probe(**extra) -> str:
    completed = run_in_production(ENTRY_PROBE, **extra)
    return completed.stdout.strip().splitlines()[-1]


def test_without_a_dsn_the_web_and_worker_entries_do_not_load_the_error_reporting_sdk():
    assert _entry_probe() == "SENTRY False False False"


def test_with_a_dsn_the_web_and_worker_entries_load_and_start_the_error_reporting_sdk():
    assert _entry_probe(SENTRY_DSN="https://public@errors.invalid/1") == "SENTRY True True True"


def test_the_request_id_is_returned_and_a_made_up_one_replaced():
    seen = []

    def view(request):
        seen.append(request.request_id)
        return HttpResponse("ok")

    middleware = RequestIdMiddleware(view)
    response = middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID="abc-123-def-456"))
    assert response["X-Request-ID"] == "abc-123-def-456" == seen[-1]
    response = middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID="<script>alert(1)</script>"))
    assert response["X-Request-ID"] == seen[-1] and len(seen[-1]) == 32 and seen[-1].isalnum()


@pytest.mark.django_db
def test_a_celery_tasks_lines_carry_its_task_id():
    seen = []
    original = ping_database.run

    def run(token):
        seen.append(current_request_id())
        return original(token)

    ping_database.run = run
    try:
        result = ping_database.apply(args=["t"], task_id="task-id-0001")
    finally:
        ping_database.run = original
    assert result.get() == "t" and seen == ["task-id-0001"]
    assert current_request_id() == "-"


def test_the_text_format_carries_the_request_id_too(caplog):
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hej", None, None)
    RequestIdFilter().filter(record)
    assert record.request_id == "-"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "hej" and entry["level"] == "INFO" and entry["logger"] == "x"


def test_error_reporting_is_off_without_a_dsn_and_tells_the_sdk_to_collect_nothing_personal(monkeypatch):
    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: calls.append(kwargs))
    assert errors.init_error_reporting("") is False and calls == []
    assert errors.init_error_reporting("https://public@errors.invalid/1") is True
    [options] = calls
    assert options["data_collection"] is errors.DATA_COLLECTION
    assert "send_default_pii" not in options  # ignored beside data_collection, and deprecated
    assert options["max_request_body_size"] == "never"
    assert options["before_send"] is errors.scrub_event


# The events go through the SDK as production starts it (errors.init_error_reporting), in a process of its own: the
# SDK's integrations patch Django and Celery for the rest of the process they start in. Its transport keeps what
# would be sent; scrub_event is wrapped to keep what the SDK collected before it (the request as the Django
# integration read it). One event is made by hand (a user, extra data and a breadcrumb with SQL parameters in the
# scope); the other is a view raising in a request through Django's WSGI handler, as under gunicorn.
EVENT_PROBE = """
import io, json, sys, types, warnings
from urllib.parse import quote
from wsgiref.util import setup_testing_defaults
import environ
environ.Env.read_env = classmethod(lambda cls, *args, **kwargs: None)
import django
django.setup()
import sentry_sdk
from django.core.wsgi import get_wsgi_application
from django.test import override_settings
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from sentry_sdk.transport import Transport
from core import errors
from core.audit import no_participant_data

code, name, email, ip, cookie, agent = sys.argv[1:7]
sent, collected = [], []

class Kept(Transport):
    def capture_envelope(self, envelope):
        if envelope.get_event() is not None:
            sent.append(envelope.get_event())

scrub = errors.scrub_event
def collected_then_scrubbed(event, hint=None):
    collected.append(json.loads(json.dumps(event, default=str)))
    return scrub(event, hint)
errors.scrub_event = collected_then_scrubbed

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    errors.init_error_reporting("https://public@errors.invalid/1", transport=Kept())
with sentry_sdk.new_scope() as scope:
    scope.set_user({"id": 7, "email": email, "ip_address": ip})
    scope.set_extra("participant", name)
    scope.add_breadcrumb(category="query", message=f"SELECT … WHERE code = '{code}'", data={"params": [code]})
    try:
        raise ValueError(f"duplicate key value (code)=({code}), name {name}")
    except ValueError:
        event, _hint = sentry_sdk.utils.event_from_exception(sys.exc_info())
        event["request"] = {"method": "GET", "url": f"https://x.example/participants/31/?q={name}",
                            "query_string": f"q={name}", "cookies": {"session": "s"},
                            "headers": {"Cookie": cookie, "X-Request-ID": "r-1", agent: "u"},
                            "data": {"first_name": name}}
        scope.capture_event(event)

@csrf_exempt
@no_participant_data("a view that fails")
def fails(request):
    participant = request.POST["first_name"]  # a local variable
    raise ValueError(f"duplicate key value (code)=({code}), name {participant}")

urls = types.ModuleType("failing_urls")
urls.urlpatterns = [path("fails/", fails), path("", include("config.urls"))]
sys.modules["failing_urls"] = urls
with override_settings(ROOT_URLCONF="failing_urls", ALLOWED_HOSTS=["testserver"]):
    body = f"first_name={quote(name)}".encode()
    request = {"REQUEST_METHOD": "POST", "PATH_INFO": "/fails/", "QUERY_STRING": f"q={quote(name)}",
               "HTTP_HOST": "testserver", "HTTP_COOKIE": f"{cookie}; code={code}", "HTTP_USER_AGENT": agent,
               "HTTP_X_REQUEST_ID": "r-2", "REMOTE_ADDR": ip, "CONTENT_TYPE": "application/x-www-form-urlencoded",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}
    setup_testing_defaults(request)
    statuses = []
    b"".join(get_wsgi_application()(request, lambda status, headers, exc_info=None: statuses.append(status)))
sentry_sdk.flush()
print(json.dumps({"sent": sent, "collected": collected, "statuses": statuses,
                  "collection": sentry_sdk.get_client().options["data_collection"],
                  "warnings": [str(w.message) for w in caught]}, default=str))
"""


def test_events_leave_without_personal_data():
    # Built at run time, so the source lines the SDK sends as context cannot contain them.
    code, name, email, ip = "-".join(["AF", "2026", "0042"]), " ".join(["Anna", "Andersson"]), \
        "@".join(["leader", "example.test"]), ".".join(["10", "1", "2", "3"])
    cookie, agent = "=".join(["sessionid", "s3cr3t"]), "-".join(["User", "Agent", "Anna"])
    completed = subprocess.run(  # noqa: S603 - fixed interpreter and script
        [sys.executable, "-c", EVENT_PROBE, code, name, email, ip, cookie, agent], cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}, capture_output=True, text=True,
        timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["warnings"] == []  # no option the SDK no longer reads
    collection = result["collection"]
    assert collection["provided_by_user"] is True and collection["user_info"] is False
    assert collection["cookies"]["mode"] == collection["url_query_params"]["mode"] == "off"
    assert collection["http_bodies"] == [] and collection["stack_frame_variables"] is False
    assert collection["database_query_data"] is False and collection["queues"] is False
    assert result["statuses"] == ["500 Internal Server Error"]
    by_hand, in_a_request = result["sent"]
    for body in (by_hand, in_a_request):
        payload = json.dumps(body)
        for secret in (code, name, email, ip, cookie, agent, "s3cr3t"):
            assert secret not in payload, secret
        assert body["exception"]["values"][-1]["type"] == "ValueError"
    assert by_hand["request"] == {"method": "GET", "url": "https://x.example/participants/31/",
                                  "headers": {"X-Request-ID": "r-1"}}
    assert by_hand["user"] == {"id": 7}
    assert in_a_request["request"]["url"] == "http://testserver/fails/"
    assert set(in_a_request["request"]["headers"]) == {"X-Request-Id", "Content-Type", "Content-Length"}
    # What the Django integration collected before scrub_event: no query string, body, cookies, user or address.
    request_as_collected = result["collected"][1]["request"]
    assert not {"query_string", "data", "cookies"} & set(request_as_collected)
    assert "user" not in result["collected"][1] and "REMOTE_ADDR" not in request_as_collected.get("env", {})
    assert request_as_collected["headers"]["Cookie"] == request_as_collected["headers"]["User-Agent"] == "[Filtered]"


@pytest.mark.parametrize("name", ["LOG_FORMAT", "SENTRY_DSN", "EMAIL_TIMEOUT"])
def test_the_operations_settings_are_documented(name):
    readme = (settings.BASE_DIR / "README.md").read_text()
    assert f"`{name}`" in readme
