"""A report laid out as two parts at once (core.pdf.split_parts, _render_in_parts, core.pdf_structure.PartsJoin):
the monthly and the final report's PDFs in two parts are the PDFs laid out whole, page for page, and every way
a part can fail ends in an error and no process left behind."""

import io
import os
import shutil
import subprocess
import time

import pikepdf
import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core import pdf
from reporting import selectors, services
from reporting.documents import final_context, monthly_context
from reporting.templatetags.reporting_tags import css_string

from .conftest import MARCH
from .pdf_checks import elements, table_problems
from .test_pdf_child import _process_gone

pytestmark = pytest.mark.django_db


def _final_html(project) -> str:
    with translation.override("sv"), timezone.override(services.STOCKHOLM):
        figures = selectors.final_figures(project, *MARCH)
        return pdf.render_html(services.PDF_TEMPLATES["final"], final_context(figures, {}))


def _monthly_html(project) -> str:
    with translation.override("sv"), timezone.override(services.STOCKHOLM):
        figures = selectors.monthly_report_figures(project, *MARCH)
        return pdf.render_html(services.PDF_TEMPLATES["monthly"], monthly_context(figures, suppress=True, pdf=True))


@pytest.fixture
def in_parts(settings, monkeypatch):
    """Renders in a forked child take the two-part path, on any machine (the check of the cores passes)."""
    settings.PDF_RENDER_IN_PARTS = True
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})


def _in_a_child(html: str) -> bytes:
    return pdf.run_in_child(lambda: pdf._render(html))


# --- where the document breaks ---------------------------------------------------------------------


def test_a_document_without_a_break_or_with_it_outside_the_body_is_not_split():
    assert pdf.split_parts("<html><head></head><body><p>x</p></body></html>") is None
    assert pdf.split_parts(f"<html><head>{pdf.PART_BREAK}</head><body><p>x</p></body></html>") is None


def test_the_second_part_has_the_head_and_opens_again_the_sections_open_at_the_break():
    html = ('<!DOCTYPE html><html><head><title>T</title><style>h2 {}</style></head><body class="b">'
            '<section class="cover"><h1>T</h1></section>'
            '<section class="chapter" id="a"><h2>A</h2><section class="inner"><p>i</p></section>'
            f'<section class="inner" style="color: red"><p>before</p>{pdf.PART_BREAK}<h3>after</h3></section>'
            '</section><section class="chapter"><h2>B</h2></section></body></html>')
    first, second = pdf.split_parts(html)
    assert first == html[:html.index(pdf.PART_BREAK)]
    assert second == (
        '<!DOCTYPE html><html><head><title>T</title><style>h2 {}</style></head><body class="b">'
        '<section style="margin-top: 0; border-top-width: 0; padding-top: 0" class="chapter" id="a">'
        '<section class="inner" style="margin-top: 0; border-top-width: 0; padding-top: 0; color: red">'
        '<h3>after</h3></section></section><section class="chapter"><h2>B</h2></section></body></html>')


def test_the_final_reports_pdf_breaks_once_before_the_results_per_host_and_its_preview_not(report_project, march_data):
    html = _final_html(report_project)
    assert html.count(pdf.PART_BREAK) == 1
    _first, second = pdf.split_parts(html)
    body = second.split("<body>", 1)[1]
    assert body.startswith('<section style="margin-top: 0; border-top-width: 0; padding-top: 0" class="chapter '
                           'continue" aria-labelledby="final-resultat"><h3 class="starts-page">Vilka platser leder '
                           'till arbete eller studier</h3>')
    with translation.override("sv"):
        preview = render_to_string("reporting/_final_body.html", {
            **final_context(selectors.final_figures(report_project, *MARCH), {}), "pdf": False})
    assert "Vilka platser leder till arbete eller studier" in preview and pdf.PART_BREAK not in preview


def test_the_monthly_reports_pdf_breaks_once_between_two_chapters_and_its_preview_not(report_project, march_data):
    html = _monthly_html(report_project)
    assert html.count(pdf.PART_BREAK) == 1
    _first, second = pdf.split_parts(html)
    assert second.split("<body>", 1)[1].lstrip().startswith(
        '<section class="chapter" aria-labelledby="m-referrals">\n  <h2 id="m-referrals">Anvisningar och väntelista')
    with translation.override("sv"), timezone.override(services.STOCKHOLM):
        preview = render_to_string("reporting/_monthly_body.html", {
            **monthly_context(selectors.monthly_report_figures(report_project, *MARCH), suppress=True), "pdf": False})
    assert "Anvisningar och väntelista" in preview and pdf.PART_BREAK not in preview


