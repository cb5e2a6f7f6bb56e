"""Recognising a repeated change request, answered as the first one was.

The national platform retries a request it got no answer to (once, after 29 s; see
docs/operations.md), so a booking or rebooking that already took effect must not be made twice or
refused. A repeated CancelAppointment is not one of them: TKB 2.0 §3.7.4 gives it its own code,
APPOINTMENT_IS_ALREADY_CANCELED, which tells a retrying consumer the goal is reached (cancellation.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from .clock import to_utc
from .lookup import owned
from .model import Appointment, AppointmentState, HealthcareFacility, PersonId, Timeslot
from .ports import UnitOfWork

# A request that repeats a change made for the same person at most this long ago is a retry.
RETRY_WINDOW = timedelta(minutes=10)


def within_retry_window(changed_at: datetime, now: datetime) -> bool:
    return timedelta(0) <= to_utc(now) - to_utc(changed_at) <= RETRY_WINDOW


def repeated_make(
    uow: UnitOfWork, facility: HealthcareFacility, person_id: PersonId, slot: Timeslot, now: datetime
) -> Appointment | None:
    """The appointment when the person already holds this slot through a MakeAppointment at most
    RETRY_WINDOW ago (not through a rebooking), else None."""
    for held in uow.appointments.overlapping_active(facility.hsa_id, person_id, slot.start, slot.end):
        if held.timeslot_id == slot.id and held.replaces is None and within_retry_window(held.created_at, now):
            return held
    return None


def repeated_update(
    uow: UnitOfWork,
    facility: HealthcareFacility,
    person_id: PersonId,
    original_appointment_id: uuid.UUID,
    timeslot_id: uuid.UUID,
    now: datetime,
) -> Appointment | None:
    """The new appointment when this UpdateAppointment has already taken effect (the original was
    replaced at most RETRY_WINDOW ago by a still active appointment in this slot), else None."""
    original = uow.appointments.get(original_appointment_id)
    if (
        original is None
        or not owned(original, facility, person_id)
        or original.state is not AppointmentState.REPLACED
        or original.replaced_by is None
        or not within_retry_window(original.updated_at, now)
    ):
        return None
    new = uow.appointments.get(original.replaced_by)
    if new is None or not new.is_active or new.timeslot_id != timeslot_id:
        return None
    return new

