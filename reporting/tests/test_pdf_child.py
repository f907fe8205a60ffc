"""PDFs rendered in a forked child of the (warm) process (settings.PDF_RENDER_IN_CHILD, the production default):
the same report, the parent's garbage collector left as it was, an error in the child raised in the parent."""

import gc
import os

import pytest

from core import pdf
from reporting.services import build_report

from .conftest import MARCH
from .test_pdf import pdftotext

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_child(settings):
    settings.PDF_RENDER_IN_CHILD = True


def test_the_pdf_is_rendered_by_another_process(in_child, monkeypatch):
    monkeypatch.setattr(pdf, "_render", lambda html: f"{os.getpid()}:{html}".encode())
    monkeypatch.setattr(pdf, "warm_renderer", lambda: None)
    pid, html = pdf.html_to_pdf("<p>x</p>").decode().split(":", 1)
    assert html == "<p>x</p>"
    assert int(pid) != os.getpid()


def test_an_error_in_the_child_is_raised_in_the_parent(in_child, monkeypatch):
    def fail(html):
        raise ValueError("ingen sida")

    monkeypatch.setattr(pdf, "_render", fail)
    monkeypatch.setattr(pdf, "warm_renderer", lambda: None)
    with pytest.raises(RuntimeError, match="ValueError: ingen sida"):
        pdf.html_to_pdf("<p>x</p>")
    assert gc.isenabled() and gc.get_freeze_count() == 0


@pytest.mark.poppler
def test_a_monthly_report_rendered_in_a_child_is_the_same_report(in_child, report_project, march_data, tmp_path,
                                                                 settings):
    _figures, in_child_pdf = build_report(kind="monthly", project=report_project, period_start=MARCH[0],
                                          period_end=MARCH[1])
    assert gc.isenabled() and gc.get_freeze_count() == 0
    settings.PDF_RENDER_IN_CHILD = False
    _figures, here = build_report(kind="monthly", project=report_project, period_start=MARCH[0],
                                  period_end=MARCH[1])
    text = pdftotext(in_child_pdf, tmp_path)
    assert "Månadsrapport till styrgruppen" in text and "Väntelista vid periodens slut" in text
    # The same pages and words (the creation time on the cover aside).
    strip = lambda t: [line for line in t.splitlines() if "Skapad" not in line]  # noqa: E731
    assert strip(text) == strip(pdftotext(here, tmp_path))
