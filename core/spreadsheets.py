"""Helpers shared by every CSV/XLSX export."""

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Neutralise spreadsheet formula injection: a text cell that Excel would run as a formula is
    prefixed with an apostrophe. Numbers, dates and None pass through unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value
