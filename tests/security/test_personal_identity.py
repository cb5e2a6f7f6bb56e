"""Personnummer and samordningsnummer validation, with Skatteverket's test numbers."""

from __future__ import annotations

from datetime import date

import pytest

from riv_scheduling.contract.personal_identity import (
    PERSONNUMMER_ROOT as PNR,
)
from riv_scheduling.contract.personal_identity import (
    SAMORDNINGSNUMMER_ROOT as SNR,
)
from riv_scheduling.contract.personal_identity import (
    InvalidPersonalIdentity,
    is_valid,
    luhn_check_digit,
    parse,
    problem,
    validate,
)

TODAY = date(2026, 5, 9)

# 191212121212 is Skatteverket's well-known test number ("Tolvan Tolvansson"); the others are
# test-style numbers whose check digit was verified with luhn_check_digit (see the test below).
VALID_PERSONNUMMER = ["191212121212", "199001012385", "198112289874", "194107086995"]
VALID_SAMORDNINGSNUMMER = ["197010632391"]


@pytest.mark.parametrize("number", VALID_PERSONNUMMER)
def test_valid_personnummer(number: str) -> None:
    assert problem(PNR, number, TODAY) is None
    identity = parse(PNR, number, TODAY)
    assert identity.kind == "personnummer" and identity.birth_date == date(
        int(number[:4]), int(number[4:6]), int(number[6:8]))


@pytest.mark.parametrize("number", VALID_SAMORDNINGSNUMMER)
def test_valid_samordningsnummer_has_day_plus_60(number: str) -> None:
    identity = parse(SNR, number, TODAY)
    assert identity.is_coordination_number
    assert identity.birth_date == date(1970, 10, 3)


def test_the_check_digit_is_luhn_over_the_last_ten_digits() -> None:
    assert luhn_check_digit("121212121") == 2
    assert luhn_check_digit("701063239") == 1
    for number in VALID_PERSONNUMMER + VALID_SAMORDNINGSNUMMER:
        assert luhn_check_digit(number[2:11]) == int(number[11])


@pytest.mark.parametrize("root, number, says", [
    (PNR, "191212121213", "check digit"),
    (PNR, "19121212121", "12 digits"),
    (PNR, "1912121212123", "12 digits"),
    (PNR, "19121212-1212", "12 digits"),
    (PNR, "1912121212ab", "not all digits"),
    (PNR, "١٩١٢١٢١٢١٢١٢", "not all digits"),  # Arabic-Indic digits are digits to str.isdigit()
    (PNR, "", "12 digits"),
    (PNR, "191213121212", "month"),
    (PNR, "191200121212", "month"),
    (PNR, "191202301212", "not a real date"),
    (PNR, "190002291212", "not a real date"),  # 1900 was no leap year
    (PNR, "191212001212", "not a real date"),
    (PNR, "197010632391", "samordningsnummer"),  # day + 60 under the personnummer root
    (SNR, "191212121212", "61-91"),
    (SNR, "197002902391", "not a real date"),  # 30 February
    (PNR, "209901011234", "future"),
    (PNR, "179901011234", "1800"),
    ("1.2.752.129.2.1.3.2", "191212121212", "unknown root"),
    ("", "191212121212", "unknown root"),
])
def test_invalid_numbers_get_a_clear_reason(root: str, number: str, says: str) -> None:
    reason = problem(root, number, TODAY)
    assert reason is not None and says in reason, reason
    assert not is_valid(root, number, TODAY)
    with pytest.raises(InvalidPersonalIdentity) as caught:
        validate(root, number, TODAY)
    assert caught.value.reason == reason
    if len(number) >= 10:
        assert number not in reason and number[2:] not in reason, "a reason must not repeat the number"


def test_a_date_of_birth_today_is_valid_and_tomorrow_is_not() -> None:
    today = "20260509"
    number = today + "238" + str(luhn_check_digit(today[2:] + "238"))
    assert is_valid(PNR, number, TODAY)
    assert "future" in (problem(PNR, number, date(2026, 5, 8)) or "")


def test_without_today_the_real_date_is_used() -> None:
    assert is_valid(PNR, "191212121212")
