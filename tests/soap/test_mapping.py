"""Wire values -> domain values (soap/mapping.py)."""

from __future__ import annotations

from datetime import date

import pytest

from riv_scheduling.soap.mapping import RequestError, to_date


@pytest.mark.parametrize(("value", "day"), [("20261207", date(2026, 12, 7)), ("20280229", date(2028, 2, 29)),
                                            ("19991231", date(1999, 12, 31))])
def test_a_contract_date_is_read(value: str, day: date) -> None:
    assert to_date(value, "startDateInclusive") == day


@pytest.mark.parametrize("value", ["20260231", "20270229", "2026-12-07", "2026W491", "2026120", "202612071",
                                   "\u0662\u0660\u0662\u0666\u0661\u0662\u0660\u0667", "", " 2026120"])
def test_anything_else_is_a_request_error_naming_the_element(value: str) -> None:
    with pytest.raises(RequestError, match="startDateInclusive is not a valid date"):
        to_date(value, "startDateInclusive")
