"""What users see, cell by cell: the steering group's suppressed PDF rows, dashboard cells and JSON values
against the leader's exact ones; figures of a past month that later activity cannot change; the roll-up
of an organisation's sub-organisations; the waiting list's states agreeing on every page."""

import datetime as dt
import json
import re
import shutil
import subprocess

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from organisations.tests.factories import OccupationalAreaFactory, OrganisationFactory, UnitFactory
from participants.models import ExitKind, FollowUp90
from participants.tests.factories import ExitFactory, ReferralFactory
from placements.models import Assignment
from placements.selectors import organisation_progress
from placements.tests.factories import AssignmentFactory, PlacementFactory
from reporting.exports import public
from reporting.models import ReportRun
from reporting.selectors import monthly_figures
from reporting.services import build_report

from .conftest import MARCH, D, activity

pytestmark = pytest.mark.django_db


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run([shutil.which("pdftotext"), "-layout", str(path), "-"], check=True,  # noqa: S603
                          capture_output=True, text=True).stdout


FIGURE = re.compile(r"^(<\d+|\.\.|–|\d[\d\xa0 ]*(,\d+)?(\xa0| )?%?)$")


def _row(text: str, label: str) -> list[str]:
    """The figure cells right after `label` on the first line that starts with it (pdftotext -layout may
    put a table beside it on the same line: that one starts at the first cell that is not a figure)."""
    match = re.search(rf"^[ \t]*{re.escape(label)}[ \t]{{2,}}(.*)$", text, re.M)  # within one line
    assert match, f"no row {label!r}"
    cells = []
    for cell in re.split(r"\s{2,}", match.group(1).strip()):
        if not FIGURE.match(cell):
            break
        cells.append(cell)
    return cells


@pytest.mark.poppler
def test_monthly_pdf_rows_are_suppressed(report_project, march_data, tmp_path):
    _figures, pdf = build_report(kind="monthly", project=report_project, period_start=MARCH[0],
                                 period_end=MARCH[1])
    text = _pdf_text(pdf, tmp_path)
    assert _row(text, "Unika deltagare") == ["<5"]           # 3 unique participants
    assert _row(text, "Starter") == ["<5"]                   # 4 starts
    assert _row(text, "Väntar på plats") == ["<5"]           # 3 waiting for a placement
    assert _row(text, "Förfrågan väntar på svar") == ["0"]
    # An agency without referrals: 0, never its code (the lookup filter printed "ifo"). Its starts cell is a
    # zero hidden as ".." so that the two "<5" beside it cannot be pinned from the starts total.
    assert _row(text, "Individ- och familjeomsorgen") == ["0", ".."]
    assert _row(text, "Arbetsförmedlingen") == ["<5", "<5"]


@pytest.mark.poppler
def test_final_pdf_rows_are_exact_for_the_leader(report_project, march_data, tmp_path):
    _figures, pdf = build_report(kind="final", project=report_project, period_start=MARCH[0],
                                 period_end=MARCH[1])
    text = _pdf_text(pdf, tmp_path)
    assert _row(text, "Unika deltagare") == ["2", "1", "0", "3"]   # women, men, non-binary, total
    assert _row(text, "Individ- och familjeomsorgen") == ["0"]
    assert _row(text, "Väntar på plats") == ["3"]


def _cells(html: str, table_id: str) -> dict[str, str]:
    table = re.search(rf'<table id="{table_id}".*?</table>', html, re.S).group(0)
    return dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]*)</td>', table))


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_dashboard_cells_suppressed_for_steering_and_exact_for_the_leader(client, steering, leader, report_project,
                                                                          march_data, fresh_cache):
    url = reverse("reporting:dashboard") + f"?project={report_project.pk}&month=2026-03"
    client.force_login(steering)
    shown = _cells(client.get(url).content.decode(), "waiting-list-states")
    assert shown["Väntar på plats"] == "&lt;5" and shown["På väntelistan totalt"] == "&lt;5"
    assert shown["Väntetid sedan anvisning, medel"] == "–"        # a mean over a hidden count
    client.force_login(leader)
    exact = _cells(client.get(url).content.decode(), "waiting-list-states")
    assert exact["Väntar på plats"] == "3" and exact["På väntelistan totalt"] == "3"
    assert exact["Väntetid sedan anvisning, medel"] == "28\xa0dagar"


