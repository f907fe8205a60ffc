"""Every URL of the project × every role, against ONE table.

The walk covers every URL pattern (django.urls.get_resolver(), through includes). Only two prefixes are exempt,
listed in EXEMPT_PREFIXES with the reason. A pattern whose name is missing from TABLE fails
test_every_url_pattern_is_in_the_table, so a new URL cannot be added without deciding who may use it.

Each row reverses a URL with an object of a small world (two host organisations, two agencies), and gives the
expected outcome for each actor, in the order of ACTORS:
    ok     200, or a redirect somewhere other than the login page
    login  redirect to the login page
    403 / 404 / 405 / 410   that status
Rows ending in "@other" use the other organisation's or agency's object (the id edited in the URL).
Rows with `post` data are also POSTed by every actor whose expected outcome is not "ok" (for POST-only views,
by every actor whose `post_expect` is not "ok"): the answer must be the refusal and no data may change.
"""

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from core.models import AuditEvent, ImportJob, OutgoingEmail, User
from organisations.models import ProjectPartner, Supervisor
from organisations.tests.factories import OccupationalAreaFactory, SupervisorFactory
from participants.models import (
    Exit,
    ExitKind,
    FollowUp,
    FollowUp6Months,
    FollowUp90,
    Participant,
    PlanStep,
    Referral,
    SurveyInvitation,
)
from participants.services import _token_hash
from participants.tests.factories import ExitFactory, ReferralFactory
from placements.filters import choice_cache
from placements.models import Assignment, Placement
from placements.tests.factories import AssignmentFactory, PlacementFactory
from reporting.models import FinalReportText, ReportRun

# admin/: Django's admin, for superusers only; it sits behind allauth's login and RequireMFAMiddleware
#   (core/admin.py, core/tests/test_authentication.py::test_admin_*), and its own permission system.
# accounts/: allauth's login, logout, password reset and MFA pages, which must work signed out; allauth tests them.
EXEMPT_PREFIXES = ("admin/", "accounts/")

ACTORS = ("anonymous", "leader", "manager_a", "manager_b", "case_worker_af", "case_worker_fk", "steering")
SURVEY_TOKEN = "kant-token-for-the-url-walk"


@dataclass
class Row:
    name: str
    kwargs: object = None                 # callable(world) -> kwargs, or None
    expect: str = ""                      # one outcome per actor, in ACTORS order
    post: object = None                   # callable(world) -> POST data, or None (not posted)
    post_expect: str = ""                 # for POST-only views: the POST outcomes (GET gives 405)
    query: dict = field(default_factory=dict)
    label: str = ""

    @property
    def id(self):
        return self.label or self.name


def pk(key):
    return lambda w: {"pk": w[key].pk}


