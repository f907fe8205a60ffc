"""PDF rendering: text extracted with pdftotext, fonts embedded, tagged, remote URLs blocked."""

import shutil
import subprocess

import pytest

from core.pdf import _static_path, make_url_fetcher, render_pdf
from reporting.models import FinalReportText
from reporting.services import build_report

from .conftest import MARCH

pytestmark = pytest.mark.django_db


def pdftotext(data: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run([shutil.which("pdftotext"), "-layout", str(path), "-"], check=True,  # noqa: S603
                          capture_output=True, text=True).stdout


def pdffonts(data: bytes, tmp_path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    return subprocess.run([shutil.which("pdffonts"), str(path)], check=True, capture_output=True, text=True).stdout  # noqa: S603


@pytest.mark.poppler
def test_monthly_pdf_text(report_project, march_data, tmp_path):
    figures, pdf = build_report(kind="monthly", project=report_project, period_start=MARCH[0],
                                period_end=MARCH[1])
    assert pdf.startswith(b"%PDF")
    text = pdftotext(pdf, tmp_path)
    assert "Månadsrapport till styrgruppen" in text
    assert "Självklart – rapportprojekt" in text
    assert "1 mars 2026 – 31 mars 2026" in text
    assert "Väntelista vid periodens slut" in text
    assert "Jämställdhet" in text
    assert "<5" in text                       # the steering group's copy is suppressed
    assert "Sida 2 av" in text
    assert figures["participants"]["starts"] == 4   # the stored figures stay raw
    fonts = pdffonts(pdf, tmp_path)
    assert "SourceSans3" in fonts.replace(" ", "").replace("-", "")
    assert "emb" in fonts.splitlines()[0] and " yes " in fonts


@pytest.mark.poppler
def test_final_pdf_text_with_narrative(report_project, march_data, leader, tmp_path):
    FinalReportText.objects.create(project=report_project, section="arbetssatt",
                                   body="Vi arbetade med kartläggning – matchning – arbetsträning.",
                                   could_have_been_better="Tidigare kontakt med cheferna.")
    _figures, pdf = build_report(kind="final", project=report_project, period_start=MARCH[0],
                                 period_end=MARCH[1])
    text = pdftotext(pdf, tmp_path)
    assert "Slutrapport genomförande" in text
    assert "Vi arbetade med kartläggning – matchning – arbetsträning." in text
    assert "Vad kunde ha gjorts bättre?" in text and "Tidigare kontakt med cheferna." in text
    for title in ("Sammanfattning", "Syfte och mål", "Deltagande aktörer", "Kontaktpersoner"):
        assert title in text
    # Exact figures for the funder: three unique participants, not "<5".
    assert "Unika deltagare" in text


@pytest.mark.poppler
def test_pdf_is_tagged_pdf_ua(report_project, march_data, tmp_path):
    _figures, pdf = build_report(kind="monthly", project=report_project, period_start=MARCH[0],
                                 period_end=MARCH[1])
    path = tmp_path / "tagged.pdf"
    path.write_bytes(pdf)
    info = subprocess.run([shutil.which("pdfinfo"), str(path)], check=True, capture_output=True,  # noqa: S603
                          text=True).stdout
    assert "Tagged:          yes" in info
    assert "A4" in info
    assert "Månadsrapport till styrgruppen" in info    # the document title
    meta = subprocess.run([shutil.which("pdfinfo"), "-meta", str(path)], check=True, capture_output=True,  # noqa: S603
                          text=True).stdout
    assert "pdfuaid" in meta


def test_url_fetcher_serves_static_and_blocks_everything_else():
    assert _static_path("file:///static/reporting/print.css").endswith("reporting/static/reporting/print.css")
    assert _static_path("file:///static/../config/settings/base.py") is None
    assert _static_path("file:///etc/passwd") is None
    fetcher = make_url_fetcher()
    assert b"@page" in fetcher.fetch("file:///static/reporting/print.css").read()
    for url in ("https://example.com/x.css", "http://169.254.169.254/latest", "file:///etc/passwd",
                "ftp://example.com/x"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_remote_resources_in_a_template_are_not_fetched(tmp_path, settings, monkeypatch):
    calls = []
    import urllib.request

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", lambda *a, **k: calls.append(a) or None)
    template_dir = tmp_path / "templates"
    template_dir.mkdir()
    (template_dir / "remote.html").write_text(
        '<html lang="sv"><head><title>t</title><link rel="stylesheet" href="https://cdn.example.com/x.css">'
        '</head><body><p>Hej åäö</p><img src="http://example.com/track.png" alt="x"></body></html>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [template_dir]}]
    pdf = render_pdf("remote.html", {})
    assert pdf.startswith(b"%PDF")
    assert calls == []
