"""Layout rules checked on the built PDFs: tables hold their captions (on the page of their first row) in
the structure tree, header cells carry /Scope, and no page holds only a few spilled lines."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from weasyprint import HTML

from core.dates import previous_month
from core.pdf import PDF_OPTIONS, render_html
from core.pdf_structure import repair_structure
from organisations.models import Project
from organisations.tests.factories import OrganisationFactory
from reporting.documents import final_context, monthly_context
from reporting.models import FinalReportText
from reporting.selectors import final_figures, monthly_figures
from reporting.services import build_report

from .conftest import MARCH
from .pdf_checks import sparse_pages, table_problems, words_past_the_right_margin

pytestmark = [pytest.mark.django_db, pytest.mark.poppler]


def _chapter_titles(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", title).strip() for title in re.findall(r"<h2[^>]*>(.*?)</h2>", html, re.S)]


def _table_html(rows: int, filler: int) -> str:
    body = "".join(f"<tr><th scope='row'>Rad {i}</th><td>{i}</td></tr>" for i in range(rows))
    lines = "".join(f"<p>Rad {i} av brödtexten</p>" for i in range(filler))
    return (f"<html lang='sv'><head><title>t</title><style>@page {{ size: A4 }} p {{ margin: 0; font-size: 12pt }}"
            f" caption {{ break-after: avoid }}</style></head><body>{lines}<table><caption>Tabellen</caption>"
            f"<thead><tr><th scope='col'>A</th><th scope='col'>B</th></tr></thead><tbody>{body}</tbody></table>"
            "</body></html>")


def test_a_table_broken_over_pages_is_one_structure_element_with_scopes():
    raw = HTML(string=_table_html(rows=70, filler=30)).write_pdf(**PDF_OPTIONS)
    assert any("no caption" in problem for problem in table_problems(raw))  # WeasyPrint alone: two tables
    assert table_problems(repair_structure(raw)) == []


def test_monthly_pdf_tables_and_pages(report_project, march_data, tmp_path):
    _figures, pdf = build_report(kind="monthly", project=report_project, period_start=MARCH[0],
                                 period_end=MARCH[1])
    assert table_problems(pdf) == []
    html = render_html("reporting/pdf/monthly.html",
                       monthly_context(monthly_figures(report_project, *MARCH), suppress=True))
    assert sparse_pages(pdf, tmp_path, _chapter_titles(html)) == []


def test_final_pdf_tables_and_pages(report_project, march_data, tmp_path):
    FinalReportText.objects.create(project=report_project, section="arbetssatt", body="Kartläggning först.")
    _figures, pdf = build_report(kind="final", project=report_project, period_start=MARCH[0],
                                 period_end=MARCH[1])
    assert table_problems(pdf) == []
    figures = final_figures(report_project, *MARCH)
    html = render_html("reporting/pdf/final.html", final_context(figures, {}))
    assert sparse_pages(pdf, tmp_path, _chapter_titles(html)) == []


@pytest.fixture
def demo_project():
    call_command("seed_demo", "--scale", "1", stdout=StringIO())
    return Project.objects.get(slug="sjalvklart")


def test_demo_reports_hold_the_layout_rules(demo_project, tmp_path):
    """The demo data at scale 1: long tables (organisations, areas, hosts) break over pages here."""
    start, end = previous_month()
    _figures, monthly = build_report(kind="monthly", project=demo_project, period_start=start, period_end=end)
    assert table_problems(monthly) == []
    html = render_html("reporting/pdf/monthly.html",
                       monthly_context(monthly_figures(demo_project, start, end), suppress=True))
    assert sparse_pages(monthly, tmp_path, _chapter_titles(html)) == []
    _figures, final = build_report(kind="final", project=demo_project, period_start=demo_project.start_date,
                                   period_end=end)
    assert table_problems(final) == []
    # The goal table's long column heads wrap instead of pushing the table past the margin.
    assert words_past_the_right_margin(monthly, tmp_path) == []
    assert words_past_the_right_margin(final, tmp_path) == []


def test_a_long_organisation_table_breaks_over_pages_and_never_strands_its_caption(report_project, march_data,
                                                                                    tmp_path):
    """At a region's scale the organisation table is longer than a page: it breaks with its header repeated
    instead of jumping whole to the next page and leaving its caption alone on a page."""
    for index in range(80):
        OrganisationFactory(name=f"Förvaltning {index:02d}", employee_count=100 + index)
    _figures, pdf = build_report(kind="monthly", project=report_project, period_start=MARCH[0],
                                 period_end=MARCH[1])
    assert table_problems(pdf) == []
    html = render_html("reporting/pdf/monthly.html",
                       monthly_context(monthly_figures(report_project, *MARCH), suppress=True))
    assert sparse_pages(pdf, tmp_path, _chapter_titles(html)) == []
