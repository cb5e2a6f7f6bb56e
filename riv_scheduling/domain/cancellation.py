"""CancelAppointment (TKB 2.0 §7.1): the citizen cancels; the slot is bookable again at once."""

from __future__ import annotations

import logging
import uuid

from .audit import AuditAction
from .audit_trail import AuditRecord
from .index_updates import record_index_change
from .lookup import existing_appointment
from .model import Actor, Appointment, AppointmentState, Code, PersonId, Process
from .policy import Change, check_reason
from .result_codes import ResultCode
from .use_case import UseCase

log = logging.getLogger(__name__)


class Cancellation(UseCase):
    def cancel_appointment(
        self,
        logical_address: str,
        actor: Actor,
        person_id: PersonId,
        appointment_id: uuid.UUID,
        reason_text: str | None = None,
        reason_code: Code | None = None,
        consumer: str | None = None,
    ) -> Appointment:
        """CancelAppointment: the slot is bookable again in the same transaction.

        A repeat of a cancellation is refused with APPOINTMENT_IS_ALREADY_CANCELED every time
        (TKB 2.0 §3.7.4), unlike a repeated Make/UpdateAppointment (retry.py): the code carries the
        true state, so a consumer's retry is just as safe, and nothing is released twice."""
        audit = AuditRecord("CancelAppointment", actor, person_id, consumer, appointment_id=appointment_id)
        with self._change(logical_address, audit) as (uow, facility, now):
            appointment, slot, time_type = existing_appointment(uow, facility, person_id, appointment_id)
            time_type = self._policy.check_change(Change.CANCEL, slot, time_type, now)
            reason_text, reason_code = check_reason(time_type, Process.AVBOKNING, reason_text, reason_code)
            uow.timeslots.release(slot.id)
            appointment.state = AppointmentState.CANCELLED
            appointment.cancel_reason_text = reason_text
            appointment.cancel_reason_code = reason_code
            appointment.updated_at = now
            uow.appointments.save(appointment)
            record_index_change(uow, appointment, slot, now)
            uow.audit.append(audit.event(now, AuditAction.CANCELLED, ResultCode.OK, timeslot_id=slot.id))
            uow.commit()
        log.info("appointment %s cancelled at %s by %r", appointment.id, facility.hsa_id, actor)
        return appointment
