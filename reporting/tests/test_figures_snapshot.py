"""Every figure of one build reads the build's snapshot: the first page's figures, computed after the other
sections because they read them (reporting.selectors.READS_OTHER_SECTIONS), too."""

import threading

import pytest
from django.db import connection

from participants.tests.factories import ReferralFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory
from reporting import selectors
from reporting.selectors import monthly_report_figures

from .conftest import MARCH
from .test_figures_connections import committed_march  # noqa: F401 - the fixture


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_first_page_reads_the_snapshot_of_the_other_sections(committed_march, monkeypatch, settings):  # noqa: F811
    """A placement begun and committed while the sections are computed is in none of the report's figures."""
    settings.REPORT_FIGURE_CONNECTIONS = 2
    before = monthly_report_figures(committed_march, *MARCH)
    real = selectors.exits_section

    def commit_a_placement():
        try:
            referral = ReferralFactory(project=committed_march, referral_date=MARCH[0], start_date=MARCH[0])
            AssignmentFactory(referral=referral, status=Assignment.Status.ONGOING, start_date=MARCH[0],
                              planned_end_date=MARCH[1])
        finally:
            connection.close()

    def exits_after_a_new_placement(project, start, end):
        if (start, end) == MARCH:
            writer = threading.Thread(target=commit_a_placement)  # a connection of its own, committed at once
            writer.start()
            writer.join()
        return real(project, start, end)

    monkeypatch.setattr(selectors, "exits_section", exits_after_a_new_placement)
    during = monthly_report_figures(committed_march, *MARCH)
    assert during["participants"]["starts"] == before["participants"]["starts"]
    assert during["summary"]["placed"] == before["summary"]["placed"]
    monkeypatch.setattr(selectors, "exits_section", real)
    after = monthly_report_figures(committed_march, *MARCH)
    assert after["summary"]["placed"]["value"] == before["summary"]["placed"]["value"] + 1
