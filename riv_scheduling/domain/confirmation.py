"""ConfirmAppointment (TKB 2.0 §7.2): the citizen confirms an appointment the clinic proposed (flow 4)."""

from __future__ import annotations

import logging
import uuid

from .audit import AuditAction
from .audit_trail import AuditRecord
from .index_updates import record_index_change
from .lookup import owned
from .model import Actor, Appointment, AppointmentStatus, PersonId
from .policy import Change
from .result_codes import NOT_ACTIVE_TO_CONFIRM, DomainError, ResultCode
from .use_case import UseCase

log = logging.getLogger(__name__)


class Confirmation(UseCase):
    def confirm_appointment(
        self,
        logical_address: str,
        actor: Actor,
        person_id: PersonId,
        appointment_id: uuid.UUID,
        consumer: str | None = None,
    ) -> Appointment:
        """ConfirmAppointment: preliminary -> confirmed (flow 4)."""
        audit = AuditRecord("ConfirmAppointment", actor, person_id, consumer, appointment_id=appointment_id)
        with self._change(logical_address, audit) as (uow, facility, now):
            appointment = uow.appointments.get(appointment_id)
            if appointment is None or not owned(appointment, facility, person_id):
                raise DomainError(ResultCode.APPOINTMENT_DOES_NOT_EXIST)
            if not appointment.is_active:
                raise DomainError(ResultCode.CONFIRM_IS_NOT_ALLOWED, NOT_ACTIVE_TO_CONFIRM)
            if appointment.status is AppointmentStatus.CONFIRMED:
                raise DomainError(ResultCode.APPOINTMENT_IS_ALREADY_CONFIRMED)
            slot = uow.timeslots.get(appointment.timeslot_id)
            if slot is None:
                raise DomainError(ResultCode.APPOINTMENT_DOES_NOT_EXIST)
            time_type = uow.time_types.get(facility.hsa_id, slot.time_type_code)
            self._policy.check_change(Change.CONFIRM, slot, time_type, now)
            appointment.status = AppointmentStatus.CONFIRMED
            appointment.updated_at = now
            uow.appointments.save(appointment)
            record_index_change(uow, appointment, slot, now)
            uow.audit.append(audit.event(now, AuditAction.CONFIRMED, ResultCode.OK, timeslot_id=slot.id))
            uow.commit()
        log.info("appointment %s confirmed at %s by %r", appointment.id, facility.hsa_id, actor)
        return appointment
