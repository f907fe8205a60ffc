"""PDF rendering, shared by the reports and the participant documents. The only module that imports WeasyPrint.

`render_pdf(template_name, context)` needs no request: templates refer to static files with
{% static %} ("/static/…"), which the URL fetcher reads from disk through the staticfiles finders
(so it works before collectstatic and in a worker). data: URLs (the inline SVG charts) are allowed;
every other URL — http(s), file, ftp — is blocked, so a report can never reach the network or
read files outside the static folders.

WeasyPrint and pikepdf (≈25 MB of a process's memory with the fontTools they pull in) and fontTools' WOFF2
decoder are imported by the first render, not by importing this module: every web worker imports the report
views, few render a PDF (tested by `reporting/tests/test_report_overhead.py`). Where renders run in a forked
child, the warm process imports WeasyPrint only; each child imports pikepdf for its own `repair_structure`.

What a render does once per process instead of every time (docs/benchmarks.md § 3):
- one WeasyPrint `FontConfiguration` per thread: the @font-face fonts are registered with fontconfig and
  Pango once, and Pango's font and metrics caches outlive the render (WeasyPrint makes a new one per render
  unless given one; one per thread because Pango's font map is not shared across threads);
- the user-agent stylesheet without the footnote and note pseudo-element rules, which WeasyPrint's default
  applies to every element (`::footnote-call`, `::note-call`, …), and with `::marker` only on list items:
  the cascade then computes one style per element instead of three. No template uses footnotes or notes
  (`float: footnote`); lists keep their markers.
"""

import atexit
import contextlib
import ctypes
import functools
import gc
import importlib
import io
import logging
import mimetypes
import os
import pickle
import re
import signal
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connections
from django.template.loader import render_to_string
from django.utils import timezone, translation

logger = logging.getLogger(__name__)

BASE_URL = "file:///"
PDF_OPTIONS = {
    "pdf_variant": "pdf/ua-1",  # tagged PDF/UA-1 (WeasyPrint ≥ 60; checked on 70)
    "pdf_tags": True,
    "custom_metadata": True,
}


class BlockedURL(ValueError):
    pass


