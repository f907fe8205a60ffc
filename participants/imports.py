"""Import of participant history: one row per start, all-or-nothing, a Swedish error per row and column.

File reading and its safety checks (size, type by content, zip bombs, DTD/entities, encodings) and the
date parser are the shared ones in core.spreadsheets; this module only maps the participant columns.
"""

import datetime as dt
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.dates import add_months
from core.models import AuditEvent, Gender
from core.roles import is_leader
from core.spreadsheets import ImportFileError, parse_iso_date
from core.spreadsheets import read_table as read_spreadsheet
from organisations.models import Agency, Project
from participants.models import (
    Activity,
    EducationLevel,
    Exit,
    ExitKind,
    ExitReason,
    FollowUp6Months,
    FollowUp90,
    LabourMarketStatus,
    Participant,
    Referral,
    SupportKind,
)
from placements.models import Assignment, Placement

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


def participants_import(*, user, project: Project, headers: list[str], rows: list[list[str]],
                        dry_run: bool = False, request=None) -> ImportResult:
    """Validate every row first; write nothing unless all rows are valid; write all in one transaction."""
    if user is not None and not is_leader(user):
        raise PermissionDenied
    result = ImportResult(rows=len(rows), dry_run=dry_run)
    columns: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = ALIASES.get(normalise_header(header))
        if key is None:
            if header.strip():
                result.errors.append(RowError(1, header, _("Okänd kolumn.")))
            continue
        if key in columns:
            result.errors.append(RowError(1, header, _("Kolumnen finns två gånger.")))
        columns[key] = index
    for required in ("gender", "agency"):
        if required not in columns:
            result.errors.append(RowError(1, required, _("Kolumnen saknas.")))
    if "referral_date" not in columns and "start_date" not in columns:
        result.errors.append(RowError(1, "referral_date", _("Kolumnen saknas (eller start_date).")))
    if result.errors:
        return result

    agencies = _Categories(Agency.objects.all())
    supports = _Categories(SupportKind.objects.all())
    activities = _Categories(Activity.objects.all())
    reasons = _Categories(ExitReason.objects.all())
    placements = {p.code.lower(): p for p in Placement.objects.exclude(code__isnull=True).exclude(code="")}
    existing = {p.code.lower(): p for p in Participant.objects.exclude(code__isnull=True)}

    parsed = []
    genders_by_ref: dict[str, tuple[str, int]] = {}
    seen_starts: set[tuple] = set()
    for offset, raw in enumerate(rows):
        line = offset + 2
        errors: list[RowError] = []

        def cell(key, raw=raw):
            index = columns.get(key)
            return raw[index].strip() if index is not None and index < len(raw) else ""

        def error(key, message, line=line, errors=errors):
            errors.append(RowError(line, COLUMN_LABELS[key], message))

        def date(key):
            value = cell(key)
            if not value:
                return None
            try:
                return parse_iso_date(value)
            except ValueError:
                error(key, _("Ogiltigt datum %(value)s (använd ÅÅÅÅ-MM-DD).") % {"value": value})
                return None

        def category(key, lookup, what):
            value = cell(key)
            if not value:
                return None
            found = lookup.get(value)
            if found is None:
                error(key, _("Okänt värde för %(what)s: %(value)s.") % {"what": what, "value": value})
            return found

        ref = cell("participant_ref")
        gender = _GENDERS.get(_slug(cell("gender"))) if cell("gender") else None
        if not cell("gender"):
            error("gender", _("Kön saknas."))
        elif gender is None:
            error("gender", _("Okänt kön: %(value)s (kvinna, man eller icke-binär).") % {"value": cell("gender")})
        birth_year = None
        if cell("birth_year"):
            try:
                birth_year = int(cell("birth_year"))
                if not 1900 <= birth_year <= 2100:
                    raise ValueError
            except ValueError:
                error("birth_year", _("Ogiltigt födelseår: %(value)s.") % {"value": cell("birth_year")})
                birth_year = None
        agency = category("agency", agencies, _("myndighet"))
        if not cell("agency"):
            error("agency", _("Myndighet saknas."))
        referral_date, start_date, end_date = date("referral_date"), date("start_date"), date("end_date")
        referral_date = referral_date or start_date
        if referral_date is None and not any(e.column in ("referral_date", "start_date") for e in errors):
            error("referral_date", _("Anvisningsdatum eller startdatum krävs."))
        if not ref and start_date is None and not cell("start_date"):
            error("start_date", _("En anonym deltagare (tom participant_ref) kräver kön och startdatum."))
        if start_date and referral_date and start_date < referral_date:
            error("start_date", _("Startdatum kan inte vara före anvisningsdatum."))
        if end_date and (start_date or referral_date) and end_date < (start_date or referral_date):
            error("end_date", _("Slutdatum kan inte vara före startdatum."))

        kind = None
        if cell("exit_kind"):
            kind = _EXIT_KINDS.get(_slug(cell("exit_kind")))
            if kind is None:
                error("exit_kind", _("Okänd avslutstyp: %(value)s (enligt plan, avbruten eller felregistrering).")
                      % {"value": cell("exit_kind")})
        elif end_date:
            error("exit_kind", _("Avslutstyp krävs när slutdatum finns."))
        if kind and not end_date and not cell("end_date"):
            error("end_date", _("Slutdatum krävs när avslutstyp finns."))
        education_level = labour_market_status = ""
        if cell("education_level"):
            education_level = _EDUCATION_LEVELS.get(_slug(cell("education_level")), "")
            if not education_level:
                error("education_level", _("Okänd utbildningsnivå: %(value)s (förgymnasial, gymnasial eller "
                                           "eftergymnasial; ISCED 0-2, 3-4 eller 5-8).") % {
                                               "value": cell("education_level")})
        if cell("labour_market_status"):
            labour_market_status = _LABOUR_MARKET_STATUSES.get(_slug(cell("labour_market_status")), "")
            if not labour_market_status:
                error("labour_market_status", _("Okänd ställning på arbetsmarknaden: %(value)s (arbetslös, "
                                                "långtidsarbetslös, inaktiv eller sysselsatt).") % {
                                                    "value": cell("labour_market_status")})
        reason = category("exit_reason", reasons, _("avslutsorsak"))
        support = category("support_before", supports, _("försörjning"))
        activity_before = category("activity_before", activities, _("sysselsättning"))
        activity_after = category("activity_after", activities, _("sysselsättning"))
        followup = category("followup_90_status", activities, _("sysselsättning"))
        if (reason or activity_after) and not end_date and not cell("end_date"):
            error("end_date", _("Slutdatum krävs när avslutsorsak eller sysselsättning efter finns."))
        if followup and not end_date and not cell("end_date"):
            error("followup_90_status", _("90-dagarsuppföljning kräver slutdatum."))
        if followup and kind == ExitKind.REGISTERED_IN_ERROR:
            error("followup_90_status", _("Felregistreringar följs inte upp."))

        placement = None
        if cell("placement_code"):
            placement = placements.get(cell("placement_code").lower())
            if placement is None:
                error("placement_code", _("Ingen plats med koden %(value)s.") % {"value": cell("placement_code")})
            elif start_date is None and not cell("start_date"):
                error("start_date", _("Startdatum krävs för en placering."))

        if ref and gender:
            first = genders_by_ref.setdefault(ref.lower(), (gender, line))
            if first[0] != gender:
                error("gender", _("Samma deltagare har ett annat kön på rad %(row)s.") % {"row": first[1]})
            known = existing.get(ref.lower())
            if known is not None and known.gender != gender:
                error("gender", _("Deltagaren %(ref)s finns redan med ett annat kön.") % {"ref": ref})
        if ref and agency and referral_date:
            key = (ref.lower(), agency.pk, referral_date)
            if key in seen_starts:
                error("referral_date", _("Samma start finns redan på en tidigare rad."))
            seen_starts.add(key)
            known = existing.get(ref.lower())
            if known is not None and Referral.objects.filter(participant=known, project=project, agency=agency,
                                                              referral_date=referral_date).exists():
                error("referral_date", _("Starten finns redan i registret."))

        result.errors.extend(errors)
        if not errors:
            parsed.append({
                "ref": ref, "gender": gender, "birth_year": birth_year, "agency": agency,
                "referral_date": referral_date, "start_date": start_date, "end_date": end_date, "kind": kind,
                "reason": reason, "support": support, "activity_before": activity_before,
                "activity_after": activity_after, "placement": placement, "followup": followup,
                "education_level": education_level, "labour_market_status": labour_market_status,
            })
    if result.errors:
        return result

    with transaction.atomic():
        people: dict[str, Participant] = {}
        for row in parsed:
            ref = row["ref"]
            if ref:
                participant = people.get(ref.lower()) or existing.get(ref.lower())
                if participant is None:
                    participant = Participant.objects.create(identity=Participant.Identity.PSEUDONYMOUS, code=ref,
                                                             gender=row["gender"], birth_year=row["birth_year"])
                    result.new_participants += 1
                elif ref.lower() not in people:
                    result.known_participants += 1
                if row["birth_year"] and not participant.birth_year:
                    participant.birth_year = row["birth_year"]
                    participant.save(update_fields=["birth_year", "updated_at"])
                people[ref.lower()] = participant
            else:
                participant = Participant.objects.create(identity=Participant.Identity.ANONYMOUS,
                                                         gender=row["gender"])
                result.anonymous_participants += 1
            referral = Referral.objects.create(
                participant=participant, project=project, agency=row["agency"],
                referral_date=row["referral_date"], start_date=row["start_date"],
                support_before=row["support"], activity_before=row["activity_before"],
                education_level=row["education_level"], labour_market_status=row["labour_market_status"],
            )
            result.starts += 1
            if row["placement"] is not None:
                start = row["start_date"]
                Assignment.objects.create(
                    placement=row["placement"], referral=referral, start_date=start,
                    planned_end_date=row["end_date"] or add_months(start, DEFAULT_ASSIGNMENT_MONTHS),
                    end_date=row["end_date"],
                    status=Assignment.Status.COMPLETED if row["end_date"] else Assignment.Status.ONGOING,
                    requested_by=user,
                )
                result.assignments += 1
            if row["end_date"]:
                exit = Exit.objects.create(referral=referral, exit_date=row["end_date"], kind=row["kind"],
                                           reason=row["reason"], activity_after=row["activity_after"],
                                           recorded_by=user)
                result.exits += 1
                result.exits_by_kind[row["kind"]] += 1
                if row["kind"] != ExitKind.REGISTERED_IN_ERROR:
                    due = row["end_date"] + dt.timedelta(days=90)
                    FollowUp90.objects.create(exit=exit, due_on=due, activity=row["followup"],
                                              done_on=due if row["followup"] else None)
                    FollowUp6Months.objects.create(exit=exit, due_on=add_months(row["end_date"], 6))
        if dry_run:
            transaction.set_rollback(True)
        else:
            result.saved = True
            audit_log(user=user, action=AuditEvent.Action.IMPORT, object_type="participants.Referral",
                      detail=f"Import till {project.slug}: {result.starts} starter", request=request)
    return result
