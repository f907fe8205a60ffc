"""The participant list, the waiting list and the 90-day follow-up list as XLSX or CSV.

Each export has the columns its page shows to the same role and the rows its page's filters select (all
pages, not only the first); the cells go through the shared cell guard (core.spreadsheets). The views
audit every participant in the file as an export.
"""

import datetime as dt

from django.utils.translation import gettext as _

from core.spreadsheets import csv_bytes, xlsx_bytes
from participants import selectors

FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "csv": "text/csv; charset=utf-8"}


def participant_rows(participants) -> tuple[list[str], list[list]]:
    header = [_("Deltagare"), _("Registrering"), _("Kön"), _("Senaste anvisning")]
    rows = [[p.display_name, p.get_identity_display(), p.get_gender_display(), p.latest_referral]
            for p in participants]
    return header, rows


def manager_rows(assignments) -> tuple[list[str], list[list]]:
    """A manager sees code or name and dates of the participants at their units, nothing else."""
    header = [_("Deltagare"), _("Plats"), _("Enhet"), _("Start"), _("Planerat slut"), _("Slut"), _("Status")]
    rows = [[a.referral.participant.display_name, a.placement.title, a.placement.unit.name, a.start_date,
             a.planned_end_date, a.end_date, a.get_status_display()] for a in assignments]
    return header, rows


def waiting_rows(referrals, *, on: dt.date) -> tuple[list[str], list[list]]:
    labels = dict(selectors.WaitingState.choices)
    header = [_("Deltagare"), _("Myndighet"), _("Kön"), _("Yrkesintressen"), _("Anvisad"), _("Dagar i väntan"),
              _("Läge")]
    rows = [[r.participant.display_name, r.agency.name, r.participant.get_gender_display(),
             ", ".join(area.name for area in r.interests.all()), r.referral_date,
             selectors.days_waiting(r, on=on), labels[r.waiting_state]] for r in referrals]
    return header, rows


def followup_rows(followups, *, today: dt.date) -> tuple[list[str], list[list]]:
    header = [_("Deltagare"), _("Myndighet"), _("Avslut"), _("Ska göras"), _("Försenad")]
    rows = [[f.exit.referral.participant.display_name, f.exit.referral.agency.name, f.exit.exit_date, f.due_on,
             _("ja") if f.due_on < today else _("nej")] for f in followups]
    return header, rows


def render(fmt: str, title: str, header, rows) -> bytes:
    return xlsx_bytes(title, header, rows) if fmt == "xlsx" else csv_bytes(header, rows)
