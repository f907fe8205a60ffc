"""PDFs rendered in a forked child of the (warm) process (settings.PDF_RENDER_IN_CHILD, the production default):
the same report, the parent's garbage collector left as it was, an error in the child raised in the parent."""

import gc
import os
import signal
import threading
import time

import pytest
from django.db import OperationalError, connection

from core import pdf
from organisations.models import Project
from organisations.tests.factories import OrganisationFactory, ProjectFactory
from reporting import charts, services
from reporting.documents import MONTHLY_PDF_CHARTS
from reporting.services import build_report

from .conftest import MARCH, build_march_dataset
from .test_pdf import pdftotext

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_child(settings):
    settings.PDF_RENDER_IN_CHILD = True


@pytest.fixture
def forked(monkeypatch):
    """The pids of the children this process forks during the test (os.fork recorded, until monkeypatch.undo)."""
    started, real_fork = [], os.fork

    def fork():
        pid = real_fork()
        if pid:
            started.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    return started


def test_the_pdf_is_rendered_by_another_process(in_child, monkeypatch):
    monkeypatch.setattr(pdf, "_render", lambda html: f"{os.getpid()}:{html}".encode())
    monkeypatch.setattr(pdf, "warm_renderer", lambda: None)
    pid, html = pdf.html_to_pdf("<p>x</p>").decode().split(":", 1)
    assert html == "<p>x</p>"
    assert int(pid) != os.getpid()


def test_an_error_in_the_child_is_raised_in_the_parent(in_child, monkeypatch):
    def fail(html):
        raise ValueError("ingen sida")

    monkeypatch.setattr(pdf, "_render", fail)
    monkeypatch.setattr(pdf, "warm_renderer", lambda: None)
    with pytest.raises(RuntimeError, match="ValueError: ingen sida"):
        pdf.html_to_pdf("<p>x</p>")
    assert gc.isenabled() and gc.get_freeze_count() == 0


@pytest.mark.poppler
def test_a_monthly_report_rendered_in_a_child_is_the_same_report(in_child, report_project, march_data, tmp_path,
                                                                 settings):
    _figures, in_child_pdf = build_report(kind="monthly", project=report_project, period_start=MARCH[0],
                                          period_end=MARCH[1])
    assert gc.isenabled() and gc.get_freeze_count() == 0
    settings.PDF_RENDER_IN_CHILD = False
    _figures, here = build_report(kind="monthly", project=report_project, period_start=MARCH[0],
                                  period_end=MARCH[1])
    text = pdftotext(in_child_pdf, tmp_path)
    assert "Månadsrapport till styrgruppen" in text and "Väntelista vid periodens slut" in text
    # The same pages and words (the creation time on the cover aside).
    strip = lambda t: [line for line in t.splitlines() if "Skapad" not in line]  # noqa: E731
    assert strip(text) == strip(pdftotext(here, tmp_path))


def test_the_charts_of_a_report_are_drawn_in_the_child(in_child, report_project, march_data, monkeypatch,
                                                       tmp_path):
    """The long-lived process never draws (nor loads matplotlib for) a report's charts: the child does."""
    log = tmp_path / "drawn-by"

    def recorded(draw):
        def drawing(**arguments):
            with open(log, "a") as out:
                out.write(f"{os.getpid()}\n")
            return draw(**arguments)
        return drawing

    for kind, draw in dict(charts._DRAWERS).items():
        monkeypatch.setitem(charts._DRAWERS, kind, recorded(draw))
    _figures, data = build_report(kind="monthly", project=report_project, period_start=MARCH[0],
                                  period_end=MARCH[1])
    assert data.startswith(b"%PDF")
    drawn_by = log.read_text().split()
    assert len(drawn_by) == len(MONTHLY_PDF_CHARTS)  # every chart the monthly PDF shows
    assert str(os.getpid()) not in drawn_by


def test_the_child_never_uses_the_parents_database_connection(in_child, monkeypatch, report_project):
    """A query in the child would otherwise talk on the parent's socket, inside the parent's session."""
    assert connection.connection is not None  # this process has its connection open
    monkeypatch.setattr(pdf, "_render", lambda html: html.encode())
    monkeypatch.setattr(pdf, "warm_renderer", lambda: None)
    seen = pdf.render_in_child(lambda: f"{connection.connection is None}").decode()
    assert seen == "True"
    assert connection.connection is not None


