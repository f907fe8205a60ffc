"""Change history of any model with django-simple-history: who changed which field from what to what, and why."""

from django.utils.translation import gettext as _

HIDDEN_FIELDS = {"created_at", "updated_at", "id"}


def _display(field, value) -> str:
    if value is None or value == "":
        return "–"
    choices = getattr(field, "choices", None)
    if choices:
        return str(dict(choices).get(value, value))
    if isinstance(value, bool):
        return str(_("ja") if value else _("nej"))
    if isinstance(value, list):  # m2m through rows
        return ", ".join(sorted(str(v) for row in value for k, v in row.items() if not k.endswith("_id"))) or "–"
    return str(value)


def history_entries(obj, *, limit: int = 30, hidden: set[str] = frozenset()) -> list[dict]:
    """Each historical record of `obj` diffed against the one before it, newest first."""
    model = type(obj)
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None and record.history_type == "~":
            for change in record.diff_against(previous, foreign_keys_are_objs=True).changes:
                if change.field in HIDDEN_FIELDS or change.field in hidden:
                    continue
                field = model._meta.get_field(change.field)
                changes.append({"field": field.verbose_name, "old": _display(field, change.old),
                                "new": _display(field, change.new)})
            if not changes:
                continue
        entries.append({
            "when": record.history_date,
            "who": record.history_user,
            "kind": {"+": _("Skapad"), "~": _("Ändrad"), "-": _("Borttagen")}.get(record.history_type, ""),
            "reason": record.history_change_reason or "",
            "changes": changes,
        })
    return entries
