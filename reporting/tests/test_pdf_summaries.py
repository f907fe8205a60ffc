"""A region's long per-organisation tables in the PDF: the largest organisations and one row for the others,
every row in the XLSX, and the row for the others suppressed with the rows it sums."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from organisations.models import Supervisor
from organisations.tests.factories import OrganisationFactory, SupervisorFactory, UnitFactory
from placements.tests.factories import PlacementFactory
from reporting import selectors, suppression
from reporting.documents import organisation_tables
from reporting.exports import figures_xlsx
from reporting.selectors import final_figures, monthly_figures
from reporting.services import build_report
from reporting.suppression import SECONDARY, suppress, suppress_small_counts

from .conftest import MARCH
from .test_disclosure import attack, build_random_region
from .test_pdf import pdftotext

pytestmark = pytest.mark.django_db
EXTRA = 24  # with the data set's three organisations: more rows than the PDF shows whole


@pytest.fixture
def many_organisations(march_data):
    """24 more municipalities: "Kommun 01" the smallest (capacity 1, 1,010 employees) … "Kommun 24" the largest;
    each has one placement and one untrained supervisor of it."""
    organisations = []
    for index in range(1, EXTRA + 1):
        org = OrganisationFactory(name=f"Kommun {index:02d}", employee_count=1000 + 10 * index)
        unit = UnitFactory(organisation=org)
        supervisor = SupervisorFactory(unit=unit, training_completed_on=None)
        Supervisor.objects.filter(pk=supervisor.pk).update(created_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
        PlacementFactory(unit=unit, capacity=index, available_from=dt.date(2025, 1, 1), supervisor=supervisor)
        organisations.append(org)
    return organisations


def test_a_long_organisation_table_keeps_the_largest_and_sums_the_others(report_project, many_organisations):
    placements = monthly_figures(report_project, *MARCH)["placements"]
    rows = placements["by_organisation"]
    summary = placements["top_organisations"]
    shown = [rows[i]["name"] for i in summary["shown"]]
    assert shown == [f"Kommun {index:02d}" for index in range(24, 24 - selectors.PDF_TOP_ORGANISATIONS, -1)]
    others = [row for row in rows if row["name"] not in shown and row["parent"] is None]
    assert sorted(rows[i]["name"] for i in summary["rest_rows"]) == sorted(row["name"] for row in others)
    rest = summary["rest"]
    assert rest["organisations"] == len(others) == len(rows) - selectors.PDF_TOP_ORGANISATIONS
    for key in ("placements", "capacity", "occupied", "employee_count"):
        assert rest[key] == sum(row[key] or 0 for row in others)
    assert rest["met"] == sum(1 for row in others if row["met"])
    # The shown rows and the others add up to the region.
    assert sum(rows[i]["capacity"] for i in summary["shown"]) + rest["capacity"] == placements["capacity"]
    assert sum(rows[i]["occupied"] for i in summary["shown"]) + rest["occupied"] == placements["occupied"]


def test_a_short_organisation_table_is_shown_whole(report_project, march_data):
    figures = monthly_figures(report_project, *MARCH)
    assert "top_organisations" not in figures["placements"]
    assert "top_organisations" not in figures["goals"]
    tables = organisation_tables(suppress_small_counts(figures), summarised=True)
    assert tables["placements"]["rows"] == suppress_small_counts(figures)["placements"]["by_organisation"]
    assert tables["placements"]["rest"] is None


def _line(text: str, start: str) -> list[str]:
    """The cells of the first PDF text line starting with `start` (pdftotext -layout: cells apart by 2+ spaces)."""
    line = next(line.strip() for line in text.splitlines() if line.strip().startswith(start))
    return [cell.strip() for cell in line[len(start):].split("  ") if cell.strip()]


@pytest.mark.poppler
def test_the_monthly_pdf_shows_the_largest_organisations_and_the_others(report_project, many_organisations,
                                                                        tmp_path):
    figures, pdf = build_report(kind="monthly", project=report_project, period_start=MARCH[0],
                                period_end=MARCH[1])
    text = pdftotext(pdf, tmp_path)
    rest = figures["placements"]["top_organisations"]["rest"]
    others = rest["organisations"]
    # Placements per organisation: Kommun 24 (capacity 24, 1,240 employees) is shown, Kommun 01 is not.
    table = text[text.index("Per värdorganisation, mot målet"):text.index("Per yrkesområde")]
    assert _line(table, "Kommun 24")[:4] == ["1", "24", "0", "1 240"]
    assert "Kommun 01" not in table
    placements_row = _line(table, f"Övriga {others} organisationer")
    shown = suppress_small_counts(figures)["placements"]
    assert rest["occupied"] == 3 and shown["top_organisations"]["rest"]["occupied"] == "<5"  # the steering copy
    assert placements_row[:4] == [str(rest["placements"]), str(rest["capacity"]), "<5",
                                  f"{rest['employee_count']:,}".replace(",", " ")]
    assert _line(table, "Alla organisationer")[:3] == [str(shown["total"]), str(shown["capacity"]),
                                                       str(shown["occupied"])]
    assert "Excel-filen med rapportens nyckeltal (fliken Platser)" in " ".join(text.split())
    # The goal table and the supervisors' table are summarised the same way.
    assert "(fliken Mål per organisation)" in " ".join(text.split())
    assert "(fliken Handledare)" in " ".join(text.split())
    assert "Hela regionen" in text
    # The XLSX keeps every organisation.
    book = load_workbook(io.BytesIO(figures_xlsx(suppress_small_counts(figures))))
    names = {cell for row in book["Platser"].iter_rows(values_only=True) for cell in row}
    assert {"Kommun 01", "Kommun 24", "Organisation X", "Organisation Y"} <= names


@pytest.mark.poppler
def test_the_final_pdf_summarises_its_organisation_tables(report_project, many_organisations, tmp_path):
    figures, pdf = build_report(kind="final", project=report_project, period_start=MARCH[0], period_end=MARCH[1])
    text = " ".join(pdftotext(pdf, tmp_path).split())
    assert "top_organisations" in figures["goals"] and "top_organisations" in figures["supervisors"]
    assert "(fliken Mål per organisation)" in text and "(fliken Handledare)" in text
    supervisors = figures["supervisors"]["top_organisations"]
    # Every supervisor is untrained and lacks training for their open placement: the largest 10 by that.
    rest = supervisors["rest"]
    assert f"Övriga {rest['organisations']} organisationer 0 {rest['untrained']} {rest['open_without_trained']}" \
        in text
    assert final_figures(report_project, *MARCH)["supervisors"]["top_organisations"] == supervisors


def _organisations(occupied: list[int], shown: list[int]) -> dict:
    rows = [{"name": f"Org {i}", "parent": None, "occupied": value} for i, value in enumerate(occupied)]
    rest_rows = [i for i in range(len(rows)) if i not in shown]
    return {"meta": {}, "placements": {
        "occupied": sum(occupied), "by_organisation": rows,
        "top_organisations": {"organisations": len(rows), "shown": shown, "rest_rows": rest_rows,
                              "rest": {"organisations": len(rest_rows),
                                       "occupied": sum(occupied[i] for i in rest_rows)}}}}


def test_the_others_row_cannot_give_back_a_hidden_organisation():
    """Org 2's 2 is "<5"; the others' row (2 + 9 + 7 = 18) beside the XLSX's 9 and 7 would give it back."""
    raw = _organisations([40, 6, 2, 9, 7], shown=[0, 1])
    shown = suppress(raw)["placements"]
    assert shown["by_organisation"][2]["occupied"] == "<5"
    hidden_with_it = [row["occupied"] for row in shown["by_organisation"][3:]] + [shown["top_organisations"]["rest"]
                                                                                  ["occupied"]]
    assert SECONDARY in hidden_with_it
    assert attack({"month": (raw, suppress(raw))}) == []