def test_a_render_interrupted_in_the_parent_stops_and_reaps_the_child(in_child, forked, monkeypatch):
    """A soft time limit (an exception while the parent waits for the bytes) leaves no child running."""
    started = forked

    class Interrupted(Exception):
        pass

    def slow(html):
        time.sleep(60)
        return b"never"

    real_fdopen = os.fdopen

    def interrupted_read(fd, mode="r", *args, **kwargs):
        handle = real_fdopen(fd, mode, *args, **kwargs)
        if mode == "rb":
            handle.read = lambda: (_ for _ in ()).throw(Interrupted())
        return handle


    monkeypatch.setattr(pdf, "_render", slow)
    monkeypatch.setattr(pdf, "warm_renderer", lambda: None)
    monkeypatch.setattr(os, "fdopen", interrupted_read)
    with pytest.raises(Interrupted):
        pdf.html_to_pdf("<p>x</p>")
    monkeypatch.undo()
    assert len(started) == 1
    with pytest.raises(ChildProcessError):  # reaped already: no such child any more
        os.waitpid(started[0], os.WNOHANG)


def test_a_render_interrupted_while_the_child_is_reaped_leaves_no_zombie(in_child, forked, monkeypatch):
    """A soft time limit arriving after the child's error, while the parent waits for its exit status, still
    reaps the child (else it stays a zombie of the long-lived worker)."""
    started = forked

    class Interrupted(Exception):
        pass


    def interrupted_wait4(pid, options):
        raise Interrupted

    def fail(html):
        raise ValueError("ingen sida")

    monkeypatch.setattr(pdf, "_render", fail)
    monkeypatch.setattr(pdf, "warm_renderer", lambda: None)
    monkeypatch.setattr(os, "wait4", interrupted_wait4)
    with pytest.raises(Interrupted):
        pdf.html_to_pdf("<p>x</p>")
    monkeypatch.undo()
    assert len(started) == 1
    try:
        reaped = os.waitpid(started[0], 0)  # on failure: reap it here, so no zombie outlives the test
    except ChildProcessError:
        reaped = None
    assert reaped is None


def _join_reapers():
    for thread in threading.enumerate():
        if thread.name == "pdf-child-reaper":
            thread.join(10)


def test_the_pdf_comes_back_before_the_child_has_exited_and_the_child_is_reaped_after(in_child, forked, monkeypatch):
    """The child's exit (its memory freed) is waited for while the parent goes on with the PDF, and the child is
    reaped all the same: no zombie."""
    started, waited_after_return = forked, []
    returned = threading.Event()
    real_wait4 = os.wait4

    def wait4(pid, options):
        waited_after_return.append(returned.wait(5))
        return real_wait4(pid, options)

    monkeypatch.setattr(pdf, "_render", lambda html: b"%PDF")
    monkeypatch.setattr(pdf, "warm_renderer", lambda: None)
    monkeypatch.setattr(os, "wait4", wait4)
    assert pdf.html_to_pdf("<p>x</p>") == b"%PDF"
    returned.set()
    _join_reapers()
    monkeypatch.undo()
    assert waited_after_return == [True]
    with pytest.raises(ChildProcessError):  # reaped already
        os.waitpid(started[0], os.WNOHANG)


def test_a_child_whose_exit_cannot_be_waited_for_is_stopped_and_reaped(in_child, forked, monkeypatch):
    started = forked

    def failing_wait4(pid, options):
        raise InterruptedError

    monkeypatch.setattr(pdf, "_render", lambda html: b"%PDF")
    monkeypatch.setattr(pdf, "warm_renderer", lambda: None)
    monkeypatch.setattr(os, "wait4", failing_wait4)
    monkeypatch.setattr(threading, "excepthook", lambda args: None)  # the reaper's error, expected here
    assert pdf.html_to_pdf("<p>x</p>") == b"%PDF"
    _join_reapers()
    monkeypatch.undo()
    with pytest.raises(ChildProcessError):
        os.waitpid(started[0], os.WNOHANG)


