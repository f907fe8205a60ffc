"""Import of placements from XLSX or CSV: read safely, validate every row, preview, then write in bulk.

Reading is the shared hostile-file reader (`core.spreadsheets.read_table`). Each row then goes through
three steps:
- parse (`_parse_row`): the row's text into typed values (dates, capacity, lists), with the errors that
  need no database;
- validate (`_validate_row`): the references (organisation, unit, occupational area, supervisor,
  adaptations, an existing code) and the user's rights, against lookups loaded once per import;
- write (`placements.services.placements_import_write`): every planned row in bulk, in one transaction.

`plan_import` runs parse and validate for all rows and writes nothing: the preview, which the upload queues as
the job's check (`check_job`, a Celery task with progress; the page shows `preview_of(plan)`); `apply_import`
plans again inside the transaction and writes only if no row has an error.
"""

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.importjobs import ImportOutcome, register_import_checker, register_import_runner
from core.models import AuditEvent
from core.roles import is_leader
from core.spreadsheets import ImportFileError, parse_iso_date, read_table, table_from_bytes
from organisations.models import Adaptation, ManagerScope, OccupationalArea, Organisation, Supervisor, Unit
from organisations.permissions import organisation_with_descendant_ids, organisations_managed_by, units_managed_by
from placements.models import Placement
from placements.permissions import placements_editable_by
from placements.selectors import future_peak_occupancy
from placements.services import placement_value_errors, placements_import_write

__all__ = ["COLUMNS", "LABELS", "ImportFileError", "ImportPlan", "ImportRefused", "apply_import", "plan_import",
           "read_table"]

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
    warnings: list[RowError] = field(default_factory=list)

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


# --- Parse ---------------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _columns(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    """Column key → position, and the header's errors (unknown, duplicate or missing required columns)."""
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
    return positions, errors


@dataclass
class _Parsed:
    """One row's values as types, before anything is looked up."""

    row: int
    present: set
    code: str = ""
    title: str = ""
    organisation: str = ""
    unit: str = ""
    municipality: str = ""
    area: str = ""
    tasks: str = ""
    capacity: int | None = None
    available_from: dt.date | None = None
    available_to: dt.date | None = None
    supervisor_email: str = ""
    adaptations: list = field(default_factory=list)


def _parse_row(row_number: int, cells: dict, error) -> _Parsed:
    parsed = _Parsed(row=row_number, present={key for key, value in cells.items() if _text(value) != ""})
    parsed.code = _text(cells.get("code"))[:40]
    parsed.title = _text(cells.get("title"))
    if not parsed.title:
        error("title", _("Benämning saknas."))
    elif len(parsed.title) > 200:
        error("title", _("Benämningen är längre än 200 tecken."))
    parsed.organisation = _text(cells.get("organisation"))
    if not parsed.organisation:
        error("organisation", _("Organisation saknas."))
    parsed.unit = _text(cells.get("unit"))
    if not parsed.unit:
        error("unit", _("Enhet saknas."))
    elif len(parsed.unit) > 200:
        error("unit", _("Enhetens namn är längre än 200 tecken."))
    parsed.municipality = _text(cells.get("municipality"))
    parsed.area = _text(cells.get("occupational_area"))
    parsed.tasks = _text(cells.get("tasks"))
    capacity_text = _text(cells.get("capacity"))
    try:
        parsed.capacity = int(capacity_text)
        if not 1 <= parsed.capacity <= 1000:
            raise ValueError
    except ValueError:
        error("capacity", _("Antal platser måste vara ett heltal från 1 till 1000 (var ”%(value)s”).") % {
            "value": capacity_text})
        parsed.capacity = None
    for key in ("available_from", "available_to"):
        value = cells.get(key)
        if _text(value) == "":
            continue
        try:
            setattr(parsed, key, parse_iso_date(value))
        except ValueError:
            error(key, _("Datumet ”%(value)s” kan inte läsas; skriv ÅÅÅÅ-MM-DD.") % {"value": _text(value)})
    parsed.supervisor_email = _text(cells.get("supervisor_email")).lower()
    parsed.adaptations = [part.strip() for part in _text(cells.get("adaptations")).split(";") if part.strip()]
    return parsed