def test_without_its_rule_the_others_row_gives_a_hidden_count_back(monkeypatch):
    """The attacker is not blind to the others' row: with its sums left out of suppression it recovers a cell."""
    raw = _organisations([40, 6, 2, 9, 7], shown=[0, 1])
    builders = [b for b in suppression.RELATION_BUILDERS if b is not suppression._top_organisations_sums]
    monkeypatch.setattr(suppression, "RELATION_BUILDERS", builders)
    unprotected = suppress(raw)
    monkeypatch.undo()
    assert attack({"month": (raw, unprotected)})


@pytest.mark.parametrize("seed", range(4))
def test_no_hidden_cell_comes_back_from_a_summarised_table(seed, monkeypatch):
    """The random regions of test_disclosure with their tables summarised (one organisation shown)."""
    monkeypatch.setattr(selectors, "PDF_ORGANISATION_ROWS", 1)
    monkeypatch.setattr(selectors, "PDF_TOP_ORGANISATIONS", 1)
    project = build_random_region(seed)
    reports = {}
    for index, (first, last) in enumerate([(dt.date(2026, m, 1), selectors.month_end(dt.date(2026, m, 1)))
                                           for m in (1, 2, 3)]):
        raw = selectors.monthly_report_figures(project, first, last)
        reports[f"month{index + 1}"] = (raw, suppress_small_counts(raw))
    raw_q = selectors.monthly_report_figures(project, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    reports["quarter"] = (raw_q, suppress_small_counts(raw_q))
    assert any("top_organisations" in raw["placements"] for raw, _shown in reports.values())
    assert attack(reports) == []
