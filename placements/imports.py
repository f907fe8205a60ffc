"""Import of placements from XLSX or CSV: read safely, validate every row, preview, then apply atomically.

Reading (`read_table`) treats the file as hostile:
- the type is decided by content, not by name: XLSX must be a zip holding `[Content_Types].xml`;
  anything else binary is refused;
- size caps: MAX_BYTES for the upload, MAX_ROWS data rows;
- zip-bomb guard before openpyxl sees the file: the sum of the declared uncompressed sizes, the
  compression ratio and the number of parts are bounded; the parts are then read with a hard cap;
- XML entity expansion ("billion laughs") and external entities: every XML part is refused if it
  has a DTD (`<!DOCTYPE`/`<!ENTITY`), and openpyxl parses with defusedxml when it is installed
  (`openpyxl.xml.DEFUSEDXML`, asserted below) as a second line;
- CSV: UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252 (Excel's "CSV") with a
  notice; comma, semicolon or tab as delimiter (csv.Sniffer).

Validation (`plan_import`) returns one planned action per row (create / update, new unit) and a
list of Swedish errors (row, column, reason). `apply_import` re-validates inside one transaction
and writes nothing if any row is invalid.
"""

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

import openpyxl
import openpyxl.xml
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.roles import is_leader
from organisations.models import Adaptation, ManagerScope, OccupationalArea, Organisation, Supervisor, Unit
from organisations.permissions import organisation_with_descendant_ids, organisations_managed_by, units_managed_by
from placements.models import Placement
from placements.permissions import placements_editable_by
from placements.selectors import future_peak_occupancy
from placements.services import import_write_row

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_RATIO = 100
MAX_PARTS = 500

# openpyxl must parse with defusedxml (installed as a dependency); fail loudly at import otherwise.
assert openpyxl.xml.DEFUSEDXML, "defusedxml must be installed so that openpyxl parses XLSX safely"  # noqa: S101

COLUMNS = ("code", "title", "organisation", "unit", "municipality", "occupational_area", "tasks", "capacity",
           "available_from", "available_to", "supervisor_email", "adaptations")
REQUIRED = ("title", "organisation", "unit", "capacity")

# Swedish headers (and a few natural variants) accepted as aliases, compared after normalise().
ALIASES = {
    "code": ["kod", "platskod", "id"],
    "title": ["benamning", "titel", "namn", "plats"],
    "organisation": ["organisation", "organization", "vardorganisation", "forvaltning"],
    "unit": ["enhet", "arbetsplats"],
    "municipality": ["kommun", "ort"],
    "occupational_area": ["yrkesomrade", "omrade"],
    "tasks": ["arbetsuppgifter", "uppgifter", "beskrivning"],
    "capacity": ["antal platser", "antal", "kapacitet", "platser", "antal platser samtidigt"],
    "available_from": ["tillganglig fran", "fran", "startdatum", "fran och med"],
    "available_to": ["tillganglig till", "till", "slutdatum", "till och med"],
    "supervisor_email": ["handledarens e-post", "handledare e-post", "handledare", "handledarens epost",
                         "e-post handledare"],
    "adaptations": ["anpassningar", "anpassning"],
}

# Swedish column names for messages and the export header.
LABELS = {
    "code": "kod", "title": "benämning", "organisation": "organisation", "unit": "enhet", "municipality": "kommun",
    "occupational_area": "yrkesområde", "tasks": "arbetsuppgifter", "capacity": "antal platser",
    "available_from": "tillgänglig från", "available_to": "tillgänglig till",
    "supervisor_email": "handledarens e-post", "adaptations": "anpassningar",
}


class ImportFileError(Exception):
    """The file cannot be read at all (type, size, encoding, structure). The message is Swedish."""


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class RowPlan:
    row: int
    action: str  # "create" | "update"
    title: str
    organisation: str
    unit: str
    new_unit: bool
    values: dict = field(default_factory=dict)
    adaptations: list = field(default_factory=list)
    placement: Placement | None = None


@dataclass
class ImportPlan:
    rows: list[RowPlan]
    errors: list[RowError]
    notices: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict:
        return {
            "create": sum(1 for r in self.rows if r.action == "create"),
            "update": sum(1 for r in self.rows if r.action == "update"),
            "new_units": len({(r.organisation.lower(), r.unit.lower()) for r in self.rows if r.new_unit}),
        }


def normalise(header: str) -> str:
    text = unicodedata.normalize("NFKD", str(header or "")).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[\s_]+", " ", text).strip(" *:")


