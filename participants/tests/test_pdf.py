import datetime as dt
import subprocess

import pytest
from django.urls import reverse

from core.pdf import BlockedURL, make_url_fetcher
from participants.models import Competence


@pytest.mark.parametrize("url", ["https://example.com/x.css", "file:///etc/passwd",
                                 "file:///static/../../settings.py", "http://localhost/static/css/app.css"])
def test_fetcher_blocks_everything_but_static(url):
    with pytest.raises((BlockedURL, ValueError)):
        make_url_fetcher().fetch(url)


def test_fetcher_serves_the_competence_card_css_from_disk():
    response = make_url_fetcher().fetch("file:///static/participants/competence_card.css")
    assert b"@page" in response.read()


@pytest.mark.poppler
def test_competence_card_pdf_has_the_competences(client, case_worker_af, referral_af, tmp_path):
    Competence.objects.create(referral=referral_af, name="Samarbete i arbetslag", validated_on=dt.date(2026, 3, 1),
                              validated_by="Handledare Åsa")
    client.force_login(case_worker_af)
    response = client.get(reverse("participants:competence_card", args=[referral_af.pk]))
    path = tmp_path / "card.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout  # noqa: S603,S607
    assert "Kompetenskort" in text and "Samarbete i arbetslag" in text and "Handledare Åsa" in text


def _fonts(path) -> set[str]:
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout  # noqa: S603,S607
    return {line.split()[0].split("+")[-1] for line in listing.splitlines()[2:] if line.strip()}


@pytest.mark.poppler
@pytest.mark.parametrize("name", ["participants:competence_card", "participants:register_extract"])
def test_every_font_in_the_pdf_is_the_report_font(client, leader, case_worker_af, referral_af, tmp_path, name):
    """The page number in the margin box too: no DejaVu Serif, the renderer's default."""
    client.force_login(leader if name == "participants:register_extract" else case_worker_af)
    pk = referral_af.participant_id if name == "participants:register_extract" else referral_af.pk
    response = client.get(reverse(name, args=[pk]))
    assert response.status_code == 200
    path = tmp_path / "out.pdf"
    path.write_bytes(response.content)
    fonts = _fonts(path)
    assert fonts and all(font.startswith("Source-Sans-3") for font in fonts), fonts