#                                               anon   lead mgr_a mgr_b cw_af cw_fk steer
TABLE = [
    Row("home", None,                           "login ok   ok    ok    ok    ok    ok"),
    Row("healthz", None,                        "ok    ok   ok    ok    ok    ok    ok"),
    Row("accessibility", None,                  "ok    ok   ok    ok    ok    ok    ok"),
    Row("favicon", None,                        "ok    ok   ok    ok    ok    ok    ok"),
    Row("set_language", None,                   "ok    ok   ok    ok    ok    ok    ok",
        post=lambda w: {"language": "sv", "next": "/"}, post_expect="ok ok ok ok ok ok ok"),
    Row("core:audit_log", None,                 "login ok   403   403   403   403   403"),
    Row("core:outbox", None,                    "login ok   403   403   403   403   403"),
    Row("core:outbox_retry", pk("failed_email"), "login 405 405   405   405   405   405",
        post=lambda w: {}, post_expect="login ok 403 403 403 403 403"),
    # An import job's page is its uploader's (the leader's here): anyone else gets 404.
    Row("core:import_job", lambda w: {"token": w["import_job"].token},
                                                "login ok   404   404   404   404   404"),
    Row("core:import_job_status", lambda w: {"token": w["import_job"].token},
                                                "login ok   404   404   404   404   404"),
    # --- accounts (project leader) ---
    Row("organisations:account_list", None,     "login ok   403   403   403   403   403"),
    Row("organisations:account_create", None,   "login ok   403   403   403   403   403",
        post=lambda w: {"email": "ny@example.test", "role": "leader"}),
    Row("organisations:account_deactivate", pk("cw_fk_user"),
                                                "login ok   403   403   403   403   403",
        post=lambda w: {"confirm": "on"}),
    # --- set-up (project leader; managers: units of their own organisation) ---
    Row("organisations:setup", None,            "login ok   403   403   403   403   403"),
    Row("organisations:setup_organisations", None, "login ok ok   ok    403   403   403"),
    Row("organisations:setup_organisation_create", None, "login ok 403 403 403 403 403",
        post=lambda w: {"name": "Smygorganisation", "kind": "region", "placement_target_percent": "3"}),
    Row("organisations:setup_organisation", pk("org_a"), "login ok ok 403   403   403   403",
        post=lambda w: {"name": "Kapad", "kind": "region", "placement_target_percent": "3"}),
    Row("organisations:setup_unit_create", pk("org_a"), "login ok ok  403   403   403   403",
        post=lambda w: {"organisation": w["org_a"].pk, "name": "Smygenhet", "municipality": "Visby"}),
    Row("organisations:setup_unit", pk("unit_a"), "login ok  ok    403   403   403   403",
        post=lambda w: {"organisation": w["org_a"].pk, "name": "Kapad", "municipality": "Visby"}),
    Row("organisations:setup_unit", pk("unit_b"), "login ok  403   ok    403   403   403",
        label="organisations:setup_unit@other",
        post=lambda w: {"organisation": w["org_b"].pk, "name": "Kapad", "municipality": "Slite"}),
    Row("organisations:setup_projects", None,   "login ok   403   403   403   403   403"),
    Row("organisations:setup_project_create", None, "login ok 403 403   403   403   403",
        post=lambda w: {"name": "Smyg", "slug": "smyg", "owner": w["org_a"].pk, "start_date": "2026-01-01",
                        "end_date": "2026-12-31", "target_participants": 1, "target_work_or_studies_percent": 1,
                        "target_placements": 1, "budget_total": 0, "budget_spent": 0}),
    Row("organisations:setup_project", pk("project"), "login ok 403 403  403   403   403"),
    Row("organisations:setup_project_edit", pk("project"), "login ok 403 403 403 403   403",
        post=lambda w: {"name": "Kapad"}),
    Row("organisations:setup_project_row_create", lambda w: {"pk": w["project"].pk, "kind": "partners"},
                                                "login ok   403   403   403   403   403",
        post=lambda w: {"name": "Smygpart", "role": "partner", "co_financing_amount": 0}),
    Row("organisations:setup_project_row", lambda w: {"pk": w["project"].pk, "kind": "partners",
                                                      "row_pk": w["partner"].pk},
                                                "login ok   403   403   403   403   403",
        post=lambda w: {"name": "Kapad", "role": "partner", "co_financing_amount": 0}),
    Row("organisations:setup_project_row_delete", lambda w: {"pk": w["project"].pk, "kind": "partners",
                                                             "row_pk": w["partner"].pk},
                                                "login ok   403   403   403   403   403",
        post=lambda w: {"confirm": "on"}),
    Row("organisations:setup_category_list", lambda w: {"slug": "avslutsorsaker"},
                                                "login ok   403   403   403   403   403"),
    Row("organisations:setup_category_create", lambda w: {"slug": "avslutsorsaker"},
                                                "login ok   403   403   403   403   403",
        post=lambda w: {"name": "Smygorsak", "sort_order": 1, "active": "on"}),
    Row("organisations:setup_category", lambda w: {"slug": "avslutsorsaker", "entry_pk": w["reason"].pk},
                                                "login ok   403   403   403   403   403",
        post=lambda w: {"name": "Kapad", "sort_order": 1}),
    # --- placements ---
    # The registry counts who is on each placement today, exactly: the steering group's reports hide
    # such counts below five, so it has no registry (the organisation pages show it no occupancy).
    Row("placements:list", None,                "login ok   ok    ok    ok    ok    403"),
    Row("placements:export_csv", None,          "login ok   ok    ok    ok    ok    403"),
    Row("placements:export_xlsx", None,         "login ok   ok    ok    ok    ok    403"),
    Row("placements:create", None,              "login ok   ok    ok    403   403   403",
        post=lambda w: {"title": "Smygplats", "unit": w["unit_a"].pk, "occupational_area": w["area"].pk,
                        "capacity": 1, "available_from": "2026-01-01", "attested_no_displacement": "on"}),
    Row("placements:import", None,              "login ok   ok    ok    403   403   403"),
    Row("placements:import_confirm", None,      "login 405  405   405   405   405   405",
        post=lambda w: {"token": "x", "attested": "on"}, post_expect="login ok ok ok 403 403 403"),
    Row("placements:detail", pk("open_a"),      "login ok   ok    404   ok    ok    403"),
    Row("placements:detail", pk("paused_a"),    "login ok   ok    404   404   404   403",
        label="placements:detail@paused"),
    Row("placements:detail", pk("open_b"),      "login ok   404   ok    ok    ok    403",
        label="placements:detail@other"),
    Row("placements:edit", pk("open_a"),        "login ok   ok    404   403   403   403",
        post=lambda w: {"title": "Kapad", "unit": w["unit_a"].pk, "occupational_area": w["area"].pk,
                        "capacity": 9, "available_from": "2026-01-01", "attested_no_displacement": "on"}),
    Row("placements:edit", pk("open_b"),        "login ok   404   ok    403   403   403", label="placements:edit@other",
        post=lambda w: {"title": "Kapad", "unit": w["unit_b"].pk, "occupational_area": w["area"].pk,
                        "capacity": 9, "available_from": "2026-01-01", "attested_no_displacement": "on"}),
    Row("placements:pause", pk("open_a"),       "login 405  405   405   405   405   405",
        post=lambda w: {}, post_expect="login ok ok 404 403 403 403"),
    Row("placements:pause", pk("open_b"),       "login 405  405   405   405   405   405",
        label="placements:pause@other",
        post=lambda w: {}, post_expect="login ok 404 ok 403 403 403"),
    Row("placements:reopen", pk("paused_a"),    "login 405  405   405   405   405   405",
        post=lambda w: {}, post_expect="login ok ok 404 404 404 403"),
    Row("placements:close", pk("open_a"),       "login ok   ok    404   403   403   403", post=lambda w: {}),
    Row("placements:close", pk("open_b"),       "login ok   404   ok    403   403   403",
        label="placements:close@other",
        post=lambda w: {}),
    Row("placements:assignment_confirm", lambda w: {"pk": w["open_a"].pk, "assignment_pk": w["request_a"].pk},
                                                "login 405  405   405   405   405   405",
        post=lambda w: {}, post_expect="login ok ok 404 403 404 403"),
    Row("placements:assignment_confirm", lambda w: {"pk": w["open_b"].pk, "assignment_pk": w["request_b"].pk},
                                                "login 405  405   405   405   405   405",
        label="placements:assignment_confirm@other", post=lambda w: {},
        post_expect="login ok 404 ok 404 403 403"),
    Row("placements:assignment_decline", lambda w: {"pk": w["open_a"].pk, "assignment_pk": w["request_a"].pk},
                                                "login 405  405   405   405   405   405",
        post=lambda w: {"reason": "Nej"}, post_expect="login ok ok 404 403 404 403"),
    Row("placements:supervisor_list", None,     "login ok   ok    ok    ok    ok    403"),
    Row("placements:supervisor_create", None,   "login ok   ok    ok    403   403   403",
        post=lambda w: {"name": "Smyg", "organisation": w["org_a"].pk}),
    Row("placements:supervisor_edit", pk("sup_a"), "login ok ok   404   403   403   404",
        post=lambda w: {"name": "Kapad", "organisation": w["org_a"].pk}),
    Row("placements:supervisor_edit", pk("sup_b"), "login ok 404  ok    403   403   404",
        label="placements:supervisor_edit@other", post=lambda w: {"name": "Kapad", "organisation": w["org_b"].pk}),
    Row("placements:organisation_overview", None, "login ok ok    ok    ok    ok    ok"),
    Row("placements:organisation_detail", pk("org_a"), "login ok ok  ok    ok    ok    ok"),
    Row("placements:organisation_detail", pk("org_b"), "login ok ok  ok    ok    ok    ok",
        label="placements:organisation_detail@other"),
    # --- participants ---
    Row("participants:list", None,              "login ok   ok    ok    ok    ok    403"),
    Row("participants:waiting_list", None,      "login ok   403   403   ok    ok    403"),
    Row("participants:list_export", lambda w: {"fmt": "xlsx"}, "login ok ok ok ok ok  403"),
    Row("participants:waiting_list_export", lambda w: {"fmt": "csv"}, "login ok 403 403 ok ok 403"),
    Row("participants:followup90_list_export", lambda w: {"fmt": "xlsx"}, "login ok 403 403 ok ok 403"),
    Row("participants:referral_create", None,   "login ok   403   403   ok    ok    403",
        post=lambda w: {"project": w["project"].pk, "agency": w["agency_af"].pk, "identity": "pseudonymous",
                        "gender": "kvinna", "referral_date": "2026-02-01"}),
    Row("participants:import", None,            "login ok   403   403   403   403   403"),
    Row("participants:import_confirm", None,    "login 405  405   405   405   405   405",
        post=lambda w: {"token": "x"}, post_expect="login ok 403 403 403 403 403"),
    Row("participants:followup90_list", None,   "login ok   403   403   ok    ok    403"),
    Row("participants:followup90_edit", pk("fu90_af"), "login ok 403  403   ok    404   403",
        post=lambda w: {"done_on": "2026-10-01", "activity": w["activity"].pk, "notes": "x"}),
    Row("participants:followup90_edit", pk("fu90_fk"), "login ok 403  403   404   ok    403",
        label="participants:followup90_edit@other",
        post=lambda w: {"done_on": "2026-10-01", "activity": w["activity"].pk, "notes": "x"}),
    Row("participants:followup6m_list", None,   "login ok   403   403   ok    ok    403"),
    Row("participants:followup6m_edit", pk("fu6m_af"), "login ok 403  403   ok    404   403",
        post=lambda w: {"done_on": "2026-10-01", "activity": w["activity"].pk, "notes": "x"}),
    Row("participants:followup6m_edit", pk("fu6m_fk"), "login ok 403  403   404   ok    403",
        label="participants:followup6m_edit@other",
        post=lambda w: {"done_on": "2026-10-01", "activity": w["activity"].pk, "notes": "x"}),
    Row("participants:survey", lambda w: {"token": SURVEY_TOKEN}, "ok ok ok ok ok ok ok"),
    Row("participants:survey", lambda w: {"token": "no-such-token"}, "404 404 404 404 404 404 404",
        label="participants:survey@unknown"),
    Row("participants:detail", pk("p_af"),      "login ok   ok    404   ok    404   403"),
    Row("participants:detail", pk("p_fk"),      "login ok   404   ok    404   ok    403",
        label="participants:detail@other",
        post=lambda w: {"action": "show_personal_number"}),
    Row("participants:register_extract", pk("p_af"), "login ok 403  403   403   403   403"),
    Row("participants:correct", pk("p_af"),     "login ok   403   403   403   403   403",
        post=lambda w: {"code": "KAPAD", "gender": "man"}),
    Row("participants:erase", pk("p_af"),       "login ok   403   403   403   403   403",
        post=lambda w: {"reason": "x", "confirm": "on"}),
    Row("participants:assessment", pk("r_af"),  "login ok   403   404   ok    404   403",
        post=lambda w: {"obstacles": "Kapad", "resources": "", "completed_on": "2026-02-01"}),
    Row("participants:assessment", pk("r_fk"),  "login ok   404   403   404   ok    403",
        label="participants:assessment@other",
        post=lambda w: {"obstacles": "Kapad", "resources": "", "completed_on": "2026-02-01"}),
    Row("participants:matching", pk("r_af"),    "login ok   403   404   ok    404   403"),
    Row("participants:matching", pk("r_fk"),    "login ok   404   403   404   ok    403",
        label="participants:matching@other"),
    Row("participants:assignment_request", pk("r_af2"),    "login 405  405   405   405   405   405",
        post=lambda w: {"placement": w["open_a"].pk, "start_date": "2026-09-01", "planned_end_date": "2026-10-01"},
        post_expect="login ok 404 404 ok 404 403"),
    Row("participants:assignment_request", pk("r_fk"),     "login 405  405   405   405   405   405",
        label="participants:assignment_request@other",
        post=lambda w: {"placement": w["open_a"].pk, "start_date": "2026-09-01", "planned_end_date": "2026-10-01"},
        post_expect="login ok 404 403 404 ok 403"),
    Row("participants:follow_up_create", pk("r_af"), "login ok 403  404   ok    404   403",
        post=lambda w: {"met_on": "2026-02-01", "notes": "Kapad"}),
    Row("participants:follow_up_create", pk("r_fk"), "login ok 404  403   404   ok    403",
        label="participants:follow_up_create@other", post=lambda w: {"met_on": "2026-02-01", "notes": "Kapad"}),
    Row("participants:plan_step_create", pk("r_af"), "login ok 403  404   ok    404   403",
        post=lambda w: {"description": "Kapad"}),
    Row("participants:competence_create", pk("r_af"), "login ok 403 404   ok    404   403",
        post=lambda w: {"name": "Kapad", "validated_on": "2026-02-01"}),
    Row("participants:competence_card", pk("r_af"), "login ok 403  404   ok    404   403"),
    Row("participants:competence_card", pk("r_fk"), "login ok 404  403   404   ok    403",
        label="participants:competence_card@other"),
    Row("participants:exit", pk("r_af"),        "login ok   403   404   ok    404   403",
        post=lambda w: {"exit_date": "2026-03-01", "kind": ExitKind.INTERRUPTED, "reason": w["reason"].pk}),
    Row("participants:exit", pk("r_fk"),        "login ok   404   403   404   ok    403",
        label="participants:exit@other",
        post=lambda w: {"exit_date": "2026-03-01", "kind": ExitKind.INTERRUPTED, "reason": w["reason"].pk}),
    Row("participants:survey_link", pk("exit_af"), "login ok  404   404   ok    404   403", post=lambda w: {}),
    Row("participants:survey_link", pk("exit_fk"), "login ok  404   404   404   ok    403",
        label="participants:survey_link@other", post=lambda w: {}),
    Row("participants:plan_step_done", pk("step_af"), "login 405 405 405  405   405   405",
        post=lambda w: {}, post_expect="login ok 403 403 ok 404 403"),
    Row("participants:plan_step_done", pk("step_fk"), "login 405 405 405  405   405   405",
        label="participants:plan_step_done@other", post=lambda w: {}, post_expect="login ok 403 403 404 ok 403"),
    Row("participants:assignment_start", pk("assignment_af"), "login 405 405 405 405 405 405",
        post=lambda w: {"start_date": "2026-02-01"}, post_expect="login ok 403 403 ok 404 403"),
    Row("participants:assignment_start", pk("assignment_fk"), "login 405 405 405 405 405 405",
        label="participants:assignment_start@other", post=lambda w: {"start_date": "2026-02-01"},
        post_expect="login ok 403 403 404 ok 403"),
    Row("participants:assignment_complete", pk("assignment_af"), "login 405 405 405 405 405 405",
        post=lambda w: {"end_date": "2026-03-01"}, post_expect="login ok 403 403 ok 404 403"),
    Row("participants:assignment_withdraw", pk("assignment_af"), "login 405 405 405 405 405 405",
        post=lambda w: {"reason": "x"}, post_expect="login ok 403 403 ok 404 403"),
    Row("participants:assignment_withdraw", pk("assignment_fk"), "login 405 405 405 405 405 405",
        label="participants:assignment_withdraw@other", post=lambda w: {"reason": "x"},
        post_expect="login ok 403 403 404 ok 403"),
    Row("participants:request_for_placement", pk("open_a"), "login ok 403 403  ok    ok    403",
        post=lambda w: {"referral": w["r_af2"].pk, "start_date": "2026-09-01", "planned_end_date": "2026-10-01"}),
    Row("participants:request_for_placement", pk("paused_a"), "login ok 403 403 404   404   403",
        label="participants:request_for_placement@paused"),
    # --- corrections (leader; case workers for their own agency's starts) ---
    Row("participants:exit_correct", pk("exit_af"), "login ok   404   404   ok    404   403",
        post=lambda w: {"exit_date": "2026-03-02", "kind": ExitKind.INTERRUPTED, "reason": w["reason"].pk,
                        "correction_reason": "Kapad"}),
    Row("participants:exit_correct", pk("exit_fk"), "login ok   404   404   404   ok    403",
        label="participants:exit_correct@other",
        post=lambda w: {"exit_date": "2026-03-02", "kind": ExitKind.INTERRUPTED, "reason": w["reason"].pk,
                        "correction_reason": "Kapad"}),
    Row("participants:referral_correct", pk("r_af"), "login ok  403   404   ok    404   403",
        post=lambda w: {"referral_date": "2026-01-01", "correction_reason": "Kapad"}),
    Row("participants:referral_correct", pk("r_fk"), "login ok  404   403   404   ok    403",
        label="participants:referral_correct@other",
        post=lambda w: {"referral_date": "2026-01-01", "correction_reason": "Kapad"}),
    Row("participants:follow_up_correct", pk("follow_up_af"), "login ok 403 404 ok    404   403",
        post=lambda w: {"met_on": "2026-02-02", "notes": "Kapad", "correction_reason": "Kapad"}),
    Row("participants:plan_step_correct", pk("step_fk"), "login ok 404  403   404   ok    403",
        post=lambda w: {"description": "Kapad", "correction_reason": "Kapad"}),
    Row("participants:competence_correct", pk("competence_af"), "login ok 403 404 ok   404   403",
        post=lambda w: {"name": "Kapad", "validated_on": "2026-02-01", "correction_reason": "Kapad"}),
    Row("participants:consent_record", pk("p_af"), "login ok   403   404   ok    404   403",
        post=lambda w: {"first_name": "Kapad", "consent": "on"}),
    Row("participants:consent_withdraw", pk("p_fk"), "login ok  404   403   404   ok    403",
        post=lambda w: {"correction_reason": "Kapad", "confirm": "on"}),
    # --- reports ---
    Row("reporting:dashboard", None,            "login ok   403   403   403   403   ok"),
    Row("reporting:dashboard_chart", lambda w: {"key": "trend"}, "login ok 403 403 403 403 ok"),
    Row("reporting:run_list", None,             "login ok   403   403   403   403   ok",
        post=lambda w: {"kind": "monthly", "project": w["project"].pk, "period_start": "2026-03-01",
                        "period_end": "2026-03-31"}),
    Row("reporting:run_detail", pk("monthly_run"), "login ok 403  403   403   403   ok"),
    Row("reporting:run_detail", pk("final_run"), "login ok  403   403   403   403   404",
        label="reporting:run_detail@final"),
    Row("reporting:run_status", pk("monthly_run"), "login ok 403  403   403   403   ok"),
    Row("reporting:run_download", pk("monthly_run"), "login ok 403 403  403   403   ok"),
    Row("reporting:run_download", pk("final_run"), "login ok 403  403   403   403   404",
        label="reporting:run_download@final"),
    Row("reporting:run_figures_json", pk("monthly_run"), "login ok 403 403 403  403   ok"),
    Row("reporting:run_figures_xlsx", pk("final_run"), "login ok 403 403  403   403   404"),
    Row("reporting:run_retry", pk("failed_run"), "login 405 405  405   405   405   405",
        post=lambda w: {}, post_expect="login ok 403 403 403 403 ok"),
    Row("reporting:final_editor", lambda w: {"slug": w["project"].slug}, "login ok 403 403 403 403 403",
        post=lambda w: {"summary-body": "Kapad"}),
    Row("reporting:final_preview", lambda w: {"slug": w["project"].slug}, "login ok 403 403 403 403 403"),
    Row("reporting:final_autosave", lambda w: {"slug": w["project"].slug, "section": "sammanfattning"},
        "login 405 405 405 405 405 405", post=lambda w: {"sammanfattning-body": "Kapad"},
        post_expect="login ok 403 403 403 403 403"),
]


