"""The English translation is complete and compiled: every string marked for translation in the code and the
templates is in locale/en's .po, none is empty or fuzzy there, and the committed .mo says the same as the .po.

Pure Python (no gettext on the CI machine): the .po is parsed here, the .mo read with the standard library.
The code is read with `ast` (calls of `_`, `gettext`, `gettext_lazy`, `ngettext`, … with literal arguments);
templates by their `{% translate "…" %}` tags. `{% blocktranslate %}` blocks are not re-extracted here (their
msgid depends on the placeholders and `trimmed`); they are covered by the .po check once makemessages ran."""

import ast
import gettext
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
APPS = ["config", "core", "organisations", "placements", "participants", "reporting", "demo", "templates"]
SINGULAR = {"_", "_lazy", "gettext", "gettext_lazy", "gettext_noop"}
PLURAL = {"ngettext", "ngettext_lazy"}
CONTEXT = {"pgettext", "pgettext_lazy"}
TRANSLATE_TAG = re.compile(r"""\{%\s*(?:translate|trans)\s+(?P<q>["'])(?P<text>.*?)(?P=q)(?:\s+context\s+(?P<cq>["'])"""
                           r"""(?P<context>.*?)(?P=cq))?[\s%]""")


def _unquote(line: str) -> str:
    return ast.literal_eval(line)


def _po_entries() -> list[dict]:
    """Entries of the .po (the header and obsolete `#~` entries left out), each with msgctxt, msgid,
    msgid_plural, the msgstr forms and whether it is marked fuzzy."""
    entries, entry, field = [], None, None
    for raw in [*PO.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line or line.startswith("#~"):
            if entry is not None and "msgid" in entry:
                entries.append(entry)
            entry, field = None, None
            continue
        if entry is None:
            entry = {"fuzzy": False, "msgstr": {}}
        if line.startswith("#,") and "fuzzy" in line:
            entry["fuzzy"] = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if isinstance(field, int):
                entry["msgstr"][field] += _unquote(line)
            else:
                entry[field] += _unquote(line)
        else:
            keyword, _space, value = line.partition(" ")
            plural_form = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if plural_form:
                field = int(plural_form.group(1))
                entry["msgstr"][field] = _unquote(value)
            elif keyword == "msgstr":
                field = 0
                entry["msgstr"][0] = _unquote(value)
            else:
                field = keyword
                entry[field] = _unquote(value)
    return [e for e in entries if e["msgid"]]


def _key(entry: dict) -> tuple:
    return entry.get("msgctxt"), entry["msgid"]


def _code_files() -> list[Path]:
    """The apps' Python modules, their tests and migrations left out."""
    return [path for app in APPS for path in (ROOT / app).rglob("*.py")
            if "tests" not in path.parts and "migrations" not in path.parts]


def _marked_in_python() -> set[tuple]:
    found = set()
    for path in _code_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            literals = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
                        for a in node.args]
            if name in SINGULAR | PLURAL and literals[0]:
                found.add((None, literals[0]))
            elif name in CONTEXT and len(literals) > 1 and literals[0] and literals[1]:
                found.add((literals[0], literals[1]))
    return found


def _marked_in_templates() -> set[tuple]:
    found = set()
    for path in (p for app in APPS for p in (ROOT / app).rglob("*") if p.suffix in {".html", ".txt"}):
        for match in TRANSLATE_TAG.finditer(path.read_text(encoding="utf-8")):
            found.add((match.group("context"), match.group("text")))
    return found


def test_every_marked_string_is_in_the_english_po():
    known = {_key(e) for e in _po_entries()}
    missing = sorted((_marked_in_python() | _marked_in_templates()) - known, key=str)
    assert not missing, ("Not in locale/en (run makemessages -l en, see README 'Languages'): "
                         f"{missing[:20]}{' …' if len(missing) > 20 else ''}")


def test_no_english_translation_is_empty_or_fuzzy():
    entries = _po_entries()
    assert len(entries) > 1000  # the parser read the file, not an empty list
    untranslated = [e["msgid"] for e in entries if e["fuzzy"] or not all(e["msgstr"].values())]
    assert not untranslated, f"{len(untranslated)} empty or fuzzy in locale/en: {untranslated[:20]}"


def test_the_committed_mo_matches_the_po():
    with MO.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    stale = []
    for e in _po_entries():
        if e["fuzzy"] or not all(e["msgstr"].values()):
            continue
        if "msgid_plural" in e:
            got = [catalog.npgettext(e["msgctxt"], e["msgid"], e["msgid_plural"], n) if "msgctxt" in e
                   else catalog.ngettext(e["msgid"], e["msgid_plural"], n) for n in (1, 2)]
            expected = [e["msgstr"][0], e["msgstr"][1]]
        else:
            got = [catalog.pgettext(e["msgctxt"], e["msgid"]) if "msgctxt" in e else catalog.gettext(e["msgid"])]
            expected = [e["msgstr"][0]]
        if got != expected:
            stale.append(e["msgid"])
    assert not stale, f"django.mo is older than django.po (run compilemessages -l en): {stale[:10]}"


EAGER = {"gettext", "ngettext", "pgettext", "npgettext"}


def _translated_at_import(tree: ast.Module) -> list[int]:
    """Lines where a name imported from django.utils.translation as an eager gettext is called outside any
    function: at import, in the language active then (Swedish), whatever the request's."""
    eager = {alias.asname or alias.name for node in ast.walk(tree)
             if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
             for alias in node.names if alias.name in EAGER}
    found = []

    def visit(node):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in eager:
            found.append(node.lineno)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            # The body runs when called; the decorators and default values when the module is imported.
            at_import = [*getattr(node, "decorator_list", []), *node.args.defaults,
                         *(default for default in node.args.kw_defaults if default is not None)]
        else:
            at_import = list(ast.iter_child_nodes(node))
        for child in at_import:
            visit(child)

    visit(tree)
    return sorted(found)


def test_no_text_is_translated_when_its_module_is_imported():
    """Module constants and class bodies (choices' labels, page titles in a dict) take gettext_lazy: an eager
    gettext there is the Swedish text on every English page."""
    found = []
    for path in _code_files():
        found += [f"{path.relative_to(ROOT)}:{line}"
                  for line in _translated_at_import(ast.parse(path.read_text(encoding="utf-8")))]
    assert found == []


def test_the_check_finds_a_module_constant_and_a_class_body_but_not_a_function():
    tree = ast.parse("from django.utils.translation import gettext as _\n"
                     "TITLE = _('Rubrik')\n"
                     "class Kind:\n    A = 'a', _('A')\n"
                     "def view():\n    return _('Sparad')\n"
                     "@decorated(_('Vald'))\ndef other(label=_('Etikett')):\n    return label\n")
    assert _translated_at_import(tree) == [2, 4, 7, 8]

