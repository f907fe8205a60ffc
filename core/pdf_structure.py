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
import re

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


# --- one PDF of two parts ----------------------------------------------------------------------------------------

SECOND_PART_ID_PREFIX = "2-"


def _flat_tree(tree, key: str) -> Array:
    """The entries of a number or name tree WeasyPrint writes flat (one /Nums or /Names array)."""
    if "/Kids" in tree:
        raise ValueError("A PDF part with a nested number or name tree")
    return tree.get(key, Array())


def _rename_ids(elements: list, prefix: str) -> None:
    """Every /ID of these elements and every /Headers entry naming one, prefixed: WeasyPrint numbers a header
    cell's ID after its table's object, which the other part may have used too."""
    for element in elements:
        if "/ID" in element:
            element.ID = pikepdf.String(prefix + str(element.ID))
        attributes = element.get("/A")
        for attribute in (list(attributes) if isinstance(attributes, Array) else [attributes]):
            if isinstance(attribute, Dictionary) and "/Headers" in attribute:
                attribute.Headers = Array([pikepdf.String(prefix + str(header)) for header in attribute.Headers])


_SUBSET_NAME = re.compile(r"([A-Z]{6})\+(.*)")
_FONT_NAME_KEYS = {Name.Font: "/BaseFont", Name.FontDescriptor: "/FontName"}


def _subset_names(pdf: pikepdf.Pdf):
    """(object, key, tag, rest) of each font subset's name ("ABCDEF+Font-Name") in `pdf`."""
    for obj in pdf.objects:
        if isinstance(obj, Dictionary) and obj.get("/Type") in _FONT_NAME_KEYS:
            key = _FONT_NAME_KEYS[obj.Type]
            found = _SUBSET_NAME.fullmatch(str(obj.get(key, ""))[1:])
            if found:
                yield obj, key, found.group(1), found.group(2)


def _retag_subsets(taken: set[str], other: pikepdf.Pdf) -> None:
    """`other`'s font subsets renamed where a subset of that name is `taken`: WeasyPrint names a subset after its
    font, and different subsets in one PDF must have different tags (ISO 32000-1, 9.6.4)."""
    renamed: dict[str, str] = {}
    for obj, key, tag, rest in list(_subset_names(other)):
        if tag not in taken and tag not in renamed:
            continue
        if tag not in renamed:
            shift = 1
            while (new := "".join(chr((ord(c) - 65 + shift) % 26 + 65) for c in tag)) in taken:
                shift += 1
            renamed[tag] = new
            taken.add(new)
        obj[key] = Name(f"/{renamed[tag]}+{rest}")


def _append_part(pdf: pikepdf.Pdf, other: pikepdf.Pdf) -> list:
    """`other`'s pages after `pdf`'s, its structure elements after `pdf`'s in the one /Document element, its
    marked content's parents and its named destinations in `pdf`'s trees; the copied elements, in tree order."""
    root, other_root = pdf.Root.StructTreeRoot, other.Root.StructTreeRoot
    parents = _flat_tree(root.ParentTree, "/Nums")
    key_offset = max((int(parents[i]) for i in range(0, len(parents), 2)), default=-1) + 1
    for page in other.pages:
        if "/StructParents" in page.obj:
            page.obj.StructParents = int(page.obj.StructParents) + key_offset
        for annotation in page.obj.get("/Annots", Array()):
            if "/StructParent" in annotation:
                annotation.StructParent = int(annotation.StructParent) + key_offset
    pdf.pages.extend(other.pages)  # copied with what they use; later copies from `other` point at these pages

    (document,), (other_document,) = _kids(root), _kids(other_root)
    # Copied with everything it reaches; the copy of the other /Document itself is left unused, its place taken
    # by this one.
    copied_document = pdf.copy_foreign(other_document)
    copied_elements: list = []
    for kid in _kids(copied_document):
        if _is_element(kid):
            kid.P = document
            copied_elements.append(kid)
            _walk(kid, copied_elements)
        document.K.append(kid)

    def this_document(parent):
        return document if isinstance(parent, Dictionary) and parent.objgen == copied_document.objgen else parent

    other_parents = _flat_tree(other_root.ParentTree, "/Nums")
    for i in range(0, len(other_parents), 2):
        entry = other_parents[i + 1]  # a page's array of its marked contents' parents, or an annotation's parent
        parents.append(int(other_parents[i]) + key_offset)
        copied = _copied(pdf, entry)
        parents.append(Array([this_document(parent) for parent in copied])
                       if isinstance(copied, Array) else this_document(copied))
    root.ParentTree.Nums = parents
    _merge_destinations(pdf, other)
    return copied_elements