def _alias_map() -> dict[str, str]:
    mapping = {}
    for key, aliases in ALIASES.items():
        mapping[normalise(key)] = key
        for alias in aliases:
            mapping[normalise(alias)] = key
    return mapping


# --- Reading ---------------------------------------------------------------------------------------


def read_table(data: bytes) -> tuple[list[str], list[list], list[str]]:
    """(header, rows, notices) from the file's bytes; raises ImportFileError with a Swedish reason."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("Filen är för stor (högst %(mb)s MB).") % {"mb": MAX_BYTES // (1024 * 1024)})
    if not data.strip():
        raise ImportFileError(_("Filen är tom."))
    if data[:4] == b"PK\x03\x04":
        return (*_read_xlsx(data), [])
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
    try:
        dialect = csv.Sniffer().sniff(sample.splitlines()[0] if sample else "", delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(_("Filen är tom.")) from None
    rows = []
    try:
        for row in reader:
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(_("Filen har för många rader (högst %(n)s).") % {"n": MAX_ROWS})
            rows.append(row)
    except csv.Error as exc:
        raise ImportFileError(_("Filen kunde inte läsas som CSV (rad %(row)s).") % {"row": reader.line_num}) \
            from exc
    return header, rows


def _check_zip(archive: zipfile.ZipFile, compressed_size: int) -> None:
    infos = archive.infolist()
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names:
        raise ImportFileError(_("Filen är en zip-fil men inte en XLSX-fil."))
    if len(infos) > MAX_PARTS:
        raise ImportFileError(_("XLSX-filen har orimligt många delar och läses inte."))
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED or total > MAX_RATIO * max(compressed_size, 1):
        raise ImportFileError(_("XLSX-filen packas upp till orimligt stor storlek (möjlig zip-bomb) och läses "
                                "inte."))
    for info in infos:
        if info.filename.endswith((".xml", ".rels", ".vml")):
            with archive.open(info) as part:
                # Read at most the declared size (+1 to notice a lie); the total is bounded above.
                content = part.read(info.file_size + 1)
            if len(content) > info.file_size:
                raise ImportFileError(_("XLSX-filen är skadad."))
            head = content.lstrip()[:4096].upper()
            if b"<!DOCTYPE" in head or b"<!ENTITY" in content.upper():
                raise ImportFileError(_("XLSX-filen innehåller otillåtna XML-definitioner (DTD/entiteter) och "
                                        "läses inte."))


def _read_xlsx(data: bytes) -> tuple[list[str], list[list]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ImportFileError(_("Filen ser ut som en XLSX-fil men är skadad.")) from None
    with archive:
        _check_zip(archive, len(data))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, InvalidFileException, defusedxml's …)
        raise ImportFileError(_("XLSX-filen kunde inte läsas. Spara om den i Excel och försök igen.")) from exc
    try:
        sheet = workbook.worksheets[0]
        rows_iter = sheet.iter_rows(values_only=True)
        try:
            header = [("" if v is None else str(v)) for v in next(rows_iter)]
        except StopIteration:
            raise ImportFileError(_("Filen är tom.")) from None
        rows = []
        for row in rows_iter:
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(_("Filen har för många rader (högst %(n)s).") % {"n": MAX_ROWS})
            rows.append(list(row))
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError(_("XLSX-filen kunde inte läsas. Spara om den i Excel och försök igen.")) from exc
    finally:
        workbook.close()
    return header, rows


# --- Validation ------------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


class _Lookups:
    """Everything the rows refer to, loaded once (a constant number of queries per import)."""

    def __init__(self, user):
        self.user = user
        self.organisations = {o.name.lower(): o for o in Organisation.objects.all()}
        self.managed_org_ids = set(organisations_managed_by(user).values_list("pk", flat=True)) if user else None
        self.units = {(u.organisation_id, u.name.lower()): u for u in Unit.objects.all()}
        self.managed_unit_ids = set(units_managed_by(user).values_list("pk", flat=True)) if user else None
        self.areas = {}
        for area in OccupationalArea.objects.all():
            self.areas[area.name.lower()] = area
            self.areas[area.code.lower()] = area
            if area.ssyk_code:
                self.areas[area.ssyk_code] = area
        self.adaptations = {}
        for adaptation in Adaptation.objects.all():
            self.adaptations[adaptation.name.lower()] = adaptation
            self.adaptations[adaptation.code.lower()] = adaptation
        self.supervisors = {}
        for supervisor in Supervisor.objects.exclude(email=""):
            self.supervisors.setdefault(supervisor.email.lower(), []).append(supervisor)
        self.placements = {p.code: p for p in Placement.objects.exclude(code=None).exclude(code="")}
        self.editable_ids = set(placements_editable_by(user).values_list("pk", flat=True)) if user else None
        self.whole_org_ids = None

    def may_add_unit(self, org) -> bool:
        """New units only where the user manages the whole organisation (not just one of its units)."""
        if self.whole_org_ids is None:
            whole = ManagerScope.objects.filter(user=self.user, unit__isnull=True).values_list("organisation_id",
                                                                                                 flat=True)
            self.whole_org_ids = organisation_with_descendant_ids(set(whole))
        return _leader(self.user) or org.pk in self.whole_org_ids

    def may_use_org(self, org) -> bool:
        return self.managed_org_ids is None or org.pk in self.managed_org_ids

    def may_use_unit(self, unit) -> bool:
        return self.managed_unit_ids is None or unit.pk in self.managed_unit_ids


def plan_import(header: list[str], rows: list[list], *, user, notices=()) -> ImportPlan:
    """Validate every row against the database without writing. `user=None` = a system import with full rights."""
    errors: list[RowError] = []
    aliases = _alias_map()
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        key = aliases.get(normalise(name))
        if key is None:
            if _text(name):
                errors.append(RowError(1, _text(name), _("Okänd kolumn. Tillåtna kolumner: %(cols)s.") % {
                    "cols": ", ".join(LABELS.values())}))
            continue
        if key in positions:
            errors.append(RowError(1, _text(name), _("Kolumnen finns två gånger.")))
        positions[key] = index
    for key in REQUIRED:
        if key not in positions:
            errors.append(RowError(1, LABELS[key], _("Obligatorisk kolumn saknas.")))
    if errors:
        return ImportPlan(rows=[], errors=errors, notices=list(notices))

    lookups = _Lookups(user)
    plans: list[RowPlan] = []
    seen_codes: dict[str, int] = {}
    new_units: dict[tuple[int, str], str] = {}
    data_rows = 0
    for offset, raw in enumerate(rows):
        row_number = offset + 2  # the header is row 1, as in Excel
        cells = {key: (raw[i] if i < len(raw) else None) for key, i in positions.items()}
        if all(_text(v) == "" for v in cells.values()):
            continue  # blank lines are skipped
        data_rows += 1
        plan = _plan_row(row_number, cells, lookups, errors, seen_codes, new_units)
        if plan is not None:
            plans.append(plan)
    if data_rows == 0 and not errors:
        errors.append(RowError(2, "", _("Filen innehåller inga platser.")))
    return ImportPlan(rows=plans, errors=errors, notices=list(notices))


def _plan_row(row_number, cells, lookups: _Lookups, errors, seen_codes, new_units) -> RowPlan | None:
    before = len(errors)

    def error(column: str, message: str) -> None:
        errors.append(RowError(row_number, LABELS[column], message))

    code = _text(cells.get("code"))[:40]
    existing = None
    if code:
        if code in seen_codes:
            error("code", _("Koden finns redan på rad %(row)s.") % {"row": seen_codes[code]})
        seen_codes[code] = row_number
        existing = lookups.placements.get(code)
        if existing is not None and lookups.editable_ids is not None and existing.pk not in lookups.editable_ids:
            error("code", _("Du har inte behörighet att ändra platsen med den här koden."))
    title = _text(cells.get("title"))
    if not title:
        error("title", _("Benämning saknas."))
    elif len(title) > 200:
        error("title", _("Benämningen är längre än 200 tecken."))

    organisation = None
    org_name = _text(cells.get("organisation"))
    if not org_name:
        error("organisation", _("Organisation saknas."))
    else:
        organisation = lookups.organisations.get(org_name.lower())
        if organisation is None:
            error("organisation", _("Organisationen ”%(name)s” finns inte i registret.") % {"name": org_name})
        elif not lookups.may_use_org(organisation):
            error("organisation", _("Du kan bara importera platser till dina egna organisationer."))
            organisation = None

    unit_name = _text(cells.get("unit"))
    municipality = _text(cells.get("municipality"))
    unit, new_unit = None, False
    if not unit_name:
        error("unit", _("Enhet saknas."))
    elif organisation is not None:
        unit = lookups.units.get((organisation.pk, unit_name.lower()))
        if unit is None:
            new_unit = True
            if not lookups.may_add_unit(organisation):
                error("unit", _("Enheten finns inte, och du får bara använda dina egna enheter."))
            key = (organisation.pk, unit_name.lower())
            first = new_units.setdefault(key, municipality)
            if not municipality and not first:
                error("municipality", _("Kommun krävs när enheten är ny."))
            elif len(unit_name) > 200:
                error("unit", _("Enhetens namn är längre än 200 tecken."))
        elif not lookups.may_use_unit(unit):
            error("unit", _("Du kan bara importera platser till dina egna enheter."))
        elif municipality and municipality.lower() != unit.municipality.lower():
            error("municipality", _("Enheten ligger i %(actual)s, inte %(given)s.") % {
                "actual": unit.municipality, "given": municipality})

    area = None
    area_text = _text(cells.get("occupational_area"))
    if area_text:
        area = lookups.areas.get(area_text.lower())
        if area is None:
            error("occupational_area", _("Okänt yrkesområde ”%(name)s”.") % {"name": area_text})
    elif existing is None:
        error("occupational_area", _("Yrkesområde krävs för en ny plats."))

    capacity = None
    capacity_text = _text(cells.get("capacity"))
    try:
        capacity = int(capacity_text)
        if capacity < 1 or capacity > 1000:
            raise ValueError
    except ValueError:
        error("capacity", _("Antal platser måste vara ett heltal från 1 till 1000 (var ”%(value)s”).") % {
            "value": capacity_text})
        capacity = None

    dates = {}
    for key in ("available_from", "available_to"):
        value = cells.get(key)
        if _text(value) == "":
            dates[key] = None
            continue
        try:
            dates[key] = _parse_date(value)
        except ValueError:
            error(key, _("Datumet ”%(value)s” kan inte läsas; skriv ÅÅÅÅ-MM-DD.") % {"value": _text(value)})
            dates[key] = None
    start = dates["available_from"] or (existing.available_from if existing else dt.date.today())
    if dates["available_to"] and dates["available_to"] < start:
        error("available_to", _("Tillgänglig till kan inte vara före tillgänglig från."))

    supervisor = None
    email = _text(cells.get("supervisor_email")).lower()
    if email:
        candidates = [s for s in lookups.supervisors.get(email, [])
                      if organisation is None or s.organisation_id == organisation.pk]
        if not candidates:
            error("supervisor_email", _("Ingen handledare med e-post %(email)s finns i organisationen.") % {
                "email": email})
        else:
            supervisor = candidates[0]

    adaptations = []
    for name in filter(None, (part.strip() for part in _text(cells.get("adaptations")).split(";"))):
        adaptation = lookups.adaptations.get(name.lower())
        if adaptation is None:
            error("adaptations", _("Okänd anpassning ”%(name)s”.") % {"name": name})
        else:
            adaptations.append(adaptation)

    if existing is not None and capacity is not None and capacity < existing.capacity:
        booked = future_peak_occupancy(placement=existing)
        if capacity < booked:
            error("capacity", _("Antal platser kan inte vara lägre än antalet bokade deltagare framöver (%(n)s).")
                  % {"n": booked})

    if len(errors) > before:
        return None
    values = {"title": title, "capacity": capacity, "tasks": _text(cells.get("tasks")),
              "available_from": start, "available_to": dates["available_to"], "supervisor": supervisor,
              "code": code or None, "_organisation": organisation, "_unit_name": unit_name,
              "_municipality": municipality or new_units.get((organisation.pk, unit_name.lower()), "")}
    if area is not None:
        values["occupational_area"] = area
    if unit is not None:
        values["unit"] = unit
    if existing is not None and "tasks" not in _present(cells):
        values.pop("tasks")
    return RowPlan(row=row_number, action="update" if existing else "create", title=title,
                   organisation=organisation.name, unit=unit_name, new_unit=new_unit, values=values,
                   adaptations=adaptations, placement=existing)


def _present(cells) -> set[str]:
    return {key for key, value in cells.items() if _text(value) != ""}


def _leader(user) -> bool:
    return user is None or is_leader(user)


# --- Applying --------------------------------------------------------------------------------------


class ImportRefused(Exception):
    def __init__(self, plan: ImportPlan):
        super().__init__("import refused")
        self.plan = plan


def apply_import(header, rows, *, user, attested: bool, notices=()) -> ImportPlan:
    """Validate and write all rows in one transaction; any invalid row raises ImportRefused and writes nothing."""
    with transaction.atomic():
        plan = plan_import(header, rows, user=user, notices=notices)
        if not plan.ok:
            raise ImportRefused(plan)
        created_units: dict[tuple[int, str], Unit] = {}
        try:
            for row in plan.rows:
                import_write_row(user=user, row=row, attested=attested, created_units=created_units)
        except (ValidationError, PermissionDenied) as exc:
            message = "; ".join(getattr(exc, "messages", None) or [str(exc) or _("Behörighet saknas.")])
            plan.errors.append(RowError(row.row, "", message))
            raise ImportRefused(plan) from exc
    return plan