def test_only_a_forked_child_with_more_than_one_core_renders_in_parts(settings, monkeypatch):
    settings.PDF_RENDER_IN_PARTS = True
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert not pdf.renders_in_parts()  # this process is no forked child
    monkeypatch.setattr(pdf, "_in_forked_child", True)
    assert pdf.renders_in_parts()
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert not pdf.renders_in_parts()
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    settings.PDF_RENDER_IN_PARTS = False
    assert not pdf.renders_in_parts()


# --- the same PDF ------------------------------------------------------------------------------------


def _poppler(tool: str, *args) -> str:
    return subprocess.run([shutil.which(tool), *args], check=True, capture_output=True, text=True).stdout  # noqa: S603


def _structure(data: bytes) -> dict:
    """What a reader and an assistive technology get of a PDF, with object numbers and IDs left out."""
    with pikepdf.open(io.BytesIO(data)) as document:
        index = {page.obj.objgen: number for number, page in enumerate(document.pages)}
        found = elements(document)
        root = document.Root.StructTreeRoot

        def outline(items):
            return [(item.title, index[item.destination[0].objgen], round(float(item.destination[2]), 2),
                     round(float(item.destination[3]), 2), outline(item.children)) for item in items]

        with document.open_outline() as tree:
            bookmarks = outline(tree.root)
        dests = document.Root.Names.Dests.Names
        nums = root.ParentTree.Nums
        parents = {int(nums[i]): [str(parent.S) for parent in nums[i + 1]] for i in range(0, len(nums), 2)}
        ids = root.IDTree.Names
        known = [str(ids[i]) for i in range(0, len(ids), 2)]
        headers = [str(header) for e in found if "/A" in e and "/Headers" in e.A for header in e.A.Headers]
        subsets = [str(descriptor.FontName) for descriptor in document.objects  # one per embedded font program
                   if isinstance(descriptor, pikepdf.Dictionary) and descriptor.get("/Type") == "/FontDescriptor"]
        return {
            "pages": len(document.pages),
            "elements": [(str(e.S), index.get(e.Pg.objgen) if "/Pg" in e else None) for e in found],
            "scopes": [str(e.A.Scope) for e in found if e.S == "/TH"],
            "outline": bookmarks,
            "destinations": [(str(dests[i]), index[dests[i + 1][0].objgen], round(float(dests[i + 1][3]), 2))
                             for i in range(0, len(dests), 2)],
            "marked content's parents per page": [parents[int(page.obj.StructParents)] for page in document.pages],
            "ids": len(known), "unique ids": len(set(known)) == len(known),
            "headers named by an id": set(headers) <= set(known),
            "subset names unique": len(set(subsets)) == len(subsets), "font programs": len(subsets),
            "second part's ids": sum(key.startswith("2-") for key in known),
            "language": str(document.Root.Lang), "title": str(document.docinfo.Title),
        }


REPORTS = {
    # kind: (its HTML, what the second part's first page shows, the running head's first words)
    "final": (_final_html, "Vilka platser leder till", ["Slutrapport", "genomförande"]),
    "monthly": (_monthly_html, "Anvisningar och väntelista", ["Månadsrapport", "till", "styrgruppen"]),
}


