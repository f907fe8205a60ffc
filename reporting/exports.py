"""Figures as files: JSON (the documented key structure) and XLSX (one sheet per section, Swedish headings).

The XLSX is made from the same (suppressed, for the steering group) figures as the JSON and the PDF.
Each top-level section is a sheet: first its single figures (one row per figure: what it is, its value),
then each of its lists (organisations, areas, statements …) as a table with one column per field.
Counts are number cells, shares are number cells formatted as whole percentages, hidden cells ("<5",
"..") stay text. A key without a Swedish label is shown by its key, so a new figure never goes missing.
"""

import io
import json

from core.spreadsheets import xlsx_cells


def flatten(node, prefix: str = "") -> list[tuple[str, object]]:
    """[("participants.by_gender.kvinna", 2), ("survey.statements.0.share", 0.5), …]."""
    rows: list[tuple[str, object]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            rows += flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list):
        if not node:
            rows.append((prefix, ""))
        for index, value in enumerate(node):
            rows += flatten(value, f"{prefix}.{index}")
    else:
        rows.append((prefix, node))
    return rows


def public(figures: dict) -> dict:
    """The figures without the bookkeeping keys ("_…", e.g. the cells its months hide)."""
    return {key: value for key, value in figures.items() if not str(key).startswith("_")}


