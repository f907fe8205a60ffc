"""Import: good files, bad rows (all-or-nothing), and hostile files built in the test."""

import csv
import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from python_calamine import CalamineError, CalamineWorkbook

from core import spreadsheets
from core.models import AuditEvent
from organisations.models import Unit
from placements import imports
from placements.models import Placement
from placements.selectors import placements_count_stored
from placements.tests.factories import PlacementFactory

HEADER = ["kod", "benämning", "organisation", "enhet", "kommun", "yrkesområde", "arbetsuppgifter",
          "antal platser", "tillgänglig från", "tillgänglig till", "handledarens e-post", "anpassningar"]


def csv_bytes(rows, header=HEADER, delimiter=",", encoding="utf-8", bom=False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    text = buffer.getvalue()
    return (("\ufeff" if bom else "") + text).encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, data: bytes, name="platser.xlsx"):
    return client.post(reverse("placements:import"), {"file": SimpleUploadedFile(name, data), "attested": "on"})


@pytest.fixture
def leader_client(client, leader):
    client.force_login(leader)
    return client


# --- good files ----------------------------------------------------------------------------------


def test_xlsx_preview_then_confirm_creates_everything(leader_client, rows, leader, wheelchair, quiet):
    preview = upload(leader_client, xlsx_bytes(rows))
    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert [(r.row, r.action, r.new_unit) for r in plan.rows] == [(2, "create", False), (3, "create", True)]
    assert "ny enhet" in preview.content.decode()
    assert not Placement.objects.exists()  # dry run
    response = leader_client.post(reverse("placements:import_confirm"), {"token": preview.context["token"]})
    assert response.status_code == 302
    first = Placement.objects.get(code="P-1")
    assert first.capacity == 2 and first.supervisor.email == "hanna@example.test"
    assert set(first.adaptations.all()) == {wheelchair, quiet}
    assert first.attested_by == leader
    assert Unit.objects.get(name="Nya köket").municipality == "Visby"
    assert AuditEvent.objects.filter(action="import").count() == 1
    assert placements_count_stored() == Placement.objects.count() == 2  # the stored number of placements


def test_the_import_writes_each_new_placement_and_unit_into_their_history(leader_client, rows, leader, wheelchair,
                                                                            quiet):
    preview = upload(leader_client, xlsx_bytes(rows))
    leader_client.post(reverse("placements:import_confirm"), {"token": preview.context["token"]})
    first = Placement.objects.get(code="P-1")
    record = first.history.get()
    assert (record.history_type, record.history_user, record.title, record.capacity, record.unit_id,
            record.supervisor_id, record.code) == ("+", leader, "Lagerplats", 2, first.unit_id, first.supervisor_id,
                                                   "P-1")
    assert {row.adaptation_id for row in record.adaptations.all()} == {wheelchair.pk, quiet.pk}
    assert Placement.objects.get(code="P-2").history.get().history_type == "+"
    unit = Unit.objects.get(name="Nya köket").history.get()
    assert (unit.history_type, unit.history_user, unit.municipality) == ("+", leader, "Visby")


def test_reimport_with_code_updates(leader_client, rows, unit_a, area):
    existing = PlacementFactory(code="P-1", unit=unit_a, occupational_area=area, title="Gammal titel", capacity=1)
    preview = upload(leader_client, csv_bytes(rows[:1]), name="platser.csv")
    assert [r.action for r in preview.context["plan"].rows] == ["update"]
    leader_client.post(reverse("placements:import_confirm"), {"token": preview.context["token"]})
    existing.refresh_from_db()
    assert (existing.title, existing.capacity) == ("Lagerplats", 2)
    assert placements_count_stored() == Placement.objects.count() == 1  # an update adds no placement


@pytest.mark.parametrize(("delimiter", "encoding", "bom"), [
    (",", "utf-8", False), (";", "utf-8", True), ("\t", "utf-8", False), (";", "cp1252", False),
])
def test_csv_delimiters_and_encodings(leader, rows, delimiter, encoding, bom):
    header, data, notices = imports.read_table(csv_bytes(rows, delimiter=delimiter, encoding=encoding, bom=bom))
    assert header[1] == "benämning" and data[1][3] == "Nya köket"
    assert bool(notices) == (encoding == "cp1252")  # a clear notice when the file was not UTF-8
    assert imports.plan_import(header, data, user=leader).ok


