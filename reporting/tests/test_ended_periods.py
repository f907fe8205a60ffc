"""The steering group sees and builds figures of ended periods only (reporting.suppression.steering_period_refusal):
a month, quarter or year whose last day is before today. The figures of the running month change with every
record, and two views of them with one exit between would give back the cells they hide by their difference.
Every path: the dashboard and its charts, the report request, manage.py build_report, the report runs (and the
start page's latest one). The project leader, who sees exact figures, is not restricted."""

import datetime as dt
import json
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from core.models import Gender
from participants.models import ExitKind
from participants.services import exit_record
from participants.tests.factories import ParticipantFactory, ReferralFactory
from reporting.models import ReportRun
from reporting.services import build_report

from .conftest import MARCH, D, exit_reason, make_exit

pytestmark = pytest.mark.django_db

TODAY = D(2026, 4, 15)  # April is the running month, March the last ended one
REFUSED = "Styrgruppen ser bara perioder som har tagit slut."
GENDER_CHART = "Könsfördelning i flödena"


@pytest.fixture
def today(local_today):
    return local_today(TODAY)


@pytest.fixture
def april_exits(report_project, march_data, today):
    """Ten exits in April 2026, of four women (F's of the March data set and three more) and six men: the steering
    group's view of April shows the women's exits as "<5" and hides the men's as "..", beside the total of 10."""
    illness = exit_reason("sjukdom", "Sjukdom", False)
    for gender, count in ((Gender.WOMAN, 3), (Gender.MAN, 6)):
        for day in range(1, count + 1):
            referral = ReferralFactory(participant=ParticipantFactory(gender=gender, birth_year=1990),
                                       project=report_project, referral_date=D(2025, 6, 1))
            make_exit(referral, D(2026, 4, day), reason=illness)
    return illness


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _chart_rows(html: str, title: str) -> dict[str, list[str]]:
    """The rows of a chart's table on the page, label → cells, as the user reads them."""
    caption = f"Siffrorna i diagrammet: {title}</caption>"
    table = html[html.index(caption):]
    table = table[:table.index("</table>")]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        label = re.search(r'<th scope="row">(.*?)</th>', row)
        if label:
            cells = re.findall(r'<td class="text-end">(.*?)</td>', row)
            rows[unescape(label.group(1))] = [unescape(cell) for cell in cells]
    return rows


def _exits_by_gender(html: str) -> dict[str, str]:
    """The "Avslut" column of the gender chart's table (its third number column), per gender row."""
    return {label: cells[2] for label, cells in _chart_rows(html, GENDER_CHART).items()}


def _heading(html: str) -> str:
    return unescape(re.search(r'<h2 class="h3">([^<]*)</h2>', html).group(1))


def _month_error(html: str) -> str:
    match = re.search(r'<div id="id_month-error" class="invalid-feedback d-block">([^<]*)</div>', html)
    return unescape(match.group(1)) if match else ""


def _dashboard(client, project, month=None) -> str:
    query = {"project": project.pk, **({"month": month} if month else {})}
    response = client.get(reverse("reporting:dashboard"), query)
    assert response.status_code == 200
    return response.content.decode()


# --- the differencing attack ------------------------------------------------------------------------


def test_two_views_of_the_running_month_with_an_exit_between_reveal_no_hidden_cell(
        client, steering, leader, report_project, march_data, april_exits, fresh_cache):
    client.force_login(steering)
    before = _dashboard(client, report_project, "2026-04")
    # One more exit, a woman's, recorded between the two views (the dashboard's figures computed again).
    woman = ReferralFactory(participant=ParticipantFactory(gender=Gender.WOMAN, birth_year=1991),
                            project=report_project, referral_date=D(2025, 6, 1))
    exit_record(user=leader, referral=woman, exit_date=D(2026, 4, 14), kind=ExitKind.AS_PLANNED, reason=april_exits)
    cache.clear()
    after = _dashboard(client, report_project, "2026-04")
    # Had April been shown, the views would read women "<5", men ".." and then 5 and 6: the women's 4 and the
    # men's 6 given back. Both views show March instead, cell for cell the same, and say why.
    assert _heading(before) == _heading(after) == "Självklart – rapportprojekt: mars 2026"
    assert _exits_by_gender(before) == _exits_by_gender(after) == {"Kvinnor": "<5", "Män": "<5", "Icke-binära": "0"}
    assert REFUSED in _month_error(before) and REFUSED in _month_error(after)
    # The leader, who sees exact figures anyway, reads April as it is.
    client.force_login(leader)
    april = _dashboard(client, report_project, "2026-04")
    assert _heading(april) == "Självklart – rapportprojekt: april 2026"
    assert _exits_by_gender(april)["Kvinnor"] == "5" and _exits_by_gender(april)["Män"] == "6"