# --- the world -----------------------------------------------------------------------------------


@pytest.fixture
def world(actors, org_a, org_b, unit_a, unit_b, project, agency_af, agency_fk, categories):
    choice_cache.clear()
    area = OccupationalAreaFactory(code="url-walk", name="Yrkesområde")
    open_a = PlacementFactory(unit=unit_a, occupational_area=area, title="Öppen A", capacity=3)
    paused_a = PlacementFactory(unit=unit_a, occupational_area=area, title="Pausad A", status=Placement.Status.PAUSED)
    open_b = PlacementFactory(unit=unit_b, occupational_area=area, title="Öppen B", capacity=3)
    sup_a = SupervisorFactory(unit=unit_a)
    sup_b = SupervisorFactory(unit=unit_b)

    def start(agency, case_worker, code):
        return ReferralFactory(agency=agency, project=project, case_worker=case_worker, participant__code=code,
                               referral_date=dt.date(2026, 1, 5))

    r_af = start(agency_af, actors["case_worker_af"], "AF-URL-1")
    r_fk = start(agency_fk, actors["case_worker_fk"], "FK-URL-1")
    r_af2 = start(agency_af, actors["case_worker_af"], "AF-URL-2")  # no assignment yet: may request one
    # Assignments: af's participant at A (confirmed; manager_a sees them), fk's at B; plus open requests.
    assignment_af = AssignmentFactory(placement=open_a, referral=r_af, status=Assignment.Status.CONFIRMED,
                                      start_date=dt.date(2026, 2, 1), planned_end_date=dt.date(2026, 5, 1))
    assignment_fk = AssignmentFactory(placement=open_b, referral=r_fk, status=Assignment.Status.CONFIRMED,
                                      start_date=dt.date(2026, 2, 1), planned_end_date=dt.date(2026, 5, 1))
    request_a = AssignmentFactory(placement=open_a, referral=start(agency_af, None, "AF-URL-3"),
                                  status=Assignment.Status.REQUESTED, start_date=dt.date(2026, 6, 1),
                                  planned_end_date=dt.date(2026, 7, 1))
    request_b = AssignmentFactory(placement=open_b, referral=start(agency_fk, None, "FK-URL-3"),
                                  status=Assignment.Status.REQUESTED, start_date=dt.date(2026, 6, 1),
                                  planned_end_date=dt.date(2026, 7, 1))
    # Closed starts with exit, 90-day follow-up and survey link.
    done_af = start(agency_af, actors["case_worker_af"], "AF-URL-4")
    done_fk = start(agency_fk, actors["case_worker_fk"], "FK-URL-4")
    exits = {}
    for key, referral in (("af", done_af), ("fk", done_fk)):
        exit = ExitFactory(referral=referral, exit_date=dt.date(2026, 3, 1), kind=ExitKind.AS_PLANNED,
                                   reason=categories["reasons"]["arbete"])
        exits[key] = exit
        FollowUp90.objects.create(exit=exit, due_on=dt.date(2026, 5, 30))
        FollowUp6Months.objects.create(exit=exit, due_on=dt.date(2026, 9, 1))
    SurveyInvitation.objects.create(exit=exits["af"], token_hash=_token_hash(SURVEY_TOKEN),
                                    expires_at=timezone.now() + dt.timedelta(days=30))
    SurveyInvitation.objects.create(exit=exits["fk"], token_hash=_token_hash("other-token"),
                                    expires_at=timezone.now() + dt.timedelta(days=30))
    step_af = PlanStep.objects.create(referral=r_af, description="Steg AF")
    step_fk = PlanStep.objects.create(referral=r_fk, description="Steg FK")

    def run(kind, status=ReportRun.Status.DONE):
        report = ReportRun.objects.create(kind=kind, project=project, period_start=dt.date(2026, 3, 1),
                                          period_end=dt.date(2026, 3, 31), status=status, figures={"meta": {}})
        if status == ReportRun.Status.DONE:
            report.file.save(f"url-walk-{report.pk}.pdf", ContentFile(b"%PDF-1.7 test"), save=True)
        return report

    return {
        **actors, "org_a": org_a, "org_b": org_b, "unit_a": unit_a, "unit_b": unit_b, "project": project,
        "agency_af": agency_af, "area": area, "open_a": open_a, "paused_a": paused_a, "open_b": open_b,
        "sup_a": sup_a, "sup_b": sup_b, "r_af": r_af, "r_fk": r_fk, "r_af2": r_af2,
        "p_af": r_af.participant, "p_fk": r_fk.participant,
        "assignment_af": assignment_af, "assignment_fk": assignment_fk,
        "request_a": request_a, "request_b": request_b, "exit_af": exits["af"], "exit_fk": exits["fk"],
        "fu90_af": exits["af"].followup_90, "fu90_fk": exits["fk"].followup_90,
        "fu6m_af": exits["af"].followup_6m, "fu6m_fk": exits["fk"].followup_6m, "step_af": step_af,
        "step_fk": step_fk, "cw_fk_user": actors["case_worker_fk"],
        "monthly_run": run(ReportRun.Kind.MONTHLY), "final_run": run(ReportRun.Kind.FINAL),
        "failed_run": run(ReportRun.Kind.MONTHLY, ReportRun.Status.FAILED),
        "failed_email": OutgoingEmail.objects.create(to=["x@example.test"], subject="Hej", body="Text",
                                                     status=OutgoingEmail.Status.FAILED, attempts=5),
        "activity": categories["activities"]["arbete"], "reason": categories["reasons"]["arbete"],
        "partner": ProjectPartner.objects.create(project=project, name="Samverkanspart", role="partner"),
        "follow_up_af": FollowUp.objects.create(referral=r_af, met_on=dt.date(2026, 2, 1), notes="Möte"),
        "competence_af": r_af.competences.create(name="Kassa", validated_on=dt.date(2026, 2, 1)),
        "import_job": ImportJob.objects.create(kind="placements", user=actors["leader"], status="done",
                                               params={"back_url": "/", "back_label": "Import"}),
    }


