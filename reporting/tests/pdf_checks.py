"""Checks of built report PDFs: structure tree (tables, captions, header scopes) and page layout."""

import io
import re
import shutil
import subprocess

import pikepdf
from pikepdf import Array, Dictionary, Name

# Lines that WeasyPrint prints in the page margins (running title, project, period, page number).
MARGIN_LINES = 3
MIN_BODY_LINES = 6


def _kids(node):
    kids = node.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, Array) else [kids]


def elements(pdf: pikepdf.Pdf) -> list:
    found = []

    def walk(node):
        for kid in _kids(node):
            if isinstance(kid, Dictionary) and "/S" in kid:
                found.append(kid)
                walk(kid)

    walk(pdf.Root.StructTreeRoot)
    return found


def page_number(pdf: pikepdf.Pdf, element) -> int:
    for index, page in enumerate(pdf.pages):
        if page.obj.objgen == element.Pg.objgen:
            return index + 1
    raise AssertionError("element without a page")


def _first(node, tag):
    for kid in _kids(node):
        if isinstance(kid, Dictionary) and "/S" in kid:
            if tag == kid.S:
                return kid
            inner = _first(kid, tag)
            if inner is not None:
                return inner
    return None


def table_problems(data: bytes) -> list[str]:
    """Every /Table must hold its /Caption and rows, the caption on the page of its first row; every /TH a /Scope."""
    problems = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        found = elements(pdf)
        for number, table in enumerate((e for e in found if Name.Table == e.S), start=1):
            caption = _first(table, Name.Caption)
            row = _first(table, Name.TBody)
            row = _first(row, Name.TR) if row is not None else None
            if caption is None:
                problems.append(f"table {number}: no caption in the table element")
            if row is None:
                problems.append(f"table {number}: no body rows in the table element")
            if caption is not None and row is not None and page_number(pdf, caption) != page_number(pdf, row):
                problems.append(f"table {number}: caption on page {page_number(pdf, caption)}, "
                                f"first row on page {page_number(pdf, row)}")
        for cell in (e for e in found if e.S == Name.TH):
            if "/A" not in cell or cell.A.get("/Scope") not in (Name.Row, Name.Column, Name.Both):
                problems.append("a header cell without /Scope")
                break
        if any("/ID" in e for e in found) and "/IDTree" not in pdf.Root.StructTreeRoot:
            problems.append("header cells have /ID but the structure tree has no /IDTree")
    return problems


def page_texts(data: bytes, tmp_path) -> list[str]:
    path = tmp_path / "layout.pdf"
    path.write_bytes(data)
    text = subprocess.run([shutil.which("pdftotext"), "-layout", str(path), "-"], check=True,  # noqa: S603
                          capture_output=True, text=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def sparse_pages(data: bytes, tmp_path, chapter_titles: list[str]) -> list[int]:
    """Pages (1-based, cover excluded) with fewer than MIN_BODY_LINES lines of body text that are not the
    last page of a chapter (the next page starts with one of `chapter_titles`) nor the last page."""
    pages = page_texts(data, tmp_path)
    sparse = []
    for index, text in enumerate(pages[1:-1], start=2):
        lines = [line for line in text.splitlines() if line.strip()]
        body = len(lines) - MARGIN_LINES
        following = [line.strip() for line in pages[index].splitlines() if line.strip()]
        next_starts_chapter = any(title in " ".join(following[1:3]) for title in chapter_titles)
        if body < MIN_BODY_LINES and not next_starts_chapter:
            sparse.append(index)
    return sparse


# print.css: A4 (595.3 pt wide) with an 18 mm (51.0 pt) right margin; half a point for rounding.
PAGE_TEXT_RIGHT_EDGE_PT = 595.3 - 51.0 + 0.5
BBOX_WORD = re.compile(r'<word xMin="[^"]+" yMin="[^"]+" xMax="([^"]+)" yMax="[^"]+">([^<]*)</word>')


def words_past_the_right_margin(data: bytes, tmp_path) -> list[tuple[int, str]]:
    """(page, word) of every word that ends right of the text area (a table wider than the page)."""
    path = tmp_path / "bbox.pdf"
    path.write_bytes(data)
    html = subprocess.run([shutil.which("pdftotext"), "-bbox", str(path), "-"], check=True,  # noqa: S603
                          capture_output=True, text=True).stdout
    found = []
    for number, page in enumerate(html.split("<page ")[1:], start=1):
        for x_max, word in re.findall(BBOX_WORD, page):
            if float(x_max) > PAGE_TEXT_RIGHT_EDGE_PT:
                found.append((number, word))
    return found
