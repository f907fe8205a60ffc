"""The figures' XLSX: one sheet per section, Swedish headings, numbers as numbers, the PDF's suppression."""

import io

import pytest
from openpyxl import load_workbook

from reporting.exports import figures_xlsx
from reporting.selectors import monthly_figures
from reporting.suppression import suppress_small_counts

from .conftest import MARCH

pytestmark = pytest.mark.django_db


def _book(figures):
    return load_workbook(io.BytesIO(figures_xlsx(figures)))


def _rows(sheet):
    return {row[0]: row[1] for row in sheet.iter_rows(min_row=2, max_col=2, values_only=True) if row[0]}


def test_one_sheet_per_section_with_swedish_titles(report_project, march_data):
    figures = monthly_figures(report_project, *MARCH)
    book = _book(figures)
    assert book.sheetnames[:4] == ["Om rapporten", *[
        {"participants": "Deltagare", "referrals": "Anvisningar", "waiting_list": "Väntelista",
         "exits": "Avslut"}.get(key, key) for key in list(figures)[1:4]]]
    assert len(book.sheetnames) == len(figures)
    assert "Trend 12 månader" in book.sheetnames and "Enkät" in book.sheetnames


def test_counts_are_numbers_and_shares_are_percent_cells(report_project, march_data):
    figures = monthly_figures(report_project, *MARCH)
    book = _book(figures)
    participants = _rows(book["Deltagare"])
    assert participants["Starter"] == figures["participants"]["starts"]
    assert isinstance(participants["Starter"], int)
    assert participants["Unika deltagare per kön – Kvinnor"] == figures["participants"]["by_gender"]["kvinna"]
    outcome_sheet = book["Resultat"]
    share_cells = [row for row in outcome_sheet.iter_rows(min_row=2, max_col=2)
                   if row[0].value == "Till arbete eller studier – Andel"]
    assert share_cells and share_cells[0][1].value == figures["outcomes"]["work_or_studies"]["share"]
    assert share_cells[0][1].number_format == "0%"


def test_lists_become_tables_with_headings(report_project, march_data):
    figures = monthly_figures(report_project, *MARCH)
    sheet = _book(figures)["Enkät"]
    rows = list(sheet.iter_rows(values_only=True))
    heading = next(i for i, row in enumerate(rows) if row[0] == "Nummer")
    assert rows[heading][:4] == ("Nummer", "Text", "Svar", "Ja")
    first = figures["survey"]["statements"][0]
    assert rows[heading + 1][:4] == (first["number"], first["text"], first["answers"], first["yes"])


def test_steering_copy_has_the_pdfs_hidden_cells(report_project, march_data):
    figures = monthly_figures(report_project, *MARCH)
    shown = suppress_small_counts(figures)
    sheet = _book(shown)["Deltagare"]
    assert _rows(sheet)["Starter"] == shown["participants"]["starts"] == "<5"
