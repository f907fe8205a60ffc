"""Exports of the (filtered) placement list as XLSX and CSV.

Every text cell that a spreadsheet could read as a formula (first character = + - @, tab or carriage
return) is prefixed with an apostrophe, so a hostile title like `=HYPERLINK(...)` stays text (OWASP
"CSV injection"). The columns are the import columns (so an export can be edited and re-imported),
followed by read-only figures.
"""

import csv
import io

import openpyxl
from django.utils import timezone
from django.utils.translation import gettext as _

from placements.imports import COLUMNS, LABELS
from placements.selectors import idle_days

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _header() -> list[str]:
    return [LABELS[c] for c in COLUMNS] + [_("status"), _("upptagna idag"), _("lediga idag"), _("lediga dagar")]


def _rows(placements, *, with_contacts: bool):
    today = timezone.localdate()
    for p in placements:
        supervisor_email = p.supervisor.email if (p.supervisor and with_contacts) else ""
        yield [
            p.code or "", p.title, p.unit.organisation.name, p.unit.name, p.unit.municipality,
            p.occupational_area.name, p.tasks, p.capacity, p.available_from, p.available_to, supervisor_email,
            "; ".join(a.name for a in p.adaptations.all()),
            p.get_status_display(), p.occupied, p.free, idle_days(p, on=today),
        ]


def placements_csv(placements, *, with_contacts: bool) -> bytes:
    """UTF-8 with BOM and semicolons: what Swedish Excel opens directly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(_header())
    for row in _rows(placements, with_contacts=with_contacts):
        writer.writerow([neutralise("" if v is None else (v.isoformat() if hasattr(v, "isoformat") else v))
                         for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def placements_xlsx(placements, *, with_contacts: bool) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Platser"))
    sheet.append(_header())
    for row in _rows(placements, with_contacts=with_contacts):
        # Strings go in as strings; openpyxl would otherwise store "=…" as a formula.
        sheet.append([neutralise(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