@pytest.fixture
def categories(db):
    from participants.models import Activity, ExitReason

    return {
        "activities": {"arbete": Activity.objects.get_or_create(
            code="arbete", defaults={"name": "Arbete", "is_work_or_studies": True})[0]},
        "reasons": {"arbete": ExitReason.objects.get_or_create(
            code="arbete", defaults={"name": "Arbete", "is_work_or_studies": True})[0]},
    }


# --- helpers -------------------------------------------------------------------------------------


def _patterns(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{pattern.namespace}:" if pattern.namespace else ""
            for route, name in _patterns(pattern.url_patterns, prefix + str(pattern.pattern)):
                yield route, (namespace + name) if name else None
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name


def project_url_patterns() -> dict[str, str]:
    """name → route of every pattern outside the exempt prefixes."""
    found = {}
    for route, name in _patterns(get_resolver().url_patterns):
        if route.startswith(EXEMPT_PREFIXES):
            continue
        assert name, f"URL pattern {route!r} has no name, so the table cannot cover it"
        found[name] = route
    return found


def _outcome(response) -> str:
    if response.status_code in (301, 302, 303):
        location = response["Location"]
        return "login" if location.startswith(reverse("account_login")) else "ok"
    if response.status_code == 200:
        return "ok"
    return str(response.status_code)


def _login(client, world, actor):
    client.logout()
    if actor != "anonymous":
        client.force_login(world[actor])


def _fingerprint() -> dict:
    """Everything a refused POST could have changed (the audit log may grow: refusals are not logged, but a
    GET-like read is harmless)."""
    return {
        "users": list(User.objects.order_by("pk").values_list("pk", "is_active", "role")),
        "placements": list(Placement.objects.order_by("pk").values_list("pk", "title", "status", "capacity")),
        "assignments": list(Assignment.objects.order_by("pk").values_list("pk", "status", "start_date",
                                                                            "end_date", "decline_reason")),
        "supervisors": list(Supervisor.objects.order_by("pk").values_list("pk", "name")),
        "participants": list(Participant.objects.order_by("pk").values_list(
            "pk", "code", "gender", "personal_data_purged_at")),
        "referrals": Referral.objects.count(),
        "exits": Exit.objects.count(),
        "follow_ups": FollowUp.objects.count(),
        "followups_90": list(FollowUp90.objects.order_by("pk").values_list("pk", "done_on", "notes")),
        "plan_steps": list(PlanStep.objects.order_by("pk").values_list("pk", "description", "done_on")),
        "survey_links": list(SurveyInvitation.objects.order_by("pk").values_list("pk", "token_hash")),
        "runs": list(ReportRun.objects.order_by("pk").values_list("pk", "status", "attempts")),
        "emails": list(OutgoingEmail.objects.order_by("pk").values_list("pk", "status", "attempts")),
        "final_texts": FinalReportText.objects.count(),
        "assessments": list(Referral.objects.filter(assessment__isnull=False).values_list("assessment__obstacles")),
    }


def _url(row: Row, world) -> str:
    return reverse(row.name, kwargs=row.kwargs(world) if row.kwargs else None)


def _expected(text: str) -> dict[str, str]:
    values = text.split()
    assert len(values) == len(ACTORS), text
    return dict(zip(ACTORS, values, strict=True))


# --- the tests -----------------------------------------------------------------------------------


def test_every_url_pattern_is_in_the_table():
    patterns = set(project_url_patterns())
    in_table = {row.name for row in TABLE}
    assert patterns - in_table == set(), "URL patterns without an entry in TABLE"
    assert in_table - patterns == set(), "TABLE rows for URL names that do not exist"
    assert len({row.id for row in TABLE}) == len(TABLE), "two rows with the same label"


def test_exemptions_are_only_admin_and_allauth():
    exempt = [route for route, _name in _patterns(get_resolver().url_patterns) if route.startswith(EXEMPT_PREFIXES)]
    assert exempt, "the exempt prefixes match nothing: remove them"
    assert {route.split("/")[0] for route in exempt} == {"admin", "accounts"}


# Rows whose 200 answer shows a participant (or a file about one): each such answer must write an audit event for
# that person. The walk also finds participants by their code in every HTML answer (below), so a page missing
# here is still caught when it shows a code; the PDFs are listed because their text is compressed.
SHOWS_PARTICIPANT = {
    "participants:detail", "participants:register_extract", "participants:correct", "participants:erase",
    "participants:assessment", "participants:matching", "participants:follow_up_create",
    "participants:plan_step_create", "participants:competence_create", "participants:competence_card",
    "participants:exit", "participants:survey_link", "participants:followup90_edit", "participants:followup6m_edit",
    "participants:list", "participants:waiting_list", "participants:followup90_list",
    "participants:followup6m_list", "placements:detail",
}


def _participants_in(response, world) -> set[int]:
    if not response.get("Content-Type", "").startswith("text/html"):
        return set()
    body = response.content.decode()
    people = Participant.objects.exclude(code="").values_list("pk", "code")
    return {pk for pk, code in people if code and code in body}


def _audited_participants(user, since: int) -> set[int]:
    events = AuditEvent.objects.filter(pk__gt=since, user=user, object_type="participants.Participant")
    return {int(object_id) for object_id in events.values_list("object_id", flat=True)}


@pytest.mark.parametrize("row", TABLE, ids=[row.id for row in TABLE])
def test_get(client, world, row):
    url = _url(row, world)
    actual = {}
    for actor in ACTORS:
        _login(client, world, actor)
        last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = client.get(url, row.query)
        actual[actor] = _outcome(response)
        if response.status_code != 200:
            continue
        audited = _audited_participants(world.get(actor), last_event)
        shown = _participants_in(response, world)
        assert shown <= audited, f"{actor} saw participants {shown - audited} at {url} without an audit event"
        if row.name in SHOWS_PARTICIPANT and row.name not in LISTS:
            assert audited, f"{actor} was shown {url} without an audit event"
    assert actual == _expected(row.expect), url


LISTS = {"participants:list", "participants:waiting_list", "participants:followup90_list",
         "participants:followup6m_list", "placements:detail"}


def test_every_participant_page_of_the_walk_writes_its_event(client, world):
    """The pages named in the audit of unlogged views, each seen by a role allowed to, with its event's id."""
    referral, exit = world["r_af"], world["exit_af"]
    pages = [
        ("case_worker_af", reverse("participants:follow_up_create", args=[referral.pk])),
        ("case_worker_af", reverse("participants:plan_step_create", args=[referral.pk])),
        ("case_worker_af", reverse("participants:competence_create", args=[referral.pk])),
        ("case_worker_af", reverse("participants:followup90_edit", args=[exit.followup_90.pk])),
        ("case_worker_af", reverse("participants:survey_link", args=[exit.pk])),
        ("leader", reverse("participants:erase", args=[referral.participant_id])),
    ]
    for actor, url in pages:
        _login(client, world, actor)
        last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        assert client.get(url).status_code == 200, url
        expected = exit.referral.participant_id if "follow-up-90" in url or "exits" in url else referral.participant_id
        assert _audited_participants(world[actor], last_event) == {expected}, url


@pytest.mark.parametrize("row", [row for row in TABLE if row.post], ids=[row.id for row in TABLE if row.post])
def test_refused_post_changes_nothing(client, world, row):
    url = _url(row, world)
    expected = _expected(row.post_expect or row.expect)
    refused = [actor for actor, outcome in expected.items() if outcome != "ok"]
    assert refused or row.name == "set_language"
    for actor in refused:
        _login(client, world, actor)
        before = _fingerprint()
        response = client.post(url, row.post(world))
        assert _outcome(response) == expected[actor], (actor, url)
        assert _fingerprint() == before, (actor, url)


@pytest.mark.parametrize("row", [row for row in TABLE if row.post_expect],
                         ids=[row.id for row in TABLE if row.post_expect])
def test_post_only_views_let_the_allowed_roles_through(client, world, row):
    """The other half of the POST table: allowed roles are not refused (whatever the action then decides)."""
    url = _url(row, world)
    for actor, outcome in _expected(row.post_expect).items():
        if outcome == "ok":
            # Each role acts on the same starting state: the first role's decline must not leave the next a
            # declined request (which managers no longer see).
            with transaction.atomic():
                _login(client, world, actor)
                assert _outcome(client.post(url, row.post(world))) == "ok", (actor, url)
                transaction.set_rollback(True)


MFA_EXEMPT_NAMES = {"healthz", "set_language", "participants:survey", "accessibility", "favicon"}


@pytest.mark.parametrize("actor", ["leader", "manager_a", "case_worker_af"])
def test_without_totp_no_page_is_reachable_when_mfa_is_required(client, settings, world, actor):
    """Done means: an account without MFA cannot see a participant (nor anything else but setting up MFA)."""
    settings.MFA_REQUIRED = True
    client.force_login(world[actor])
    for row in TABLE:
        if row.name in MFA_EXEMPT_NAMES:
            continue
        response = client.get(_url(row, world))
        assert response.status_code == 302, row.id
        assert response["Location"].startswith(reverse("mfa_activate_totp")), row.id

