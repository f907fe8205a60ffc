"""Import of participant history: one row per start, all-or-nothing, a Swedish error per row and column.

File reading and its safety checks (size, type by content, zip bombs, DTD/entities, encodings) and the
date parser are the shared ones in core.spreadsheets; this module only maps the participant columns.
"""

import datetime as dt
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.dates import add_months
from core.importjobs import ImportOutcome, register_import_checker, register_import_runner
from core.models import AuditEvent, Gender
from core.roles import is_leader
from core.spreadsheets import ImportFileError, parse_iso_date, table_from_bytes
from core.spreadsheets import read_table as read_spreadsheet
from organisations.models import Agency, Project
from participants.models import (
    Activity,
    EducationLevel,
    ExitKind,
    ExitReason,
    LabourMarketStatus,
    Participant,
    Referral,
    SupportKind,
)
from participants.services import participants_import_write
from placements import services as placement_services
from placements.models import Placement
from placements.services import ImportedAssignment

__all__ = ["ImportFileError", "participants_import", "read_table"]


def normalise_header(value) -> str:
    text = unicodedata.normalize("NFC", str(value or "")).strip().lower()
    return re.sub(r"[\s\-_/.]+", " ", text).strip()


def read_table(data: bytes) -> tuple[list[str], list[list[str]], list[str]]:
    """(headers, rows, notices): every cell a stripped string, XLSX dates as ISO 8601, blank rows dropped."""
    headers, rows, notices = read_spreadsheet(data)
    headers = [_cell_text(h) for h in headers]
    rows = [[_cell_text(cell) for cell in row] for row in rows]
    rows = [row for row in rows if any(row)]
    return headers, rows, list(notices)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- Participant import --------------------------------------------------------------------------

COLUMNS = {
    "participant_ref": ["deltagar id", "deltagarid", "deltagarkod", "deltagare", "referens"],
    "gender": ["kön", "kon"],
    "birth_year": ["födelseår", "fodelsear"],
    "agency": ["myndighet", "anvisande myndighet"],
    "referral_date": ["anvisningsdatum", "anvisad"],
    "start_date": ["startdatum", "start"],
    "end_date": ["slutdatum", "avslutsdatum"],
    "exit_kind": ["avslutstyp", "typ av avslut"],
    "exit_reason": ["avslutsorsak", "orsak"],
    "support_before": ["försörjning före", "försörjning före start", "försörjning"],
    "activity_before": ["sysselsättning före", "sysselsättning före start"],
    "activity_after": ["sysselsättning efter", "sysselsättning vid avslut"],
    "placement_code": ["platskod", "plats"],
    "education_level": ["utbildningsnivå", "utbildning", "isced"],
    "labour_market_status": ["ställning på arbetsmarknaden", "status vid start", "arbetsmarknadsstatus"],
    "followup_90_status": ["uppföljning 90 dagar", "90 dagarsuppföljning", "sysselsättning efter 90 dagar",
                           "uppföljning 90"],
}
COLUMN_LABELS = {
    "participant_ref": "participant_ref", "gender": "gender", "birth_year": "birth_year", "agency": "agency",
    "referral_date": "referral_date", "start_date": "start_date", "end_date": "end_date",
    "exit_kind": "exit_kind", "exit_reason": "exit_reason", "support_before": "support_before",
    "activity_before": "activity_before", "activity_after": "activity_after",
    "placement_code": "placement_code", "followup_90_status": "followup_90_status",
    "education_level": "education_level", "labour_market_status": "labour_market_status",
}
ALIASES = {normalise_header(name): key for key, aliases in COLUMNS.items() for name in [key, *aliases]}
DEFAULT_ASSIGNMENT_MONTHS = 6


@dataclass
class RowError:
    row: int  # the spreadsheet row number (header = 1)
    column: str
    message: str


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    starts: int = 0
    new_participants: int = 0
    known_participants: int = 0
    anonymous_participants: int = 0
    exits: int = 0
    exits_by_kind: Counter = field(default_factory=Counter)
    assignments: int = 0
    dry_run: bool = False
    saved: bool = False
    planned: list = field(default_factory=list, repr=False)  # the valid rows' values, for the write step
    existing: dict = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors


