"""The reporting views: permission matrix (role × URL → status) and what each page does."""

import importlib
import io
import json
import re
from html import unescape as html_unescape

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from openpyxl import load_workbook

from core.models import AuditEvent
from reporting.models import FinalReportText, ReportRun

from .conftest import MARCH

pytestmark = pytest.mark.django_db

FIGURES = {
    "meta": {"kind": "monthly", "project": "p", "project_name": "=HYPERLINK(\"http://evil\")",
             "period_start": "2026-03-01", "period_end": "2026-03-31", "suppressed": False},
    "participants": {"starts": 4, "unique": 3, "anonymous": 1, "by_gender": {"kvinna": 2, "man": 7}},
    "exits": {"total": 12, "by_reason": {"arbete": 2}},
}


def make_run(project, *, kind="monthly", status=ReportRun.Status.DONE, **kwargs):
    run = ReportRun.objects.create(kind=kind, project=project, period_start=MARCH[0], period_end=MARCH[1],
                                   status=status, figures=FIGURES, **kwargs)
    if status == ReportRun.Status.DONE:
        run.file.save(f"test-{run.pk}.pdf", ContentFile(b"%PDF-1.7 test"), save=True)
    return run


@pytest.fixture
def monthly_run(report_project):
    return make_run(report_project)


@pytest.fixture
def final_run(report_project):
    return make_run(report_project, kind="final")


@pytest.fixture
def failed_run(report_project):
    return make_run(report_project, status=ReportRun.Status.FAILED, error="Boom")


def _urls(monthly_run, failed_run, project):
    return {
        "dashboard": ("get", reverse("reporting:dashboard")),
        "run_list": ("get", reverse("reporting:run_list")),
        "run_detail": ("get", reverse("reporting:run_detail", args=[monthly_run.pk])),
        "run_status": ("get", reverse("reporting:run_status", args=[monthly_run.pk])),
        "run_download": ("get", reverse("reporting:run_download", args=[monthly_run.pk])),
        "run_json": ("get", reverse("reporting:run_figures_json", args=[monthly_run.pk])),
        "run_xlsx": ("get", reverse("reporting:run_figures_xlsx", args=[monthly_run.pk])),
        "run_retry": ("post", reverse("reporting:run_retry", args=[failed_run.pk])),
        "final_editor": ("get", reverse("reporting:final_editor", args=[project.slug])),
        "final_preview": ("get", reverse("reporting:final_preview", args=[project.slug])),
    }


ALLOWED_STEERING = {"dashboard", "run_list", "run_detail", "run_status", "run_download", "run_json", "run_xlsx"}


@pytest.mark.parametrize("actor", ["leader", "steering", "manager_a", "case_worker_af", "anonymous"])
def test_permission_matrix(client, actors, actor, monthly_run, failed_run, report_project, monkeypatch):
    from reporting import services

    monkeypatch.setattr(services, "enqueue_run", lambda run: True)   # retry: do not build here
    if actor != "anonymous":
        client.force_login(actors[actor])
    for name, (method, url) in _urls(monthly_run, failed_run, report_project).items():
        response = getattr(client, method)(url)
        if actor == "anonymous":
            expected = 302
            assert response.status_code == expected and "/accounts/login/" in response["Location"], name
            continue
        if actor == "leader":
            expected = 302 if name == "run_retry" else 200
        elif actor == "steering":
            expected = 200 if name in ALLOWED_STEERING else (302 if name == "run_retry" else 403)
        else:
            expected = 403
        assert response.status_code == expected, (actor, name, response.status_code)


def test_steering_cannot_see_or_download_the_final_report(client, steering, leader, final_run):
    client.force_login(steering)
    for name in ("run_detail", "run_download", "run_figures_json", "run_figures_xlsx"):
        assert client.get(reverse(f"reporting:{name}", args=[final_run.pk])).status_code == 404, name
    client.force_login(leader)
    assert client.get(reverse("reporting:run_download", args=[final_run.pk])).status_code == 200


