"""Rebooking to another unit of the original's group: which units stand in for which.

A unit's related units (`HealthcareFacility.related_facilities`, the clinic file's `related_units`
and `[[unit_group]]`) give the same treatment with the same codes (TKB 2.0 §7.8). An appointment
may move from its unit to one of them when its time type says so (`limits.rebook_to_other_unit`);
otherwise a rebooking stays within the unit. The rules of the move itself are policy.py's.
"""

from __future__ import annotations

import uuid

from .model import HealthcareFacility, PersonId, Timeslot, TimeType
from .ports import UnitOfWork
from .result_codes import NO_SUCH_TIMESLOT, DomainError, ResultCode


def stands_in(origin: HealthcareFacility, hsa_id: str) -> bool:
    """`hsa_id` is the origin itself or one of its related units (HSA-ids compare case-insensitively)."""
    key = hsa_id.lower()
    return key == origin.hsa_id.lower() or key in {h.lower() for h in origin.related_facilities}


def same_unit(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def appointment_unit(
    uow: UnitOfWork, facility: HealthcareFacility, person_id: PersonId | None, appointment_id: uuid.UUID | None
) -> HealthcareFacility:
    """The unit to look the person's appointment up at: the unit it was booked at when the addressed
    unit is in that unit's group (a rebooking asked at the target unit), else the addressed unit,
    where the usual lookups then find or refuse it as before."""
    if appointment_id is None or person_id is None:
        return facility
    appointment = uow.appointments.get(appointment_id)
    if appointment is None or appointment.person_id != person_id:
        return facility
    if same_unit(appointment.facility_hsa_id, facility.hsa_id):
        return facility
    origin = uow.facilities.get(appointment.facility_hsa_id)
    return origin if origin is not None and stands_in(origin, facility.hsa_id) else facility


def moves_across(original_type: TimeType | None) -> bool:
    """The original's time type lets a rebooking leave its unit."""
    if original_type is None or not original_type.update_allowed:
        return False
    return bool(original_type.limits.rebook_to_other_unit)


def rebooking_target(uow: UnitOfWork, origin: HealthcareFacility, timeslot_id: uuid.UUID) -> Timeslot:
    """The slot an UpdateAppointment asks for: at the original's unit or at a unit of its group."""
    slot = uow.timeslots.get(timeslot_id)
    if slot is None or not stands_in(origin, slot.facility_hsa_id):
        raise DomainError(ResultCode.ERROR, NO_SUCH_TIMESLOT)
    return slot


def target_time_type(uow: UnitOfWork, original_slot: Timeslot, target_hsa_id: str) -> TimeType | None:
    """The time type a rebooking takes at the target unit: the original's code there, when that unit
    has it open for booking (None: the slot is no longer available there)."""
    found = uow.time_types.get(target_hsa_id, original_slot.time_type_code)
    return found if found is not None and found.booking_allowed else None


def offers_rebooking_at(uow: UnitOfWork, original_slot: Timeslot, unit_hsa_id: str) -> bool:
    """A search at `unit_hsa_id` may offer slots for rebooking the appointment in `original_slot`:
    at its own unit when its time type allows updates, at a unit of its group when it also allows
    the move and that unit has the time type open for booking."""
    original_type = uow.time_types.get(original_slot.facility_hsa_id, original_slot.time_type_code)
    if same_unit(original_slot.facility_hsa_id, unit_hsa_id):
        return original_type is not None and original_type.update_allowed
    return moves_across(original_type) and target_time_type(uow, original_slot, unit_hsa_id) is not None