def _slug(value: str) -> str:
    text = unicodedata.normalize("NFKD", value.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


class _Categories:
    """Case-insensitive lookup on code or name (and their accent-free slugs)."""

    def __init__(self, queryset):
        self.by_key = {}
        for obj in queryset:
            for key in (obj.code, obj.name):
                self.by_key.setdefault(key.strip().lower(), obj)
                self.by_key.setdefault(_slug(key), obj)

    def get(self, value: str):
        return self.by_key.get(value.strip().lower()) or self.by_key.get(_slug(value))


_EXIT_KINDS = {}
for _kind in ExitKind:
    for _key in (_kind.value, str(_kind.label), _kind.name):
        _EXIT_KINDS[_slug(_key)] = _kind.value
_GENDERS = {_slug(g.value): g.value for g in Gender} | {_slug(str(g.label)): g.value for g in Gender} | {
    "k": Gender.WOMAN, "m": Gender.MAN, "kvinna": Gender.WOMAN, "icke-binar": Gender.NON_BINARY,
    "ickebinar": Gender.NON_BINARY}

# ISCED groups by code, number range or Swedish name: "isced_3_4", "3-4", "gymnasial" …
_EDUCATION_LEVELS = {}
for _level, _range, _name in ((EducationLevel.ISCED_0_2, "0-2", "förgymnasial"),
                              (EducationLevel.ISCED_3_4, "3-4", "gymnasial"),
                              (EducationLevel.ISCED_5_8, "5-8", "eftergymnasial")):
    for _key in (_level.value, str(_level.label), _range, f"isced {_range}", _name):
        _EDUCATION_LEVELS[_slug(_key)] = _level.value
_LABOUR_MARKET_STATUSES = {}
for _status in LabourMarketStatus:
    for _key in (_status.value, str(_status.label), _status.name):
        _LABOUR_MARKET_STATUSES[_slug(_key)] = _status.value


class _Lookups:
    """Everything rows refer to, loaded once per import (a constant number of queries)."""

    def __init__(self, project: Project):
        self.agencies = _Categories(Agency.objects.all())
        self.supports = _Categories(SupportKind.objects.all())
        self.activities = _Categories(Activity.objects.all())
        self.reasons = _Categories(ExitReason.objects.all())
        self.placements = {p.code.lower(): p for p in Placement.objects.exclude(code__isnull=True).exclude(code="")}
        self.existing = {p.code.lower(): p for p in Participant.objects.exclude(code__isnull=True)}
        # Agencies stay apart here as in the referral form: a start is added to an existing participant only by
        # an agency that already referred them.
        self.agencies_of: dict[str, set[int]] = {}
        for code, agency_id in (Referral.objects.filter(participant__code__isnull=False)
                                .values_list("participant__code", "agency_id").distinct()):
            self.agencies_of.setdefault(code.lower(), set()).add(agency_id)
        self.known_starts = {
            (code.lower(), agency_id, day) for code, agency_id, day in
            Referral.objects.filter(project=project, participant__code__isnull=False)
            .values_list("participant__code", "agency_id", "referral_date")
        }
        # Within one file.
        self.genders_by_ref: dict[str, tuple[str, int]] = {}
        self.agency_by_ref: dict[str, tuple[int, int]] = {}
        self.seen_starts: set[tuple] = set()


def _columns(headers: list[str]) -> tuple[dict[str, int], list[RowError]]:
    errors: list[RowError] = []
    columns: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = ALIASES.get(normalise_header(header))
        if key is None:
            if header.strip():
                errors.append(RowError(1, header, _("Okänd kolumn.")))
            continue
        if key in columns:
            errors.append(RowError(1, header, _("Kolumnen finns två gånger.")))
        columns[key] = index
    for required in ("gender", "agency"):
        if required not in columns:
            errors.append(RowError(1, required, _("Kolumnen saknas.")))
    if "referral_date" not in columns and "start_date" not in columns:
        errors.append(RowError(1, "referral_date", _("Kolumnen saknas (eller start_date).")))
    return columns, errors


# --- parse: one row's cells into typed values (no database beyond the lookups) -------------------


class _Row:
    """Cell access and error collection for one spreadsheet row."""

    def __init__(self, line: int, raw: list[str], columns: dict[str, int]):
        self.line, self.raw, self.columns = line, raw, columns
        self.errors: list[RowError] = []

    def cell(self, key: str) -> str:
        index = self.columns.get(key)
        return self.raw[index].strip() if index is not None and index < len(self.raw) else ""

    def error(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.line, COLUMN_LABELS[key], message))

    def date(self, key: str):
        value = self.cell(key)
        if not value:
            return None
        try:
            return parse_iso_date(value)
        except ValueError:
            self.error(key, _("Ogiltigt datum %(value)s (använd ÅÅÅÅ-MM-DD).") % {"value": value})
            return None

    def category(self, key: str, lookup, what: str):
        value = self.cell(key)
        if not value:
            return None
        found = lookup.get(value)
        if found is None:
            self.error(key, _("Okänt värde för %(what)s: %(value)s.") % {"what": what, "value": value})
        return found

    def choice(self, key: str, mapping: dict, message: str) -> str:
        value = self.cell(key)
        if not value:
            return ""
        found = mapping.get(_slug(value), "")
        if not found:
            self.error(key, message % {"value": value})
        return found