# --- Validate --------------------------------------------------------------------------------------


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
        # Within one file: the first row of each code, and the municipality given for each new unit.
        self.seen_codes: dict[str, int] = {}
        self.new_units: dict[tuple[int, str], str] = {}

    def may_add_unit(self, org) -> bool:
        """New units only where the user manages the whole organisation (not just one of its units)."""
        if self.user is None or is_leader(self.user):
            return True
        if self.whole_org_ids is None:
            whole = ManagerScope.objects.filter(user=self.user, unit__isnull=True).values_list("organisation_id",
                                                                                                 flat=True)
            self.whole_org_ids = organisation_with_descendant_ids(set(whole))
        return org.pk in self.whole_org_ids

    def may_use_org(self, org) -> bool:
        return self.managed_org_ids is None or org.pk in self.managed_org_ids

    def may_use_unit(self, unit) -> bool:
        return self.managed_unit_ids is None or unit.pk in self.managed_unit_ids


def plan_import(header: list[str], rows: list[list], *, user, notices=(), progress=None) -> ImportPlan:
    """Parse and validate every row against the database without writing. `user=None` = a system import with
    full rights. `progress(done)` is called every few hundred rows."""
    positions, errors = _columns(header)
    if errors:
        return ImportPlan(rows=[], errors=errors, notices=list(notices))
    lookups = _Lookups(user)
    plans: list[RowPlan] = []
    warnings: list[RowError] = []
    data_rows = 0
    for offset, raw in enumerate(rows):
        if progress is not None and offset and offset % 500 == 0:
            progress(offset)
        row_number = offset + 2  # the header is row 1, as in Excel
        cells = {key: (raw[i] if i < len(raw) else None) for key, i in positions.items()}
        if all(_text(v) == "" for v in cells.values()):
            continue  # blank lines are skipped
        data_rows += 1
        before = len(errors)

        def error(column: str, message: str, row_number=row_number) -> None:
            errors.append(RowError(row_number, LABELS[column], message))

        def warn(column: str, message: str, row_number=row_number) -> None:
            warnings.append(RowError(row_number, LABELS[column], message))

        parsed = _parse_row(row_number, cells, error)
        plan = _validate_row(parsed, lookups, error, warn)
        if len(errors) == before and plan is not None:
            plans.append(plan)
    if data_rows == 0 and not errors:
        errors.append(RowError(2, "", _("Filen innehåller inga platser.")))
    return ImportPlan(rows=plans, errors=errors, notices=list(notices), warnings=warnings)


def _validate_existing(parsed: _Parsed, lookups: _Lookups, error) -> Placement | None:
    if not parsed.code:
        return None
    if parsed.code in lookups.seen_codes:
        error("code", _("Koden finns redan på rad %(row)s.") % {"row": lookups.seen_codes[parsed.code]})
    lookups.seen_codes.setdefault(parsed.code, parsed.row)
    existing = lookups.placements.get(parsed.code)
    if existing is not None and lookups.editable_ids is not None and existing.pk not in lookups.editable_ids:
        error("code", _("Du har inte behörighet att ändra platsen med den här koden."))
    return existing


def _validate_organisation(parsed: _Parsed, lookups: _Lookups, error):
    if not parsed.organisation:
        return None
    organisation = lookups.organisations.get(parsed.organisation.lower())
    if organisation is None:
        error("organisation", _("Organisationen ”%(name)s” finns inte i registret.") % {
            "name": parsed.organisation})
        return None
    if not lookups.may_use_org(organisation):
        error("organisation", _("Du kan bara importera platser till dina egna organisationer."))
        return None
    return organisation


