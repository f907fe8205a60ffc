"""Exports of the (filtered) placement list as XLSX and CSV.

The cells go through the shared cell guard (core.spreadsheets): XLSX text as string cells, CSV text that
a spreadsheet would run as a formula with a leading apostrophe, which the importer takes off again. The
columns are the import columns (so an export can be edited and re-imported), followed by read-only
figures.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from core.spreadsheets import csv_bytes, xlsx_bytes
from placements.imports import COLUMNS, LABELS
from placements.selectors import idle_days


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
    return csv_bytes(_header(), _rows(placements, with_contacts=with_contacts))


def placements_xlsx(placements, *, with_contacts: bool) -> bytes:
    return xlsx_bytes(_("Platser"), _header(), _rows(placements, with_contacts=with_contacts))