def _parse_person(row: _Row) -> dict:
    gender = _GENDERS.get(_slug(row.cell("gender"))) if row.cell("gender") else None
    if not row.cell("gender"):
        row.error("gender", _("Kön saknas."))
    elif gender is None:
        row.error("gender", _("Okänt kön: %(value)s (kvinna, man eller icke-binär).") % {"value": row.cell("gender")})
    birth_year = None
    if row.cell("birth_year"):
        try:
            birth_year = int(row.cell("birth_year"))
            if not 1900 <= birth_year <= 2100:
                raise ValueError
        except ValueError:
            row.error("birth_year", _("Ogiltigt födelseår: %(value)s.") % {"value": row.cell("birth_year")})
            birth_year = None
    return {"ref": row.cell("participant_ref"), "gender": gender, "birth_year": birth_year}


def _parse_dates(row: _Row, ref: str) -> dict:
    referral_date, start_date, end_date = row.date("referral_date"), row.date("start_date"), row.date("end_date")
    referral_date = referral_date or start_date
    if referral_date is None and not any(e.column in ("referral_date", "start_date") for e in row.errors):
        row.error("referral_date", _("Anvisningsdatum eller startdatum krävs."))
    if not ref and start_date is None and not row.cell("start_date"):
        row.error("start_date", _("En anonym deltagare (tom participant_ref) kräver kön och startdatum."))
    if start_date and referral_date and start_date < referral_date:
        row.error("start_date", _("Startdatum kan inte vara före anvisningsdatum."))
    if end_date and (start_date or referral_date) and end_date < (start_date or referral_date):
        row.error("end_date", _("Slutdatum kan inte vara före startdatum."))
    if end_date and end_date > timezone.localdate():
        row.error("end_date", _("Slutdatum kan inte vara i framtiden: historiken anger avslut som redan skett."))
    return {"referral_date": referral_date, "start_date": start_date, "end_date": end_date}


def _parse_exit(row: _Row, lookups: _Lookups, end_date) -> dict:
    kind = None
    has_end = end_date is not None or bool(row.cell("end_date"))
    if row.cell("exit_kind"):
        kind = _EXIT_KINDS.get(_slug(row.cell("exit_kind")))
        if kind is None:
            row.error("exit_kind", _("Okänd avslutstyp: %(value)s (enligt plan, avbruten eller felregistrering).")
                      % {"value": row.cell("exit_kind")})
    elif end_date:
        row.error("exit_kind", _("Avslutstyp krävs när slutdatum finns."))
    if kind and not has_end:
        row.error("end_date", _("Slutdatum krävs när avslutstyp finns."))
    reason = row.category("exit_reason", lookups.reasons, _("avslutsorsak"))
    activity_after = row.category("activity_after", lookups.activities, _("sysselsättning"))
    followup = row.category("followup_90_status", lookups.activities, _("sysselsättning"))
    if (reason or activity_after) and not has_end:
        row.error("end_date", _("Slutdatum krävs när avslutsorsak eller sysselsättning efter finns."))
    if followup and not has_end:
        row.error("followup_90_status", _("90-dagarsuppföljning kräver slutdatum."))
    if followup and kind == ExitKind.REGISTERED_IN_ERROR:
        row.error("followup_90_status", _("Felregistreringar följs inte upp."))
    return {"kind": kind, "reason": reason, "activity_after": activity_after, "followup": followup}


def _parse_referral(row: _Row, lookups: _Lookups) -> dict:
    agency = row.category("agency", lookups.agencies, _("myndighet"))
    if not row.cell("agency"):
        row.error("agency", _("Myndighet saknas."))
    return {
        "agency": agency,
        "support": row.category("support_before", lookups.supports, _("försörjning")),
        "activity_before": row.category("activity_before", lookups.activities, _("sysselsättning")),
        "education_level": row.choice("education_level", _EDUCATION_LEVELS, _(
            "Okänd utbildningsnivå: %(value)s (förgymnasial, gymnasial eller eftergymnasial; ISCED 0-2, 3-4 eller "
            "5-8).")),
        "labour_market_status": row.choice("labour_market_status", _LABOUR_MARKET_STATUSES, _(
            "Okänd ställning på arbetsmarknaden: %(value)s (arbetslös, långtidsarbetslös, inaktiv eller "
            "sysselsatt).")),
    }


