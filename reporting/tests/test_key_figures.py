"""A key figure is rendered by one include: the dashboard, the start page and the monthly report show the same
value under the same label, exact for the project leader and suppressed for the steering group."""

import re

import pytest
from django.urls import reverse

from core.pdf import render_html
from reporting.documents import monthly_context
from reporting.models import ReportRun
from reporting.selectors import monthly_figures

from .conftest import MARCH

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def _pairs(pattern: str, html: str, *, value_first: bool) -> dict:
    found = re.findall(pattern, html, re.S)
    assert found, "no key figures on the page"
    return {(label if value_first else value).strip().casefold(): (value if value_first else label).strip()
            for value, label in found}


def dashboard_figures(html):
    return _pairs(r'<p class="stat-value mb-1">(.*?)</p><p class="mb-0">(.*?)</p>', html, value_first=True)


def home_figures(html):
    return _pairs(r'<dt class="col-8 fw-normal">(.*?)</dt><dd class="col-4 text-end fw-bold">(.*?)</dd>', html,
                  value_first=False)


def report_figures(html):
    return _pairs(r'<div class="keyfigure"><div class="value">(.*?)</div><div class="label">(.*?)</div>'
                  r'(?:<div class="change">.*?</div>)?</div>', html, value_first=True)


@pytest.fixture
def pages(client, report_project, march_data):
    figures = monthly_figures(report_project, *MARCH)
    ReportRun.objects.create(kind=ReportRun.Kind.MONTHLY, project=report_project, period_start=MARCH[0],
                             period_end=MARCH[1], status=ReportRun.Status.DONE, figures=figures)

    def shown_to(user, *, suppress: bool):
        client.force_login(user)
        dashboard = client.get(reverse("reporting:dashboard"), {"project": report_project.pk, "month": "2026-03"})
        home = client.get(reverse("home"))
        report = render_html("reporting/pdf/monthly.html", monthly_context(figures, suppress=suppress))
        return (dashboard_figures(dashboard.content.decode()), home_figures(home.content.decode()),
                report_figures(report))

    return shown_to


def test_leader_sees_the_same_exact_key_figures_everywhere(pages, leader):
    dashboard, home, report = pages(leader, suppress=False)
    assert dashboard == report
    assert home.items() <= report.items()
    assert report["starter"] == "4"
    assert "unika deltagare" not in report      # the first page says each thing once (starts, not both)
    assert report["avslut"] == "3"
    # A began on P2 on 3 March, B on P1 on 15 March (the others on P2 belong to another project); the
    # occupied places are a separate figure, so the first page does not say the same thing twice.
    assert report["började på en arbetsträningsplats"] == "2"
    assert f"av de anställda har en arbetsträningsplats (mål 3,0{NBSP}%)" in report   # the goal comes first
    # 1 of 1: of the three unique people who exited only A had begun a placement (A went to work)
    assert report[f"till arbete eller studier (mål 30{NBSP}%)"] == f"100{NBSP}%"
    assert set(home) == {"starter", "avslut", f"till arbete eller studier (mål 30{NBSP}%)",
                         next(label for label in report if label.startswith("platser för deltagare")),
                         "lediga platser"}


def test_monthly_key_figures_show_the_change_since_last_month(report_project, march_data):
    html = render_html("reporting/pdf/monthly.html",
                       monthly_context(monthly_figures(report_project, *MARCH), suppress=False))
    boxes = dict(re.findall(r'<div class="label">([^<]*)</div><div class="change">([^<]*)</div>', html))
    # February: 0 exits (none of the data set's exits is in February), March: 3
    assert boxes["avslut"] == "+3 sedan februari"
    # Nobody of the project began a placement in February; A and B did in March.
    assert boxes["började på en arbetsträningsplats"] == "+2 sedan februari"


def test_steering_group_sees_the_same_suppressed_key_figures_everywhere(pages, steering):
    dashboard, home, report = pages(steering, suppress=True)
    assert dashboard == report
    assert home.items() <= report.items()
    assert report["starter"] == "&lt;5"
    assert report["avslut"] == "&lt;5"
    assert report["började på en arbetsträningsplats"] == "&lt;5"