def test_a_fork_that_fails_leaves_the_parent_as_it_was(in_child, monkeypatch):
    """No child (the system is out of processes or memory): the error is raised, the parent's garbage collector
    is not left frozen and the pipe is closed."""
    monkeypatch.setattr(pdf, "warm_renderer", lambda: None)

    def no_fork():
        raise BlockingIOError("Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    descriptors = len(os.listdir("/proc/self/fd"))
    with pytest.raises(BlockingIOError):
        pdf.html_to_pdf("<p>x</p>")
    assert gc.get_freeze_count() == 0
    assert len(os.listdir("/proc/self/fd")) == descriptors


def _process_gone(pid: int) -> bool:
    """No such process, or only its zombie left (whoever inherited it has not reaped it yet)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in {"Z", "X"}
    except FileNotFoundError:
        return True


def test_a_child_whose_parent_is_killed_mid_render_stops_too(in_child, monkeypatch, tmp_path):
    """A worker killed while its child lays out a PDF (a hard time limit, SIGKILL: no cleanup runs in the worker)
    leaves no orphan rendering on."""
    child_pid = tmp_path / "child.pid"

    def slow(html):
        child_pid.write_text(str(os.getpid()))
        time.sleep(60)
        return b"never"

    monkeypatch.setattr(pdf, "_render", slow)
    monkeypatch.setattr(pdf, "warm_renderer", lambda: None)
    worker = os.fork()
    if worker == 0:  # the worker: renders in a child of its own until it is killed
        try:
            pdf.html_to_pdf("<p>x</p>")
        finally:
            os._exit(0)
    deadline = time.monotonic() + 10
    while not child_pid.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert child_pid.exists(), "the worker never started its render child"
    orphan = int(child_pid.read_text())
    assert not _process_gone(orphan)
    os.kill(worker, signal.SIGKILL)
    os.waitpid(worker, 0)
    deadline = time.monotonic() + 10
    while not _process_gone(orphan) and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        assert _process_gone(orphan)
    finally:
        if not _process_gone(orphan):
            os.kill(orphan, signal.SIGKILL)


# --- the whole build in the child -----------------------------------------------------------------


def _record_where_the_build_runs(monkeypatch, figures=lambda project, start, end: {"pid": os.getpid()}):
    monkeypatch.setattr(pdf, "warm_renderer", lambda: None)
    monkeypatch.setattr(services, "report_figures", lambda kind, project, start, end: figures(project, start, end))
    monkeypatch.setattr(services, "monthly_context", lambda figures, **kwargs: {})
    monkeypatch.setattr(services, "render_pdf", lambda template, context, **kwargs: str(os.getpid()).encode())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # as in a worker: no transaction open
def test_a_report_build_computes_its_figures_and_renders_its_pdf_in_one_child(in_child, monkeypatch):
    """Outside a transaction the figures' rows grow the child's heap, not the worker's: the figures and the PDF
    come from the same forked child (no grandchild for the PDF)."""
    _record_where_the_build_runs(monkeypatch)
    assert not connection.in_atomic_block
    figures, data = build_report(kind="monthly", project=Project(name="p"), period_start=MARCH[0],
                                 period_end=MARCH[1])
    assert figures["pid"] != os.getpid()
    assert data == str(figures["pid"]).encode()


def test_inside_a_transaction_the_figures_are_computed_here_and_only_the_pdf_in_the_child(in_child, monkeypatch):
    """Another connection would not see the transaction's writes."""
    _record_where_the_build_runs(monkeypatch)
    assert connection.in_atomic_block
    figures, data = build_report(kind="monthly", project=Project(name="p"), period_start=MARCH[0],
                                 period_end=MARCH[1])
    assert figures["pid"] == os.getpid()
    assert data == str(os.getpid()).encode()  # render_pdf stood in for here, so here too


class Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("no")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("error", "raised", "message"), [
    (OperationalError("the server closed the connection"), OperationalError, "the server closed the connection"),
    (ValueError("ingen period"), ValueError, "ingen period"),
    (Unpicklable("x"), RuntimeError, "The report build failed in the child process: Unpicklable: x"),
])
def test_an_error_of_a_build_in_the_child_is_raised_as_itself(in_child, monkeypatch, error, raised, message):
    """A database error stays a database error (report_run_build retries those), the rest keeps its class for the
    run's error text; only what cannot be pickled comes back as a RuntimeError with its text."""
    def fail(project, start, end):
        raise error

    _record_where_the_build_runs(monkeypatch, figures=fail)
    with pytest.raises(raised, match=message) as caught:
        build_report(kind="monthly", project=Project(name="p"), period_start=MARCH[0], period_end=MARCH[1])
    assert type(caught.value) is raised
    assert gc.isenabled() and gc.get_freeze_count() == 0


def _without_time(figures: dict) -> dict:
    return {**figures, "meta": {k: v for k, v in figures["meta"].items() if k != "generated_at"}}


@pytest.mark.postgres
@pytest.mark.poppler
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_build_in_the_child_gives_the_figures_and_the_report_of_a_build_here(in_child, settings, tmp_path):
    owner = OrganisationFactory(name="Samordningsförbundet", employee_count=None)
    project = ProjectFactory(slug="sjalvklart-rapport", name="Självklart – rapportprojekt", owner=owner,
                             target_participants=10)
    build_march_dataset(project)
    strip = lambda t: [line for line in t.splitlines() if "Skapad" not in line]  # noqa: E731
    for kind in ("monthly", "final"):
        settings.PDF_RENDER_IN_CHILD = True
        figures_child, pdf_child = build_report(kind=kind, project=project, period_start=MARCH[0],
                                                period_end=MARCH[1])
        settings.PDF_RENDER_IN_CHILD = False
        figures_here, pdf_here = build_report(kind=kind, project=project, period_start=MARCH[0],
                                              period_end=MARCH[1])
        assert _without_time(figures_child) == _without_time(figures_here)
        assert list(figures_child) == list(figures_here)
        assert len(strip(pdftotext(pdf_here, tmp_path))) > 50
        assert strip(pdftotext(pdf_child, tmp_path)) == strip(pdftotext(pdf_here, tmp_path))
