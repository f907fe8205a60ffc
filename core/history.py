"""Change history of any model with django-simple-history: who changed which field from what to what, and why."""

from django.utils.translation import gettext as _

HIDDEN_FIELDS = {"created_at", "updated_at", "id"}


def _display(field, value, owner: str = "") -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, list):  # m2m through rows: the related objects, not the owner's own key
        return ", ".join(sorted(str(v) for row in value for k, v in row.items()
                                if k != owner and not k.endswith("_id"))) or "–"
    choices = getattr(field, "choices", None)
    if choices:
        return str(dict(choices).get(value, value))
    if isinstance(value, bool):
        return str(_("ja") if value else _("nej"))
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
                owner = model._meta.model_name
                changes.append({"field": field.verbose_name, "old": _display(field, change.old, owner),
                                "new": _display(field, change.new, owner)})
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