def test_steering_may_not_request_the_final_report(client, steering, report_project):
    client.force_login(steering)
    response = client.post(reverse("reporting:run_list"), {
        "kind": "final", "project": report_project.pk, "period_start": "2026-03-01", "period_end": "2026-03-31"})
    assert response.status_code == 200
    assert "kind" in response.context["form"].errors
    assert not ReportRun.objects.exists()


def test_download_is_audited(client, leader, monthly_run):
    client.force_login(leader)
    response = client.get(reverse("reporting:run_download", args=[monthly_run.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    event = AuditEvent.objects.get(action="download", object_id=str(monthly_run.pk))
    assert event.user == leader and event.detail == "pdf"


def test_json_is_raw_for_the_leader_and_suppressed_for_the_steering_group(client, leader, steering, monthly_run):
    url = reverse("reporting:run_figures_json", args=[monthly_run.pk])
    client.force_login(leader)
    raw = json.loads(client.get(url).content)
    assert raw["participants"]["unique"] == 3 and raw["meta"]["suppressed"] is False
    client.force_login(steering)
    shown = json.loads(client.get(url).content)
    assert shown["participants"]["unique"] == "<5"
    assert shown["participants"]["by_gender"] == {"kvinna": "<5", "man": 7}
    assert shown["exits"]["total"] == 12
    assert shown["meta"]["suppressed"] is True
    assert AuditEvent.objects.filter(action="download", detail="json").count() == 2


def test_xlsx_writes_text_as_text_and_is_suppressed_for_steering(client, steering, monthly_run):
    client.force_login(steering)
    response = client.get(reverse("reporting:run_figures_xlsx", args=[monthly_run.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))

    def values(title):
        return {row[0]: row[1] for row in workbook[title].iter_rows(min_row=2, values_only=True) if row[0]}

    # Text is a string cell: shown as written, never run as a formula, no apostrophe added.
    assert values("Om rapporten")["Projekt"] == "=HYPERLINK(\"http://evil\")"
    assert values("Deltagare")["Unika deltagare"] == "<5"
    assert values("Avslut")["Totalt"] == 12
    assert all(cell.data_type != "f" for sheet in workbook for row in sheet.iter_rows() for cell in row)


def test_status_partial_polls_until_final(client, leader, report_project, monthly_run):
    client.force_login(leader)
    queued = ReportRun.objects.create(kind="monthly", project=report_project, period_start=MARCH[0],
                                      period_end=MARCH[1])
    html = client.get(reverse("reporting:run_status", args=[queued.pk])).content.decode()
    assert 'data-hx-trigger="every 2s"' in html
    assert reverse("reporting:run_detail", args=[queued.pk]) in html     # plain link fallback
    html = client.get(reverse("reporting:run_status", args=[monthly_run.pk])).content.decode()
    assert "hx-trigger" not in html
    assert reverse("reporting:run_download", args=[monthly_run.pk]) in html


def test_failed_run_shows_why_and_can_be_retried(client, leader, failed_run, monkeypatch):
    from reporting import services

    monkeypatch.setattr(services, "enqueue_run", lambda run: True)
    client.force_login(leader)
    html = client.get(reverse("reporting:run_detail", args=[failed_run.pk])).content.decode()
    assert "Boom" in html and reverse("reporting:run_retry", args=[failed_run.pk]) in html
    client.post(reverse("reporting:run_retry", args=[failed_run.pk]))
    failed_run.refresh_from_db()
    assert failed_run.status == ReportRun.Status.QUEUED and failed_run.error == ""


def test_a_stuck_run_stops_polling_and_offers_retry_to_the_leader(client, leader, report_project, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    from reporting import services

    monkeypatch.setattr(services, "enqueue_run", lambda run: True)
    silent = timezone.now() - services.stale_after() - dt.timedelta(seconds=1)
    stuck = ReportRun.objects.create(kind="monthly", project=report_project, period_start=MARCH[0],
                                     period_end=MARCH[1], status=ReportRun.Status.RUNNING, started_at=silent,
                                     heartbeat_at=silent, attempts=1)
    client.force_login(leader)
    html = client.get(reverse("reporting:run_status", args=[stuck.pk])).content.decode()
    assert "Rapportbygget har slutat svara." in html
    assert "hx-trigger" not in html
    assert f'action="{reverse("reporting:run_retry", args=[stuck.pk])}"' in html
    client.post(reverse("reporting:run_retry", args=[stuck.pk]))
    stuck.refresh_from_db()
    assert stuck.status == ReportRun.Status.QUEUED and stuck.attempts == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_request_with_broker_down_keeps_the_row_and_says_so(client, leader, report_project, unreachable_broker):
    client.force_login(leader)
    response = client.post(reverse("reporting:run_list"), {
        "kind": "monthly", "project": report_project.pk, "period_start": "2026-03-01",
        "period_end": "2026-03-31"}, follow=True)
    run = ReportRun.objects.get()
    assert run.status == ReportRun.Status.QUEUED
    text = response.content.decode()
    assert "byggs så snart kön fungerar igen" in text
    assert 'data-hx-trigger="every 2s"' in text


def test_request_builds_the_report(client, leader, report_project, march_data,
                                   django_capture_on_commit_callbacks):
    client.force_login(leader)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reporting:run_list"), {
            "kind": "monthly", "project": report_project.pk, "period_start": "2026-03-01",
            "period_end": "2026-03-31"})
    run = ReportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reporting:run_detail", args=[run.pk])
    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE and run.requested_by == leader


def test_request_form_errors_are_shown(client, leader, report_project):
    client.force_login(leader)
    response = client.post(reverse("reporting:run_list"), {
        "kind": "monthly", "project": report_project.pk, "period_start": "2026-03-31",
        "period_end": "2026-03-01"})
    html = response.content.decode()
    assert "Periodens slut kan inte vara före dess början." in html
    assert 'role="alert"' in html
    assert not ReportRun.objects.exists()


def test_report_requests_are_throttled_per_person_with_a_clear_message(client, leader, steering, report_project,
                                                                      monkeypatch, settings):
    from reporting import services

    monkeypatch.setattr(services, "enqueue_run", lambda run: True)    # the runs stay queued, as on a busy worker
    data = {"kind": "monthly", "project": report_project.pk, "period_start": "2016-01-01",
            "period_end": "2025-12-31"}
    client.force_login(leader)
    for _ in range(settings.REPORT_MAX_WAITING_PER_USER):
        assert client.post(reverse("reporting:run_list"), data).status_code == 302
    response = client.post(reverse("reporting:run_list"), data)
    assert response.status_code == 200
    [message] = response.context["form"].non_field_errors()
    assert message == ("Du har redan 2 rapporter som väntar på att byggas. Vänta tills de är klara och beställ "
                       "sedan nästa.")
    assert ReportRun.objects.filter(requested_by=leader).count() == settings.REPORT_MAX_WAITING_PER_USER
    # Another person is not held up by the leader's runs.
    client.force_login(steering)
    whole_year = {**data, "period_start": "2025-01-01"}   # the steering group builds whole years at most
    assert client.post(reverse("reporting:run_list"), whole_year).status_code == 302
    # Finished runs free the slots, but not the hourly limit.
    ReportRun.objects.filter(requested_by=leader).update(status=ReportRun.Status.DONE)
    settings.REPORT_MAX_PER_HOUR_PER_USER = 3
    client.force_login(leader)
    assert client.post(reverse("reporting:run_list"), data).status_code == 302
    ReportRun.objects.filter(requested_by=leader).update(status=ReportRun.Status.DONE)
    response = client.post(reverse("reporting:run_list"), data)
    [message] = response.context["form"].non_field_errors()
    assert message == ("Du har beställt 3 rapporter den senaste timmen, vilket är det högsta antalet. Försök igen "
                       "om en stund.")
    assert ReportRun.objects.filter(requested_by=leader).count() == 3


def _chart_images(html: str) -> list[dict]:
    return [{name: html_unescape(value) for name, value in re.findall(r'(\w+)="([^"]*)"', tag)}
            for tag in re.findall(r"<img [^>]*>", html) if "/charts/" in tag]


def test_dashboard_shows_charts_with_tables_suppressed_for_steering(client, steering, report_project,
                                                                    march_data, monkeypatch):
    figure_class = importlib.import_module("matplotlib.figure").Figure
    draws = []
    monkeypatch.setattr(figure_class, "draw", lambda self, renderer: draws.append(self))
    client.force_login(steering)
    response = client.get(reverse("reporting:dashboard"), {"project": report_project.pk, "month": "2026-03"})
    html = response.content.decode()
    assert response.status_code == 200
    # The page draws no chart: each is an image of its own URL, with its numbers in the text alternative and in
    # the table beside it.
    assert draws == [] and "<svg" not in html
    images = _chart_images(html)
    charts = response.context["charts"]
    assert [image["alt"] for image in images] == [chart.alt for chart in charts.values()]
    assert len(images) >= 5 and all(int(image["width"]) > 0 and int(image["height"]) > 0 for image in images)
    assert html.count("Siffrorna i diagrammet") == len(images) and '<th scope="col"' in html
    assert "&lt;5" in html
    assert response.context["figures"]["participants"]["unique"] == "<5"


def test_each_dashboard_chart_is_its_own_image_suppressed_like_the_page(client, steering, leader, report_project,
                                                                       march_data):
    query = {"project": report_project.pk, "month": "2026-03"}
    client.force_login(steering)
    page = client.get(reverse("reporting:dashboard"), query)
    [gender] = [image for image in _chart_images(page.content.decode()) if "/gender.svg" in image["src"]]
    image = client.get(gender["src"])
    assert image.status_code == 200 and image["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert "private" in image["Cache-Control"]
    svg = image.content.decode()
    assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert svg == page.context["charts"]["gender"].svg      # the page's figures, suppressed: "<5" drawn as a label
    assert "&lt;5" in svg
    client.force_login(leader)
    raw = client.get(gender["src"]).content.decode()
    assert raw != svg and "&lt;5" not in raw
    assert client.get(reverse("reporting:dashboard_chart", args=["no-such-chart"]), query).status_code == 404


def test_dashboard_is_raw_for_the_leader(client, leader, report_project, march_data):
    client.force_login(leader)
    response = client.get(reverse("reporting:dashboard"), {"project": report_project.pk, "month": "2026-03"})
    assert response.context["figures"]["participants"]["unique"] == 3


def test_final_editor_saves_drafts_and_previews(client, leader, report_project, march_data):
    client.force_login(leader)
    url = reverse("reporting:final_editor", args=[report_project.slug])
    data = {"next": "preview", "arbetssatt-body": "Kartläggning, matchning och arbetsträning.",
            "arbetssatt-could_have_been_better": "Mer tid för handledarna."}
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:final_preview", args=[report_project.slug])
    text = FinalReportText.objects.get(project=report_project, section="arbetssatt")
    assert text.body == "Kartläggning, matchning och arbetsträning." and text.updated_by == leader
    assert FinalReportText.objects.filter(project=report_project).count() == 13
    preview = client.get(response["Location"]).content.decode()
    assert "Kartläggning, matchning och arbetsträning." in preview
    assert "Mer tid för handledarna." in preview
    assert preview.index("Sammanfattning") < preview.index("Arbetssätt") < preview.index("Kontaktpersoner")
    editor = client.get(url).content.decode()
    assert "Mer tid för handledarna." in editor          # the saved draft comes back


def test_home_panel_for_leader_and_steering_only(client, steering, manager_a, monthly_run):
    client.force_login(steering)
    html = client.get(reverse("home")).content.decode()
    assert 'id="home-reports-title"' in html
    assert reverse("reporting:run_detail", args=[monthly_run.pk]) in html
    client.force_login(manager_a)
    assert 'id="home-reports-title"' not in client.get(reverse("home")).content.decode()