@pytest.mark.poppler
@pytest.mark.parametrize("kind", REPORTS)
def test_a_report_laid_out_in_two_parts_is_the_report_laid_out_whole(in_parts, report_project, march_data,
                                                                     tmp_path, kind):
    make_html, second_part_shows, head = REPORTS[kind]
    html = make_html(report_project)
    whole, parts = pdf._render(html), _in_a_child(html)

    seen, expected = _structure(parts), _structure(whole)
    # The parts were joined: IDs of the second part, and its own subsets of the fonts.
    assert seen.pop("second part's ids") > 0 and expected.pop("second part's ids") == 0
    assert seen.pop("font programs") > expected.pop("font programs")
    assert seen == expected
    assert seen["unique ids"] and seen["headers named by an id"] and seen["subset names unique"]
    assert table_problems(parts) == []

    for name, data in (("whole", whole), ("parts", parts)):
        (tmp_path / f"{name}.pdf").write_bytes(data)
        subprocess.run([shutil.which("pdftoppm"), "-r", "40", "-png", str(tmp_path / f"{name}.pdf"),  # noqa: S603
                        str(tmp_path / name)], check=True)
    images = sorted(path.name.split("-", 1)[1] for path in tmp_path.glob("whole-*.png"))
    assert len(images) == seen["pages"] >= 3
    for image in images:
        assert (tmp_path / f"whole-{image}").read_bytes() == (tmp_path / f"parts-{image}").read_bytes(), image

    pages = seen["pages"]
    second_starts = next(number for number in range(1, pages + 1)
                         if second_part_shows in _poppler("pdftotext", "-f", str(number), "-l", str(number),
                                                                   "-layout", str(tmp_path / "parts.pdf"), "-"))
    assert 2 < second_starts < pages + 1
    for number in range(2, pages + 1):  # the cover has no running heads
        text = _poppler("pdftotext", "-f", str(number), "-l", str(number), "-layout", str(tmp_path / "parts.pdf"), "-")
        lines = [line.split() for line in text.splitlines() if line.strip()]
        assert lines[0][:len(head)] == head and lines[0][-2:] == ["–", "rapportprojekt"], number
        assert lines[-1][:2] == ["Period", "1"] and lines[-1][-4:] == ["Sida", str(number), "av", str(pages)], number


def test_the_running_heads_show_the_projects_name_whatever_it_holds(report_project, march_data, tmp_path):
    report_project.name = 'Projekt "Ö" </style> \\ ny\nrad; }'
    report_project.save()
    _figures, data = services.build_report(kind="monthly", project=report_project, period_start=MARCH[0],
                                           period_end=MARCH[1])
    (tmp_path / "monthly.pdf").write_bytes(data)
    head = _poppler("pdftotext", "-f", "2", "-l", "2", "-layout", str(tmp_path / "monthly.pdf"), "-").splitlines()[0]
    assert head.split() == ["Månadsrapport", "till", "styrgruppen", "Projekt", '"Ö"', "</style>", "\\", "ny", "rad;",
                            "}"]


def test_a_css_string_escapes_all_but_letters_digits_and_spaces():
    assert css_string('Å 1 "x" </style>\\\n') == '"Å 1 \\22 x\\22  \\3c \\2f style\\3e \\5c \\a "'


# --- failures ------------------------------------------------------------------------------------


def _failing_part(monkeypatch, tmp_path, *, failing: str):
    """`_laid_out` fails in the first or the second part (the second has no cover); each part's pid written."""
    real = pdf._laid_out

    def laid_out(html):
        part = "first" if 'class="cover"' in html else "second"
        (tmp_path / f"{part}.pid").write_text(str(os.getpid()))
        if part == failing:
            if part == "first":
                time.sleep(0.3)  # the second part is laying out, or waiting for the first's page count
            raise ValueError(f"ingen layout i {part} delen")
        return real(html)

    monkeypatch.setattr(pdf, "_laid_out", laid_out)


@pytest.mark.parametrize("failing", ["first", "second"])
def test_a_part_that_fails_fails_the_pdf_and_leaves_no_process(in_parts, report_project, march_data, monkeypatch,
                                                                tmp_path, failing):
    html = _final_html(report_project)
    _failing_part(monkeypatch, tmp_path, failing=failing)
    with pytest.raises(RuntimeError, match=f"ingen layout i {failing} delen"):
        _in_a_child(html)
    for part in ("first", "second"):
        pid = int((tmp_path / f"{part}.pid").read_text())
        deadline = time.monotonic() + 10
        while not _process_gone(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _process_gone(pid), part


def test_a_second_part_that_dies_fails_the_pdf(in_parts, report_project, march_data, monkeypatch):
    html = _final_html(report_project)
    real = pdf._laid_out
    monkeypatch.setattr(pdf, "_laid_out", lambda html: real(html) if 'class="cover"' in html else os._exit(3))
    with pytest.raises(RuntimeError, match="no page count"):
        _in_a_child(html)