def _validate_unit(parsed: _Parsed, organisation, lookups: _Lookups, error, warn):
    """(existing unit or None, whether the row creates a unit)."""
    if not parsed.unit or organisation is None:
        return None, False
    key = (organisation.pk, parsed.unit.lower())
    unit = lookups.units.get(key)
    if unit is None:
        if not lookups.may_add_unit(organisation):
            error("unit", _("Enheten finns inte, och du får bara använda dina egna enheter."))
        first = lookups.new_units.setdefault(key, parsed.municipality)
        if not parsed.municipality and not first:
            error("municipality", _("Kommun krävs när enheten är ny."))
        return None, True
    if not lookups.may_use_unit(unit):
        error("unit", _("Du kan bara importera platser till dina egna enheter."))
    elif parsed.municipality and parsed.municipality.lower() != unit.municipality.lower():
        # The unit is known by its name and organisation; a file often names the town (Visby) where the
        # register holds the municipality (Gotland). The unit is not moved: the register's value is kept.
        warn("municipality", _("Enheten finns redan och ligger i %(actual)s (filen anger %(given)s). "
                               "Registrets kommun behålls.") % {"actual": unit.municipality,
                                                                "given": parsed.municipality})
    return unit, False


def _validate_row(parsed: _Parsed, lookups: _Lookups, error, warn) -> RowPlan | None:
    existing = _validate_existing(parsed, lookups, error)
    organisation = _validate_organisation(parsed, lookups, error)
    unit, new_unit = _validate_unit(parsed, organisation, lookups, error, warn)

    area = None
    if parsed.area:
        area = lookups.areas.get(parsed.area.lower())
        if area is None:
            error("occupational_area", _("Okänt yrkesområde ”%(name)s”.") % {"name": parsed.area})
    elif existing is None:
        error("occupational_area", _("Yrkesområde krävs för en ny plats."))

    start = parsed.available_from or (existing.available_from if existing else timezone.localdate())
    value_errors = placement_value_errors(
        values={"available_from": start, "available_to": parsed.available_to, "capacity": parsed.capacity},
        current_capacity=existing.capacity if existing is not None else None,
        booked=functools.partial(future_peak_occupancy, placement=existing))
    if parsed.capacity is None:
        value_errors.pop("capacity", None)  # the parse step has said what is wrong with the cell
    for column, message in value_errors.items():
        error(column, message)

    supervisor = None
    if parsed.supervisor_email:
        candidates = [s for s in lookups.supervisors.get(parsed.supervisor_email, [])
                      if organisation is None or s.organisation_id == organisation.pk]
        if not candidates:
            error("supervisor_email", _("Ingen handledare med e-post %(email)s finns i organisationen.") % {
                "email": parsed.supervisor_email})
        else:
            supervisor = candidates[0]

    adaptations = []
    for name in parsed.adaptations:
        adaptation = lookups.adaptations.get(name.lower())
        if adaptation is None:
            error("adaptations", _("Okänd anpassning ”%(name)s”.") % {"name": name})
        else:
            adaptations.append(adaptation)

    if organisation is None or parsed.capacity is None or (unit is None and not new_unit):
        return None
    values = {"title": parsed.title, "capacity": parsed.capacity, "tasks": parsed.tasks,
              "available_from": start, "available_to": parsed.available_to, "supervisor": supervisor,
              "code": parsed.code or None, "_organisation": organisation, "_unit_name": parsed.unit,
              "_municipality": parsed.municipality or lookups.new_units.get((organisation.pk,
                                                                             parsed.unit.lower()), "")}
    if area is not None:
        values["occupational_area"] = area
    if unit is not None:
        values["unit"] = unit
    if existing is not None and "tasks" not in parsed.present:
        values.pop("tasks")
    return RowPlan(row=parsed.row, action="update" if existing else "create", title=parsed.title,
                   organisation=organisation.name, unit=parsed.unit, new_unit=new_unit, values=values,
                   adaptations=adaptations, placement=existing)


