"""Swedish personal identity numbers: personnummer and samordningsnummer (pure Python).

On the wire (RIV-TA) a person is ``{root, extension}``: root ``1.2.752.129.2.1.3.1`` for a
personnummer, ``1.2.752.129.2.1.3.3`` for a samordningsnummer, and the extension is 12 digits,
``YYYYMMDDNNNC`` without separator. A valid number has

- a real date of birth (``YYYYMMDD``) that is not in the future; for a samordningsnummer the
  day is the day of birth plus 60 (61-91);
- the Luhn check digit ``C`` over the last ten digits (``YYMMDDNNN``, weights 2,1,2,1,...).

The reasons this module gives never contain the number itself: they can go into logs and
faults.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from .identifiers import PERSONNUMMER_OID as PERSONNUMMER_ROOT
from .identifiers import SAMORDNINGSNUMMER_OID as SAMORDNINGSNUMMER_ROOT

ROOTS = {PERSONNUMMER_ROOT: "personnummer", SAMORDNINGSNUMMER_ROOT: "samordningsnummer"}
COORDINATION_DAY_OFFSET = 60


class InvalidPersonalIdentity(ValueError):
    """A personal identity number that is not valid; ``reason`` says why (without the number)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PersonalIdentity:
    root: str
    extension: str
    birth_date: date

    @property
    def kind(self) -> str:
        return ROOTS[self.root]

    @property
    def is_coordination_number(self) -> bool:
        return self.root == SAMORDNINGSNUMMER_ROOT


def luhn_check_digit(digits: str) -> int:
    """The Luhn check digit for ``digits`` (weights 2,1,2,1,... from the left, as Skatteverket)."""
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def problem(root: str, extension: str, today: date | None = None) -> str | None:
    """Why ``root``/``extension`` is not a valid identity number, or None when it is."""
    try:
        parse(root, extension, today)
    except InvalidPersonalIdentity as exc:
        return exc.reason
    return None


def is_valid(root: str, extension: str, today: date | None = None) -> bool:
    return problem(root, extension, today) is None


def parse(root: str, extension: str, today: date | None = None) -> PersonalIdentity:
    """The checked identity; ``InvalidPersonalIdentity`` with a clear reason otherwise."""
    root = (root or "").strip()
    if root not in ROOTS:
        raise InvalidPersonalIdentity(
            f"unknown root {root[:40]!r}: expected {PERSONNUMMER_ROOT} (personnummer)"
            f" or {SAMORDNINGSNUMMER_ROOT} (samordningsnummer)"
        )
    kind = ROOTS[root]
    ext = extension or ""
    if len(ext) != 12 or not ext.isascii() or not ext.isdigit():
        raise InvalidPersonalIdentity(
            f"a {kind} must be exactly 12 digits (YYYYMMDDNNNC) without separator"
            f" (got {len(ext)} characters{'' if ext.isascii() and ext.isdigit() else ', not all digits'})"
        )
    year, month, day = int(ext[0:4]), int(ext[4:6]), int(ext[6:8])
    if root == SAMORDNINGSNUMMER_ROOT:
        if not COORDINATION_DAY_OFFSET < day <= COORDINATION_DAY_OFFSET + 31:
            raise InvalidPersonalIdentity(
                "a samordningsnummer has the day of birth plus 60 (61-91) in positions 7-8"
            )
        day -= COORDINATION_DAY_OFFSET
    elif day > COORDINATION_DAY_OFFSET:
        raise InvalidPersonalIdentity(
            f"the day is over 60, as in a samordningsnummer, but the root is {PERSONNUMMER_ROOT}"
            f" (personnummer); a samordningsnummer has root {SAMORDNINGSNUMMER_ROOT}"
        )
    if year < 1800:
        raise InvalidPersonalIdentity(f"the year of birth of a {kind} cannot be before 1800")
    if not 1 <= month <= 12:
        raise InvalidPersonalIdentity(f"the month of birth of a {kind} must be 01-12")
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise InvalidPersonalIdentity(f"the date of birth of a {kind} is not a real date")
    born = date(year, month, day)
    if born > (today or date.today()):
        raise InvalidPersonalIdentity(f"the date of birth of a {kind} is in the future")
    if luhn_check_digit(ext[2:11]) != int(ext[11]):
        raise InvalidPersonalIdentity(f"the check digit of the {kind} is wrong (Luhn checksum)")
    return PersonalIdentity(root, ext, born)


def root_of(extension: str) -> str:
    """The root a 12-digit number goes under: samordningsnummer when the day is over 60."""
    day = extension[6:8]
    return SAMORDNINGSNUMMER_ROOT if day.isdigit() and int(day) > COORDINATION_DAY_OFFSET else PERSONNUMMER_ROOT


def from_text(value: str, today: date | None = None) -> PersonalIdentity:
    """A number as a person types it (``19121212-1212`` or ``191212121212``), checked in full."""
    extension = value.strip().replace("-", "")
    return parse(root_of(extension), extension, today)


def validate(root: str, extension: str, today: date | None = None) -> None:
    """Raise ``InvalidPersonalIdentity`` unless the number is valid."""
    parse(root, extension, today)
