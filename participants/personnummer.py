"""Swedish personal identity numbers (personnummer and samordningsnummer): parse, check, mask.

Accepted input: YYYYMMDD-XXXX, YYYYMMDDXXXX, YYMMDD-XXXX, YYMMDDXXXX and YYMMDD+XXXX (100 years or
older). Stored normalised as 12 digits. The last digit is the Luhn check digit over the 10-digit form.
"""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

_PATTERN = re.compile(r"^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{3})(\d)$")


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def normalise(value: str, *, today: dt.date | None = None) -> str:
    """Return the 12-digit form, or raise ValidationError with a Swedish message."""
    raw = (value or "").strip().replace(" ", "")
    match = _PATTERN.match(raw)
    if not match:
        raise ValidationError(
            _("Ange personnumret som ÅÅÅÅMMDD-XXXX eller ÅÅMMDD-XXXX."), code="format"
        )
    century, yy, mm, dd, sep, serial, check = match.groups()
    today = today or timezone.localdate()
    if century is None:
        year = (today.year // 100) * 100 + int(yy)
        if year > today.year:
            year -= 100
        if sep == "+":
            year -= 100
    else:
        year = int(century + yy)
    day = int(dd)
    if day > 60:  # samordningsnummer: day + 60
        day -= 60
    try:
        dt.date(year, int(mm), day)
    except ValueError:
        raise ValidationError(_("Personnumret innehåller inget giltigt datum."), code="date") from None
    ten = f"{yy}{mm}{dd}{serial}{check}"
    if not luhn_ok(ten):
        raise ValidationError(_("Kontrollsiffran stämmer inte. Kontrollera personnumret."), code="luhn")
    return f"{year:04d}{mm}{dd}{serial}{check}"


def birth_year(normalised: str) -> int:
    return int(normalised[:4])


def formatted(normalised: str) -> str:
    return f"{normalised[:8]}-{normalised[8:]}" if len(normalised) == 12 else normalised


def masked(normalised: str) -> str:
    """Birth date visible, the last four digits hidden."""
    return f"{normalised[:8]}-****" if len(normalised) == 12 else "****"
