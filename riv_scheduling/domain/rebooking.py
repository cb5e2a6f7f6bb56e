"""UpdateAppointment (TKB 2.0 §7.12): move an appointment to another slot of its time type, atomically."""

from __future__ import annotations

import logging
import uuid

from .appointments import booking_result, replacement, reserve
from .audit import AuditAction
from .audit_trail import AuditRecord
from .index_updates import record_index_change
from .lookup import existing_appointment, target_slot
from .model import Actor, Appointment, AppointmentState, Code, PersonId
from .policy import Change, Flow
from .result_codes import SAME_TIMESLOT, DomainError, ResultCode
from .retry import repeated_update
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

        Returns the NEW appointment (new id); the original becomes REPLACED and its slot is freed.
        A repeat (the original was replaced by an appointment in this slot, still active, at most
        RETRY_WINDOW ago) returns that new appointment again.
        """
        audit = AuditRecord(
            "UpdateAppointment", actor, person_id, consumer,
            appointment_id=original_appointment_id, timeslot_id=timeslot_id,
        )
        with self._change(logical_address, audit) as (uow, facility, now):
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
            slot = target_slot(uow, facility, timeslot_id)
            self._policy.check_slot(Flow.UPDATE, slot, time_type, now)
            reason_text, reason_code = self._policy.check_person(
                Flow.UPDATE, uow, facility, person_id, slot, time_type, now, reason_text, reason_code,
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
            uow.audit.append(audit.event(now, AuditAction.REBOOKED, code, new_appointment_id=new.id))
            uow.commit()
        log.info("appointment %s replaced by %s at %s by %r", original.id, new.id, facility.hsa_id, actor)
        return new
