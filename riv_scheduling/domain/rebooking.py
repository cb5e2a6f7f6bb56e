"""UpdateAppointment (TKB 2.0 §7.12): move an appointment to another slot of its time type, atomically."""

from __future__ import annotations

import logging
import uuid

from .appointments import booking_result, replacement, reserve
from .audit import AuditAction
from .audit_trail import AuditRecord
from .index_updates import record_index_change
from .lookup import existing_appointment
from .model import Actor, Appointment, AppointmentState, Code, PersonId
from .policy import Change, Flow
from .result_codes import SAME_TIMESLOT, DomainError, ResultCode
from .retry import repeated_update
from .unit_group import appointment_unit, rebooking_target, same_unit, target_time_type
from .use_case import UseCase

log = logging.getLogger(__name__)


class Rebooking(UseCase):
    def update_appointment(
        self,
        logical_address: str,
        actor: Actor,
        person_id: PersonId,
        original_appointment_id: uuid.UUID,
        timeslot_id: uuid.UUID,
        reason_text: str | None = None,
        reason_code: Code | None = None,
        consumer: str | None = None,
    ) -> Appointment:
        """UpdateAppointment: move to another slot of the same time type, atomically.

        The slot may be at another unit of the original's group when its time type allows it
        (unit_group.py); the LogicalAddress is then either unit.

        Returns the NEW appointment (new id); the original becomes REPLACED and its slot is freed.
        A repeat (the original was replaced by an appointment in this slot, still active, at most
        RETRY_WINDOW ago) returns that new appointment again.
        """
        audit = AuditRecord(
            "UpdateAppointment", actor, person_id, consumer,
            appointment_id=original_appointment_id, timeslot_id=timeslot_id,
        )
        with self._change(logical_address, audit) as (uow, addressed, now):
            facility = appointment_unit(uow, addressed, person_id, original_appointment_id)
            audit.facility_hsa_id = facility.hsa_id
            repeated = repeated_update(uow, facility, person_id, original_appointment_id, timeslot_id, now)
            if repeated is not None:
                code, _ = booking_result(repeated)
                uow.audit.append(audit.event(now, AuditAction.REPEATED, code, new_appointment_id=repeated.id))
                uow.commit()
                log.info("appointment %s: UpdateAppointment repeated at %s by %r", repeated.id, facility.hsa_id, actor)
                return repeated
            original, original_slot, time_type = existing_appointment(uow, facility, person_id, original_appointment_id)
            time_type = self._policy.check_change(Change.UPDATE, original_slot, time_type, now)

            if timeslot_id == original_slot.id:
                raise DomainError(ResultCode.ERROR, SAME_TIMESLOT)
            slot = rebooking_target(uow, facility, timeslot_id)
            target, moved = facility, None
            if not same_unit(slot.facility_hsa_id, facility.hsa_id):
                self._policy.check_move(time_type)
                target = uow.facilities.get(slot.facility_hsa_id) or facility
                time_type = target_time_type(uow, original_slot, target.hsa_id)  # the target unit's rules
                moved = f"moved from unit {facility.hsa_id} to unit {target.hsa_id}"
            time_type = self._policy.check_slot(Flow.UPDATE, slot, time_type, now)
            reason_text, reason_code = self._policy.check_person(
                Flow.UPDATE, uow, target, person_id, slot, time_type, now, reason_text, reason_code,
                replacing=original.id,
            )
            # Touch the two slot rows in id order, so that concurrent rebookings between the same
            # two slots cannot deadlock (the database takes a row lock at each UPDATE).
            if str(original_slot.id) < str(slot.id):
                uow.timeslots.release(original_slot.id)
                reserve(uow, slot)
            else:
                reserve(uow, slot)
                uow.timeslots.release(original_slot.id)

            new = replacement(original, slot, time_type, now, reason_text, reason_code)
            uow.appointments.add(new)
            original.state = AppointmentState.REPLACED
            original.replaced_by = new.id
            original.updated_at = now
            uow.appointments.save(original)
            record_index_change(uow, original, original_slot, now)
            record_index_change(uow, new, slot, now, new=True)
            code, _ = booking_result(new)
            uow.audit.append(audit.event(now, AuditAction.REBOOKED, code, moved, new_appointment_id=new.id))
            uow.commit()
        log.info("appointment %s replaced by %s at %s by %r", original.id, new.id, target.hsa_id, actor)
        return new