def _parse_row(row: _Row, lookups: _Lookups) -> dict:
    values = _parse_person(row)
    values |= _parse_referral(row, lookups)
    values |= _parse_dates(row, values["ref"])
    values |= _parse_exit(row, lookups, values["end_date"])
    values["placement"] = None
    if row.cell("placement_code"):
        values["placement"] = lookups.placements.get(row.cell("placement_code").lower())
        if values["placement"] is None:
            row.error("placement_code", _("Ingen plats med koden %(value)s.") % {"value": row.cell("placement_code")})
        elif values["start_date"] is None and not row.cell("start_date"):
            row.error("start_date", _("Startdatum krävs för en placering."))
    return values


# --- validate: against the register and the other rows of the file -------------------------------


def _validate_row(row: _Row, values: dict, lookups: _Lookups) -> None:
    ref, gender, agency, referral_date = values["ref"], values["gender"], values["agency"], values["referral_date"]
    if ref and gender:
        first = lookups.genders_by_ref.setdefault(ref.lower(), (gender, row.line))
        if first[0] != gender:
            row.error("gender", _("Samma deltagare har ett annat kön på rad %(row)s.") % {"row": first[1]})
        known = lookups.existing.get(ref.lower())
        if known is not None and known.gender != gender:
            row.error("gender", _("Deltagaren %(ref)s finns redan med ett annat kön.") % {"ref": ref})
    if ref and agency:
        first_agency = lookups.agency_by_ref.setdefault(ref.lower(), (agency.pk, row.line))
        if first_agency[0] != agency.pk:
            row.error("agency", _("Samma deltagare har en annan myndighet på rad %(row)s; en deltagare hör till "
                                  "den myndighet som anvisade hen.") % {"row": first_agency[1]})
        referred_by = lookups.agencies_of.get(ref.lower())
        if referred_by and agency.pk not in referred_by:
            row.error("participant_ref", _("Deltagarkoden %(ref)s hör till en annan myndighets deltagare. En ny "
                                           "start läggs bara till av den myndighet som anvisat deltagaren.")
                      % {"ref": ref})
    if ref and agency and referral_date:
        key = (ref.lower(), agency.pk, referral_date)
        if key in lookups.seen_starts:
            row.error("referral_date", _("Samma start finns redan på en tidigare rad."))
        lookups.seen_starts.add(key)
        if key in lookups.known_starts:
            row.error("referral_date", _("Starten finns redan i registret."))


def _assignment(line: int, values: dict) -> ImportedAssignment:
    start = values["start_date"]
    return ImportedAssignment(row=line, placement=values["placement"], start_date=start,
                              planned_end_date=values["end_date"] or add_months(start, DEFAULT_ASSIGNMENT_MONTHS),
                              end_date=values["end_date"])


def participants_import_plan(*, user, project: Project, headers: list[str], rows: list[list[str]],
                             progress=None) -> ImportResult:
    """Parse and validate every row and count what an import would write, without writing anything (the
    preview). Assignments are checked against the placements' capacity as the write will check them."""
    if user is not None and not is_leader(user):
        raise PermissionDenied
    result = ImportResult(rows=len(rows), dry_run=True)
    columns, result.errors = _columns(headers)
    if result.errors:
        return result
    lookups = _Lookups(project)
    for offset, raw in enumerate(rows):
        if progress is not None and offset and offset % 1000 == 0:
            progress(offset)
        row = _Row(offset + 2, raw, columns)
        values = _parse_row(row, lookups)
        _validate_row(row, values, lookups)
        result.errors.extend(row.errors)
        if not row.errors:
            values["line"] = row.line
            values["assignment"] = _assignment(row.line, values) if values["placement"] is not None else None
            result.planned.append(values)
    if result.errors:
        return result
    assignments = [values["assignment"] for values in result.planned if values["assignment"] is not None]
    for line, message in placement_services.assignments_import_check(rows=assignments):
        result.errors.append(RowError(line, COLUMN_LABELS["placement_code"], message))
    _count(result, lookups)
    return result


