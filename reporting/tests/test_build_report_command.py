"""build_report: writes exactly what the audience gets from the web; steering only whole periods."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from reporting.models import ReportRun
from reporting.services import build_report

from .conftest import MARCH, D

pytestmark = pytest.mark.django_db


def _run(*args, tmp_path) -> bytes:
    target = tmp_path / "out.bin"
    call_command("build_report", *args, "--output", str(target))
    return target.read_bytes()


def _without_time(figures: dict) -> dict:
    figures["meta"].pop("generated_at")
    return figures


ARGS = ["monthly", "--project", "sjalvklart-rapport", "--from", "2026-03-01", "--to", "2026-03-31"]


def test_steering_json_is_what_the_steering_group_downloads(client, steering, report_project, march_data,
                                                            tmp_path):
    cli = json.loads(_run(*ARGS, "--format", "json", "--audience", "steering", tmp_path=tmp_path))
    figures, _pdf = build_report(kind="monthly", project=report_project, period_start=MARCH[0],
                                 period_end=MARCH[1], render=False)
    run = ReportRun.objects.create(kind="monthly", project=report_project, period_start=MARCH[0],
                                   period_end=MARCH[1], status=ReportRun.Status.DONE, figures=figures)
    client.force_login(steering)
    web = json.loads(client.get(reverse("reporting:run_figures_json", args=[run.pk])).content)
    assert _without_time(cli) == _without_time(web)
    assert cli["participants"]["unique"] == "<5"


def test_leader_json_is_exact(report_project, march_data, tmp_path):
    cli = json.loads(_run(*ARGS, "--format", "json", "--audience", "leader", tmp_path=tmp_path))
    assert cli["participants"]["unique"] == 3 and cli["meta"]["suppressed"] is False
    assert "_hidden_in_months" not in cli


def test_xlsx_format(report_project, march_data, tmp_path):
    target = tmp_path / "mars.xlsx"
    call_command("build_report", *ARGS, "--format", "xlsx", "--audience", "steering", "--output", str(target))
    assert target.read_bytes().startswith(b"PK")


@pytest.mark.parametrize("period", [("2026-03-02", "2026-03-31"), ("2026-02-01", "2026-03-31"),
                                    ("2026-03-01", "2026-04-15"), ("2026-03-01", "2026-03-30"),
                                    ("2026-02-01", "2026-04-30"), ("2026-02-01", "2027-01-31"),
                                    ("2025-01-01", "2026-12-31")])
def test_steering_refuses_a_period_that_is_not_a_whole_month_quarter_or_year(report_project, period):
    with pytest.raises(CommandError, match="hela kalendermånader, kvartal"):
        call_command("build_report", "monthly", "--project", "sjalvklart-rapport", "--from", period[0],
                     "--to", period[1], "--format", "json", "--audience", "steering")


def test_steering_never_gets_the_final_report(report_project):
    with pytest.raises(CommandError, match="bara månadsrapporten"):
        call_command("build_report", "final", "--project", "sjalvklart-rapport", "--from", "2026-01-01",
                     "--to", "2026-12-31", "--format", "json", "--audience", "steering")


@pytest.mark.parametrize("period", [("2026-03-01", "2026-03-31"), ("2024-02-01", "2024-02-29"),
                                    ("2026-10-01", "2026-12-31"), ("2026-01-01", "2026-12-31")])
def test_steering_builds_a_whole_month_quarter_or_year(report_project, period, tmp_path, local_today):
    local_today(D(2027, 1, 1))  # every period has ended
    target = tmp_path / "out.json"
    call_command("build_report", "monthly", "--project", "sjalvklart-rapport", "--from", period[0],
                 "--to", period[1], "--format", "json", "--audience", "steering", "--output", str(target))
    assert json.loads(target.read_bytes())["meta"]["suppressed"] is True
