"""The booking model in the contract's vocabulary (TKB 2.0 §6, the core types)."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from riv_scheduling.contract import (  # noqa: F401  (re-exported: the domain's vocabulary)
    HSA_ID_OID,
    PERSON_ID_ROOTS,
    PERSONNUMMER_OID,
    SAMORDNINGSNUMMER_OID,
    SNOMED_CT_OID,
    personal_identity,
)

from .clock import to_utc


@dataclass(frozen=True, repr=False)
class PersonId:
    """`core:PersonIdType`: personnummer or samordningsnummer, 12 digits in extension."""

    root: str
    extension: str

    @property
    def is_valid(self) -> bool:
        return self.problem() is None

    def problem(self) -> str | None:
        """Why this is not a valid personnummer/samordningsnummer (format, date, check digit)."""
        return personal_identity.problem(self.root, self.extension)

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

    def same_code(self, other: Code) -> bool:
        """Codes are equal when code and code system are (the display name is only a label)."""
        return (self.code, self.code_system) == (other.code, other.code_system)


@dataclass(frozen=True)
class Information:
    """`core:InformationType`: an information text, or a condition the citizen must accept."""

    header: str
    description: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class Reference:
    """`core:ReferenceType`: a link for the patient, e.g. a video meeting."""

    name: str
    description: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class Resource:
    """`core:ResourceType`: a non-person resource of a slot (room, equipment)."""

    type_of_resource: Code | None = None
    resource_attribute: Code | None = None
    description: str | None = None


class Process(enum.StrEnum):
    """`core:ProcessEnum`: the flow an appointment rule applies to."""

    NYBOKNING = "NYBOKNING"  # MakeAppointment
    OMBOKNING = "OMBOKNING"  # UpdateAppointment
    AVBOKNING = "AVBOKNING"  # CancelAppointment


class ReasonRequired(enum.StrEnum):
    """`core:ReasonRequiredEnum` (values as in the schema)."""

    MANDATORY = "Mandatory"
    OPTIONAL = "Optional"
    REASON_NOT_SUPPORTED = "ReasonNotSupported"


@dataclass(frozen=True)
class AppointmentRule:
    """`core:TimeTypeRulesType`: reason requirements, texts and conditions for one flow."""

    process: Process
    reason_text_required: ReasonRequired = ReasonRequired.OPTIONAL
    reason_code_required: ReasonRequired = ReasonRequired.OPTIONAL
    reason_codes: tuple[Code, ...] = ()
    information: tuple[Information, ...] = ()
    condition_to_confirm: tuple[Information, ...] = ()

    def allows_code(self, code: Code) -> bool:
        return any(code.same_code(c) for c in self.reason_codes)


@dataclass(frozen=True)
class HealthcareService:
    """`core:HealthcareServiceType`: a care service (SNOMED CT), mapped to time types."""

    code: Code
    information: tuple[Information, ...] = ()
    conditions_to_confirm: tuple[Information, ...] = ()

    def __post_init__(self) -> None:
        if self.code.code_system != SNOMED_CT_OID:
            raise ValueError(f"care service {self.code.code}: code system must be SNOMED CT ({SNOMED_CT_OID})")


@dataclass(frozen=True)
class HealthcareFacility:
    """A care unit; `hsa_id` is its LogicalAddress (compared case-insensitively).

    `related_facilities` are the other units this one answers for in GetHealthcareFacilities
    (served by this producer); the unit itself is listed there only if it offers the care asked for.
    """

    hsa_id: str
    name: str
    alternative_location: str | None = None
    information: tuple[Information, ...] = ()
    condition_to_confirm: tuple[Information, ...] = ()
    care_guarantee_days: int | None = None
    related_facilities: tuple[str, ...] = ()


@dataclass(frozen=True)
class Practitioner:
    hsa_id: str
    first_name: str
    last_name: str
    title: str | None = None


@dataclass(frozen=True)
class BookingLimits:
    """A time type's limits on how often a person may book it (BookingPolicy applies them).

    Every field is a JSON scalar (int, str or bool) or None (no limit), with a default that limits
    nothing: the store keeps the whole value in one JSON column and the clinic file reads it as a
    `limits` table, both field by field, so a new limit needs neither a store nor a parser change.
    """

    # At most one active appointment of the time type per person at the unit within this many days
    # either side of a slot's start (e.g. a vaccination).
    once_per_days: int | None = None
    # Not a limit but the same kind of per-time-type switch: UpdateAppointment may move an appointment
    # of this time type to a slot of the same time type at one of its unit's related units (unit
    # group); None (the default, stored as no key) or False keeps a rebooking within its unit (unit_group.py).
    rebook_to_other_unit: bool | None = None

    def __post_init__(self) -> None:
        if self.once_per_days is not None and self.once_per_days < 1:
            raise ValueError("limits.once_per_days must be at least 1")


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
    care_contact_code: Code | None = None  # contact mode (Kv kontakttyp), e.g. physical visit or video
    healthcare_services: tuple[HealthcareService, ...] = ()
    healthcare_team: bool | None = None  # None: not a team booking
    patient_group: bool | None = None  # None: not a group booking (slots then have capacity 1)
    appointment_rules: tuple[AppointmentRule, ...] = ()  # at most one per Process
    confirm_allowed: bool = True  # ConfirmAppointment of a preliminary appointment
    confirm_notice: timedelta = timedelta(0)  # minimum time between confirming and the start
    # Extensions (not on the wire as such): texts every appointment of this type carries
    # (AppointmentType.information), and the base of a per-appointment video-meeting link.
    appointment_information: tuple[Information, ...] = ()
    video_meeting_url: str | None = None
    limits: BookingLimits = field(default_factory=BookingLimits)  # extension: see BookingLimits

    def __post_init__(self) -> None:
        processes = [r.process for r in self.appointment_rules]
        if len(processes) != len(set(processes)):
            raise ValueError(f"time type {self.code}: at most one appointment rule per process")

    @property
    def bookable(self) -> bool:
        """Offered for new online booking without an assignment (protected and disabled types are not)."""
        return self.booking_allowed and not self.hidden

    def rule(self, process: Process) -> AppointmentRule | None:
        return next((r for r in self.appointment_rules if r.process is process), None)

    def offers_service(self, service_code: str) -> bool:
        return any(s.code.code == service_code for s in self.healthcare_services)


@dataclass(frozen=True, init=False)
class Timeslot:
    id: uuid.UUID
    facility_hsa_id: str
    time_type_code: str
    start: datetime
    end: datetime
    practitioner_ids: tuple[str, ...] = ()
    capacity: int = 1  # > 1 for group bookings (time types with patient_group)
    booked: int = 0
    withdrawn: bool = False
    # Held back for triaged needs: 1 is the most urgent. A slot with priority p is offered only to
    # searches with priority <= p (same or more urgent); None = offered to everybody.
    priority: int | None = None
    resources: tuple[Resource, ...] = ()
    alternative_location: str | None = None  # this slot takes place away from the unit's address
    # The instants in UTC, converted once here: a search compares, measures and shows every slot.
    start_utc: datetime = field(init=False, repr=False, compare=False)
    end_utc: datetime = field(init=False, repr=False, compare=False)

    def __init__(
        self,
        id: uuid.UUID,
        facility_hsa_id: str,
        time_type_code: str,
        start: datetime,
        end: datetime,
        practitioner_ids: tuple[str, ...] = (),
        capacity: int = 1,
        booked: int = 0,
        withdrawn: bool = False,
        priority: int | None = None,
        resources: tuple[Resource, ...] = (),
        alternative_location: str | None = None,
    ) -> None:
        # The fields above, in their order, by hand: a frozen dataclass's own __init__ sets each one
        # through object.__setattr__, which takes twice as long, and a search makes a Timeslot per
        # row (tests/domain/test_domain_time.py holds the two lists equal).
        start_utc, end_utc = to_utc(start), to_utc(end)
        if end_utc <= start_utc:
            raise ValueError("timeslot end must be after start")
        self.__dict__.update(
            id=id,
            facility_hsa_id=facility_hsa_id,
            time_type_code=time_type_code,
            start=start,
            end=end,
            practitioner_ids=practitioner_ids,
            capacity=capacity,
            booked=booked,
            withdrawn=withdrawn,
            priority=priority,
            resources=resources,
            alternative_location=alternative_location,
            start_utc=start_utc,
            end_utc=end_utc,
        )

    def offered_to(self, priority: int | None) -> bool:
        """Whether a search with this (effective) priority may see the slot."""
        return self.priority is None or (priority is not None and priority <= self.priority)

    @property
    def length_minutes(self) -> float:
        return (self.end_utc - self.start_utc).total_seconds() / 60  # real time, across a DST change too

    @property
    def is_free(self) -> bool:
        return not self.withdrawn and self.booked < self.capacity

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Half-open intervals [start, end) overlap."""
        return self.start_utc < to_utc(end) and to_utc(start) < self.end_utc


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
    information: tuple[Information, ...] = ()  # information texts only, never conditions
    alternative_location: str | None = None
    references: tuple[Reference, ...] = ()
    related_appointment_ids: tuple[uuid.UUID, ...] = ()

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
    # Judged when the search ran; None when the unit states no care guarantee.
    within_care_guarantee: bool | None = None