def test_utf16_csv_is_read(leader, rows):
    text = "\t".join(HEADER) + "\n" + "\n".join("\t".join(r) for r in rows)
    header, data, _ = imports.read_table(text.encode("utf-16"))
    assert header[1] == "benämning" and len(data) == 2


# --- bad rows: nothing is written ----------------------------------------------------------------


def test_one_bad_row_stops_whole_import_with_swedish_errors(leader_client, rows, org_a, unit_a):
    bad = rows + [["", "", "Okänd org", unit_a.name, "", "Okänt område", "", "noll", "31/31/2026", "", "", "Jetpack"]]
    response = upload(leader_client, csv_bytes(bad), name="platser.csv")
    assert response.status_code == 400
    errors = {(e.row, e.column) for e in response.context["plan"].errors}
    assert {(4, "benämning"), (4, "organisation"), (4, "antal platser"), (4, "tillgänglig från"),
            (4, "yrkesområde"), (4, "anpassningar")} <= errors
    html = response.content.decode()
    assert "Importen stoppades – ingenting har sparats" in html and "Organisationen ”Okänd org” finns inte" in html
    assert "token" not in response.context
    assert not Placement.objects.exists() and not Unit.objects.filter(name="Nya köket").exists()


def test_missing_required_column(leader):
    header = [h for h in HEADER if h != "antal platser"]
    plan = imports.plan_import(header, [], user=leader)
    assert [(e.row, e.column, e.message) for e in plan.errors] == [(1, "antal platser",
                                                                    "Obligatorisk kolumn saknas.")]


def test_duplicate_code_in_file_and_end_before_start(leader, rows):
    rows[1][0] = "P-1"
    rows[0][9] = "2025-12-01"
    plan = imports.plan_import(HEADER, rows, user=leader)
    assert {(e.row, e.column) for e in plan.errors} == {(2, "tillgänglig till"), (3, "kod")}


def test_manager_cannot_import_into_other_organisation(manager_b, rows):
    plan = imports.plan_import(HEADER, rows, user=manager_b)
    assert {e.column for e in plan.errors} >= {"organisation"}


def test_manager_cannot_update_other_organisations_placement_by_code(manager_a, org_a, unit_a, area, unit_b):
    PlacementFactory(code="B-1", unit=unit_b, occupational_area=area)
    row = ["B-1", "Kapning", org_a.name, unit_a.name, "", area.name, "", "1", "", "", "", ""]
    plan = imports.plan_import(HEADER, [row], user=manager_a)
    assert [(e.row, e.column) for e in plan.errors] == [(2, "kod")]


def test_capacity_below_booked_refused(leader, unit_a, area, org_a):
    from placements.models import Assignment
    from placements.tests.factories import AssignmentFactory

    placement = PlacementFactory(code="C-1", unit=unit_a, occupational_area=area, capacity=2)
    for _ in range(2):
        AssignmentFactory(placement=placement, status=Assignment.Status.CONFIRMED,
                          start_date=dt.date(2031, 1, 1), planned_end_date=dt.date(2031, 2, 1))
    row = ["C-1", "X", org_a.name, unit_a.name, "", "", "", "1", "", "", "", ""]
    plan = imports.plan_import(HEADER, [row], user=leader)
    assert [(e.column, e.message) for e in plan.errors] == [
        ("antal platser", "Antal platser kan inte vara lägre än det största antalet bokade deltagare framöver (2).")]


