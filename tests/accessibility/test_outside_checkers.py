"""The W3C Nu HTML Checker, pa11y (HTML_CodeSniffer, WCAG 2.1 AA) and a 320-px reflow check over the
main pages of every role (tests/accessibility/pages.py), on the demo data.

The pages are rendered once with the test client (so a form's error state is the page a failed
submit really shows) and saved as files; vnu reads the files, pa11y and the reflow check open them
in Debian's Chromium with the stylesheets served by the live server. The checkers are the npm
packages in package.json (installed by scripts/checkers.sh; Java runs vnu.jar).
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from core.models import User
from organisations.models import Project
from organisations.permissions import units_managed_by
from participants.models import Exit
from participants.permissions import participants_editable_by, participants_visible_to, referrals_editable_by
from participants.services import survey_invitation_issue
from placements.permissions import placements_editable_by, placements_visible_to

from .pages import PAGES, Page

# live_server + Playwright's sync API + the ORM in one test (as in tests/browser/conftest.py).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(settings.BASE_DIR)
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
PA11Y_RUNNER = ROOT / "tests" / "accessibility" / "pa11y_run.mjs"
DEMO_USERS = {
    "leader": "ledare@demo.test",
    "manager": "chef@demo.test",
    "case_worker": "af@demo.test",
    "steering": "styrgrupp@demo.test",
}
NARROW = 320
ARTIFACTS = ROOT / "test-artifacts" / "reflow"
SCREENSHOTS = os.environ.get("A11Y_SCREENSHOTS", "")   # a folder: keep a 320-px screenshot of every page
ONLY = os.environ.get("A11Y_ONLY", "")                 # check only the pages whose id contains this (a local aid)


def _world() -> dict:
    users = {role: User.objects.get(email=email) for role, email in DEMO_USERS.items()}
    leader, manager, case_worker = users["leader"], users["manager"], users["case_worker"]
    open_starts = referrals_editable_by(case_worker).exclude(pk__in=Exit.objects.values("referral_id"))
    unanswered = Exit.objects.filter(survey_invitation__isnull=True).select_related("referral").first()
    placement = placements_visible_to(leader).select_related("unit__organisation").order_by("pk").first()
    return {
        **users,
        "placement": placement,
        "organisation": placement.unit.organisation,
        "participant": participants_visible_to(leader).filter(referrals__isnull=False).order_by("pk").first(),
        "manager_placement": placements_editable_by(manager).order_by("pk").first(),
        "manager_unit": units_managed_by(manager).order_by("pk").first(),
        "project": Project.objects.get(slug="sjalvklart"),
        "case_worker_participant": participants_editable_by(case_worker).order_by("pk").first(),
        "case_worker_start": open_starts.order_by("pk").first(),
        "survey_token": survey_invitation_issue(user=leader, exit=unanswered),
    }


def _render(page: Page, world: dict, clients: dict) -> str:
    client = clients[page.role]
    path = page.path(world) if callable(page.path) else page.path
    if page.query:
        path += "?" + page.query
    if page.post is None:
        response = client.get(path)
    else:
        data = page.post(world) if callable(page.post) else dict(page.post)
        for name, file_path in page.files.items():
            data[name] = open(ROOT / file_path, "rb")  # noqa: SIM115 (closed by the client after the post)
        response = client.post(path, data)
    assert response.status_code == page.status, f"{page.id}: {path} answered {response.status_code}"
    return response.content.decode()


def _file_name(index: int, page: Page) -> str:
    return f"{index:03d}-" + re.sub(r"[^A-Za-z0-9]+", "-", page.id).strip("-") + ".html"


@pytest.fixture
def rendered_pages(tmp_path, django_db_blocker):
    call_command("seed_demo", scale=0.1, stdout=open("/dev/null", "w"))  # noqa: SIM115
    world = _world()
    clients = {"anonymous": Client()}
    for role in DEMO_USERS:
        clients[role] = Client()
        clients[role].force_login(world[role])
    files = {}
    for index, page in enumerate(PAGES):
        if ONLY and ONLY not in page.id:
            continue
        name = _file_name(index, page)
        (tmp_path / name).write_text(_render(page, world, clients), encoding="utf-8")
        files[name] = page
    return tmp_path, files


def _vnu_errors(folder: Path, files: dict) -> list[str]:
    result = subprocess.run(  # noqa: S603 (fixed arguments, files this test wrote)
        [shutil.which("java"), "-Xss8m", "-jar", str(VNU_JAR), "--format", "json", "--errors-only", "--skip-non-html",
         str(folder)], capture_output=True, text=True, timeout=300, check=False)
    messages = json.loads(result.stderr or "{}").get("messages", [])
    return [f"{files[Path(m['url']).name].id}: line {m.get('lastLine')}: {m['message']} "
            f"[{m.get('extract', '').strip()[:120]}]" for m in messages if Path(m.get("url", "")).name in files]


def _with_base(folder: Path, base: str) -> None:
    """The saved pages name their stylesheets and scripts from the site root: resolve them at the live server."""
    for path in folder.glob("*.html"):
        html = path.read_text(encoding="utf-8")
        path.write_text(html.replace("<head>", f'<head><base href="{base}/">', 1), encoding="utf-8")


def _pa11y_errors(folder: Path, files: dict) -> list[str]:
    result = subprocess.run(  # noqa: S603
        [shutil.which("node"), str(PA11Y_RUNNER), shutil.which("chromium"), *[str(folder / name) for name in files]],
        capture_output=True, text=True, timeout=600, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    return [f"{files[Path(name).name].id}: {issue['code']}: {issue['message']} [{issue['selector']}]"
            for name, issues in report.items() for issue in issues]


@pytest.mark.checkers
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_outside_checkers_find_no_errors_and_no_page_scrolls_sideways_at_320_px(rendered_pages, live_server,
                                                                               browser):
    folder, files = rendered_pages
    problems = [f"vnu {line}" for line in _vnu_errors(folder, files)]
    _with_base(folder, live_server.url)
    problems += [f"pa11y {line}" for line in _pa11y_errors(folder, files)]
    context = browser.new_context(viewport={"width": NARROW, "height": 800}, locale="sv-SE")
    page = context.new_page()
    for name, entry in files.items():
        page.goto((folder / name).as_uri())
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > NARROW:
            problems.append(f"reflow {entry.id}: {width} px wide at {NARROW} px (screenshot in {ARTIFACTS})")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / name.replace(".html", ".png")), full_page=True)
        if SCREENSHOTS:
            page.screenshot(path=str(Path(SCREENSHOTS) / name.replace(".html", ".png")), full_page=True)
    context.close()
    assert not problems, f"{len(problems)} problems on {len(files)} pages:\n" + "\n".join(problems)


def test_every_role_has_pages_and_the_list_has_error_states():
    roles = {page.role for page in PAGES}
    assert roles == {"anonymous", *DEMO_USERS}
    assert any(page.post is not None and not page.files for page in PAGES)
    assert {page.status for page in PAGES} >= {403, 404}
    assert len({page.id + page.query for page in PAGES}) == len(PAGES)