@dataclass(frozen=True)
class AppointmentView:
    """An appointment with its slot, for `core:AppointmentType`."""

    appointment: Appointment
    slot: TimeslotView


@dataclass(frozen=True)
class AvailableDate:
    """`core:AvailableDateType`: one date per combination of time type, practitioner and resource.

    A slot with exactly one practitioner (resource) counts under that practitioner (resource);
    a team slot (several practitioners) or a slot without one counts under None.
    """

    date: date
    no_of_timeslots: int
    time_type: TimeType
    practitioner: Practitioner | None = None
    resource: Resource | None = None

    @property
    def practitioners(self) -> tuple[Practitioner, ...]:
        return (self.practitioner,) if self.practitioner is not None else ()


@dataclass(frozen=True)
class Assignment:
    """A protected time type assigned to a person by the clinic (invitation or triage result).

    While valid (through `valid_until`, a Swedish date, inclusive) and while the person has no
    active appointment of that time type at the unit, the person may search and book it.
    """

    facility_hsa_id: str
    person_id: PersonId = field(repr=False)
    time_type_code: str
    priority: int | None = None
    valid_until: date | None = None

    def valid_on(self, day: date) -> bool:
        return self.valid_until is None or day <= self.valid_until


@dataclass
class OpenInvitation:
    """An open invitation (riv.crm.scheduling 1.1 "kallelse" without a time, TKB crm:scheduling
    1.1 §3.6): the clinic invites the person to book a time of a protected time type; the person
    finds it by its id (GetBookingDetails) and books a slot of that time type naming it (MakeBooking
    with requestedTimeslot/bookingId). The right to book rests on an `Assignment` made with it; the
    invitation adds what 1.1 shows: an id, the purpose text (free text, possibly DocBook markup, kept
    as given) and, once booked, the appointment it became."""

    id: uuid.UUID
    facility_hsa_id: str
    person_id: PersonId = field(repr=False)
    time_type_code: str
    purpose: str
    created_at: datetime
    valid_until: date | None = None  # Swedish date, inclusive
    appointment_id: uuid.UUID | None = None  # the booking made from it; None while open

    @property
    def is_open(self) -> bool:
        return self.appointment_id is None

    def valid_on(self, day: date) -> bool:
        return self.valid_until is None or day <= self.valid_until