def _static_path(url: str) -> str | None:
    """The file on disk for a /static/… URL, or None."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = unquote(parts.path)
    prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    if not path.startswith(prefix):
        return None
    relative = path[len(prefix):]
    if not relative or ".." in relative.split("/"):
        return None
    return finders.find(relative)


FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".otf")


@functools.lru_cache(maxsize=64)
def _font_body(path: str) -> bytes:
    """A font file's bytes, read and (WOFF2) decompressed once per process: WeasyPrint would otherwise
    decompress every web font on every render. WeasyPrint takes the plain sfnt bytes as they are."""
    with open(path, "rb") as handle:
        body = handle.read()
    if body[:4] == b"wOF2":
        from fontTools.ttLib import woff2  # noqa: PLC0415 - by the first render, like WeasyPrint

        out = io.BytesIO()
        woff2.decompress(io.BytesIO(body), out)
        body = out.getvalue()
    return body


def _static_body(path: str) -> bytes:
    if path.endswith(FONT_SUFFIXES):
        return _font_body(path)
    with open(path, "rb") as handle:
        return handle.read()


def make_url_fetcher():
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: PLC0415 - by the first render

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            found = _static_path(url)
            if found is None:
                logger.warning("Blocked URL in PDF rendering: %s", url[:200])
                raise BlockedURL(f"Blocked URL in PDF rendering: {url[:200]}")
            mime_type, _encoding = mimetypes.guess_type(found)
            body = _static_body(found)
            return URLFetcherResponse(url, body=body, headers={"Content-Type": mime_type or "application/octet-stream"})

    return StaticOnlyFetcher(allowed_protocols={"data", "file"})


# Rules of WeasyPrint's html5_ua.css that match every element and only matter to footnotes and notes.
_UNUSED_UA_RULES = re.compile(r"^::(?:footnote|note)-[a-z]+ \{[^}]*\}\n", flags=re.MULTILINE)


def user_agent_css(original: str) -> str:
    """WeasyPrint's HTML user-agent stylesheet without the rules every element would pay for in the cascade
    though no PDF uses them (see the module's docstring)."""
    trimmed = _UNUSED_UA_RULES.sub("", original)
    return trimmed.replace("\n::marker {", "\nli::marker, summary::marker {", 1)


@functools.cache
def _user_agent_stylesheet():
    """The trimmed user-agent stylesheet, parsed once per process."""
    import weasyprint  # noqa: PLC0415 - by the first render
    from weasyprint import CSS  # noqa: PLC0415

    original = (Path(weasyprint.__file__).parent / "css" / "html5_ua.css").read_text(encoding="utf-8")
    return CSS(string=user_agent_css(original))


@functools.cache
def _html_class():
    from weasyprint import HTML  # noqa: PLC0415 - by the first render

    _number_parts_pages()

    class ReportHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            # WeasyPrint's own hook for its UA stylesheet (HTML._ua_stylesheets); forms are not rendered.
            return [_user_agent_stylesheet()]

    return ReportHTML


_thread_state = threading.local()


def font_configuration():
    """This thread's WeasyPrint font configuration, made by its first render and kept."""
    config = getattr(_thread_state, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415 - by the first render

        config = _thread_state.font_config = FontConfiguration()
        atexit.register(_drop_font_configuration, _thread_state)
    return config


def _drop_font_configuration(state) -> None:
    """At exit, while the modules still exist: the configuration's finaliser removes its folder of fonts."""
    state.__dict__.pop("font_config", None)


def render_html(template_name: str, context: dict) -> str:
    with translation.override("sv"), timezone.override("Europe/Stockholm"):
        return render_to_string(template_name, context)


def render_pdf(template_name: str, context: dict, *, template_in_child: bool = False) -> bytes:
    """Render a Django template to PDF bytes (Swedish, Stockholm time, tagged, fonts embedded).

    `template_in_child`: where the PDF is rendered in a forked child (settings.PDF_RENDER_IN_CHILD), render the
    template there too. For a context of plain values only (the reports' figures): the charts a report's
    template asks for are then drawn in the child when they are not in the chart cache, so matplotlib (with
    numpy ≈ 40 MB) never loads into the long-lived process. A template that reads the database (model
    instances in its context) is rendered here, in the request's transaction."""
    if _in_child():
        if template_in_child:
            return render_in_child(lambda: render_html(template_name, context))
        html = render_html(template_name, context)
        return render_in_child(lambda: html)
    return _render(render_html(template_name, context))


def html_to_pdf(html: str) -> bytes:
    """PDF bytes of an HTML document (tagged, fonts embedded), through the static-only URL fetcher; in a
    forked child of this process where settings.PDF_RENDER_IN_CHILD says so (see `render_in_child`)."""
    if _in_child():
        return render_in_child(lambda: html)
    return _render(html)


def _in_child() -> bool:
    return renders_in_child() and not _in_forked_child


def renders_in_child() -> bool:
    """Whether this process renders its PDFs in a forked child (settings.PDF_RENDER_IN_CHILD, where it can fork)."""
    return getattr(settings, "PDF_RENDER_IN_CHILD", False) and hasattr(os, "fork")


def prepare_render() -> threading.Thread | None:
    """In a child forked by `run_in_child` that has other work before its render (a report build: its figures' SQL),
    import what `_render` imports on first use (pikepdf and lxml for `repair_structure`, ≈ 25–45 ms, paid by every
    such child) in a thread of its own meanwhile; `_render` waits for the import where it is not done (Python's
    import lock). None elsewhere: a process that forks must not do it with an import half done in another thread,
    and a long-lived process imports it once."""
    if not _in_forked_child or "core.pdf_structure" in sys.modules:
        return None
    thread = threading.Thread(target=importlib.import_module, args=("core.pdf_structure",),
                              name="pdf-imports", daemon=True)
    thread.start()
    return thread


def _render(html: str) -> bytes:
    from core.pdf_structure import repair_structure  # noqa: PLC0415 - pikepdf, by the first render

    parts = split_parts(html) if renders_in_parts() else None
    if parts is not None:
        return _render_in_parts(*parts)
    return repair_structure(_weasyprint_pdf(html))


def _laid_out(html: str):
    """WeasyPrint's laid-out document of `html`."""
    document = _html_class()(string=html, base_url=BASE_URL, url_fetcher=make_url_fetcher(), media_type="print")
    return document.render(font_config=font_configuration(), **PDF_OPTIONS)


def _weasyprint_pdf(html: str) -> bytes:
    """WeasyPrint's PDF of `html`, before `repair_structure`."""
    return _laid_out(html).write_pdf(**PDF_OPTIONS)


# --- rendering in a forked child ------------------------------------------------------------------

# A render's memory is not given back to the system when it is done (Python's and Pango's heaps: ≈ 100 MB
# after a monthly report, of which gc + malloc_trim return 10–20 MB), so a long-lived worker grows by it. A child
# forked for the render takes that memory with it when it exits. The child starts warm: this process has
# imported the renderer and laid out one small page in the report fonts first (`warm_renderer`), and the
# child inherits its font configuration and Pango's caches; it only renders and writes the bytes back.
WARM_UP_HTML = (
    '<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>-</title>'
    '<link rel="stylesheet" href="{css}"></head><body><h2>Åå Ää Öö</h2><p>Sida 1 av 1 <strong>1 234</strong>'
    ' <em>–</em></p><table><caption>-</caption><thead><tr><th scope="col">-</th></tr></thead>'
    '<tbody><tr><th scope="row">-</th><td class="num">12,5 %</td></tr></tbody></table></body></html>'
)
_warmed = threading.Event()
# True in a child forked by `run_in_child`: what it renders, it renders itself.
_in_forked_child = False
# In that child: the pipe its result goes back through (which a second part's process must not keep open), and
# the second parts' processes that have given their result, waited for once the child's own result is written.
_result_fd: int | None = None
_parts_to_reap: list[int] = []


def warm_renderer(stylesheet: str = "reporting/print.css") -> None:
    """Import WeasyPrint and lay out one small page with `stylesheet` (once per process).

    Not pikepdf (`repair_structure`, ≈ 5 MB with lxml): each child imports it for its own render (≈ 0.02 s CPU),
    so the long-lived process does not hold it."""
    if _warmed.is_set():
        return
    prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    _weasyprint_pdf(WARM_UP_HTML.format(css=prefix + stylesheet))
    _warmed.set()


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """In the forked child: have the kernel kill this process when its parent dies (Linux's PR_SET_PDEATHSIG),
    so a worker killed mid-render (gunicorn's or Celery's hard time limit, SIGKILL) leaves no child laying out a
    PDF nobody will read. A parent already gone before the request took effect ends the child here."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the parent's own cleanup (below) is all there is
        return
    if os.getppid() != parent:
        os._exit(1)


def render_in_child(make_html) -> bytes:
    """_render(make_html()) in a child forked from this (warm) process; its PDF bytes come back through a pipe
    and an error in the child is raised here as a RuntimeError with the child's message."""
    return run_in_child(lambda: _render(make_html()))


def run_in_child(work, *, raise_as_is: bool = False, what: str = "PDF rendering"):
    """work() in a child forked from this (warm) process, its result (pickled) back through a pipe.

    What the child does there, PDFs it renders included, is done in that process (a PDF laid out in two parts
    has its second part in a child of the child: `renders_in_parts`), and the heap it grows goes with it. An
    error in the child is raised here as a RuntimeError with the child's message; with `raise_as_is`, as the
    exception itself where it can be pickled (a database error stays a database error for the caller's
    retries)."""
    warm_renderer()
    read_end, write_end = os.pipe()
    # The objects alive now are left out of the child's garbage collection (which would write to every page it
    # shares with this process); the child collects nothing at all: it exits when its result is written.
    gc.freeze()
    try:
        parent = os.getpid()
        pid = os.fork()
    except BaseException:  # no child (out of processes or memory): this process as it was, the error raised
        gc.unfreeze()
        os.close(read_end)
        os.close(write_end)
        raise
    if pid == 0:  # the child: work, write, and leave without running this process's exit handlers
        status = 0
        try:
            global _in_forked_child, _result_fd  # noqa: PLW0603 - this process is the child from here on
            _in_forked_child, _result_fd = True, write_end
            _die_with_parent(parent)
            gc.disable()
            os.close(read_end)
            # The database connections' sockets belong to the parent: a query here gets a connection of its own.
            for alias in connections:
                connections[alias].connection = None
            try:
                payload = b"0" + pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
                status, payload = 1, _failure(exc, raise_as_is=raise_as_is)
            finally:
                connections.close_all()  # the child's own connections, closed as the server expects
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
            _reap_parts()
        finally:
            os._exit(status)
    gc.unfreeze()
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as source:
            payload = source.read()
        result = _result_of(payload)
        if result is not _NO_RESULT:
            # A whole result: the child's exit (the kernel freeing its ≈ 150 MB, 10–40 ms) is waited for in the
            # background while this process stores the result.
            threading.Thread(target=_reap, args=(pid,), name="pdf-child-reaper", daemon=True).start()
            return result
        _pid, wait_status, usage = os.wait4(pid, 0)
    except BaseException:
        # Interrupted while waiting for the result or the exit status (a task's soft time limit, a signal): the
        # child is stopped and reaped.
        _stop(pid)
        raise
    code = os.waitstatus_to_exitcode(wait_status)
    _log_child(pid, usage)
    if payload[:1] == b"2":
        raise pickle.loads(payload[1:])  # noqa: S301 - as above
    message = payload[1:].decode(errors="replace") if payload[:1] == b"1" else f"exit status {code}"
    raise RuntimeError(f"{what} failed in the child process: {message}")


_NO_RESULT = object()


def _result_of(payload: bytes):
    """The child's result from what it wrote, or _NO_RESULT where it wrote an error or not all of its result
    (killed while writing): then its exit status tells the rest."""
    if payload[:1] != b"0":
        return _NO_RESULT
    try:
        return pickle.loads(payload[1:])  # noqa: S301 - written by this process's own child, through a pipe
    except Exception:  # noqa: BLE001 - a truncated result
        return _NO_RESULT


def _reap(pid: int) -> None:
    """Wait for a child that has written its whole result, so it leaves no zombie; stopped where that fails."""
    try:
        _pid, _status, usage = os.wait4(pid, 0)
    except BaseException:
        _stop(pid)
        raise
    _log_child(pid, usage)


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):  # gone and reaped already
        pass


def _log_child(pid: int, usage) -> None:
    logger.info("Child %s done: %.2f s CPU, peak RSS %.0f MB", pid, usage.ru_utime + usage.ru_stime,
                usage.ru_maxrss / 1024)


def _failure(exc: BaseException, *, raise_as_is: bool) -> bytes:
    """What the child writes back for an error: b"2" + the pickled exception (raise_as_is, where it pickles and
    unpickles), else b"1" + its class and message."""
    if raise_as_is:
        try:
            pickled = pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.loads(pickled)  # noqa: S301 - the exception just pickled here
        except Exception:  # noqa: BLE001, S110 - not every exception pickles: then as text
            pass
        else:
            return b"2" + pickled
    return b"1" + f"{exc.__class__.__name__}: {exc}".encode()


# --- rendering in two parts at once ---------------------------------------------------------------

# Where a template writes PART_BREAK, a forked child on a machine of more than one core lays out and writes the
# document as two WeasyPrint documents at once, the second in a process of its own, and joins their PDFs
# (core.pdf_structure.PartsJoin): WeasyPrint lays out on one core, and the layout is most of a report's build
# (docs/benchmarks.md § 31). The second part starts on a new page, so the element after the break must start one
# in the whole document too (`break-before: page`): then both ways give the same pages. What the two documents
# would not know of each other is given to them: the page numbers ("Sida X av Y") by exchanging the parts'
# page counts between the two layouts (`_number_parts_pages`), the running heads by the template writing them in
# the head (not from an element of the first part), the outline by building it from both parts' bookmarks.
PART_BREAK = "<!--pdf-part-->"
_BODY_OPEN = re.compile(r"<body\b[^>]*>")
_SECTION_TAG = re.compile(r"<section\b[^>]*>|</section>")
# A section opened again in the second part has no top margin, border or padding (what a box continued on a new
# page does not repeat), so the second part's first page is the whole document's. Inline, as nothing else wins
# over the document's stylesheet.
_CONTINUED = "margin-top: 0; border-top-width: 0; padding-top: 0"


def renders_in_parts() -> bool:
    """Whether a render here lays out a document with a PART_BREAK as two parts at once: in a forked child (whose
    layout's memory goes with it; the second part is its own child), with more than one core to run them on,
    where settings.PDF_RENDER_IN_PARTS says so."""
    if not (_in_forked_child and getattr(settings, "PDF_RENDER_IN_PARTS", False)):
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores > 1


def split_parts(html: str) -> tuple[str, str] | None:
    """(first, second): the document up to its PART_BREAK, and the document's head with the rest; None without
    a break. Sections open at the break are opened again in the second part (an HTML parser closes what is open
    at the end of the first)."""
    at = html.find(PART_BREAK)
    body = _BODY_OPEN.search(html)
    if at < 0 or body is None or body.end() > at:
        return None
    opened = []
    for tag in _SECTION_TAG.finditer(html, body.end(), at):
        if tag.group().startswith("</"):
            if opened:
                opened.pop()
        else:
            opened.append(_continued(tag.group()))
    return html[:at], html[:body.end()] + "".join(opened) + html[at + len(PART_BREAK):]


def _continued(tag: str) -> str:
    if ' style="' in tag:
        return tag.replace(' style="', f' style="{_CONTINUED}; ', 1)
    return tag.replace("<section", f'<section style="{_CONTINUED}"', 1)


def _number_parts_pages() -> None:
    """Page numbers across parts: WeasyPrint makes the margin boxes (where "Sida X av Y" is) after it has laid
    out all pages of a document; a part being laid out (`_thread_state.part_numbering` set) asks there, once,
    for its first page's offset and the whole document's page count, given its own count. WeasyPrint keeps the
    counters of each page in the page's state; the margin boxes are made from a copy of it with those two
    counters changed. Elsewhere the margin boxes are made as WeasyPrint makes them."""
    from weasyprint import layout  # noqa: PLC0415 - by the first render

    original = layout.make_margin_boxes
    if getattr(original, "numbers_parts", False):
        return

    def make_margin_boxes(context, page, state):
        numbering = getattr(_thread_state, "part_numbering", None)
        if numbering is not None:
            counters = state[1]
            offset, total = numbering(counters["pages"][0])
            state = (state[0], {**counters, "page": [counters["page"][0] + offset], "pages": [total]}, *state[2:])
        return original(context, page, state)

    make_margin_boxes.numbers_parts = True
    layout.make_margin_boxes = make_margin_boxes


class _PartNumbering:
    """A part's page numbers: at its first call, this part's page count is written to the other part and the
    other's is read (both write first, so neither waits for the other to read); (offset of this part's first
    page, pages in all) from then on."""

    def __init__(self, *, first: bool, send: int, receive: int):
        self.first, self.send, self.receive = first, send, receive
        self.numbers = None

    def __call__(self, own: int) -> tuple[int, int]:
        if self.numbers is None:
            with contextlib.suppress(BrokenPipeError):  # the other part has ended: what it wrote back says why
                os.write(self.send, b"C" + own.to_bytes(4, "big"))
            other = _read_count(self.receive)
            self.numbers = (0, own + other) if self.first else (other, other + own)
        return self.numbers


def _read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _read_count(fd: int) -> int:
    """The other part's page count, or the other part's error raised here."""
    head = _read_exactly(fd, 5)
    if len(head) == 5 and head[:1] == b"C":
        return int.from_bytes(head[1:], "big")
    rest = head[1:] + _read_all(fd) if head[:1] == b"1" else b""
    raise RuntimeError(f"The other part of the PDF failed: {rest.decode(errors='replace') or 'no page count'}")


def _read_all(fd: int) -> bytes:
    with os.fdopen(fd, "rb", closefd=False) as source:
        return source.read()


def _page_marks(document) -> list[tuple[float, list]]:
    """(height, bookmarks) of each laid-out page: what its part of the outline is built from."""
    return [(page.height, page.bookmarks) for page in document.pages]


def _outline(marks: list[tuple[float, list]]) -> list:
    """The outline of pages with these bookmarks, as WeasyPrint builds it for one document
    (Document.make_bookmark_tree with the PDF's scale and page transform)."""
    from types import SimpleNamespace  # noqa: PLC0415

    from weasyprint.anchors import make_page_bookmark_tree  # noqa: PLC0415 - by the first render
    from weasyprint.matrix import Matrix  # noqa: PLC0415

    scale = 0.75  # CSS px to PDF points, at zoom 1 (weasyprint.pdf.generate_pdf)
    root, skipped_levels, last_by_depth, previous_level = [], [], [], 0
    last_by_depth.append(root)
    for number, (height, bookmarks) in enumerate(marks):
        previous_level = make_page_bookmark_tree(
            SimpleNamespace(bookmarks=bookmarks), skipped_levels, last_by_depth, previous_level, number,
            Matrix(a=scale, d=-scale, f=height * scale))
    return root


def _render_in_parts(first_html: str, second_html: str) -> bytes:
    """The PDF of the two parts of a document (`split_parts`), the second laid out and written in a child of this
    process while this one does the first, joined here."""
    from core.pdf_structure import PartsJoin  # noqa: PLC0415 - pikepdf, imported by the caller

    to_second_read, to_second_write = os.pipe()
    to_first_read, to_first_write = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            _die_with_parent(parent)
            if _result_fd is not None:  # else its exit (the kernel freeing its memory) would hold back the result
                os.close(_result_fd)
            os.close(to_second_write)
            os.close(to_first_read)
            _thread_state.part_numbering = _PartNumbering(first=False, send=to_first_write, receive=to_second_read)
            try:
                document = _laid_out(second_html)
                payload = b"0" + pickle.dumps((document.write_pdf(**PDF_OPTIONS), _page_marks(document)),
                                              protocol=pickle.HIGHEST_PROTOCOL)
                status = 0
            except BaseException as exc:  # noqa: BLE001 - every failure goes to the first part
                payload = b"1" + f"{exc.__class__.__name__}: {exc}".encode()
            with os.fdopen(to_first_write, "wb") as out:
                out.write(payload)
        finally:
            os._exit(status)
    os.close(to_second_read)
    os.close(to_first_write)
    try:
        _thread_state.part_numbering = _PartNumbering(first=True, send=to_second_write, receive=to_first_read)
        try:
            document = _laid_out(first_html)
        finally:
            _thread_state.part_numbering = None
        marks = _page_marks(document)
        joining = PartsJoin(document.write_pdf(**PDF_OPTIONS))  # while the second part is still laid out
        try:
            payload = _read_all(to_first_read)
            if payload[:1] != b"0":
                message = payload[1:].decode(errors="replace") or "no result"
                raise RuntimeError(f"The second part of the PDF failed: {message}")
            second_pdf, second_marks = pickle.loads(payload[1:])  # noqa: S301 - this process's own child, a pipe
        except BaseException:
            joining.close()
            raise
    except BaseException:
        _stop(pid)
        raise
    finally:
        os.close(to_second_write)
        os.close(to_first_read)
    _parts_to_reap.append(pid)
    return joining.join(second_pdf, _outline(marks + second_marks))


def _reap_parts() -> None:
    """Wait for the second parts' processes (done, exiting) of this child, so none is left a zombie."""
    while _parts_to_reap:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(_parts_to_reap.pop(), 0)