def test_dashboard_cache_is_per_language(client, leader, report_project, march_data, fresh_cache, settings):
    settings.DASHBOARD_CACHE_SECONDS = 300
    client.force_login(leader)
    url = reverse("reporting:dashboard") + f"?project={report_project.pk}&month=2026-03"
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Gender distribution in the flows" in english
    swedish = client.get(url, HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Könsfördelning i flödena" in swedish and "Gender distribution in the flows" not in swedish


def test_json_values_suppressed_for_steering_and_exact_for_the_leader(client, steering, leader, report_project,
                                                                      march_data):
    figures, _pdf = build_report(kind="monthly", project=report_project, period_start=MARCH[0],
                                 period_end=MARCH[1], render=False)
    run = ReportRun.objects.create(kind="monthly", project=report_project, period_start=MARCH[0],
                                   period_end=MARCH[1], status=ReportRun.Status.DONE, figures=figures)
    url = reverse("reporting:run_figures_json", args=[run.pk])
    client.force_login(steering)
    shown = json.loads(client.get(url).content)
    assert shown["participants"]["unique"] == "<5"
    assert shown["waiting_list"]["by_state"]["waiting"] == "<5"
    assert shown["outcomes"]["work_or_studies"]["share"] is None          # 1 of 1 would say who
    assert shown["meta"]["suppressed"] is True and shown["meta"]["secondary_label"] == ".."
    client.force_login(leader)
    exact = json.loads(client.get(url).content)
    assert exact["participants"]["unique"] == 3
    assert exact["waiting_list"]["by_state"]["waiting"] == 3
    assert exact["outcomes"]["work_or_studies"]["share"] == 1.0


def test_steering_may_only_request_whole_months_quarters_or_years(client, steering, report_project, settings,
                                                                   local_today):
    settings.REPORT_MAX_WAITING_PER_USER = 10
    local_today(D(2027, 1, 1))  # every period below has ended
    client.force_login(steering)
    url = reverse("reporting:run_list")
    data = {"kind": "monthly", "project": report_project.pk}
    refused = client.post(url, {**data, "period_start": "2026-06-02", "period_end": "2026-11-30"})
    assert refused.status_code == 200 and not ReportRun.objects.exists()
    assert "hela kalendermånader, kvartal eller år" in refused.content.decode()
    for start, end in (("2026-06-01", "2026-06-30"), ("2026-04-01", "2026-06-30"), ("2026-01-01", "2026-12-31")):
        assert client.post(url, {**data, "period_start": start, "period_end": end}).status_code == 302
    assert ReportRun.objects.count() == 3


# --- point in time ---------------------------------------------------------------------------------


def _comparable(figures: dict) -> dict:
    shown = public(figures)
    shown["meta"] = {k: v for k, v in shown["meta"].items() if k != "generated_at"}
    return shown


def test_a_past_month_is_the_same_after_later_activity(report_project, march_data):
    before = _comparable(monthly_figures(report_project, *MARCH))
    # April and later: B's placement ends, G starts one and leaves, F's 90-day follow-up is done,
    # the placements change status, a request is made and withdrawn.
    b_assignment = Assignment.objects.get(referral__participant=march_data.b)
    b_assignment.status, b_assignment.end_date = Assignment.Status.COMPLETED, D(2026, 4, 20)
    b_assignment.save()
    g_referral = march_data.g.referrals.get()
    g_referral.start_date = D(2026, 4, 2)
    g_referral.save()
    AssignmentFactory(referral=g_referral, placement=b_assignment.placement, status=Assignment.Status.COMPLETED,
                      start_date=D(2026, 4, 2), planned_end_date=D(2026, 5, 2), end_date=D(2026, 5, 2))
    exit_ = ExitFactory(referral=g_referral, exit_date=D(2026, 5, 2), kind=ExitKind.AS_PLANNED)
    FollowUp90.objects.create(exit=exit_, due_on=D(2026, 7, 31), done_on=D(2026, 8, 1),
                              activity=activity("arbete", "Arbete", True))
    f_followup = FollowUp90.objects.filter(exit__referral__participant=march_data.f).first()
    if f_followup:
        f_followup.done_on = D(2026, 7, 1)
        f_followup.save()
    AssignmentFactory(referral=march_data.a.referrals.order_by("-referral_date").first(),
                      placement=b_assignment.placement, status=Assignment.Status.WITHDRAWN,
                      start_date=D(2026, 5, 1), planned_end_date=D(2026, 6, 1), withdrawn_on=D(2026, 4, 25))
    after = _comparable(monthly_figures(report_project, *MARCH))
    assert after == before
    # …while April sees what happened in April.
    april = monthly_figures(report_project, D(2026, 4, 1), D(2026, 4, 30))
    assert april["participants"]["starts"] == 1 and april["placements"]["occupied_by_gender"]["man"] == 1


# --- roll-up ---------------------------------------------------------------------------------------


def test_a_region_rolls_up_its_forvaltningar_everywhere(client, leader, report_project):
    region = OrganisationFactory(name="Region Gotland", employee_count=None, placement_target_percent=3)
    health = OrganisationFactory(name="Hälso- och sjukvårdsförvaltningen", parent=region, employee_count=4000)
    schools = OrganisationFactory(name="Utbildningsförvaltningen", parent=region, employee_count=1950)
    area = OccupationalAreaFactory()
    for org, capacity in ((health, 30), (health, 20), (schools, 10)):
        PlacementFactory(unit=UnitFactory(organisation=org), occupational_area=area, capacity=capacity,
                         available_from=D(2026, 1, 1))
    figures = monthly_figures(report_project, D(2026, 3, 1), D(2026, 3, 31))
    row = next(r for r in figures["placements"]["by_organisation"] if r["name"] == "Region Gotland")
    assert (row["placements"], row["capacity"], row["employee_count"]) == (3, 60, 5950)
    assert row["share"] == pytest.approx(60 / 5950, abs=1e-4)
    assert row["parent"] is None
    child = next(r for r in figures["placements"]["by_organisation"] if r["name"] == health.name)
    assert child["parent"] == "Region Gotland" and child["capacity"] == 50
    progress = organisation_progress(region, on=D(2026, 3, 31))
    assert progress["places"] == 60 and progress["employees"] == 5950
    client.force_login(leader)
    page = client.get(reverse("placements:organisation_overview")).content.decode()
    region_row = re.search(r"Region Gotland</a>.*?</tr>", page, re.S).group(0)
    assert re.findall(r'<td class="text-end">([^<]*)</td>', region_row)[:3] == ["60", "0", "5950"]


# --- the waiting list on every page ----------------------------------------------------------------


def test_waiting_list_states_agree_on_every_page(client, leader, report_project, fresh_cache):
    today = timezone.localdate()
    area = OccupationalAreaFactory()
    placement = PlacementFactory(unit=UnitFactory(organisation=OrganisationFactory()), occupational_area=area,
                                 capacity=5, available_from=today - dt.timedelta(days=400))

    def referral():
        return ReferralFactory(project=report_project, referral_date=today - dt.timedelta(days=30))

    for _ in range(2):
        referral()                                                           # waiting for a placement
    AssignmentFactory(referral=referral(), placement=placement, status=Assignment.Status.REQUESTED,
                      start_date=today + dt.timedelta(days=60), planned_end_date=today + dt.timedelta(days=90))
    AssignmentFactory(referral=referral(), placement=placement, status=Assignment.Status.CONFIRMED,
                      decided_at=timezone.now(), start_date=today + dt.timedelta(days=60),
                      planned_end_date=today + dt.timedelta(days=90))                  # booked, not started
    AssignmentFactory(referral=referral(), placement=placement, status=Assignment.Status.COMPLETED,
                      start_date=today - dt.timedelta(days=20), planned_end_date=today - dt.timedelta(days=5),
                      end_date=today - dt.timedelta(days=5))                           # finished, awaiting exit
    AssignmentFactory(referral=referral(), placement=placement, status=Assignment.Status.ONGOING,
                      start_date=today - dt.timedelta(days=20), planned_end_date=today + dt.timedelta(days=200))
    expected = {"Väntar på plats": "2", "Förfrågan väntar på svar": "1", "Bokad, inte påbörjad": "1",
                "Placering avslutad, väntar på avslut": "1"}
    client.force_login(leader)
    home = client.get(reverse("home")).content.decode()
    assert dict(re.findall(r'<th scope="row" class="fw-normal">([^<]+)</th><td class="text-end fw-bold">(\d+)</td>',
                           home)) == expected
    page = client.get(reverse("participants:waiting_list")).content.decode()
    assert dict(re.findall(r'<th scope="row" class="fw-normal">([^<]+)</th><td class="text-end">(\d+)</td>',
                           page)) == expected
    dashboard = client.get(reverse("reporting:dashboard"), {"project": report_project.pk,
                                                           "month": today.strftime("%Y-%m")}).content.decode()
    cells = _cells(dashboard, "waiting-list-states")
    assert {label: cells[label] for label in expected} == expected
    figures = monthly_figures(report_project, today.replace(day=1), today)["waiting_list"]["by_state"]
    assert figures == {"waiting": 2, "requested": 1, "booked": 1, "finished": 1}


def test_chart_text_alternatives_follow_the_suppression(client, steering, leader, report_project, march_data,
                                                        fresh_cache):
    url = reverse("reporting:dashboard") + f"?project={report_project.pk}&month=2026-03"
    client.force_login(steering)
    alt = client.get(url).context["charts"]["gender"].alt
    assert "Kvinnor: Anvisade <5, Deltagare (unika) <5, Avslut <5" in alt
    client.force_login(leader)
    alt = client.get(url).context["charts"]["gender"].alt
    assert "Kvinnor: Anvisade 2, Deltagare (unika) 2, Avslut 2" in alt
