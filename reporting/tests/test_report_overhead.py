"""What a web worker and a report build pay besides the figures: matplotlib only where a chart is drawn, the
PDFs draw only the charts they show, web fonts decompressed once per process."""

import io
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pikepdf
import pytest
from django.conf import settings

from core import pdf
from core.pdf import render_html
from reporting.charts import monthly_charts
from reporting.documents import FINAL_CHARTS, MONTHLY_PDF_CHARTS, final_context, monthly_context
from reporting.selectors import final_figures, monthly_figures
from reporting.services import build_report

from .conftest import MARCH
from .pdf_checks import elements

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
config.celery.app.loader.import_default_modules()  # every task module, as a worker starting does
from django.urls import get_resolver
get_resolver().url_patterns
print(sorted(name for name in ("weasyprint", "pikepdf", "fontTools", "matplotlib", "openpyxl", "numpy",
                             "python_calamine") if name in sys.modules))
"""


def test_a_web_or_celery_worker_imports_the_pdf_renderer_only_when_it_renders():
    """…openpyxl (with numpy) only when it writes a workbook, and python-calamine only when it reads one."""
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


def _pseudo_element_styles_computed(monkeypatch) -> list:
    from weasyprint.css import StyleFor

    computed = []
    real = StyleFor.set_computed_styles

    def record(self, element, parent, root=None, pseudo_type=None, **kwargs):
        computed.append(pseudo_type)
        return real(self, element, parent, root=root, pseudo_type=pseudo_type, **kwargs)

    monkeypatch.setattr(StyleFor, "set_computed_styles", record)
    return computed


PLAIN_HTML = ("<html lang='sv'><head><title>t</title></head><body>"
              + "".join(f"<p>Stycke {i}</p>" for i in range(50))
              + "<ul><li>Första punkten</li></ul></body></html>")


@pytest.mark.poppler
def test_the_cascade_computes_no_footnote_or_note_styles_and_lists_keep_their_markers(monkeypatch, tmp_path):
    computed = _pseudo_element_styles_computed(monkeypatch)
    data = pdf.html_to_pdf(PLAIN_HTML)
    # WeasyPrint's own stylesheet gives every element ::marker, ::footnote-call, ::footnote-marker and three
    # ::note-* styles; only the list item's marker is needed.
    assert [kind for kind in computed if kind and not kind.startswith("@")] == ["marker"]  # "@top-left"…: pages
    path = tmp_path / "list.pdf"
    path.write_bytes(data)
    text = subprocess.run([shutil.which("pdftotext"), str(path), "-"],  # noqa: S603 - fixed program and file
                          capture_output=True, text=True, check=True).stdout
    assert "•" in text and "Första punkten" in text and "Stycke 49" in text


def test_the_user_agent_stylesheet_loses_only_the_footnote_and_note_rules():
    import weasyprint

    original = (Path(weasyprint.__file__).parent / "css" / "html5_ua.css").read_text(encoding="utf-8")
    trimmed = pdf.user_agent_css(original)
    removed = set(original.splitlines()) - set(trimmed.splitlines())
    assert {line.split(" ", 1)[0] for line in removed} == {
        "::marker", "::footnote-call", "::footnote-marker", "::note-call", "::note-marker", "::note-callback"}
    assert "li::marker, summary::marker {" in trimmed


def test_a_thread_keeps_one_font_configuration_across_renders(monkeypatch):
    from weasyprint.text import fonts

    made = []
    real = fonts.FontConfiguration
    monkeypatch.setattr(fonts, "FontConfiguration", lambda: made.append(1) or real())
    monkeypatch.setattr(pdf, "_thread_state", threading.local())
    first = pdf.font_configuration()
    pdf.html_to_pdf(PLAIN_HTML)
    pdf.html_to_pdf(PLAIN_HTML)
    assert made == [1] and pdf.font_configuration() is first
    other = []
    thread = threading.Thread(target=lambda: other.append(pdf.font_configuration()))
    thread.start()
    thread.join()
    assert other[0] is not first and made == [1, 1]


@pytest.mark.django_db
def test_the_monthly_pdf_draws_the_trends_and_shows_areas_and_survey_as_tables(report_project, march_data):
    """What the reader finds: the 12-month trends as line charts, the areas and the survey as tables only."""
    assert {"trend", "trend_stock", "goal"} == MONTHLY_PDF_CHARTS
    _figures, data = build_report(kind="monthly", project=report_project, period_start=MARCH[0], period_end=MARCH[1])
    with pikepdf.open(io.BytesIO(data)) as document:
        figures = [str(element.get("/Alt", "")) for element in elements(document) if pikepdf.Name.Figure == element.S]
    assert len(figures) == len(MONTHLY_PDF_CHARTS)
    assert all(alt.startswith("Linjediagram") for alt in figures), figures
    html = render_html("reporting/pdf/monthly.html", monthly_context(monthly_figures(report_project, *MARCH), pdf=True))
    assert "Per yrkesområde" in html and "Andel som svarat ja, mot målen" in html
