"""Who may use, request, see and download which report, and who gets suppressed figures: one row per role."""

import pytest

from reporting import permissions as p
from reporting.models import ReportRun

from .conftest import MARCH

pytestmark = pytest.mark.django_db
MONTHLY, FINAL = ReportRun.Kind.MONTHLY, ReportRun.Kind.FINAL

# role: (uses reports, kinds requestable, sees runs of kinds, downloads kinds, suppressed figures, edits final texts)
EXPECTED = {
    "leader": (True, [MONTHLY, FINAL], {MONTHLY, FINAL}, {MONTHLY, FINAL}, False, True),
    "steering": (True, [MONTHLY], {MONTHLY}, {MONTHLY}, True, False),
    "manager_a": (False, [], set(), set(), True, False),
    "case_worker_af": (False, [], set(), set(), True, False),
}


@pytest.mark.parametrize("role", EXPECTED)
def test_report_rights_by_role(role, actors, report_project):
    user = actors[role]
    runs = {kind: ReportRun.objects.create(kind=kind, project=report_project, period_start=MARCH[0],
                                           period_end=MARCH[1]) for kind in (MONTHLY, FINAL)}
    uses, requestable, sees, downloads, suppressed, edits = EXPECTED[role]
    assert p.may_use_reports(user) is uses
    assert p.kinds_requestable_by(user) == requestable
    assert {kind for kind in (MONTHLY, FINAL) if p.may_request(user, kind)} == set(requestable)
    assert set(p.runs_visible_to(user).values_list("kind", flat=True)) == sees
    assert {kind for kind, run in runs.items() if p.may_download(user, run)} == downloads
    assert p.sees_suppressed_figures(user) is suppressed
    assert p.may_edit_final_texts(user) is edits
