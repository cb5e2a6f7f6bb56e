"""ResultCode, DomainError, UnknownHealthcareFacility and identity-number hygiene."""

from __future__ import annotations

import pytest

from riv_scheduling.domain import (
    PERSONNUMMER_OID,
    Actor,
    DomainError,
    PersonId,
    ResultCode,
    UnknownHealthcareFacility,
)

SCHEMA_ORDER = [
    "OK",
    "ERROR",
    "INFO",
    "REQUESTED_TIME_IS_ALREADY_RESERVED",
    "REQUESTED_TIME_HAS_ALREADY_PASSED",
    "REQUESTED_TIME_IS_NO_LONGER_AVAILABLE",
    "TOO_LATE_TO_MAKE_APPOINTMENT",
    "USER_IS_ALREADY_OCCUPIED",
    "APPOINTMENT_IS_NOT_ALLOWED",
    "APPOINTMENT_IS_ALREADY_CANCELED",
    "APPOINTMENT_IS_ALREADY_UPDATED",
    "TOO_LATE_TO_UPDATE_APPOINTMENT",
    "APPOINTMENT_DOES_NOT_EXIST",
    "UPDATE_APPOINTMENT_IS_NOT_ALLOWED",
    "TOO_LATE_TO_CANCEL_APPOINTMENT",
    "CANCEL_IS_NOT_ALLOWED",
    "APPOINTMENT_IS_ALREADY_CONFIRMED",
    "TOO_LATE_TO_CONFIRM_APPOINTMENT",
    "CONFIRM_IS_NOT_ALLOWED",
]


def test_result_codes_are_the_schema_values_in_schema_order() -> None:
    assert [c.value for c in ResultCode] == SCHEMA_ORDER
    assert all(c.name == c.value for c in ResultCode)
    assert isinstance(ResultCode.OK, str)


def test_domain_error_carries_one_code_and_a_text() -> None:
    error = DomainError(ResultCode.TOO_LATE_TO_CANCEL_APPOINTMENT)
    assert error.code is ResultCode.TOO_LATE_TO_CANCEL_APPOINTMENT
    assert error.text
    assert DomainError(ResultCode.ERROR, "Egen text.").text == "Egen text."


@pytest.mark.parametrize("code", [c for c in ResultCode if c not in (ResultCode.OK, ResultCode.INFO)])
def test_every_refusal_code_has_a_default_text(code: ResultCode) -> None:
    assert DomainError(code).text.strip()


@pytest.mark.parametrize("code", [ResultCode.OK, ResultCode.INFO])
def test_success_codes_are_not_refusals(code: ResultCode) -> None:
    with pytest.raises(ValueError):
        DomainError(code)


def test_unknown_facility_is_not_a_domain_error() -> None:
    error = UnknownHealthcareFacility("SE2321000016-XXXX")
    assert error.logical_address == "SE2321000016-XXXX"
    assert not isinstance(error, DomainError)


def test_person_id_is_masked_in_logs() -> None:
    person = PersonId(PERSONNUMMER_OID, "191212121212")
    assert person.masked() == "19121212****"
    assert "121212121212" not in repr(person)
    assert str(person) == "19121212****"
    actor = Actor(PERSONNUMMER_OID, "191212121212", "116154003")
    assert "191212121212" not in repr(actor)


@pytest.mark.parametrize(
    ("root", "extension", "valid"),
    [
        ("1.2.752.129.2.1.3.1", "191212121212", True),
        ("1.2.752.129.2.1.3.3", "199001612382", True),
        ("1.2.752.129.2.1.3.1", "19121212-1212", False),
        ("1.2.752.129.2.1.3.1", "1212121212", False),
        ("1.2.752.129.2.1.4.1", "191212121212", False),
    ],
)
def test_person_id_is_a_known_root_with_twelve_digits(root: str, extension: str, valid: bool) -> None:
    assert PersonId(root, extension).is_valid is valid
