"""The shared spreadsheet reader, date parser and cell guard (core.spreadsheets)."""

import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from core import spreadsheets
from core.spreadsheets import ImportFileError, csv_bytes, parse_iso_date, read_table, xlsx_bytes


def _xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def lying_about_size(data: bytes, part: str = "xl/worksheets/sheet1.xml", delta: int = 7) -> bytes:
    """The same XLSX with one part's declared uncompressed size changed in the central directory."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, source.read(info.filename))
        for info in out.filelist:
            if info.filename == part:
                info.file_size += delta
    return buffer.getvalue()


@pytest.mark.parametrize("delta", [7, -7])
def test_declared_size_that_does_not_match_the_content_is_a_damaged_file(delta):
    data = lying_about_size(_xlsx([["benämning"], ["Lager"]]), delta=delta)
    with pytest.raises(ImportFileError, match="XLSX-filen är skadad"):
        read_table(data)


def test_corrupt_compressed_part_is_a_damaged_file():
    data = bytearray(_xlsx([["benämning"], ["Lager " * 200]]))
    start = data.index(b"xl/worksheets/sheet1.xml") + len(b"xl/worksheets/sheet1.xml")
    for i in range(start + 40, start + 80):  # inside the deflated stream, after the local header
        data[i] ^= 0xFF
    with pytest.raises(ImportFileError, match="skadad"):
        read_table(bytes(data))


@pytest.mark.parametrize("text", ["2026-03-1234", "2026-3-12", "12/03/2026", "2026/03/12", "12.03.2026",
                                  "2026-02-30", "20260312", "2026-03-12x", ""])
def test_dates_are_strict_iso(text):
    with pytest.raises(ValueError):
        parse_iso_date(text)


def test_iso_dates_and_spreadsheet_dates_are_read():
    assert parse_iso_date(" 2026-03-12 ") == dt.date(2026, 3, 12)
    assert parse_iso_date(dt.datetime(2026, 3, 12, 0, 0)) == dt.date(2026, 3, 12)
    assert parse_iso_date(dt.date(2026, 3, 12)) == dt.date(2026, 3, 12)


TEXTS = ["-Lager", "=1+1", "+46 70", "@SUM(A1)", "#N/A", "Vanlig text"]


def test_xlsx_text_is_written_as_string_cells_exactly_as_entered():
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes("Test", ["text"], [[t] for t in TEXTS]))).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == TEXTS
    assert {c.data_type for c in cells} == {"s"}


@pytest.mark.parametrize("write", ["xlsx", "csv"])
def test_round_trip_gives_back_the_same_text(write):
    rows = [[t, 3, dt.date(2026, 3, 12)] for t in TEXTS]
    data = xlsx_bytes("Test", ["text", "n", "d"], rows) if write == "xlsx" else csv_bytes(["text", "n", "d"], rows)
    header, read, _notices = read_table(data)
    assert header == ["text", "n", "d"]
    assert [r[0] for r in read] == TEXTS


def test_csv_export_guards_formula_text_with_an_apostrophe():
    body = csv_bytes(["a"], [["=1+1"], ["-2"], ["ok"]]).decode("utf-8-sig").splitlines()
    assert body == ["a", "'=1+1", "'-2", "ok"]


def test_row_limit_is_the_setting(settings):
    settings.IMPORT_MAX_ROWS = 3
    read_table(b"a\n1\n2\n3\n")
    with pytest.raises(ImportFileError, match="högst 3"):
        read_table(b"a\n1\n2\n3\n4\n")


def test_size_limit_is_the_setting(settings):
    settings.IMPORT_MAX_BYTES = 1024
    with pytest.raises(ImportFileError, match="för stor"):
        read_table(b"a\n" + b"x\n" * 600)
    assert spreadsheets.max_bytes() == 1024


def test_the_table_a_job_stores_reads_back_the_same():
    from core.spreadsheets import table_from_bytes, table_to_bytes

    header, rows, notices = read_table(xlsx_bytes("T", ["a", "b", "c"], [["-x", 2, dt.date(2026, 3, 12)]]))
    assert table_from_bytes(table_to_bytes(header, rows, ["obs"])) == (["a", "b", "c"], [["-x", 2, "2026-03-12"]],
                                                                       ["obs"])
    assert parse_iso_date(table_from_bytes(table_to_bytes(header, rows))[1][0][2]) == dt.date(2026, 3, 12)


# --- The XLSX reader (calamine) gives what openpyxl gave -------------------------------------------------

MIXED = [
    ["text", "heltal", "decimal", "datum", "midnatt", "tid på dagen", "klockslag", "sant", "tomt", "formel-text",
     "stort", "personnummer"],
    ["Lager", 3, 2.5, dt.date(2026, 3, 12), dt.datetime(2026, 3, 12), dt.datetime(2026, 3, 12, 13, 5),
     dt.time(8, 30), True, None, "'=SUMMA(A1)", 1.5e20, 198001011234],
    ["  mellanslag  ", -7, 0.1, dt.date(1999, 12, 31), None, None, None, False, None, "'-2", 2**53 + 0.0, 0],
]


def _openpyxl_values(data: bytes) -> tuple[list, list]:
    """What the reader gave before calamine: openpyxl's values (read-only, cached values), unguarded."""
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    table = [[spreadsheets._unguard(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    return [("" if v is None else str(v)) for v in table[0]], table[1:]


def test_xlsx_cells_are_read_as_openpyxl_read_them():
    data = _xlsx(MIXED)
    header, rows, notices = read_table(data)
    assert (header, rows) == _openpyxl_values(data) and notices == []
    assert rows[0][:5] == ["Lager", 3, 2.5, dt.datetime(2026, 3, 12), dt.datetime(2026, 3, 12)]
    assert type(rows[0][1]) is int and type(rows[0][2]) is float and rows[0][11] == 198001011234
    assert rows[0][8] is None and rows[0][9] == "=SUMMA(A1)" and rows[1][9] == "-2"


def test_xlsx_is_read_from_a1_even_when_the_first_rows_and_columns_are_empty():
    workbook = openpyxl.Workbook()
    workbook.active["B2"], workbook.active["B3"], workbook.active["C3"] = "benämning", "Lager", 4
    buffer = io.BytesIO()
    workbook.save(buffer)
    header, rows, _notices = read_table(buffer.getvalue())
    assert (header, rows) == _openpyxl_values(buffer.getvalue())
    assert header == ["", "", ""] and rows == [[None, "benämning", None], [None, "Lager", 4]]


def test_xlsx_reads_the_first_worksheet():
    workbook = openpyxl.Workbook()
    workbook.active.append(["första"])
    workbook.create_sheet("Andra").append(["andra"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert read_table(buffer.getvalue())[0] == ["första"]


SHEET_WITH_FORMULA = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>antal</t></is></c></row>
<row r="2"><c r="A2"><f>1+1</f><v>2</v></c></row>
<row r="3"><c r="A3" t="str"><f>HYPERLINK("http://example.invalid","klicka")</f><v>klicka</v></c></row>
</sheetData></worksheet>"""


def test_a_formula_is_read_as_its_last_computed_value_never_as_the_formula():
    source = zipfile.ZipFile(io.BytesIO(_xlsx([["x"]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, SHEET_WITH_FORMULA if info.filename == "xl/worksheets/sheet1.xml"
                         else source.read(info.filename))
    assert read_table(buffer.getvalue())[:2] == (["antal"], [[2], ["klicka"]])


def test_xlsx_row_limit_is_the_setting(settings):
    settings.IMPORT_MAX_ROWS = 3
    assert len(read_table(_xlsx([["a"], [1], [2], [3]]))[1]) == 3
    with pytest.raises(ImportFileError, match="högst 3"):
        read_table(_xlsx([["a"], [1], [2], [3], [4]]))


def test_a_zip_with_content_types_but_no_xlsx_workbook_is_refused():
    """XLSB (binary Excel) has the same zip layout; calamine would read it, the register reads only XLSX."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr("[Content_Types].xml", "<Types/>")
        out.writestr("xl/workbook.bin", b"\x83\x01\x00")
    with pytest.raises(ImportFileError, match="inte en XLSX-fil"):
        read_table(buffer.getvalue())