@dataclass(frozen=True)
class InvitationView:
    """An open invitation with what its 1.1 timeslot shows: the unit and the time type."""

    invitation: OpenInvitation
    facility: HealthcareFacility
    time_type: TimeType


@dataclass(frozen=True)
class TimeslotQuery:
    """Filters of GetAvailableDates / GetAvailableTimeslots (dates inclusive, Swedish dates)."""

    start_date: date
    end_date: date
    time_type_code: str | None = None
    practitioner_hsa_id: str | None = None
    original_appointment_id: uuid.UUID | None = None
    person_id: PersonId | None = field(default=None, repr=False)
    healthcare_service_code: str | None = None  # SNOMED CT code of a care service
    priority: int | None = None  # from triage; 1 = most urgent
    care_contact_codes: tuple[Code, ...] = ()  # any of these contact modes (code + code system)


@dataclass(frozen=True)
class TimeslotDescription:
    """A slot named by what it is rather than by its id (riv.crm.scheduling 1.1 echoes back the
    whole timeslot GetAvailableTimeslots returned, TKB crm:scheduling 1.1 §4.5-4.7).

    `timeslot_id` is the producer's own opaque value echoed back, when the consumer kept it. HSA-ids
    compare case-insensitively; None means "not given" and matches anything."""

    start: datetime | None
    end: datetime | None = None
    time_type_code: str | None = None
    practitioner_hsa_id: str | None = None
    timeslot_id: uuid.UUID | None = None

    def matches(self, slot: Timeslot) -> bool:
        if self.start is not None and slot.start_utc != to_utc(self.start):
            return False
        if self.end is not None and slot.end_utc != to_utc(self.end):
            return False
        if self.time_type_code is not None and slot.time_type_code != self.time_type_code:
            return False
        wanted = self.practitioner_hsa_id
        return wanted is None or wanted.lower() in {p.lower() for p in slot.practitioner_ids}
