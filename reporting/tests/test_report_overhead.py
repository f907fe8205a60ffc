"""What a web worker and a report build pay besides the figures: matplotlib only where a chart is drawn, the
PDFs draw only the charts they show, web fonts decompressed once per process."""

import subprocess
import sys

import pytest
from django.conf import settings

from core import pdf
from core.pdf import render_html
from reporting.charts import monthly_charts
from reporting.documents import FINAL_CHARTS, MONTHLY_PDF_CHARTS, final_context, monthly_context
from reporting.selectors import final_figures, monthly_figures

from .conftest import MARCH

PROBE = """
import sys
import django
django.setup()
import config.urls, config.wsgi  # noqa: E401
import reporting.views, reporting.documents, reporting.charts, reporting.services  # noqa: E401
from django.urls import get_resolver
get_resolver().url_patterns
print("matplotlib" in sys.modules)
"""


def test_importing_the_urlconf_and_views_does_not_import_matplotlib():
    completed = subprocess.run(  # noqa: S603 - fixed interpreter and script
        [sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120,
        check=False, env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1] == "False"


WORKER_PROBE = """
import sys
import django
django.setup()
import config.urls, config.wsgi, config.celery  # noqa: E401
import reporting.views, reporting.tasks, participants.views, participants.register_views  # noqa: E401
from django.urls import get_resolver
get_resolver().url_patterns
print(sorted(name for name in ("weasyprint", "pikepdf", "fontTools", "matplotlib") if name in sys.modules))
"""


def test_a_web_or_celery_worker_imports_the_pdf_renderer_only_when_it_renders():
    completed = subprocess.run(  # noqa: S603 - fixed interpreter and script
        [sys.executable, "-c", WORKER_PROBE], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120,
        check=False, env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.django_db
def test_the_monthly_pdf_draws_only_the_charts_it_shows_and_shows_the_same(report_project, march_data):
    figures = monthly_figures(report_project, *MARCH)
    for_pdf = monthly_context(figures, suppress=True, pdf=True)
    everything = monthly_context(figures, suppress=True)
    assert set(for_pdf["charts"]) == MONTHLY_PDF_CHARTS
    assert set(everything["charts"]) == {chart.key for chart in monthly_charts(figures)} > MONTHLY_PDF_CHARTS
    # Not one chart the PDF shows is lost by drawing fewer.
    assert render_html("reporting/pdf/monthly.html", for_pdf) == render_html("reporting/pdf/monthly.html", everything)


@pytest.mark.django_db
def test_the_final_pdf_draws_only_the_charts_it_shows(report_project, march_data):
    figures = final_figures(report_project, *MARCH)
    context = final_context(figures, {})
    assert set(context["charts"]) == FINAL_CHARTS
    everything = {**context, "charts": {chart.key: chart for chart in monthly_charts(figures)}}
    assert render_html("reporting/pdf/final.html", context) == render_html("reporting/pdf/final.html", everything)


def test_web_fonts_are_decompressed_once_per_process(monkeypatch):
    from fontTools.ttLib import woff2

    calls = []
    real = woff2.decompress
    monkeypatch.setattr(woff2, "decompress", lambda *args: calls.append(1) or real(*args))
    pdf._font_body.cache_clear()
    font = str(settings.BASE_DIR / "static" / "fonts" / "source-sans-3-latin-400-normal.woff2")
    first = pdf._static_body(font)
    second = pdf._static_body(font)
    assert calls == [1]
    assert first is second
    assert first[:4] in (b"\x00\x01\x00\x00", b"OTTO", b"true")  # plain sfnt, which WeasyPrint embeds as it is
