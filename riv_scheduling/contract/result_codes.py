"""The contract's result codes and which interaction may answer which (TKB 2.0 §3.7).

`core:ResultCodeEnum` holds three general codes (OK, INFO, ERROR, TKB 2.0 §3.7.1) and sixteen
specific ones that only the changing interactions return (TKB 2.0 §3.7.2-3.7.5).
"""

from __future__ import annotations

import enum


class ResultCode(enum.StrEnum):
    """`core:ResultCodeEnum`, in schema order; value == name."""

    OK = "OK"
    ERROR = "ERROR"
    INFO = "INFO"
    REQUESTED_TIME_IS_ALREADY_RESERVED = "REQUESTED_TIME_IS_ALREADY_RESERVED"
    REQUESTED_TIME_HAS_ALREADY_PASSED = "REQUESTED_TIME_HAS_ALREADY_PASSED"
    REQUESTED_TIME_IS_NO_LONGER_AVAILABLE = "REQUESTED_TIME_IS_NO_LONGER_AVAILABLE"
    TOO_LATE_TO_MAKE_APPOINTMENT = "TOO_LATE_TO_MAKE_APPOINTMENT"
    USER_IS_ALREADY_OCCUPIED = "USER_IS_ALREADY_OCCUPIED"
    APPOINTMENT_IS_NOT_ALLOWED = "APPOINTMENT_IS_NOT_ALLOWED"
    APPOINTMENT_IS_ALREADY_CANCELED = "APPOINTMENT_IS_ALREADY_CANCELED"
    APPOINTMENT_IS_ALREADY_UPDATED = "APPOINTMENT_IS_ALREADY_UPDATED"
    TOO_LATE_TO_UPDATE_APPOINTMENT = "TOO_LATE_TO_UPDATE_APPOINTMENT"
    APPOINTMENT_DOES_NOT_EXIST = "APPOINTMENT_DOES_NOT_EXIST"
    UPDATE_APPOINTMENT_IS_NOT_ALLOWED = "UPDATE_APPOINTMENT_IS_NOT_ALLOWED"
    TOO_LATE_TO_CANCEL_APPOINTMENT = "TOO_LATE_TO_CANCEL_APPOINTMENT"
    CANCEL_IS_NOT_ALLOWED = "CANCEL_IS_NOT_ALLOWED"
    APPOINTMENT_IS_ALREADY_CONFIRMED = "APPOINTMENT_IS_ALREADY_CONFIRMED"
    TOO_LATE_TO_CONFIRM_APPOINTMENT = "TOO_LATE_TO_CONFIRM_APPOINTMENT"
    CONFIRM_IS_NOT_ALLOWED = "CONFIRM_IS_NOT_ALLOWED"


GENERAL_CODES = (ResultCode.OK, ResultCode.INFO, ResultCode.ERROR)

# The specific codes each changing interaction may return (TKB 2.0 §3.7.2-3.7.5). The query
# interactions answer with the general codes only ("Kan endast vara OK, INFO eller ERROR", §7.n.4).
SPECIFIC_CODES: dict[str, tuple[ResultCode, ...]] = {
    "MakeAppointment": (
        ResultCode.REQUESTED_TIME_IS_ALREADY_RESERVED, ResultCode.REQUESTED_TIME_HAS_ALREADY_PASSED,
        ResultCode.REQUESTED_TIME_IS_NO_LONGER_AVAILABLE, ResultCode.TOO_LATE_TO_MAKE_APPOINTMENT,
        ResultCode.USER_IS_ALREADY_OCCUPIED, ResultCode.APPOINTMENT_IS_NOT_ALLOWED,
    ),
    "UpdateAppointment": (
        ResultCode.REQUESTED_TIME_IS_ALREADY_RESERVED, ResultCode.REQUESTED_TIME_HAS_ALREADY_PASSED,
        ResultCode.REQUESTED_TIME_IS_NO_LONGER_AVAILABLE, ResultCode.USER_IS_ALREADY_OCCUPIED,
        ResultCode.APPOINTMENT_IS_ALREADY_CANCELED, ResultCode.APPOINTMENT_IS_ALREADY_UPDATED,
        ResultCode.TOO_LATE_TO_UPDATE_APPOINTMENT, ResultCode.APPOINTMENT_DOES_NOT_EXIST,
        ResultCode.UPDATE_APPOINTMENT_IS_NOT_ALLOWED,
    ),
    "CancelAppointment": (
        ResultCode.APPOINTMENT_IS_ALREADY_CANCELED, ResultCode.APPOINTMENT_IS_ALREADY_UPDATED,
        ResultCode.TOO_LATE_TO_CANCEL_APPOINTMENT, ResultCode.APPOINTMENT_DOES_NOT_EXIST,
        ResultCode.CANCEL_IS_NOT_ALLOWED,
    ),
    # TKB 2.0 §7.2.4 lists OK, INFO and ERROR only for ConfirmAppointment, while §3.7.5 defines
    # these codes for confirmation: both are accepted.
    "ConfirmAppointment": (
        ResultCode.APPOINTMENT_IS_ALREADY_CONFIRMED, ResultCode.TOO_LATE_TO_CONFIRM_APPOINTMENT,
        ResultCode.APPOINTMENT_DOES_NOT_EXIST, ResultCode.CONFIRM_IS_NOT_ALLOWED,
    ),
}

# GetAppointmentsResponse is the only response without a resultCode (TKB 2.0 §7.4.4, §7.4.6).
WITHOUT_RESULT_CODE = frozenset({"GetAppointments"})


def allowed_result_codes(interaction: str) -> tuple[ResultCode, ...] | None:
    """The result codes the contract allows in this interaction's response; None: it has no resultCode."""
    if interaction in WITHOUT_RESULT_CODE:
        return None
    return GENERAL_CODES + SPECIFIC_CODES.get(interaction, ())
