"""The one spreadsheet reader and the one cell guard, shared by every import and export.

Reading (`read_table`) treats the file as hostile:
- the type is decided by content, not by name: XLSX must be a zip holding `[Content_Types].xml`;
  anything else binary is refused;
- size caps: `IMPORT_MAX_BYTES` for the upload (also enforced while the upload streams in, see
  core/uploads.py), `IMPORT_MAX_ROWS` data rows;
- zip-bomb guard before the XLSX parser sees the file: the sum of the declared uncompressed sizes, the
  compression ratio and the number of parts are bounded; the parts are then read with a hard cap, and
  a part whose content does not match its declared size or checksum makes the file "damaged"; the zip
  must hold `xl/workbook.xml` (XLSX, not the binary XLSB);
- XML entity expansion ("billion laughs") and external entities: every XML part is refused if it
  has a DTD (`<!DOCTYPE`/`<!ENTITY`); the parser itself (calamine, Rust, quick-xml) expands no entities
  beyond XML's five, as a second line (tested in placements/tests/test_import.py);
- XLSX values are read with python-calamine (about twenty times faster than openpyxl here; imported by the first
  workbook read, like openpyxl by the first written), the first
  worksheet from A1, a formula as its last computed value; cells come out as openpyxl gave them (empty is
  None, whole numbers int, dates datetime), tested side by side in core/tests/test_spreadsheets.py. The
  sheet is parsed whole before the row limit is checked; the uncompressed-size cap bounds that;
- CSV: UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252 (Excel's "CSV") with a
  notice; comma, semicolon or tab as delimiter (csv.Sniffer).

Writing (openpyxl): XLSX text goes in as string cells (never a formula, never an apostrophe added), CSV text that
a spreadsheet would run as a formula gets a leading apostrophe (OWASP "CSV injection"), and the reader
takes that apostrophe off again, so export → edit → import gives back the same text.
"""

import csv
import datetime as dt
import io
import json
import re
import zipfile
import zlib

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _

MAX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_RATIO = 100
MAX_PARTS = 500

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def max_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def max_rows() -> int:
    return settings.IMPORT_MAX_ROWS


def too_large_message() -> str:
    megabytes = f"{max_bytes() / (1024 * 1024):.2f}".rstrip("0").rstrip(".").replace(".", ",")
    return _("Filen är för stor (högst %(mb)s MB).") % {"mb": megabytes}


class ImportFileError(Exception):
    """The file cannot be read at all (type, size, encoding, structure). The message is Swedish."""


# --- Reading ---------------------------------------------------------------------------------------


def read_table(data: bytes) -> tuple[list[str], list[list], list[str]]:
    """(header, rows, notices) from the file's bytes; raises ImportFileError with a Swedish reason.

    CSV cells are strings; XLSX cells keep their types (numbers, dates). A leading apostrophe that an
    export put before formula-like text is removed."""
    if len(data) > max_bytes():
        raise ImportFileError(too_large_message())
    if not data.strip():
        raise ImportFileError(_("Filen är tom."))
    if data[:4] == b"PK\x03\x04":
        header, rows = _read_xlsx(data)
        return header, rows, []
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text, notices = data.decode("utf-16"), []
        except UnicodeDecodeError:
            raise ImportFileError(_("Filen börjar som UTF-16 men går inte att läsa som det. Spara den som CSV "
                                    "UTF-8 och försök igen.")) from None
    elif b"\x00" in data[:8192]:
        raise ImportFileError(_("Filen är varken en XLSX-fil eller en textfil (CSV). Spara den som XLSX eller "
                                "CSV och försök igen."))
    else:
        text, notices = _decode_text(data)
    header, rows = _read_csv(text)
    return header, rows, notices