# --- the dashboard and its charts -------------------------------------------------------------------


def test_the_dashboard_offers_the_steering_group_ended_months_only(client, steering, report_project, march_data,
                                                                   today, fresh_cache):
    client.force_login(steering)
    default = _dashboard(client, report_project)
    assert _heading(default) == "Självklart – rapportprojekt: mars 2026"   # the last ended month
    assert _month_error(default) == ""
    month_input = re.search(r'<input type="month"[^>]*>', default).group(0)
    assert 'value="2026-03"' in month_input and 'max="2026-03"' in month_input
    assert "Välj en månad som har tagit slut, till exempel 2026-03." in default
    for running_or_later in ("2026-04", "2026-05"):
        refused = _dashboard(client, report_project, running_or_later)
        assert _heading(refused) == "Självklart – rapportprojekt: mars 2026"
        assert _month_error(refused) == (
            "Styrgruppen ser bara perioder som har tagit slut. Siffrorna för en period som pågår ändras med varje "
            "ny händelse, och två visningar skulle tillsammans kunna avslöja de dolda små talen. Välj en period "
            "som slutar senast 2026-03-31.")
        assert 'aria-invalid="true"' in re.search(r'<input type="month"[^>]*>', refused).group(0)
    assert _month_error(_dashboard(client, report_project, "2026-03")) == ""