def _count(result: ImportResult, lookups: _Lookups) -> None:
    seen: set[str] = set()
    for values in result.planned:
        ref = values["ref"].lower()
        if not ref:
            result.anonymous_participants += 1
        elif ref not in seen:
            seen.add(ref)
            if ref in lookups.existing:
                result.known_participants += 1
            else:
                result.new_participants += 1
        result.starts += 1
        result.assignments += values["placement"] is not None
        if values["end_date"]:
            result.exits += 1
            result.exits_by_kind[values["kind"]] += 1
    result.existing = lookups.existing


def participants_import(*, user, project: Project, headers: list[str], rows: list[list[str]],
                        dry_run: bool = False, request=None, progress=None) -> ImportResult:
    """Validate every row first; write nothing unless all rows are valid; then write all in bulk in one
    transaction (participants.services.participants_import_write). A dry run only plans."""
    total = len(rows)
    if dry_run:
        return participants_import_plan(user=user, project=project, headers=headers, rows=rows)
    with transaction.atomic():
        result = participants_import_plan(
            user=user, project=project, headers=headers, rows=rows,
            progress=(lambda done: progress(done // 2, total)) if progress else None)
        result.dry_run = False
        if result.errors:
            return result
        try:
            participants_import_write(
                user=user, project=project, rows=result.planned, existing=result.existing,
                progress=(lambda done: progress(total // 2 + done // 2, total)) if progress else None)
        except ValidationError as exc:
            result.errors.append(RowError(getattr(exc, "row", 0) or 0, COLUMN_LABELS["placement_code"],
                                          "; ".join(exc.messages)))
            transaction.set_rollback(True)
            return result
        result.saved = True
        audit_log(user=user, action=AuditEvent.Action.IMPORT, object_type="participants.Referral",
                  detail=f"Import till {project.slug}: {result.starts} starter", request=request)
    return result


# --- The background job ----------------------------------------------------------------------------


def summary_message(result: ImportResult) -> str:
    return _("%(starts)s starter: %(new)s nya deltagare, %(known)s redan kända, %(anonymous)s anonyma, %(exits)s "
             "avslut och %(assignments)s placeringar.") % {
        "starts": result.starts, "new": result.new_participants, "known": result.known_participants,
        "anonymous": result.anonymous_participants, "exits": result.exits, "assignments": result.assignments}


def preview_of(result: ImportResult, notices=()) -> dict:
    """What the preview page shows of a planned import, as JSON for the job (core.importjobs.ImportPreview)."""
    return {"notices": list(notices), "row_count": result.starts, "counts": {
        "starts": result.starts, "new_participants": result.new_participants,
        "known_participants": result.known_participants, "anonymous_participants": result.anonymous_participants,
        "exits": result.exits, "assignments": result.assignments}}


def check_job(*, job, data: bytes, progress) -> ImportOutcome:
    """The uploaded file's check (core.importjobs.import_job_check): every row validated, nothing written."""
    if job.user is None:
        return ImportOutcome(errors=[(0, "", _("Kontot som laddade upp filen finns inte längre."))])
    project = Project.objects.filter(pk=job.params.get("project")).first()
    if project is None:
        return ImportOutcome(errors=[(0, "", _("Projektet finns inte längre."))])
    headers, rows, notices = table_from_bytes(data)
    result = participants_import_plan(user=job.user, project=project, headers=headers, rows=rows,
                                      progress=lambda done: progress(done, len(rows)))
    if result.errors:
        return ImportOutcome(errors=[(e.row, e.column, e.message) for e in result.errors])
    return ImportOutcome(summary=preview_of(result, notices))


def run_job(*, job, data: bytes, progress) -> ImportOutcome:
    """The confirmed upload, written by a Celery worker (core.importjobs): validated again, then all or nothing."""
    if job.user is None:
        return ImportOutcome(errors=[(0, "", _("Kontot som laddade upp filen finns inte längre."))])
    project = Project.objects.filter(pk=job.params.get("project")).first()
    if project is None:
        return ImportOutcome(errors=[(0, "", _("Projektet finns inte längre."))])
    headers, rows, _notices = table_from_bytes(data)
    result = participants_import(user=job.user, project=project, headers=headers, rows=rows, progress=progress)
    if result.errors:
        return ImportOutcome(errors=[(e.row, e.column, e.message) for e in result.errors])
    return ImportOutcome(message=summary_message(result), summary={"starts": result.starts})


register_import_checker("participants", check_job)
register_import_runner("participants", run_job)
