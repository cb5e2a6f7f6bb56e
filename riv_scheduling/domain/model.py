"""The booking model in the contract's vocabulary (CONTRACTS.md §4)."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .clock import elapsed, to_utc

PERSONNUMMER_OID = "1.2.752.129.2.1.3.1"
SAMORDNINGSNUMMER_OID = "1.2.752.129.2.1.3.3"
HSA_ID_OID = "1.2.752.129.2.1.4.1"
PERSON_ID_ROOTS = frozenset({PERSONNUMMER_OID, SAMORDNINGSNUMMER_OID})


@dataclass(frozen=True, repr=False)
class PersonId:
    """`core:PersonIdType`: personnummer or samordningsnummer, 12 digits in extension."""

    root: str
    extension: str

    @property
    def is_valid(self) -> bool:
        return (
            self.root in PERSON_ID_ROOTS
            and len(self.extension) == 12
            and self.extension.isascii()
            and self.extension.isdigit()
        )

    def masked(self) -> str:
        """For logs: the birth date only, e.g. `19121212****`."""
        return self.extension[:8] + "*" * max(len(self.extension) - 8, 0)

    def __repr__(self) -> str:  # never leak the full number through repr/logging
        return f"PersonId(root={self.root!r}, extension={self.masked()!r})"

    __str__ = masked


@dataclass(frozen=True)
class Actor:
    """`core:ActorType`: who performs the operation (citizen, guardian, professional)."""

    id_root: str
    id_extension: str | None
    type_code: str

    def __repr__(self) -> str:
        ext = self.id_extension
        if ext is not None and self.id_root in PERSON_ID_ROOTS:
            ext = PersonId(self.id_root, ext).masked()
        return f"Actor(id_root={self.id_root!r}, id_extension={ext!r}, type_code={self.type_code!r})"


@dataclass(frozen=True)
class Code:
    """`core:CVType` (the parts we keep)."""

    code: str
    code_system: str
    display_name: str | None = None


@dataclass(frozen=True)
class HealthcareFacility:
    """A care unit; `hsa_id` is its LogicalAddress (compared case-insensitively)."""

    hsa_id: str
    name: str
    alternative_location: str | None = None


@dataclass(frozen=True)
class Practitioner:
    hsa_id: str
    first_name: str
    last_name: str
    title: str | None = None


@dataclass(frozen=True)
class TimeType:
    """A unit's time type; notices are minimum times between now and the slot start."""

    code: str
    name: str
    cancel_allowed: bool
    update_allowed: bool
    booking_notice: timedelta
    update_notice: timedelta
    cancel_notice: timedelta
    hidden: bool = False
    booking_allowed: bool = True

    @property
    def bookable(self) -> bool:
        """Offered for new online booking (protected and disabled types are not)."""
        return self.booking_allowed and not self.hidden


@dataclass(frozen=True)
class Timeslot:
    id: uuid.UUID
    facility_hsa_id: str
    time_type_code: str
    start: datetime
    end: datetime
    practitioner_ids: tuple[str, ...] = ()
    capacity: int = 1
    booked: int = 0
    withdrawn: bool = False

    def __post_init__(self) -> None:
        if to_utc(self.end) <= to_utc(self.start):
            raise ValueError("timeslot end must be after start")

    @property
    def length_minutes(self) -> float:
        return elapsed(self.start, self.end).total_seconds() / 60

    @property
    def is_free(self) -> bool:
        return not self.withdrawn and self.booked < self.capacity

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Half-open intervals [start, end) overlap."""
        return to_utc(self.start) < to_utc(end) and to_utc(start) < to_utc(self.end)


class AppointmentStatus(enum.StrEnum):
    """`core:AppointmentStatusEnum`."""

    CONFIRMED = "confirmed"
    PRELIMINARY = "preliminary"


class AppointmentState(enum.StrEnum):
    """Life cycle; only ACTIVE appointments are shown and occupy their slot."""

    ACTIVE = "active"
    CANCELLED = "cancelled"
    REPLACED = "replaced"


@dataclass
class Appointment:
    id: uuid.UUID
    timeslot_id: uuid.UUID
    facility_hsa_id: str
    person_id: PersonId
    status: AppointmentStatus
    state: AppointmentState
    new_reason_text: str | None
    new_reason_code: Code | None
    update_reason_text: str | None
    update_reason_code: Code | None
    replaces: uuid.UUID | None
    replaced_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    # Extension: the citizen's cancellation reason (CancelAppointment reasonText/reasonCode).
    cancel_reason_text: str | None = None
    cancel_reason_code: Code | None = None

    @property
    def is_active(self) -> bool:
        return self.state is AppointmentState.ACTIVE


@dataclass(frozen=True)
class TimeslotView:
    """A slot with everything the SOAP layer renders as `core:TimeslotType`."""

    timeslot: Timeslot
    time_type: TimeType
    facility: HealthcareFacility
    practitioners: tuple[Practitioner, ...] = ()


@dataclass(frozen=True)
class AppointmentView:
    """An appointment with its slot, for `core:AppointmentType`."""

    appointment: Appointment
    slot: TimeslotView


@dataclass(frozen=True)
class AvailableDate:
    """`core:AvailableDateType`: one date per combination of time type and practitioners."""

    date: date
    time_type: TimeType
    practitioners: tuple[Practitioner, ...]
    no_of_timeslots: int


@dataclass(frozen=True)
class TimeslotQuery:
    """Filters of GetAvailableDates / GetAvailableTimeslots (dates inclusive, Swedish dates)."""

    start_date: date
    end_date: date
    time_type_code: str | None = None
    practitioner_hsa_id: str | None = None
    original_appointment_id: uuid.UUID | None = None
    person_id: PersonId | None = field(default=None, repr=False)
    healthcare_service_code: str | None = None  # SNOMED CT; no care services are mapped yet