def test_the_running_month_is_offered_in_english_with_the_reason(client, steering, report_project, today,
                                                                fresh_cache):
    client.force_login(steering)
    html = client.get(reverse("reporting:dashboard"), {"project": report_project.pk, "month": "2026-04"},
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert _month_error(html).startswith("The steering group only sees periods that have ended.")


def test_the_leader_may_view_the_running_month(client, leader, report_project, march_data, april_exits,
                                               fresh_cache):
    client.force_login(leader)
    html = _dashboard(client, report_project, "2026-04")
    assert _heading(html) == "Självklart – rapportprojekt: april 2026" and _month_error(html) == ""
    assert 'max="' not in re.search(r'<input type="month"[^>]*>', html).group(0)


def test_a_chart_of_the_running_month_is_not_drawn_for_the_steering_group(client, steering, leader, report_project,
                                                                         march_data, april_exits, fresh_cache):
    url = reverse("reporting:dashboard_chart", args=["gender"])
    client.force_login(steering)
    assert client.get(url, {"project": report_project.pk, "month": "2026-04"}).status_code == 404
    assert client.get(url, {"project": report_project.pk, "month": "2026-03"}).status_code == 200
    client.force_login(leader)
    assert client.get(url, {"project": report_project.pk, "month": "2026-04"}).status_code == 200


# --- the report request -----------------------------------------------------------------------------


def test_the_steering_group_may_not_request_a_period_that_has_not_ended(client, steering, report_project, today,
                                                                        settings):
    settings.REPORT_MAX_WAITING_PER_USER = 10
    client.force_login(steering)
    url = reverse("reporting:run_list")
    form = client.get(url).content.decode()
    assert 'name="period_start" value="2026-03-01"' in form and 'name="period_end" value="2026-03-31"' in form
    assert "Styrgruppen beställer hela kalendermånader, kvartal eller år som har tagit slut: perioden slutar senast " \
           "2026-03-31." in form
    data = {"kind": "monthly", "project": report_project.pk}
    for start, end in (("2026-04-01", "2026-04-30"), ("2026-04-01", "2026-06-30"), ("2026-01-01", "2026-12-31"),
                       ("2026-05-01", "2026-05-31")):
        refused = client.post(url, {**data, "period_start": start, "period_end": end})
        assert refused.status_code == 200
        assert [str(e) for e in refused.context["form"].errors["period_end"]] == [
            "Styrgruppen ser bara perioder som har tagit slut. Siffrorna för en period som pågår ändras med varje "
            "ny händelse, och två visningar skulle tillsammans kunna avslöja de dolda små talen. Välj en period "
            "som slutar senast 2026-03-31."]
    assert not ReportRun.objects.exists()
    for start, end in (("2026-03-01", "2026-03-31"), ("2026-01-01", "2026-03-31"), ("2025-01-01", "2025-12-31")):
        assert client.post(url, {**data, "period_start": start, "period_end": end}).status_code == 302
    assert ReportRun.objects.count() == 3


def test_the_leader_may_request_the_running_month(client, leader, report_project, today):
    client.force_login(leader)
    response = client.post(reverse("reporting:run_list"), {"kind": "monthly", "project": report_project.pk,
                                                          "period_start": "2026-04-01", "period_end": "2026-04-30"})
    assert response.status_code == 302
    assert ReportRun.objects.get().period_end == D(2026, 4, 30)


# --- manage.py build_report -------------------------------------------------------------------------

ARGS = ["monthly", "--project", "sjalvklart-rapport", "--format", "json"]


def test_build_report_refuses_the_running_month_for_the_steering_group(report_project, today, tmp_path):
    for start, end in (("2026-04-01", "2026-04-30"), ("2026-04-01", "2026-06-30"), ("2026-01-01", "2026-12-31")):
        with pytest.raises(CommandError) as refused:
            call_command("build_report", *ARGS, "--from", start, "--to", end, "--audience", "steering")
        assert str(refused.value).startswith(REFUSED)
        assert "Välj en period som slutar senast 2026-03-31." in str(refused.value)
    target = tmp_path / "mars.json"
    call_command("build_report", *ARGS, "--from", "2026-03-01", "--to", "2026-03-31", "--audience", "steering",
                 "--output", str(target))
    assert json.loads(target.read_bytes())["meta"]["period_end"] == "2026-03-31"


def test_build_report_gives_the_leader_the_running_month(report_project, today, tmp_path):
    target = tmp_path / "april.json"
    call_command("build_report", *ARGS, "--from", "2026-04-01", "--to", "2026-04-30", "--audience", "leader",
                 "--output", str(target))
    assert json.loads(target.read_bytes())["meta"]["suppressed"] is False


# --- report runs the leader requested ------------------------------------------------------------------

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _run(project, start, end, requested_at, *, leader):
    """A done monthly run the leader requested at `requested_at` (Stockholm time), with its figures and PDF."""
    figures, _pdf = build_report(kind="monthly", project=project, period_start=start, period_end=end, render=False)
    run = ReportRun.objects.create(kind="monthly", project=project, period_start=start, period_end=end,
                                   requested_by=leader, status=ReportRun.Status.DONE, figures=figures)
    run.file.save(f"run-{run.pk}.pdf", ContentFile(b"%PDF-1.7 test"), save=True)
    ReportRun.objects.filter(pk=run.pk).update(created_at=requested_at.replace(tzinfo=STOCKHOLM))
    return run


def _periods_listed(html: str) -> list[str]:
    rows = re.findall(r"<tr>\s*<th scope=\"row\">.*?</tr>", html, re.S)
    return [re.search(r"<td>(\d{4}-\d\d-\d\d – \d{4}-\d\d-\d\d)</td>", row).group(1) for row in rows]


def test_the_steering_group_sees_no_run_of_a_period_that_had_not_ended_when_it_was_requested(
        client, steering, leader, report_project, march_data, april_exits):
    running = _run(report_project, D(2026, 4, 1), D(2026, 4, 30), dt.datetime(2026, 4, 15, 10), leader=leader)
    part = _run(report_project, D(2026, 3, 1), D(2026, 3, 15), dt.datetime(2026, 4, 2, 9), leader=leader)
    on_its_last_day = _run(report_project, *MARCH, dt.datetime(2026, 3, 31, 23, 30), leader=leader)
    after = _run(report_project, *MARCH, dt.datetime(2026, 4, 1, 0, 30), leader=leader)  # 22:30 UTC on 31 March
    client.force_login(steering)
    assert _periods_listed(client.get(reverse("reporting:run_list")).content.decode()) == ["2026-03-01 – 2026-03-31"]
    for hidden in (running, part, on_its_last_day):
        for name in ("run_detail", "run_status", "run_download", "run_figures_json", "run_figures_xlsx"):
            assert client.get(reverse(f"reporting:{name}", args=[hidden.pk])).status_code == 404, (hidden, name)
    shown = json.loads(client.get(reverse("reporting:run_figures_json", args=[after.pk])).content)
    assert shown["meta"]["period_end"] == "2026-03-31" and shown["participants"]["unique"] == "<5"
    # The start page's latest report is March's, not the running month's the leader asked for.
    home = client.get(reverse("home")).content.decode()
    latest = re.search(r'Senaste rapporten: <a href="([^"]+)">Månadsrapport till styrgruppen, (\w+ \d{4})</a>', home)
    assert latest.groups() == (reverse("reporting:run_detail", args=[after.pk]), "mars 2026")
    # The leader sees every run.
    client.force_login(leader)
    assert len(_periods_listed(client.get(reverse("reporting:run_list")).content.decode())) == 4