def _unguard(value):
    """Undo safe_cell: "'=SUMMA" as exported becomes "=SUMMA" again."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def _too_many_rows() -> ImportFileError:
    return ImportFileError(_("Filen har för många rader (högst %(n)s).") % {"n": max_rows()})


def _decode_text(data: bytes) -> tuple[str, list[str]]:
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileError(_("Filens teckenkodning känns inte igen. Spara den som CSV UTF-8 och försök "
                                "igen.")) from None
    return text, [_("Filen var inte sparad som UTF-8. Den lästes som Windows-1252 (Excel); kontrollera att å, ä "
                    "och ö ser rätt ut i förhandsgranskningen.")]


def _read_csv(text: str) -> tuple[list[str], list[list]]:
    sample = text[:8192]
    first = sample.splitlines()[0] if sample else ""
    try:
        delimiter = csv.Sniffer().sniff(first, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(_("Filen är tom.")) from None
    limit = max_rows()
    rows = []
    try:
        for row in reader:
            if len(rows) >= limit:
                raise _too_many_rows()
            rows.append([_unguard(cell) for cell in row])
    except csv.Error as exc:
        raise ImportFileError(_("Filen kunde inte läsas som CSV (rad %(row)s).") % {"row": reader.line_num}) \
            from exc
    return header, rows


def _damaged() -> ImportFileError:
    return ImportFileError(_("XLSX-filen är skadad och kan inte läsas. Spara om den i Excel (Arkiv → Spara som "
                             "→ Excel-arbetsbok) och försök igen."))


def _check_zip(archive: zipfile.ZipFile, compressed_size: int) -> None:
    infos = archive.infolist()
    names = {info.filename for info in infos}
    # xl/workbook.xml: an XLSX workbook (calamine would also read the binary XLSB, which has the same zip layout).
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise ImportFileError(_("Filen är en zip-fil men inte en XLSX-fil."))
    if len(infos) > MAX_PARTS:
        raise ImportFileError(_("XLSX-filen har orimligt många delar och läses inte."))
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED or total > MAX_RATIO * max(compressed_size, 1):
        raise ImportFileError(_("XLSX-filen packas upp till orimligt stor storlek (möjlig zip-bomb) och läses "
                                "inte."))
    for info in infos:
        if info.filename.endswith((".xml", ".rels", ".vml")):
            try:
                with archive.open(info) as part:
                    # Read at most the declared size (+1 to notice a lie); the total is bounded above.
                    content = part.read(info.file_size + 1)
            # A declared size or checksum that does not match the content, a truncated or encrypted part,
            # an unknown compression method: the file is damaged, not a server error.
            except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, ValueError,
                    OSError):
                raise _damaged() from None
            if len(content) != info.file_size:
                raise _damaged()
            head = content.lstrip()[:4096].upper()
            if b"<!DOCTYPE" in head or b"<!ENTITY" in content.upper():
                raise ImportFileError(_("XLSX-filen innehåller otillåtna XML-definitioner (DTD/entiteter) och "
                                        "läses inte."))


def _worksheet_index(workbook) -> int:
    """The first worksheet (not a chart or macro sheet), as openpyxl's `worksheets[0]` was."""
    from python_calamine import SheetTypeEnum  # noqa: PLC0415 - by the first workbook read (see _read_xlsx)

    for index, sheet in enumerate(workbook.sheets_metadata):
        if sheet.typ == SheetTypeEnum.WorkSheet:
            return index
    raise ImportFileError(_("Filen är tom."))


# Excel writes a whole number without a decimal point up to 15 digits; calamine gives every number as a float.
_WHOLE_LIMIT = 10**15


def _cell(value):
    """A calamine cell as the importers expect it: empty is None, a whole number is an int, a date or a
    date-time at midnight is a datetime (what openpyxl gave), and formula-like text is unguarded."""
    if value == "":
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() and -_WHOLE_LIMIT < value < _WHOLE_LIMIT else value
    if isinstance(value, str):
        return _unguard(value)
    if type(value) is dt.date:
        return dt.datetime(value.year, value.month, value.day)
    return value


