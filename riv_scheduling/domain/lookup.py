"""Finding what a request names (the unit, a slot, the person's appointment), or the refusal.

These are not booking rules (policy.py has those): a request that names something that is not
there, or not the person's, is refused the same way in every flow.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from .clock import to_utc
from .model import (
    Appointment,
    AppointmentState,
    HealthcareFacility,
    PersonId,
    Timeslot,
    TimeslotDescription,
    TimeslotQuery,
    TimeType,
)
from .ports import UnitOfWork
from .result_codes import (
    NO_ORIGINAL,
    NO_SUCH_TIMESLOT,
    ORIGINAL_NEEDS_PERSON,
    DomainError,
    ResultCode,
    UnknownHealthcareFacility,
    invalid_person_id,
)
from .unit_group import appointment_unit


def find_facility(uow: UnitOfWork, logical_address: str) -> HealthcareFacility:
    """The unit addressed by a LogicalAddress (case-insensitive HSA-id)."""
    facility = uow.facilities.get(logical_address.strip())
    if facility is None:
        raise UnknownHealthcareFacility(logical_address)
    return facility


def require_valid_person(person_id: PersonId) -> None:
    """A personnummer or samordningsnummer: 12 digits, a real date, the right check digit."""
    reason = person_id.problem()
    if reason is not None:
        raise DomainError(ResultCode.ERROR, invalid_person_id(reason))


def owned(appointment: Appointment, facility: HealthcareFacility, person_id: PersonId) -> bool:
    """The appointment is the person's, at this unit."""
    return appointment.facility_hsa_id == facility.hsa_id and appointment.person_id == person_id


def target_slot(uow: UnitOfWork, facility: HealthcareFacility, timeslot_id: uuid.UUID) -> Timeslot:
    """The slot a booking or rebooking asks for: it must exist at the addressed unit."""
    slot = uow.timeslots.get(timeslot_id)
    if slot is None or slot.facility_hsa_id != facility.hsa_id:
        raise DomainError(ResultCode.ERROR, NO_SUCH_TIMESLOT)
    return slot


def existing_appointment(
    uow: UnitOfWork,
    facility: HealthcareFacility,
    person_id: PersonId,
    appointment_id: uuid.UUID,
) -> tuple[Appointment, Timeslot, TimeType | None]:
    """An active appointment to update or cancel, with its slot and time type (None when the clinic
    has removed the time type: then nothing may be changed online), or the refusal."""
    appointment = uow.appointments.get(appointment_id)
    # Never reveal that the id exists for another person or unit.
    if appointment is None or not owned(appointment, facility, person_id):
        raise DomainError(ResultCode.APPOINTMENT_DOES_NOT_EXIST)
    if appointment.state is AppointmentState.CANCELLED:
        raise DomainError(ResultCode.APPOINTMENT_IS_ALREADY_CANCELED)
    if appointment.state is AppointmentState.REPLACED:
        raise DomainError(ResultCode.APPOINTMENT_IS_ALREADY_UPDATED)
    slot = uow.timeslots.get(appointment.timeslot_id)
    if slot is None:
        raise DomainError(ResultCode.APPOINTMENT_DOES_NOT_EXIST)
    return appointment, slot, uow.time_types.get(facility.hsa_id, slot.time_type_code)


def find_original_slot(uow: UnitOfWork, facility: HealthcareFacility, query: TimeslotQuery) -> Timeslot:
    """The slot of the appointment a search for rebooking names (originalAppointmentId), at the
    addressed unit or at a unit whose group the addressed unit belongs to (unit_group.py)."""
    not_found = DomainError(ResultCode.ERROR, NO_ORIGINAL)
    if query.person_id is None or query.original_appointment_id is None:
        raise DomainError(ResultCode.ERROR, ORIGINAL_NEEDS_PERSON)
    # A search at another unit of the original's group finds it too (rebooking to another unit).
    facility = appointment_unit(uow, facility, query.person_id, query.original_appointment_id)
    original = uow.appointments.get(query.original_appointment_id)
    if original is None or not owned(original, facility, query.person_id) or not original.is_active:
        raise not_found
    slot = uow.timeslots.get(original.timeslot_id)
    if slot is None:
        raise not_found
    return slot


# A rebooking chain is short (each UpdateAppointment adds one link); the bound only guards
# against a corrupt cycle.
MAX_CHAIN = 1000


def latest_in_chain(uow: UnitOfWork, appointment_id: uuid.UUID) -> uuid.UUID:
    """The newest appointment of the rebooking chain that `appointment_id` belongs to (itself when
    it was never rebooked, or unknown): the appointment a booking id stands for today.

    UpdateAppointment (2.0) gives a rebooking a new id, while a riv.crm.scheduling 1.1 consumer
    keeps the bookingId it got first (UpdateBooking answers with no new id): following
    `replaced_by` lets both name the same booking."""
    current = appointment_id
    for _ in range(MAX_CHAIN):
        appointment = uow.appointments.get(current)
        if appointment is None or appointment.replaced_by is None:
            return current
        current = appointment.replaced_by
    return current


def first_in_chain(uow: UnitOfWork, appointment: Appointment) -> uuid.UUID:
    """The id the booking was first made with (following `replaces` back): the stable booking id."""
    first = appointment
    for _ in range(MAX_CHAIN):
        if first.replaces is None:
            break
        previous = uow.appointments.get(first.replaces)
        if previous is None:
            break
        first = previous
    return first.id


def find_timeslot(uow: UnitOfWork, facility: HealthcareFacility, wanted: TimeslotDescription) -> Timeslot:
    """The one slot at the unit that a description names (a 1.1 requestedTimeslot has no id).

    The slot id, when the description carries one, decides (it must still agree with the times
    given); otherwise start, end, time type and practitioner must all match. A free slot is
    preferred; among equals, the first by id, so the choice is stable. No match: ERROR."""
    if wanted.timeslot_id is not None:
        slot = uow.timeslots.get(wanted.timeslot_id)
        if slot is not None and slot.facility_hsa_id == facility.hsa_id and wanted.matches(slot):
            return slot
    if wanted.start is None:
        raise DomainError(ResultCode.ERROR, NO_SUCH_TIMESLOT)
    codes = [wanted.time_type_code] if wanted.time_type_code else [t.code for t in uow.time_types.list(facility.hsa_id)]
    start = to_utc(wanted.start)
    free = uow.timeslots.find_free(facility.hsa_id, start, start + timedelta(seconds=1), codes)
    candidates = [s for s in free if wanted.matches(s)]
    if not candidates:  # taken or withdrawn: name it, so the rules say why it cannot be booked
        candidates = [s for s in uow.timeslots.list_from(facility.hsa_id, start, codes)
                      if s.start_utc == start and wanted.matches(s)]
    if not candidates:
        raise DomainError(ResultCode.ERROR, NO_SUCH_TIMESLOT)
    return min(candidates, key=lambda s: (not s.is_free, str(s.id)))
