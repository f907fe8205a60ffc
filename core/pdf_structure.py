"""Repairs of WeasyPrint's structure tree (tagged PDF) that HTML cannot ask for.

WeasyPrint builds the structure tree page by page, so a table that continues on the next page becomes
two /Table elements, the second without its caption; it writes /ID on header cells but no /IDTree, and
it does not keep `scope` as /Scope. `repair_structure(pdf_bytes)` fixes the three with pikepdf:

- a /Table without a /Caption that is the first table of its page, right after the last table of the
  previous page, is that table's continuation: its children move into the table before it (every report
  table has a caption, which reporting's tests check, so a captionless table can only be a continuation);
- every header cell gets /Scope: /Row when a data cell of its own row names it in /Headers (WeasyPrint
  lists a cell's row headers only for th scope="row"), /Column otherwise;
- the structure tree root gets an /IDTree of every element's /ID.
"""

import io

import pikepdf
from pikepdf import Array, Dictionary, Name


def _kids(node) -> list:
    kids = node.get("/K")
    if kids is None:
        return []
    if isinstance(kids, Array):
        return list(kids)
    return [kids]


def _is_element(node) -> bool:
    return isinstance(node, Dictionary) and "/S" in node


def _walk(node, found: list) -> None:
    for kid in _kids(node):
        if _is_element(kid):
            found.append(kid)
            _walk(kid, found)


def _page_index(pdf: pikepdf.Pdf, element) -> int | None:
    page = element.get("/Pg")
    if page is None:
        return None
    for index, candidate in enumerate(pdf.pages):
        if candidate.obj.objgen == page.objgen:
            return index
    return None


def _merge_continued_tables(pdf: pikepdf.Pdf, elements: list) -> int:
    tables = [e for e in elements if Name.Table == e.S]
    pages = {e.objgen: _page_index(pdf, e) for e in tables}
    merged = 0
    target = None
    for index, table in enumerate(tables):
        has_caption = any(_is_element(kid) and Name.Caption == kid.S for kid in _kids(table))
        page = pages[table.objgen]
        previous = tables[index - 1] if index else None
        first_on_page = previous is None or pages[previous.objgen] != page
        continues = (
            not has_caption and previous is not None and first_on_page and page is not None
            and pages[previous.objgen] == page - 1
        )
        if not continues:
            target = table
            continue
        for kid in _kids(table):
            if _is_element(kid):
                kid.P = target
            target.K.append(kid)
        parent = table.P
        parent.K = Array([kid for kid in _kids(parent) if not (_is_element(kid) and kid.objgen == table.objgen)])
        table.K = Array()
        merged += 1
    return merged


def _set_scopes(elements: list) -> None:
    for row in (e for e in elements if e.S == Name.TR):
        cells = [kid for kid in _kids(row) if _is_element(kid)]
        named = set()
        for cell in cells:
            if cell.S == Name.TD and "/A" in cell and "/Headers" in cell.A:
                named.update(str(header) for header in cell.A.Headers)
        for cell in cells:
            if cell.S != Name.TH:
                continue
            if "/A" not in cell:
                cell.A = Dictionary(O=Name.Table)
            scope = Name.Row if "/ID" in cell and str(cell.ID) in named else Name.Column
            cell.A.Scope = scope


def _add_id_tree(pdf: pikepdf.Pdf, elements: list) -> None:
    ids = sorted((str(e.ID), e) for e in elements if "/ID" in e)
    if not ids:
        return
    names = Array()
    for key, element in ids:
        names.append(pikepdf.String(key))
        names.append(element)
    pdf.Root.StructTreeRoot.IDTree = pdf.make_indirect(Dictionary(Names=names))


def repair_structure(data: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root.get("/StructTreeRoot")
        if root is None:
            return data
        elements: list = []
        _walk(root, elements)
        _merge_continued_tables(pdf, elements)
        _set_scopes(elements)
        _add_id_tree(pdf, elements)
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()
