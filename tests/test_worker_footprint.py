"""What a Celery worker loads when it starts, with production settings (docs/benchmarks.md § 19): a pool child
holds only what its tasks need, the rest is loaded by the task that needs it."""

import io
import os
import subprocess
import sys

import pikepdf
from django.conf import settings

from core import pdf
from tests.test_settings import run_in_production

# What `celery -A config worker` does before its pool forks: import the app, then every task module, which sends
# the signal Celery's Django fix-up answers (django.setup() and, unless skipped, Django's system checks).
WORKER_START = """
import sys
import environ
environ.Env.read_env = classmethod(lambda cls, *args, **kwargs: None)
from config.celery import app
app.loader.import_default_modules()
from django.apps import apps
print("READY", apps.ready, "reporting.tasks.build_report_run" in app.tasks)
print("LOADED", sorted(name for name in ("config.urls", "allauth.mfa.webauthn.internal.auth", "fido2")
                       if name in sys.modules))
"""


def _worker_start(**extra) -> list[str]:
    completed = run_in_production(WORKER_START, **extra)
    return completed.stdout.strip().splitlines()[-2:]


def test_a_starting_worker_loads_its_tasks_but_not_the_urlconf_and_the_views():
    assert _worker_start() == ["READY True True", "LOADED []"]


def test_the_checks_at_worker_start_can_be_switched_back_on():
    # An empty CELERY_SKIP_CHECKS runs Django's checks as Celery does by default: the URL checks load the views.
    assert _worker_start(CELERY_SKIP_CHECKS="") == [
        "READY True True", "LOADED ['allauth.mfa.webauthn.internal.auth', 'config.urls', 'fido2']"]


# What `python -m config.worker` imports before it starts the worker (docker-compose.yml,
# tests/celery_worker.py): Celery's `worker` command with its options; `--help` stops there.
WORKER_COMMAND = """
import runpy, sys
import environ
environ.Env.read_env = classmethod(lambda cls, *args, **kwargs: None)
sys.argv = ["config.worker", "--help"]
try:
    runpy.run_module("config.worker", run_name="__main__")
except SystemExit as exit:
    print("EXIT", exit.code)
print("LOADED", sorted(name for name in ("click_repl", "prompt_toolkit", "celery.bin.celery", "celery.bin.worker")
                       if name in sys.modules))
"""


def test_the_worker_command_takes_celerys_worker_options_without_its_shells():
    """A pool child is forked from the worker's main process: what that process imported, every child holds."""
    lines = run_in_production(WORKER_COMMAND).stdout.splitlines()
    options = [line.split()[0] for line in lines if line.startswith("  -")]
    assert {"-c,", "-P,", "-n,", "--max-memory-per-child", "--without-mingle"} <= set(options)
    assert lines[-2:] == ["EXIT 0", "LOADED ['celery.bin.worker']"]


def test_celerys_own_command_line_imports_its_shells():
    # Why the project starts its worker through config.worker: `celery` imports click-repl for its `amqp` shell.
    lines = run_in_production("import sys, celery.bin.celery; print('prompt_toolkit' in sys.modules)").stdout
    assert lines.split() == ["True"]


WARM_RENDERER = """
import sys
import django
django.setup()
from core import pdf
pdf.warm_renderer()
print("LOADED", sorted(name for name in ("weasyprint", "pikepdf") if name in sys.modules))
"""


def test_warming_the_renderer_loads_weasyprint_but_leaves_pikepdf_to_the_render_child():
    completed = subprocess.run(  # noqa: S603 - fixed interpreter and script
        [sys.executable, "-c", WARM_RENDERER], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120,
        check=False, env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1] == "LOADED ['weasyprint']"


def test_a_pdf_rendered_in_the_child_has_its_structure_repaired(settings):
    """The child imports pikepdf itself and repairs the tagged structure as an in-process render does."""
    settings.PDF_RENDER_IN_CHILD = True
    html = ("<!DOCTYPE html><html lang='sv'><head><title>t</title></head><body><table><caption>Platser</caption>"
            "<thead><tr><th scope='col'>Område</th><th scope='col'>Antal</th></tr></thead>"
            "<tbody><tr><th scope='row'>Vård</th><td>3</td></tr></tbody></table></body></html>")
    with pikepdf.open(io.BytesIO(pdf.html_to_pdf(html))) as document:
        root = document.Root.StructTreeRoot
        scopes = sorted(str(element.A.Scope) for element in _elements(root)
                        if element.get("/S") == pikepdf.Name.TH and "/A" in element)
        assert "/IDTree" in root
        assert scopes == ["/Column", "/Column", "/Row"]


def _elements(node):
    kids = node.get("/K")
    for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
        if isinstance(kid, pikepdf.Dictionary):
            yield kid
            yield from _elements(kid)
