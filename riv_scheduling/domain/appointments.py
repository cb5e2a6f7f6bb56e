"""Making appointment records: a new one (citizen booking, clinic proposal), a rebooking's
replacement, taking a place in the slot, and the result code of a booking that was made."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from .model import (
    Appointment,
    AppointmentState,
    AppointmentStatus,
    Code,
    HealthcareFacility,
    PersonId,
    Reference,
    Timeslot,
    TimeType,
)
from .ports import UnitOfWork
from .result_codes import DomainError, ResultCode

VIDEO_REFERENCE_NAME = "Videomöte"
VIDEO_REFERENCE_DESCRIPTION = "Länk till ditt videobesök. Den gäller bara den här bokningen."


def appointment_details(time_type: TimeType, slot: Timeslot) -> dict[str, object]:
    """What a new appointment carries besides its reasons: the time type's information texts,
    the slot's alternative location and, for video time types, a unique meeting link."""
    references: tuple[Reference, ...] = ()
    if time_type.video_meeting_url:
        link = f"{time_type.video_meeting_url.rstrip('/')}/{uuid.uuid4()}"
        references = (Reference(VIDEO_REFERENCE_NAME, VIDEO_REFERENCE_DESCRIPTION, link),)
    return {
        "information": time_type.appointment_information,
        "alternative_location": slot.alternative_location,
        "references": references,
    }


def new_appointment(
    facility: HealthcareFacility,
    slot: Timeslot,
    time_type: TimeType,
    person_id: PersonId,
    status: AppointmentStatus,
    now: datetime,
    reason_text: str | None,
    reason_code: Code | None,
    related_appointment_ids: Iterable[uuid.UUID] = (),
) -> Appointment:
    """A new ACTIVE appointment in `slot` (booked by the citizen, or proposed by the clinic)."""
    return Appointment(
        id=uuid.uuid4(),
        timeslot_id=slot.id,
        facility_hsa_id=facility.hsa_id,
        person_id=person_id,
        status=status,
        state=AppointmentState.ACTIVE,
        new_reason_text=reason_text,
        new_reason_code=reason_code,
        update_reason_text=None,
        update_reason_code=None,
        replaces=None,
        replaced_by=None,
        created_at=now,
        updated_at=now,
        related_appointment_ids=tuple(related_appointment_ids),
        **appointment_details(time_type, slot),  # type: ignore[arg-type]
    )


def replacement(
    original: Appointment,
    slot: Timeslot,
    time_type: TimeType,
    now: datetime,
    reason_text: str | None,
    reason_code: Code | None,
) -> Appointment:
    """The ACTIVE appointment that replaces `original` in `slot` (UpdateAppointment): it keeps the
    original's person, status, booking reasons and related appointments."""
    return Appointment(
        id=uuid.uuid4(),
        timeslot_id=slot.id,
        facility_hsa_id=slot.facility_hsa_id,  # a rebooking may move to another unit of the group
        person_id=original.person_id,
        status=original.status,
        state=AppointmentState.ACTIVE,
        new_reason_text=original.new_reason_text,
        new_reason_code=original.new_reason_code,
        update_reason_text=reason_text,
        update_reason_code=reason_code,
        replaces=original.id,
        replaced_by=None,
        created_at=now,
        updated_at=now,
        related_appointment_ids=original.related_appointment_ids,
        **appointment_details(time_type, slot),  # type: ignore[arg-type]
    )


def reserve(uow: UnitOfWork, slot: Timeslot) -> None:
    """Take one place in the slot; the store decides atomically whether one is left."""
    if not uow.timeslots.reserve(slot.id):
        raise DomainError(ResultCode.REQUESTED_TIME_IS_ALREADY_RESERVED)


def booking_result(appointment: Appointment) -> tuple[ResultCode, str | None]:
    """Result code of a booking that was made: INFO when the appointment carries information
    the citizen must see (for example "kom fastande"), else OK (TKB 2.0 §3.7)."""
    if not appointment.information:
        return ResultCode.OK, None
    texts = (" ".join(filter(None, (i.header, i.description))) for i in appointment.information)
    return ResultCode.INFO, " ".join(texts)
