"""The pages the outside checkers (Nu HTML Checker, pa11y) and the 320-px reflow check read.

One row per page and role, on the demo data (`manage.py seed_demo`). To cover a new page, add a
row: `Page(role, path)`; `path` is a URL or a function of the `World` (the demo's users and a few
objects each role can see). `post` makes it the page a failed submit shows (a form's error state);
`files` uploads a file with it. Roles: anonymous, leader, manager, case_worker, steering.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse


@dataclass(frozen=True)
class Page:
    role: str
    path: str | Callable
    post: dict | Callable | None = None
    files: dict = field(default_factory=dict)
    query: str = ""
    label: str = ""
    status: int = 200                     # the answer expected (an error page is checked like any other)

    @property
    def id(self) -> str:
        name = self.label or (self.path if isinstance(self.path, str) else self.path.__name__)
        return f"{self.role}:{name}" + (" (fel)" if self.post is not None and not self.files else "")


def url(name, *args, **kwargs):
    """A path reversed when the page is read (the objects exist only then)."""
    def resolve(world):
        return reverse(name, args=[a(world) if callable(a) else a for a in args], kwargs=kwargs)
    resolve.__name__ = name
    return resolve


def obj(key):
    return lambda world: world[key].pk


EXAMPLE_CSV = "static/examples/placements_example.csv"
# A submit with nothing filled in (a field must be present: an empty POST leaves most forms unbound).
FAILED = {"submitted": "1"}

PAGES = [
    # --- anonymous -------------------------------------------------------------------------------
    Page("anonymous", "/accounts/login/", label="login"),
    Page("anonymous", "/accounts/login/", post={"login": "okand@example.org", "password": "fel"}, label="login"),
    Page("anonymous", "/accounts/password/reset/", label="password_reset"),
    Page("anonymous", "/accounts/password/reset/", post={"email": "inte-en-adress"}, label="password_reset"),
    Page("anonymous", "/accounts/password/reset/done/", label="password_reset_done"),
    Page("anonymous", url("participants:survey", lambda w: w["survey_token"]), label="survey"),
    Page("anonymous", url("participants:survey", lambda w: w["survey_token"]), post=FAILED, label="survey"),
    Page("anonymous", url("accessibility"), label="accessibility"),
    Page("anonymous", "/finns-inte/", label="404", status=404),
    Page("case_worker", "/finns-inte/", label="404", status=404),
    Page("manager", "/core/audit/", label="403", status=403),
    # --- project leader --------------------------------------------------------------------------
    Page("leader", "/", label="home"),
    Page("leader", url("placements:list")),
    Page("leader", url("placements:list"), query="status=open&sort=-name", label="placements:list (filter)"),
    Page("leader", url("placements:detail", obj("placement"))),
    Page("leader", url("placements:create")),
    Page("leader", url("placements:create"), post=FAILED),
    Page("leader", url("placements:import")),
    Page("leader", url("placements:import"), post={}, files={"file": EXAMPLE_CSV}, label="import preview"),
    Page("leader", url("placements:organisation_overview")),
    Page("leader", lambda world: reverse("placements:organisation_overview") + "?under="
         + str(world["organisation"].parent_id or world["organisation"].pk), label="organisation_overview (under)"),
    Page("leader", url("placements:organisation_detail", obj("organisation"))),
    Page("leader", url("placements:supervisor_list")),
    Page("leader", url("participants:list")),
    Page("leader", url("participants:waiting_list")),
    Page("leader", url("participants:followup90_list")),
    Page("leader", url("participants:detail", obj("participant"))),
    Page("leader", url("participants:import")),
    Page("leader", url("participants:import"), post=FAILED, status=400),
    Page("leader", url("organisations:account_list")),
    Page("leader", url("organisations:account_create")),
    Page("leader", url("organisations:account_create"), post=FAILED),
    Page("leader", url("core:audit_log")),
    Page("leader", url("reporting:dashboard")),
    Page("leader", url("reporting:run_list")),
    Page("leader", url("reporting:final_editor", "sjalvklart")),
    Page("leader", url("reporting:final_preview", "sjalvklart")),
    Page("leader", "/accounts/password/change/", label="password_change"),
    Page("leader", "/accounts/password/change/",
         post={"oldpassword": "fel", "password1": "kort", "password2": "annat"}, label="password_change"),
    Page("leader", "/accounts/2fa/", label="mfa_index"),
    Page("leader", url("accessibility"), label="accessibility"),
    Page("leader", url("participants:followup6m_list")),
    Page("leader", url("participants:correct", obj("participant"))),
    Page("leader", url("organisations:setup")),
    Page("leader", url("organisations:setup_organisations")),
    Page("leader", url("organisations:setup_organisation_create")),
    Page("leader", url("organisations:setup_organisation_create"), post=FAILED),
    Page("leader", url("organisations:setup_organisation", obj("organisation"))),
    Page("leader", url("organisations:setup_unit_create", obj("organisation"))),
    Page("leader", url("organisations:setup_unit_create", obj("organisation")), post=FAILED),
    Page("leader", url("organisations:setup_projects")),
    Page("leader", url("organisations:setup_project", obj("project"))),
    Page("leader", url("organisations:setup_project_edit", obj("project"))),
    Page("leader", url("organisations:setup_category_list", "yrkesomraden")),
    # --- manager -------------------------------------------------------------------------------------
    Page("manager", "/", label="home"),
    Page("manager", url("placements:list")),
    Page("manager", url("placements:detail", obj("manager_placement"))),
    Page("manager", url("placements:edit", obj("manager_placement"))),
    Page("manager", url("placements:edit", obj("manager_placement")), post=FAILED),
    Page("manager", url("placements:supervisor_list")),
    Page("manager", url("placements:supervisor_create")),
    Page("manager", url("placements:supervisor_create"), post=FAILED),
    Page("manager", url("participants:list")),
    Page("manager", url("organisations:setup_unit", obj("manager_unit"))),
    # --- case worker -------------------------------------------------------------------------------
    Page("case_worker", "/", label="home"),
    Page("case_worker", url("placements:list")),
    Page("case_worker", url("participants:list")),
    Page("case_worker", url("participants:waiting_list")),
    Page("case_worker", url("participants:followup90_list")),
    Page("case_worker", url("participants:referral_create")),
    Page("case_worker", url("participants:referral_create"), post=FAILED),
    Page("case_worker", url("participants:detail", obj("case_worker_participant"))),
    Page("case_worker", url("participants:exit", obj("case_worker_start"))),
    Page("case_worker", url("participants:exit", obj("case_worker_start")), post=FAILED),
    Page("case_worker", url("participants:matching", obj("case_worker_start"))),
    Page("case_worker", url("placements:detail", obj("placement"))),
    # --- steering group ------------------------------------------------------------------------------
    Page("steering", "/", label="home"),
    Page("steering", url("reporting:dashboard")),
    Page("steering", url("reporting:run_list")),
]