def figures_json(figures: dict) -> bytes:
    return json.dumps(public(figures), ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")


SHEETS = {
    "meta": "Om rapporten", "summary": "Sammanfattning", "goals": "Mål per organisation",
    "supervisors": "Handledare", "need_supply": "Behov och tillgång", "participants": "Deltagare",
    "referrals": "Anvisningar", "waiting_list": "Väntelista", "exits": "Avslut", "outcomes": "Resultat",
    "outcomes_by_gender": "Resultat per kön", "outcomes_by_host": "Resultat per värd",
    "followup_90": "Uppföljning 90 dagar", "followup_6m": "Uppföljning 6 månader",
    "before_after": "Före och efter", "anonymous": "Anonyma deltagare", "esf": "ESF+",
    "survey": "Enkät", "placements": "Platser", "equality": "Jämställdhet", "trend": "Trend 12 månader",
    "targets": "Mål och utfall", "partners": "Samverkansparter", "groups": "Styr- och referensgrupp",
    "contacts": "Kontaktpersoner", "budget": "Budget",
}

LABELS = {
    # common
    "total": "Totalt", "count": "Antal", "share": "Andel", "target": "Mål", "met": "Nått målet",
    "name": "Namn", "code": "Kod", "number": "Nummer", "text": "Text", "by_gender": "per kön",
    "kvinna": "Kvinnor", "man": "Män", "icke-binär": "Icke-binära", "okänd": "Okänt",
    "by_agency": "per myndighet", "by_kind": "per typ", "by_reason": "per orsak", "by_area": "per yrkesområde",
    "by_organisation": "per organisation", "by_age_band": "per åldersgrupp", "by_state": "per läge",
    "months": "Månad", "outcome": "Utfall", "status": "Läge",
    # meta
    "kind": "Rapport", "project": "Projekt (kod)", "project_name": "Projekt", "period_start": "Period från",
    "period_end": "Period till", "generated_at": "Skapad", "suppressed": "Små tal dolda",
    "small_count_threshold": "Gräns för små tal", "agencies": "Myndigheter", "exit_reasons": "Avslutsorsaker",
    "funder": "Finansiär", "owner": "Projektägare", "project_start": "Projektstart", "project_end": "Projektslut",
    # participants, referrals, waiting list
    "starts": "Starter", "unique": "Unika deltagare", "anonymous": "Anonyma deltagare",
    "re_enrolments": "Återinskrivningar", "starts_by_gender": "Starter per kön",
    "without_start": "varav inte startat", "without_placement": "varav startat, utan plats",
    "days_mean": "Väntetid, medel (dagar)", "days_median": "Väntetid, median (dagar)",
    # exits, outcomes, follow-ups
    "work_or_studies": "Till arbete eller studier", "exited": "Avslutade (unika)",
    "placed": "Avslutade som börjat en placering", "count_all_exited": "Till arbete eller studier, alla avslutade",
    "share_all_exited": "Andel av alla avslutade", "done": "Genomförda", "done_share": "Andel genomförda",
    "work": "Till arbete", "studies": "Till studier",
    # survey
    "invited": "Inbjudna", "answered": "Svarande", "response_rate": "Svarsfrekvens", "statements": "Påståenden",
    "answers": "Svar", "yes": "Ja",
    # placements
    "capacity": "Kapacitet", "occupied": "Belagda", "free": "Lediga", "overbooked": "Överbokade",
    "new": "Nya under perioden", "closed": "Stängda under perioden", "placements": "Platser",
    "employee_count": "Anställda", "target_placements": "Mål i platser", "parent": "Ingår i",
    "occupied_by_gender": "På plats per kön", "used": "Använda under perioden", "assignments": "Placeringar",
    "organisations": "Organisationer", "top_organisations": "I PDF:en", "rest": "övriga organisationer",
    "on_track": "I fas", "behind": "Efter",
    # equality
    "days_to_start": "Tid till start", "threshold_days": "Gräns (dagar)", "max_difference": "Största skillnad",
    "flagged": "Flaggad", "placement_kind": "Typ av plats", "threshold_share": "Gräns (andel)",
    "total_by_gender": "Totalt per kön", "share_by_gender": "Andel per kön", "mean_days": "Medeltid (dagar)",
    "exits": "Avslut",
    # final report
    "participants": "Deltagare", "survey": "Enkät", "role": "Roll", "contribution": "Bidrag",
    "co_financing_amount": "Medfinansiering (kr)", "steering": "Styrgrupp", "reference": "Referensgrupp",
    "members": "Ledamöter", "represents": "Representerar", "gender": "Kön", "title": "Titel", "email": "E-post",
    "spent": "Förbrukat (kr)", "spent_share": "Andel förbrukat", "co_financing_total": "Medfinansiering totalt (kr)",
}

# A first key whose meaning depends on its section.
SECTION_LABELS = {
    "participants.by_gender": "Unika deltagare per kön", "participants.by_age_band": "Unika deltagare per åldersgrupp",
    "participants.by_agency": "Starter per myndighet", "referrals.by_gender": "Anvisningar per kön",
    "referrals.by_agency": "Anvisningar per myndighet", "waiting_list.by_gender": "Väntande per kön",
    "waiting_list.total": "Väntar totalt", "exits.by_gender": "Avslut per kön", "exits.total": "Totalt",
    "placements.total": "Platser totalt",
}

PERCENT_KEYS = {"share", "target", "response_rate", "done_share", "share_all_exited", "spent_share",
                "threshold_share", "baseline", "share_now", "expected"}


def _label(key) -> str:
    return LABELS.get(str(key), str(key))


def _is_share(path: list) -> bool:
    names = [str(part) for part in path if not isinstance(part, int)]
    return bool(names) and (names[-1] in PERCENT_KEYS or names[-1].endswith("_share")
                            or (len(names) >= 2 and names[-2] in ("share_by_gender",)))


def _value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    return value


def _append(sheet, values, *, bold=False, percent_columns=()):
    from openpyxl.styles import Font  # noqa: PLC0415 - openpyxl by the first workbook written (core.spreadsheets)

    sheet.append(xlsx_cells(sheet, [_value(v) for v in values]))
    row = sheet.max_row
    for index, cell in enumerate(sheet[row], start=0):
        if bold:
            cell.font = Font(bold=True)
        if index in percent_columns and isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
            cell.number_format = "0%"


def _scalars(node, path: list) -> list[tuple[list, object]]:
    """Leaves of `node` that are not inside a list of records, with their paths."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _scalars(value, [*path, key])
    elif isinstance(node, list):
        if node and all(not isinstance(item, dict | list) for item in node):
            for index, value in enumerate(node):
                found.append(([*path, index], value))
    else:
        found.append((path, node))
    return found


def _record_lists(node, path: list) -> list[tuple[list, list[dict]]]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _record_lists(value, [*path, key])
    elif isinstance(node, list) and node and all(isinstance(item, dict) for item in node):
        found.append((path, node))
    return found


def _record_columns(records: list[dict]) -> list[list]:
    """Column paths of a list of records: nested dicts become several columns (by_gender → one per gender)."""
    columns: list[list] = []
    for record in records:
        for path, _value in _scalars(record, []):
            if path not in columns:
                columns.append(path)
    return columns


def _get(node, path: list):
    for part in path:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node


def _trend_sheet(sheet, trend: dict) -> None:
    series = [key for key, value in trend.items() if key != "months" and isinstance(value, list)]
    _append(sheet, [_label("months"), *[_label(key) for key in series]], bold=True)
    for index, month in enumerate(trend.get("months", [])):
        _append(sheet, [month, *[trend[key][index] if index < len(trend[key]) else "" for key in series]])


def _path_label(section_key: str, path: list) -> str:
    parts = [_label(part) if not isinstance(part, int) else str(part + 1) for part in path]
    if path and f"{section_key}.{path[0]}" in SECTION_LABELS:
        parts[0] = SECTION_LABELS[f"{section_key}.{path[0]}"]
    return " – ".join(part for part in parts if part)


def _section_sheet(sheet, section, key: str = "") -> None:
    if not isinstance(section, dict):
        section = {"": section}
    scalars = _scalars(section, [])
    if scalars:
        _append(sheet, ["Mått", "Värde"], bold=True)
        for path, value in scalars:
            label = _path_label(key, path)
            _append(sheet, [label, value], percent_columns=(1,) if _is_share(path) else ())
    for path, records in _record_lists(section, []):
        _append(sheet, [])
        _append(sheet, [_path_label(key, path) or sheet.title], bold=True)
        columns = _record_columns(records)
        _append(sheet, [" – ".join(_label(part) for part in column) for column in columns], bold=True)
        shares = tuple(i for i, column in enumerate(columns) if _is_share(column))
        for record in records:
            _append(sheet, [_get(record, column) for column in columns], percent_columns=shares)


def _for_readers(section):
    """A section as the sheet shows it: the PDF summary's row numbers (`shown`, `rest_rows`) are for the
    program, the sheet lists every row itself; the summary's row for the other organisations stays."""
    if not isinstance(section, dict) or not isinstance(section.get("top_organisations"), dict):
        return section
    summary = section["top_organisations"]
    return {**section, "top_organisations": {key: value for key, value in summary.items()
                                             if key not in ("shown", "rest_rows")}}


def figures_xlsx(figures: dict) -> bytes:
    from openpyxl import Workbook  # noqa: PLC0415 - by the first workbook written (core.spreadsheets)
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    workbook = Workbook()
    workbook.remove(workbook.active)
    used = set()
    for key, section in public(figures).items():
        section = _for_readers(section)
        title = SHEETS.get(key, key)[:31]
        while title in used:
            title = (title[:28] + "_" + str(len(used)))[:31]
        used.add(title)
        sheet = workbook.create_sheet(title)
        if key == "trend" and isinstance(section, dict):
            _trend_sheet(sheet, section)
        else:
            _section_sheet(sheet, section, key)
        sheet.column_dimensions["A"].width = 55
        for index in range(2, 12):
            sheet.column_dimensions[get_column_letter(index)].width = 16
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
