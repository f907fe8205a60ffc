import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from participants import personnummer

TODAY = dt.date(2026, 6, 1)


@pytest.mark.parametrize("value, expected", [
    ("19900101-0017", "199001010017"),
    ("199001010017", "199001010017"),
    ("900101-0017", "199001010017"),
    ("9001010017", "199001010017"),
    ("121212-1212", "201212121212"),
    ("19121212+1212", "191212121212"),
    ("121212+1212", "191212121212"),
    ("19900161-0014", "199001610014"),  # samordningsnummer: day + 60
])
def test_valid_numbers_are_normalised_to_twelve_digits(value, expected):
    assert personnummer.normalise(value, today=TODAY) == expected


@pytest.mark.parametrize("value, code", [
    ("19900101-0018", "luhn"),
    ("121212-1213", "luhn"),
    ("19901301-0017", "date"),
    ("1990-01-01", "format"),
    ("abc", "format"),
    ("", "format"),
])
def test_invalid_numbers_are_refused_with_a_reason(value, code):
    with pytest.raises(ValidationError) as excinfo:
        personnummer.normalise(value, today=TODAY)
    assert excinfo.value.code == code


def test_masking_hides_the_last_four_digits():
    assert personnummer.masked("199001010017") == "19900101-****"
    assert personnummer.formatted("199001010017") == "19900101-0017"
