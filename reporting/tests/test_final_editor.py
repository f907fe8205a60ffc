"""The final-report editor: section navigation, the system's figures beside each text box, the guiding
questions as help text, drafts saved automatically, and "UTKAST" on every page of an unfinished PDF."""

import re
import shutil
import subprocess

import pytest
from django.urls import reverse

from reporting.documents import FINAL_SECTIONS
from reporting.models import FinalReportText
from reporting.services import build_report

from .conftest import MARCH

pytestmark = pytest.mark.django_db


def test_editor_has_navigation_help_and_the_sections_figures(client, leader, report_project, march_data):
    client.force_login(leader)
    html = client.get(reverse("reporting:final_editor", args=[report_project.slug])).content.decode()
    nav = re.search(r'<ol class="final-nav">(.*?)</ol>', html, re.S).group(1)
    assert re.findall(r'href="#sec-([a-z_]+)"', nav) == [key for key, _title, _help in FINAL_SECTIONS]
    results = html[html.index('id="sec-resultat"'):html.index('id="sec-syfte_och_mal"')]
    assert "Problemet, ambitionen och resultaten på individ-, organisations- och systemnivå." in results
    # the section's own figures beside its text: unique participants by gender (A, C women; B, D men)
    assert "Siffrorna som systemet fyller i" in results
    assert re.search(r"<th scope=\"row\">Unika deltagare</th>(<td class=\"num\">[^<]*</td>){4}", results)
    assert 'data-hx-post="' + reverse("reporting:final_autosave", args=[report_project.slug, "resultat"]) in results


def test_autosave_stores_one_section(client, leader, report_project):
    client.force_login(leader)
    url = reverse("reporting:final_autosave", args=[report_project.slug, "arbetssatt"])
    response = client.post(url, {"arbetssatt-body": "Kartläggning först.", "arbetssatt-could_have_been_better": "",
                                 "resultat-body": "ska inte sparas här"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.content.decode().startswith("Utkastet sparat ")
    assert list(FinalReportText.objects.values_list("section", "body")) == [("arbetssatt", "Kartläggning först.")]


def test_autosave_refuses_an_unknown_section(client, leader, report_project):
    client.force_login(leader)
    url = reverse("reporting:final_autosave", args=[report_project.slug, "okant"])
    assert client.post(url, {"okant-body": "x"}).status_code == 404
    assert not FinalReportText.objects.exists()


def _pages(pdf, tmp_path):
    path = tmp_path / "final.pdf"
    path.write_bytes(pdf)
    text = subprocess.run([shutil.which("pdftotext"), "-layout", str(path), "-"], check=True,  # noqa: S603
                          capture_output=True, text=True).stdout
    return [page for page in text.split("\f") if page.strip()]


@pytest.mark.poppler
def test_unfinished_final_report_says_utkast_on_every_page(report_project, march_data, tmp_path):
    FinalReportText.objects.create(project=report_project, section="arbetssatt", body="Kartläggning först.")
    _figures, pdf = build_report(kind="final", project=report_project, period_start=MARCH[0], period_end=MARCH[1])
    pages = _pages(pdf, tmp_path)
    assert len(pages) > 2 and all("UTKAST" in page for page in pages)


@pytest.mark.poppler
def test_finished_final_report_has_no_draft_mark(report_project, march_data, tmp_path):
    for key, _title, _help in FINAL_SECTIONS:
        FinalReportText.objects.create(project=report_project, section=key, body=f"Text om {key}.")
    _figures, pdf = build_report(kind="final", project=report_project, period_start=MARCH[0], period_end=MARCH[1])
    assert not any("UTKAST" in page for page in _pages(pdf, tmp_path))