def _read_xlsx(data: bytes) -> tuple[list[str], list[list]]:
    """The first worksheet's values (a formula's last computed value, never the formula) with calamine, after
    the zip and XML checks above. Calamine parses with quick-xml, which expands no entities beyond XML's five."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError, ValueError, OSError):
        raise ImportFileError(_("Filen ser ut som en XLSX-fil men är skadad.")) from None
    with archive:
        _check_zip(archive, len(data))
    limit = max_rows()
    # Only a web process reading an upload needs calamine: the import job stores the table read, and the worker
    # that runs it never reads the file again (`table_to_bytes`).
    from python_calamine import CalamineWorkbook  # noqa: PLC0415 - by the first workbook read
    try:
        with CalamineWorkbook.from_filelike(io.BytesIO(data)) as workbook:
            sheet = workbook.get_sheet_by_index(_worksheet_index(workbook))
            # From A1 (not from the first filled cell), the header and at most one row past the limit.
            table = sheet.to_python(skip_empty_area=False, nrows=limit + 2)
    except ImportFileError:
        raise
    except Exception as exc:  # calamine raises its own errors (XmlError, ZipError, CalamineError …) and others
        raise ImportFileError(_("XLSX-filen kunde inte läsas. Spara om den i Excel och försök igen.")) from exc
    if not table:
        raise ImportFileError(_("Filen är tom."))
    header = [("" if v is None else str(v)) for v in map(_cell, table[0])]
    if len(table) - 1 > limit:
        raise _too_many_rows()
    return header, [[_cell(value) for value in row] for row in table[1:]]


# --- The table between preview and job ---------------------------------------------------------------


def table_to_bytes(header, rows, notices=()) -> bytes:
    """The table as read, stored with an import job so the worker does not read (and unpack) the file again.
    Dates become ISO text, which the importers parse as they parse a CSV."""
    def default(value):
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()[:10] if not isinstance(value, dt.datetime) or value.time() == dt.time() \
                else value.isoformat()
        return str(value)

    return json.dumps({"header": header, "rows": rows, "notices": list(notices)}, default=default,
                      ensure_ascii=False).encode("utf-8")


def table_from_bytes(data: bytes) -> tuple[list[str], list[list], list[str]]:
    table = json.loads(data.decode("utf-8"))
    return table["header"], table["rows"], table["notices"]


# --- Cell values -----------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_iso_date(value) -> dt.date:
    """A date cell: an XLSX date, or text that is exactly ÅÅÅÅ-MM-DD. Raises ValueError otherwise
    (so "2026-03-1234", "12/3/2026" and "2026-3-12" are refused, never guessed)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(text)
    return dt.date.fromisoformat(text)


# --- Writing ---------------------------------------------------------------------------------------


def safe_cell(value):
    """A CSV cell: text a spreadsheet would run as a formula gets a leading apostrophe; numbers, dates and
    None pass through unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, Promise):  # a lazily translated label: its text, checked as text
        value = str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return safe_cell(value)


def xlsx_cells(sheet, values) -> list:
    """One row of cells for `sheet.append`: text as a string cell, so "=…" is never a formula and "-…" stays
    as written; characters XML cannot hold are dropped."""
    # openpyxl (with numpy, which it imports when it is installed: ≈ 33 MB) by the first workbook written, not by
    # every web and Celery worker that imports the exports.
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell  # noqa: PLC0415

    cells = []
    for value in values:
        if isinstance(value, Promise):  # a lazily translated label (openpyxl takes no proxy)
            value = str(value)
        if isinstance(value, str):
            cell = Cell(sheet, row=1, column=1, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"
        else:
            cell = Cell(sheet, row=1, column=1, value=value)
        cells.append(cell)
    return cells


def csv_bytes(header, rows) -> bytes:
    """UTF-8 with BOM and semicolons: what Swedish Excel opens directly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_csv_value(v) for v in header])
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(title: str, header, rows) -> bytes:
    import openpyxl  # noqa: PLC0415 - by the first workbook written (see xlsx_cells)

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(xlsx_cells(sheet, header))
    for row in rows:
        sheet.append(xlsx_cells(sheet, row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
