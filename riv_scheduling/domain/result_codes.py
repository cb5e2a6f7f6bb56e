"""`core:ResultCodeEnum` (TKB 2.0 §3.7), the citizen-readable texts that go with it, and the domain's errors."""

from __future__ import annotations

from riv_scheduling.contract import ResultCode

from .model import Process

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


# Texts of refusals that say more than the default text of their code. Rule code refers to these
# by name, so every citizen-facing sentence is found here.
NO_SUCH_TIMESLOT = "Den valda tiden finns inte hos mottagningen."
INVALID_PERSON_ID = "Ogiltigt personId: ange personnummer eller samordningsnummer med 12 siffror."
BOTH_CODES = "Ange antingen timeTypeCode eller healthcareServiceCode, inte båda."
END_BEFORE_START = "Slutdatum ligger före startdatum."
NO_ORIGINAL = "Den ursprungliga bokningen finns inte."
ORIGINAL_NEEDS_PERSON = "originalAppointmentId kräver personId."
SAME_TIMESLOT = "Den nya tiden är samma som den bokade tiden."
OTHER_TIME_TYPE = "Den nya tiden gäller en annan besökstyp än den ursprungliga bokningen."
PROTECTED_TIME_TYPE = "Den här besökstypen kan bara bokas efter kallelse eller bedömning från mottagningen."
NOT_ACTIVE_TO_CONFIRM = "Bokningen är avbokad eller ombokad."


def search_window_too_long(max_days: int) -> str:
    return (f"Sökperioden är för lång: högst {max_days} dagar (startDateInclusive till endDateInclusive)."
            f" The search window is too long: at most {max_days} days.")


def too_many_timeslots(max_timeslots: int) -> str:
    return (f"Sökningen gav för många tider: fler än {max_timeslots}. Välj en kortare period eller en tidtyp."
            f" The search found more than {max_timeslots} timeslots: narrow it down.")


# How the texts name each flow ("vid bokning av Läkarbesök").
FLOW_NAMES: dict[Process, str] = {
    Process.NYBOKNING: "bokning",
    Process.OMBOKNING: "ombokning",
    Process.AVBOKNING: "avbokning",
}


def booked_within(time_type_name: str, days: int) -> str:
    return f"{time_type_name} kan bara bokas en gång per {days} dagar, och du har redan en bokning inom den tiden."


def invalid_person_id(reason: str) -> str:
    return f"{INVALID_PERSON_ID} ({reason})"


def reason_text_missing(process: Process, time_type_name: str) -> str:
    flow = FLOW_NAMES[process]
    return f"Anledning i fritext (reasonText) saknas: den krävs vid {flow} av {time_type_name}."


def reason_code_missing(process: Process, time_type_name: str) -> str:
    flow = FLOW_NAMES[process]
    return f"Orsakskod (reasonCode) saknas: en av mottagningens orsakskoder krävs vid {flow} av {time_type_name}."


def reason_code_not_allowed(code: str, code_system: str, process: Process, time_type_name: str) -> str:
    return (
        f"Orsakskoden {code} (kodsystem {code_system}) är inte en av de "
        f"tillåtna orsakskoderna vid {FLOW_NAMES[process]} av {time_type_name}."
    )


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
