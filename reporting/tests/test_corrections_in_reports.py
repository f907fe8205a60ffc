"""A correction of an exit changes the figures of its period, and a report already built for that period says
that it was corrected (run list, run page, and the text of a report built again)."""

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from participants.models import ExitKind, ExitReason
from participants.tests.factories import ExitFactory, ReferralFactory
from reporting.documents import monthly_context
from reporting.models import ReportRun
from reporting.selectors import monthly_figures, outcomes_section

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


@pytest.fixture
def reasons(db):
    def reason(code, name, work):
        return ExitReason.objects.get_or_create(code=code, defaults={"name": name, "is_work_or_studies": work})[0]
    return {"arbete": reason("arbete", "Arbete", True), "sjukdom": reason("sjukdom", "Sjukdom", False)}


@pytest.fixture
def two_exits(project, agency_af, reasons):
    exits = []
    for n, reason in enumerate((reasons["arbete"], reasons["sjukdom"])):
        referral = ReferralFactory(project=project, agency=agency_af, referral_date=dt.date(2026, 1, 10),
                                   start_date=dt.date(2026, 1, 12), participant__code=f"AF-RATT-{n}")
        exits.append(ExitFactory(referral=referral, exit_date=dt.date(2026, 3, 15 + n), kind=ExitKind.AS_PLANNED,
                                 reason=reason))
    return exits


def _built_run(project, finished_at):
    return ReportRun.objects.create(kind=ReportRun.Kind.MONTHLY, project=project, period_start=MARCH[0],
                                    period_end=MARCH[1], status=ReportRun.Status.DONE, figures={"meta": {}},
                                    finished_at=finished_at)


def _correct_reason(client, exit, reason):
    return client.post(reverse("participants:exit_correct", args=[exit.pk]), {
        "exit_date": exit.exit_date.isoformat(), "kind": exit.kind, "reason": reason.pk,
        "correction_reason": "Deltagaren fick arbete, fel orsak registrerades"})


def test_exit_correction_changes_the_work_or_studies_figure(client, leader, project, two_exits, reasons):
    before = outcomes_section(project, *MARCH)["work_or_studies"]
    assert (before["count_all_exited"], before["exited"]) == (1, 2)
    client.force_login(leader)
    assert _correct_reason(client, two_exits[1], reasons["arbete"]).status_code == 302
    after = outcomes_section(project, *MARCH)["work_or_studies"]
    assert (after["count_all_exited"], after["exited"]) == (2, 2)


def test_a_report_built_before_the_correction_is_marked_corrected(client, leader, project, two_exits, reasons):
    old = _built_run(project, timezone.now() - dt.timedelta(hours=1))
    other_period = ReportRun.objects.create(kind=ReportRun.Kind.MONTHLY, project=project,
                                            period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 1, 31),
                                            status=ReportRun.Status.DONE, figures={"meta": {}},
                                            finished_at=timezone.now() - dt.timedelta(hours=1))
    client.force_login(leader)
    page = client.get(reverse("reporting:run_list")).content.decode()
    assert "Rättad efteråt" not in page
    _correct_reason(client, two_exits[1], reasons["arbete"])
    later = _built_run(project, timezone.now() + dt.timedelta(seconds=1))
    page = client.get(reverse("reporting:run_list")).content.decode()
    assert page.count("Rättad efteråt") == 1
    detail = client.get(reverse("reporting:run_detail", args=[old.pk])).content.decode()
    assert "1 uppgift som rapporten bygger på har rättats sedan den togs fram" in detail
    for run in (other_period, later):
        assert "har rättats sedan den togs fram" not in client.get(
            reverse("reporting:run_detail", args=[run.pk])).content.decode()


def test_a_report_built_again_says_it_replaces_a_corrected_one(client, leader, project, two_exits, reasons):
    assert monthly_figures(project, *MARCH)["meta"]["corrected_since_earlier_report"] == 0
    _built_run(project, timezone.now() - dt.timedelta(hours=1))
    client.force_login(leader)
    _correct_reason(client, two_exits[1], reasons["arbete"])
    figures = monthly_figures(project, *MARCH)
    assert figures["meta"]["corrected_since_earlier_report"] == 1
    text = render_to_string("reporting/_monthly_body.html", monthly_context(figures))
    assert ("<strong>Rättad:</strong> Rapporten ersätter en tidigare rapport för samma period. 1 uppgift har "
            "rättats sedan dess, så siffrorna kan skilja sig från den.") in text
    # A correction outside the period does not count for March.
    assert monthly_figures(project, dt.date(2026, 1, 1), dt.date(2026, 1, 31))["meta"][
        "corrected_since_earlier_report"] == 0