def test_import_and_form_say_the_same_about_the_same_bad_values(client, leader, unit_a, area, org_a):
    """The value rules are the service's (placement_value_errors): the import's row error and the edit form's
    field error are one and the same message."""
    from placements.models import Assignment
    from placements.tests.factories import AssignmentFactory
    from placements.tests.test_placement_pages import form_data

    placement = PlacementFactory(code="C-1", unit=unit_a, occupational_area=area, capacity=2, title="X",
                                 available_from=dt.date(2025, 1, 1))
    for _ in range(2):
        AssignmentFactory(placement=placement, status=Assignment.Status.CONFIRMED,
                          start_date=dt.date(2031, 1, 1), planned_end_date=dt.date(2031, 2, 1))
    client.force_login(leader)
    edit = reverse("placements:edit", args=[placement.pk])
    for column, field, cells, values in [
        ("antal platser", "capacity", {7: "1"}, {"capacity": 1, "available_from": "2025-01-01"}),
        ("tillgänglig till", "available_to", {8: "2031-03-01", 9: "2031-02-01"},
         {"available_from": "2031-03-01", "available_to": "2031-02-01"}),
    ]:
        row = ["C-1", "X", org_a.name, unit_a.name, "", "", "", "2", "", "", "", ""]
        for index, text in cells.items():
            row[index] = text
        plan = imports.plan_import(HEADER, [row], user=leader)
        response = client.post(edit, form_data(unit_a, area, title="X", code="C-1", **values))
        assert response.status_code == 200
        assert [(e.column, e.message) for e in plan.errors] == [
            (column, response.context["form"].errors[field][0])], field
    placement.refresh_from_db()
    assert placement.capacity == 2


def test_the_preview_note_names_as_many_rows_as_the_table_shows(leader_client, org_a, unit_a, area, monkeypatch):
    monkeypatch.setattr(imports, "PREVIEW_ROWS", 3)
    rows = [[f"P-{n}", f"Plats {n}", org_a.name, unit_a.name, "", area.name, "", "1", "", "", "", ""]
            for n in range(5)]
    preview = upload(leader_client, xlsx_bytes(rows))
    assert len(preview.context["plan"].rows) == 3
    assert "Tabellen visar de 3 första raderna av 5." in preview.content.decode()
    preview = upload(leader_client, xlsx_bytes(rows[:3]))
    assert "Tabellen visar" not in preview.content.decode()


def test_code_taken_between_preview_and_write_refuses_the_whole_write(leader, rows, unit_a, area):
    from django.core.exceptions import ValidationError

    from placements.services import placements_import_write

    plan = imports.plan_import(HEADER, rows, user=leader)
    assert not plan.errors
    PlacementFactory(code=rows[0][0], unit=unit_a, occupational_area=area)
    before = Placement.objects.count(), Unit.objects.count()
    with pytest.raises(ValidationError):
        placements_import_write(user=leader, rows=plan.rows, attested=False)
    assert (Placement.objects.count(), Unit.objects.count()) == before

# --- hostile files -------------------------------------------------------------------------------


def test_wrong_type_by_content_is_refused(leader_client):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    response = upload(leader_client, png, name="platser.csv")
    assert response.status_code == 400
    assert "varken en XLSX-fil eller en textfil" in response.content.decode()


def test_zip_that_is_not_xlsx_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hej")
    with pytest.raises(imports.ImportFileError, match="inte en XLSX-fil"):
        imports.read_table(buffer.getvalue())


def test_huge_file_is_refused(leader_client):
    huge = b"a,b\n" * (spreadsheets.max_bytes() // 4 + 10)
    response = upload(leader_client, huge, name="platser.csv")
    assert response.status_code == 400
    assert "för stor" in response.content.decode()


def test_too_many_rows_is_refused():
    data = ("benämning\n" + "x\n" * (spreadsheets.max_rows() + 1)).encode()
    with pytest.raises(imports.ImportFileError, match="för många rader"):
        imports.read_table(data)


def test_zip_bomb_is_refused_before_parsing(rows):
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows))) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            bomb.writestr(item, source.read(item.filename))
        bomb.writestr("xl/media/padding.xml", b"<a>" + b" " * (60 * 1024 * 1024) + b"</a>")
    data = buffer.getvalue()
    assert len(data) < spreadsheets.max_bytes()  # small on disk …
    with pytest.raises(imports.ImportFileError, match="zip-bomb"):  # … huge unpacked
        imports.read_table(data)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">
