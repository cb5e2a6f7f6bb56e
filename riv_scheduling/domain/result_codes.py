"""ResultCodeEnum of the contract and the domain's errors (CONTRACTS.md §5)."""

from __future__ import annotations

from riv_scheduling.contract import ResultCode

# Citizen-readable default texts (Swedish; 1177 shows resultText to the citizen).
DEFAULT_TEXTS: dict[ResultCode, str] = {
    ResultCode.ERROR: "Åtgärden kunde inte utföras.",
    ResultCode.REQUESTED_TIME_IS_ALREADY_RESERVED: "Tiden är redan bokad. Välj en annan tid.",
    ResultCode.REQUESTED_TIME_HAS_ALREADY_PASSED: "Tiden har redan passerat.",
    ResultCode.REQUESTED_TIME_IS_NO_LONGER_AVAILABLE: "Tiden går inte längre att boka.",
    ResultCode.TOO_LATE_TO_MAKE_APPOINTMENT: "Det är för sent att boka den här tiden.",
    ResultCode.USER_IS_ALREADY_OCCUPIED: "Du har redan en bokning vid samma tid på mottagningen.",
    ResultCode.APPOINTMENT_IS_NOT_ALLOWED: "Den här typen av besök går inte att boka här.",
    ResultCode.APPOINTMENT_IS_ALREADY_CANCELED: "Bokningen är redan avbokad.",
    ResultCode.APPOINTMENT_IS_ALREADY_UPDATED: "Bokningen är redan ombokad.",
    ResultCode.TOO_LATE_TO_UPDATE_APPOINTMENT: ("Det är för sent att boka om. Kontakta mottagningen."),
    ResultCode.APPOINTMENT_DOES_NOT_EXIST: "Bokningen finns inte.",
    ResultCode.UPDATE_APPOINTMENT_IS_NOT_ALLOWED: ("Bokningen går inte att boka om här. Kontakta mottagningen."),
    ResultCode.TOO_LATE_TO_CANCEL_APPOINTMENT: "Det är för sent att avboka. Kontakta mottagningen.",
    ResultCode.CANCEL_IS_NOT_ALLOWED: "Bokningen går inte att avboka här. Kontakta mottagningen.",
    ResultCode.APPOINTMENT_IS_ALREADY_CONFIRMED: "Bokningen är redan bekräftad.",
    ResultCode.TOO_LATE_TO_CONFIRM_APPOINTMENT: "Det är för sent att bekräfta bokningen.",
    ResultCode.CONFIRM_IS_NOT_ALLOWED: "Bokningen kan inte bekräftas.",
}


class DomainError(Exception):
    """A refusal by the booking rules; carries exactly one ResultCode.

    `text` is shown to the citizen and never contains a personal identity number.
    """

    def __init__(self, code: ResultCode, text: str | None = None) -> None:
        if code in (ResultCode.OK, ResultCode.INFO):
            raise ValueError(f"{code.value} is not a refusal")
        self.code = ResultCode(code)
        self.text = text or DEFAULT_TEXTS[self.code]
        super().__init__(f"{self.code.value}: {self.text}")


class UnknownHealthcareFacility(Exception):
    """The LogicalAddress names no unit served here; the SOAP layer answers with a Fault."""

    def __init__(self, logical_address: str) -> None:
        self.logical_address = logical_address
        super().__init__(f"unknown healthcare facility (LogicalAddress): {logical_address!r}")
