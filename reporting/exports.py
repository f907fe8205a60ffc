"""Figures as files: JSON (the documented key structure) and XLSX (one row per key)."""

import io
import json

from openpyxl import Workbook
from openpyxl.styles import Font

from core.spreadsheets import xlsx_cells


def flatten(node, prefix: str = "") -> list[tuple[str, object]]:
    """[("participants.by_gender.kvinna", 2), ("survey.statements.0.share", 0.5), …]."""
    rows: list[tuple[str, object]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            rows += flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list):
        if not node:
            rows.append((prefix, ""))
        for index, value in enumerate(node):
            rows += flatten(value, f"{prefix}.{index}")
    else:
        rows.append((prefix, node))
    return rows


def figures_json(figures: dict) -> bytes:
    return json.dumps(figures, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")


def figures_xlsx(figures: dict) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Nyckeltal"
    sheet.append(["Nyckel", "Värde"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for key, value in flatten(figures):
        if value is None:
            value = ""
        elif isinstance(value, bool):
            value = "ja" if value else "nej"
        sheet.append(xlsx_cells(sheet, [key, value]))
    sheet.column_dimensions["A"].width = 60
    sheet.column_dimensions["B"].width = 30
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