def _merge_destinations(pdf: pikepdf.Pdf, other: pikepdf.Pdf) -> None:
    """`other`'s named destinations (its pages already copied) in `pdf`'s name tree, kept sorted by name."""
    other_names = other.Root.get("/Names")
    if other_names is None or "/Dests" not in other_names:
        return
    names = pdf.Root.Names.Dests if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names else None
    entries = _pairs(_flat_tree(names, "/Names")) if names is not None else []
    entries += [(name, _copied(pdf, dest)) for name, dest in _pairs(_flat_tree(other_names.Dests, "/Names"))]
    flat = Array()
    for name, dest in sorted(entries, key=lambda entry: entry[0]):
        flat.append(pikepdf.String(name))
        flat.append(dest)
    if names is None:
        pdf.Root.Names = pdf.make_indirect(Dictionary(Dests=pdf.make_indirect(Dictionary(Names=flat))))
    else:
        names.Names = flat


def _copied(pdf: pikepdf.Pdf, obj):
    """`obj` of another PDF in `pdf`: an indirect object copied (once; its references to pages already copied
    point at the copies), a direct array or dictionary made anew of copies."""
    if isinstance(obj, (Array, Dictionary)) and obj.is_indirect:
        return pdf.copy_foreign(obj)
    if isinstance(obj, Array):
        return Array([_copied(pdf, item) for item in obj])
    if isinstance(obj, Dictionary):
        return Dictionary({key: _copied(pdf, value) for key, value in obj.items()})
    return obj


def _pairs(flat: Array) -> list:
    return [(str(flat[i]), flat[i + 1]) for i in range(0, len(flat), 2)]


def _write_outline(pdf: pikepdf.Pdf, outline: list) -> None:
    """The document outline from (title, (page index, x, y), children, state) subtrees, written as WeasyPrint
    writes it (weasyprint.pdf.anchors.add_outlines)."""

    def add(subtrees, parent):
        items, count = [], len(subtrees)
        for title, (page, x, y), children, state in subtrees:
            item = pdf.make_indirect(Dictionary(
                Title=pikepdf.String(title), Dest=Array([pdf.pages[page].obj, Name.XYZ, x, y, 0])))
            kids, kids_count = add(children, item)
            item.Count = -kids_count if state == "closed" else kids_count
            if state != "closed":
                count += kids_count
            if items:
                item.Prev = items[-1]
                items[-1].Next = item
            if kids:
                item.First, item.Last = kids[0], kids[-1]
            if parent is not None:
                item.Parent = parent
            items.append(item)
        return items, count

    if "/Outlines" in pdf.Root:
        del pdf.Root["/Outlines"]
    items, count = add(outline, None)
    if items:
        outlines = pdf.make_indirect(Dictionary(Count=count, First=items[0], Last=items[-1]))
        for item in items:
            item.Parent = outlines
        pdf.Root.Outlines = outlines


class PartsJoin:
    """One PDF of two WeasyPrint PDFs of a document's parts (core.pdf.split_parts): the second's pages after the
    first's, one structure tree, one outline (built for the whole document), repaired as `repair_structure`
    repairs one PDF. The first part's catalogue (language, metadata, viewer preferences) is the document's.

    Made with the first part, which is opened and repaired by itself (its continued tables, its header cells'
    scopes) while the second part may still be laid out; `join` adds the second and writes the PDF. A part's
    tables continue on its own pages only: the second part starts on a new page with a heading."""

    def __init__(self, first: bytes):
        self._pdf = pikepdf.open(io.BytesIO(first))
        self._elements: list = []
        _walk(self._pdf.Root.StructTreeRoot, self._elements)
        _merge_continued_tables(self._pdf, self._elements)
        _set_scopes(self._elements)
        self._subset_tags = {tag for _obj, _key, tag, _rest in _subset_names(self._pdf)}

    def join(self, second: bytes, outline: list) -> bytes:
        """The PDF of both parts; `outline` as (title, (page index, x, y), children, state) subtrees."""
        with self._pdf as pdf, pikepdf.open(io.BytesIO(second)) as other:
            other_elements: list = []
            _walk(other.Root.StructTreeRoot, other_elements)
            _merge_continued_tables(other, other_elements)
            _set_scopes(other_elements)
            _rename_ids(other_elements, SECOND_PART_ID_PREFIX)
            _retag_subsets(self._subset_tags, other)
            _add_id_tree(pdf, self._elements + _append_part(pdf, other))
            _write_outline(pdf, outline)
            out = io.BytesIO()
            # The objects copied from the second part were in none of the first's object streams: packed anew.
            pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
            return out.getvalue()

    def close(self) -> None:
        self._pdf.close()