<si><t>&lol4;</t></si></sst>"""


def _replace_part(data: bytes, name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        names = source.namelist()
        for item in source.infolist():
            if item.filename != name:
                out.writestr(item, source.read(item.filename))
        out.writestr(name, content)
        assert name in names or name.startswith("xl/")
    return buffer.getvalue()


def test_xml_entity_expansion_is_refused(leader_client, rows):
    data = _replace_part(xlsx_bytes(rows), "xl/sharedStrings.xml", BILLION_LAUGHS)
    with pytest.raises(imports.ImportFileError, match="DTD"):
        imports.read_table(data)
    response = upload(leader_client, data)
    assert response.status_code == 400 and not Placement.objects.exists()


XXE = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&xxe;</t></si>
</sst>"""


@pytest.mark.parametrize(("part", "content"), [
    ("xl/sharedStrings.xml", BILLION_LAUGHS),
    ("xl/sharedStrings.xml", XXE),
    ("xl/worksheets/sheet1.xml", BILLION_LAUGHS.replace(b"sst", b"worksheet")),
])
def test_the_xlsx_parser_itself_expands_no_entities(rows, part, content):
    """Second line of defence: even without our DTD scan, calamine neither expands an entity bomb nor reads an
    external entity: it refuses the file or reads no such text."""
    data = _replace_part(xlsx_bytes(rows), part, content)
    try:
        with CalamineWorkbook.from_filelike(io.BytesIO(data)) as workbook:
            values = workbook.get_sheet_by_index(0).to_python()
    except CalamineError:
        return
    text = repr(values)
    assert "lol" not in text and "root:" not in text and len(text) < 2000


def test_undecodable_text_is_refused():
    with pytest.raises(imports.ImportFileError, match="teckenkodning"):
        imports.read_table(b"ben\x81mning,organisation\n\x8d\x8f,\x90\x9d\n")


# --- management command --------------------------------------------------------------------------


def test_command_dry_run_and_import(tmp_path, rows, capsys):
    path = tmp_path / "platser.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    call_command("import_placements", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "rad 3: ny: Ny enhet-plats" in out and "ny enhet" in out
    assert not Placement.objects.exists()
    call_command("import_placements", str(path), "--attested")
    assert Placement.objects.count() == 2 and Placement.objects.get(code="P-1").attested_no_displacement


def test_command_refuses_bad_file_and_writes_nothing(tmp_path, rows, capsys):
    rows[1][7] = "-3"
    path = tmp_path / "platser.csv"
    path.write_bytes(csv_bytes(rows, delimiter=";"))
    with pytest.raises(CommandError, match="Ingenting sparades"):
        call_command("import_placements", str(path))
    assert "rad 3, kolumn antal platser" in capsys.readouterr().err
    assert not Placement.objects.exists()


def test_command_with_manager_user_applies_scope(tmp_path, rows, manager_b):
    path = tmp_path / "platser.csv"
    path.write_bytes(csv_bytes(rows))
    with pytest.raises(CommandError):
        call_command("import_placements", str(path), "--user", manager_b.email, "--attested")
    assert not Placement.objects.exists()


@pytest.mark.parametrize("name", ["placements_example.xlsx", "placements_example.csv"])
def test_shipped_example_files_import_cleanly(name, leader, settings):
    """The example files name the demo organisations; with those present they validate without errors."""
    from organisations.tests.factories import OrganisationFactory, UnitFactory

    hsf = OrganisationFactory(name="Hälso- och sjukvårdsförvaltningen")
    norrvik = OrganisationFactory(name="Norrvik kommun", kind="kommun")
    UnitFactory(organisation=hsf, name="Visby lasarett, förråd och transport", municipality="Visby")
    UnitFactory(organisation=norrvik, name="Kommunförrådet", municipality="Norrvik")
    data = (settings.BASE_DIR / "static" / "examples" / name).read_bytes()
    header, rows, notices = imports.read_table(data)
    plan = imports.plan_import(header, rows, user=leader, notices=notices)
    assert plan.errors == [] and not notices
    assert plan.counts == {"create": 4, "update": 0, "new_units": 2}
