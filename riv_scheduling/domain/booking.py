"""MakeAppointment (TKB 2.0 §7.11): the citizen books a free slot."""

from __future__ import annotations

import logging
import uuid

from .appointments import booking_result, new_appointment, reserve
from .audit import AuditAction
from .audit_trail import AuditRecord
from .index_updates import record_index_change
from .invitations import answered_invitation, invitation_to_book
from .lookup import target_slot
from .model import Actor, Appointment, AppointmentStatus, Code, OpenInvitation, PersonId
from .policy import Flow
from .retry import repeated_make
from .use_case import UseCase

log = logging.getLogger(__name__)


class Booking(UseCase):
    def make_appointment(
        self,
        logical_address: str,
        actor: Actor,
        person_id: PersonId,
        timeslot_id: uuid.UUID,
        reason_text: str | None = None,
        reason_code: Code | None = None,
        consumer: str | None = None,
        invitation_id: uuid.UUID | None = None,
    ) -> Appointment:
        """MakeAppointment: book a free slot; the appointment is confirmed at once.

        A repeat (the person already holds this slot through a MakeAppointment at most
        RETRY_WINDOW ago) returns that appointment instead of booking again. `consumer` is the
        HSA-id of the calling system for the audit trail (None in development mode).
        `invitation_id`: the booking answers the person's open invitation (invitations.py), which
        then names the appointment it became. Without it, a booking of a time type the person holds
        an open invitation to answers the oldest such invitation all the same (one booking book:
        a 2.0 MakeAppointment of the invited time type is the same answer)."""
        audit = AuditRecord("MakeAppointment", actor, person_id, consumer, timeslot_id=timeslot_id)
        with self._change(logical_address, audit) as (uow, facility, now):
            slot = target_slot(uow, facility, timeslot_id)
            held = repeated_make(uow, facility, person_id, slot, now)
            if held is not None:
                code, _ = booking_result(held)
                uow.audit.append(audit.event(now, AuditAction.REPEATED, code, appointment_id=held.id))
                uow.commit()
                log.info("appointment %s: MakeAppointment repeated at %s by %r", held.id, facility.hsa_id, actor)
                return held
            invitation: OpenInvitation | None
            if invitation_id is not None:
                invitation = invitation_to_book(uow, facility, person_id, invitation_id, slot, now.date())
            else:  # booked without naming it (2.0, or 1.1 MakeBooking): it still answers the invitation
                invitation = answered_invitation(uow, facility, person_id, slot, now.date())
            time_type = uow.time_types.get(facility.hsa_id, slot.time_type_code)
            time_type = self._policy.check_slot(Flow.MAKE, slot, time_type, now)
            reason_text, reason_code = self._policy.check_person(
                Flow.MAKE, uow, facility, person_id, slot, time_type, now, reason_text, reason_code
            )
            reserve(uow, slot)
            appointment = new_appointment(
                facility, slot, time_type, person_id, AppointmentStatus.CONFIRMED, now, reason_text, reason_code
            )
            uow.appointments.add(appointment)
            if invitation is not None:
                invitation.appointment_id = appointment.id
                uow.invitations.save(invitation)
            record_index_change(uow, appointment, slot, now, new=True)
            code, _ = booking_result(appointment)
            uow.audit.append(audit.event(now, AuditAction.MADE, code, appointment_id=appointment.id))
            uow.commit()
        log.info("appointment %s made at %s by %r for %s", appointment.id, facility.hsa_id, actor, person_id)
        return appointment
