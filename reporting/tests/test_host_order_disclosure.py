"""The steering group's tables of outcomes per host organisation and per area: the order of their rows must not
depend on a hidden count. Two regions whose hosts differ only in counts the steering group sees as "<5" publish
the same table; ordered by the count, four "<5" rows out of their names' order would read 4, 3, 2, 1."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from organisations.tests.factories import OccupationalAreaFactory, OrganisationFactory, ProjectFactory, UnitFactory
from participants.models import ExitReason
from participants.tests.factories import ExitFactory, ReferralFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory, PlacementFactory
from reporting import selectors
from reporting.documents import organisation_tables
from reporting.exports import figures_xlsx
from reporting.suppression import suppress_small_counts

pytestmark = pytest.mark.django_db
D = dt.date
MARCH = (D(2026, 3, 1), D(2026, 3, 31))
HOSTS = ("Värd A", "Värd B", "Värd C", "Värd D")


def _region(hosts: list, areas: list, completed: list[int]) -> object:
    """A project in which `completed[i]` persons exited in March after completing a placement with host i in area i."""
    project = ProjectFactory(start_date=D(2025, 1, 1), end_date=D(2026, 12, 31))
    reason = ExitReason.objects.get_or_create(code="annat", defaults={"name": "Annat", "is_work_or_studies": False})[0]
    for host, area, count in zip(hosts, areas, completed, strict=True):
        placement = PlacementFactory(unit=UnitFactory(organisation=host), occupational_area=area)
        for _ in range(count):
            referral = ReferralFactory(project=project, referral_date=D(2026, 1, 1))
            AssignmentFactory(placement=placement, referral=referral, status=Assignment.Status.COMPLETED,
                              start_date=D(2026, 2, 1), planned_end_date=D(2026, 3, 5), end_date=D(2026, 3, 5))
            ExitFactory(referral=referral, exit_date=D(2026, 3, 10), reason=reason)
    return project


def _published(project) -> tuple[dict, list]:
    steering = suppress_small_counts(selectors.monthly_report_figures(project, *MARCH))
    book = load_workbook(io.BytesIO(figures_xlsx(steering)))
    return steering["outcomes_by_host"], list(book["Resultat per värd"].iter_rows(values_only=True))


def test_the_order_of_hosts_and_areas_does_not_give_back_their_hidden_counts():
    hosts = [OrganisationFactory(name=name) for name in HOSTS]
    areas = [OccupationalAreaFactory(name=f"Område {name[-1]}", code=f"omr{name[-1].lower()}") for name in HOSTS]
    rising, falling = _region(hosts, areas, [1, 2, 3, 4]), _region(hosts, areas, [4, 3, 2, 1])
    (json_rising, sheet_rising), (json_falling, sheet_falling) = _published(rising), _published(falling)
    # Every count is "<5" in both: what the steering group gets must be the same, the XLSX and the JSON.
    assert [row["completed"] for row in json_rising["by_organisation"]] == ["<5"] * 4
    assert [row["completed"] for row in json_rising["by_area"]] == ["<5"] * 4
    assert json_rising == json_falling
    assert sheet_rising == sheet_falling


def test_the_pdf_lists_its_largest_hosts_in_the_tables_order(monkeypatch):
    """The PDF's summary shows the hosts it picks by name too: listed by their counts, "<5" rows would be ordered."""
    monkeypatch.setattr(selectors, "PDF_ORGANISATION_ROWS", 1)
    monkeypatch.setattr(selectors, "PDF_TOP_ORGANISATIONS", 3)
    hosts = [OrganisationFactory(name=name) for name in HOSTS]
    areas = [OccupationalAreaFactory(name=f"Område {name[-1]}", code=f"omr{name[-1].lower()}") for name in HOSTS]
    project = _region(hosts, areas, [1, 2, 3, 4])
    steering = suppress_small_counts(selectors.monthly_report_figures(project, *MARCH))
    table = organisation_tables(steering, summarised=True)["outcomes_by_host"]
    assert [row["completed"] for row in table["rows"]] == ["<5"] * 3
    assert [row["name"] for row in table["rows"]] == ["Värd B", "Värd C", "Värd D"]


def test_the_hosts_left_for_the_others_row_do_not_give_back_a_hidden_count(monkeypatch):
    """The PDF shows the hosts with the most completed, so each host in the others' row has at most the smallest
    count shown. Host B's 4 ("<5") beside C's 6: with the others' row (10) and C hidden as "..", C ≤ 6 would give
    B ≥ 4 back. The steering group's figures must leave B anything from 1 to 4."""
    monkeypatch.setattr(selectors, "PDF_ORGANISATION_ROWS", 2)
    monkeypatch.setattr(selectors, "PDF_TOP_ORGANISATIONS", 1)
    hosts = [OrganisationFactory(name=name) for name in HOSTS[:3]]
    area = OccupationalAreaFactory(name="Område", code="omr")
    project = _region(hosts, [area] * 3, [6, 4, 6])
    steering = suppress_small_counts(selectors.monthly_report_figures(project, *MARCH))["outcomes_by_host"]
    table = organisation_tables({"outcomes_by_host": steering}, summarised=True)["outcomes_by_host"]
    assert [(row["name"], row["completed"]) for row in table["rows"]] == [("Värd A", 6)]  # the PDF's one host
    smallest_shown = min(row["completed"] for row in table["rows"])
    others = [row["completed"] for row in steering["by_organisation"] if row["name"] != "Värd A"]  # the XLSX's
    assert "<5" in others
    rest = steering["top_organisations"]["rest"]["completed"]
    if isinstance(rest, int):  # what the others' row, the visible rows and the bound on each ".." leave for "<5"
        lowest = rest - sum(v for v in others if isinstance(v, int)) - others.count("..") * smallest_shown
        assert lowest < 4
