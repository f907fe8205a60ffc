"""One number format for every report output: tables, charts, their text alternatives and the XLSX.

Counts with a thin space as thousands separator ("1 234"), shares as whole Swedish percentages with a
no-break space ("91 %"), suppressed labels ("<5", "..") as they are, missing values as "–".
"""

NBSP = "\u00a0"


def count(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", NBSP)
    if isinstance(value, float):
        return f"{value:,.1f}".replace(",", NBSP).replace(".", ",")
    return str(value)


def percent(value, decimals: int = 0) -> str:
    """A share 0–1 as "67 %"; None → "–"; a label (a hidden share) as it is."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    number = round(float(value) * 100, int(decimals))
    text = f"{number:.{int(decimals)}f}".replace(".", ",")
    return f"{text}{NBSP}%"
