"""Import and export files through the web: damaged files, the upload cap, strict dates, round trips."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.urls import reverse

from core.tests.test_spreadsheets import lying_about_size
from placements import imports
from placements.models import Placement
from placements.tests.test_import import HEADER, csv_bytes, upload, xlsx_bytes


@pytest.fixture
def leader_client(client, leader):
    client.force_login(leader)
    return client


def test_damaged_xlsx_is_a_clear_400_not_a_server_error(leader_client, rows):
    data = lying_about_size(xlsx_bytes(rows), delta=-7)
    response = upload(leader_client, data)
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "XLSX-filen är skadad och kan inte läsas. Spara om den i Excel (Arkiv → Spara som → Excel-arbetsbok) och "
        "försök igen."]
    assert not Placement.objects.exists()


def test_damaged_xlsx_in_the_participant_import_is_a_clear_400(leader_client, project, rows):
    data = lying_about_size(xlsx_bytes(rows), delta=-7)
    response = leader_client.post(reverse("participants:import"), {
        "project": project.pk, "file": SimpleUploadedFile("historik.xlsx", data)})
    assert response.status_code == 400
    assert response.context["form"].errors["file"][0].startswith("XLSX-filen är skadad")


@pytest.fixture
def received(monkeypatch):
    """Bytes of uploaded files that reached Django's buffering handlers (memory or temporary file)."""
    seen = {"bytes": 0}
    for handler in (MemoryFileUploadHandler, TemporaryFileUploadHandler):
        original = handler.receive_data_chunk

        def spy(self, raw_data, start, original=original):
            seen["bytes"] += len(raw_data)
            return original(self, raw_data, start)

        monkeypatch.setattr(handler, "receive_data_chunk", spy)
    return seen


@pytest.mark.parametrize("url", ["placements:import", "participants:import"])
def test_upload_is_capped_before_it_is_buffered(leader_client, project, settings, received, url):
    settings.IMPORT_MAX_BYTES = 256 * 1024
    big = b"a;b\n" * (2 * settings.IMPORT_MAX_BYTES // 4)  # twice the cap
    response = leader_client.post(reverse(url), {
        "file": SimpleUploadedFile("stor.csv", big), "attested": "on", "project": project.pk})
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["Filen är för stor (högst 0,25 MB)."]
    # Never more than the cap (plus the chunk that crossed it) was handed on to be kept.
    assert received["bytes"] <= settings.IMPORT_MAX_BYTES + 64 * 1024


def test_a_file_under_the_cap_still_arrives_whole(leader_client, rows, received):
    data = csv_bytes(rows)
    response = upload(leader_client, data, name="platser.csv")
    assert response.status_code == 200 and received["bytes"] == len(data)


@pytest.mark.parametrize("text", ["2026-03-1234", "12/03/2026", "2026/03/12", "12.03.2026"])
def test_placement_dates_are_strict_iso(leader, rows, text):
    rows[0][8] = text
    header, data, _notices = imports.read_table(csv_bytes(rows))
    plan = imports.plan_import(header, data, user=leader)
    assert [(e.row, e.column, e.message) for e in plan.errors] == [
        (2, "tillgänglig från", f"Datumet ”{text}” kan inte läsas; skriv ÅÅÅÅ-MM-DD.")]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_keeps_text_that_starts_with_a_dash(leader_client, leader, placement_a, fmt):
    placement_a.code = "RT-1"
    placement_a.title = "-Lager, plock"
    placement_a.tasks = "=Packa och sortera"
    placement_a.save()
    exported = leader_client.get(reverse(f"placements:export_{fmt}")).content
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(exported)).active
        assert (sheet["B2"].value, sheet["B2"].data_type) == ("-Lager, plock", "s")
    header, table, _notices = imports.read_table(exported)
    header, table = header[:len(HEADER)], [r[:len(HEADER)] for r in table]  # the figure columns are not imported
    plan = imports.apply_import(header, table, user=leader, attested=True)
    assert [r.action for r in plan.rows] == ["update"]
    placement_a.refresh_from_db()
    assert (placement_a.title, placement_a.tasks) == ("-Lager, plock", "=Packa och sortera")


def test_known_unit_with_a_town_instead_of_its_municipality_is_a_warning(leader_client, rows, unit_a):
    unit_a.municipality = "Gotland"
    unit_a.save()
    response = upload(leader_client, csv_bytes(rows), name="platser.csv")
    assert response.status_code == 200 and response.context["token"]
    warnings = [(w.row, w.column, w.message) for w in response.context["plan"].warnings]
    assert warnings == [(2, "kommun", "Enheten finns redan och ligger i Gotland (filen anger Visby). "
                                      "Registrets kommun behålls.")]
    html = response.content.decode()
    assert "<td>2</td><td>kommun</td><td>Enheten finns redan och ligger i Gotland (filen anger Visby)." in html