# --- Write -----------------------------------------------------------------------------------------


class ImportRefused(Exception):
    def __init__(self, plan: ImportPlan):
        super().__init__("import refused")
        self.plan = plan


def apply_import(header, rows, *, user, attested: bool, notices=(), progress=None) -> ImportPlan:
    """Validate and write all rows in one transaction; any invalid row raises ImportRefused and writes nothing.

    `progress(done, total)` is told how far validation and writing have come."""
    total = len(rows)
    with transaction.atomic():
        plan = plan_import(header, rows, user=user, notices=notices,
                           progress=(lambda done: progress(done // 2, total)) if progress else None)
        if not plan.ok:
            raise ImportRefused(plan)
        try:
            placements_import_write(user=user, rows=plan.rows, attested=attested,
                                    progress=(lambda done: progress(total // 2 + done // 2, total))
                                    if progress else None)
        except (ValidationError, PermissionDenied) as exc:
            message = "; ".join(getattr(exc, "messages", None) or [str(exc) or _("Behörighet saknas.")])
            plan.errors.append(RowError(getattr(exc, "row", 0) or 0, "", message))
            raise ImportRefused(plan) from exc
    return plan


# --- The background job ----------------------------------------------------------------------------


def summary_message(counts: dict) -> str:
    return _("%(create)s nya platser, %(update)s ändrade och %(new_units)s nya enheter.") % counts


PREVIEW_ROWS = 100  # rows the preview table shows (its note counts them); the counts cover all


def preview_of(plan: ImportPlan) -> dict:
    """What the preview page shows of a plan, as JSON for the job (core.importjobs.ImportPreview reads it)."""
    return {"counts": plan.counts, "notices": list(plan.notices), "row_count": len(plan.rows),
            "warnings": [[w.row, w.column, w.message] for w in plan.warnings],
            "rows": [{"row": r.row, "action": r.action, "title": r.title, "organisation": r.organisation,
                      "unit": r.unit, "new_unit": r.new_unit} for r in plan.rows[:PREVIEW_ROWS]]}


def check_job(*, job, data: bytes, progress) -> ImportOutcome:
    """The uploaded file's check (core.importjobs.import_job_check): every row validated, nothing written."""
    if job.user is None:
        return ImportOutcome(errors=[(0, "", _("Kontot som laddade upp filen finns inte längre."))])
    header, rows, notices = table_from_bytes(data)
    plan = plan_import(header, rows, user=job.user, notices=notices, progress=lambda done: progress(done, len(rows)))
    if not plan.ok:
        return ImportOutcome(errors=[(e.row, e.column, e.message) for e in plan.errors])
    return ImportOutcome(summary=preview_of(plan))


def run_job(*, job, data: bytes, progress) -> ImportOutcome:
    """The confirmed upload, written by a Celery worker (core.importjobs): validated again, then all or nothing."""
    if job.user is None:
        return ImportOutcome(errors=[(0, "", _("Kontot som laddade upp filen finns inte längre."))])
    header, rows, notices = table_from_bytes(data)
    try:
        plan = apply_import(header, rows, user=job.user, attested=bool(job.params.get("attested")), notices=notices,
                            progress=progress)
    except ImportRefused as refused:
        return ImportOutcome(errors=[(e.row, e.column, e.message) for e in refused.plan.errors])
    counts = plan.counts
    audit_log(user=job.user, action=AuditEvent.Action.IMPORT, object_type="placements.Placement",
              detail=f"{job.file_name}: {counts['create']} nya, {counts['update']} ändrade, "
                     f"{counts['new_units']} nya enheter")
    return ImportOutcome(message=summary_message(counts), summary=counts)


register_import_checker("placements", check_job)
register_import_runner("placements", run_job)
