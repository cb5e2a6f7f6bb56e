"""The audit trail: one append-only event per change or refusal of a booking.

Successful changes are appended in the same unit of work (transaction) as the change itself, so
there is never a change without its event or an event without its change. Refusals are appended
in a transaction of their own (nothing else was written). Events are never updated or deleted.

Events keep the person's and the actor's identity numbers as given, because the trail must answer
"what happened to this person"; every text form (`AuditEvent.line`) masks them unless asked not to.

This module holds the events only; audit_trail.py records and reads them through a unit of work.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime

from .clock import to_stockholm, to_utc
from .model import PERSON_ID_ROOTS, Actor, PersonId
from .result_codes import ResultCode


class AuditAction(enum.StrEnum):
    MADE = "made"  # MakeAppointment booked a slot
    PROPOSED = "proposed"  # the clinic booked a PRELIMINARY appointment (riv-scheduling propose)
    REBOOKED = "rebooked"  # UpdateAppointment: appointment_id replaced by new_appointment_id
    CANCELLED = "cancelled"
    CONFIRMED = "confirmed"
    REPEATED = "repeated"  # a retry of a change that had already taken effect: answered as the first
    REFUSED = "refused"  # a refusal; result_code says which
    # Staff actions in the admin tool (riv_scheduling/admin); the actor is the staff member.
    CONFIGURED = "configured"  # a configuration change; detail holds what, the value before and after
    REVEALED = "revealed"  # a staff member revealed the person's identity number in the support look-up
    ASSIGNED = "assigned"  # the clinic assigned a (protected) time type to the person (an invitation)
    WITHDRAWN = "withdrawn"  # the clinic withdrew a timeslot


@dataclass(frozen=True)
class AuditEvent:
    at: datetime  # aware
    interaction: str  # MakeAppointment, UpdateAppointment, CancelAppointment, ConfirmAppointment
    action: AuditAction
    result_code: ResultCode
    facility_hsa_id: str  # the unit (canonical HSA-id)
    person_id: PersonId | None
    actor: Actor | None
    consumer_hsa_id: str | None  # the calling system (None in development mode)
    appointment_id: uuid.UUID | None = None  # the appointment acted on (for a rebooking: the original)
    new_appointment_id: uuid.UUID | None = None  # a rebooking's new appointment
    timeslot_id: uuid.UUID | None = None  # the slot booked, rebooked to, cancelled or confirmed
    detail: str | None = None  # a refusal's resultText, a rebooking's move of unit (never an identity number)
    id: int | None = None  # set by the store: order of appending

    def line(self, show_identity: bool = False) -> str:
        """One line of text; identity numbers masked unless `show_identity`."""
        fields = [
            to_stockholm(self.at).isoformat(timespec="seconds"),
            self.interaction,
            self.action.value,
            self.result_code.value,
            f"unit={self.facility_hsa_id}",
            f"person={_person_text(self.person_id, show_identity)}",
            f"actor={_actor_text(self.actor, show_identity)}",
            f"consumer={self.consumer_hsa_id or '-'}",
        ]
        if self.appointment_id is not None:
            fields.append(f"appointment={self.appointment_id}")
        if self.new_appointment_id is not None:
            fields.append(f"new_appointment={self.new_appointment_id}")
        if self.timeslot_id is not None:
            fields.append(f"timeslot={self.timeslot_id}")
        if self.detail:
            fields.append(f"text={self.detail!r}")
        return "  ".join(fields)


def _person_text(person_id: PersonId | None, show: bool) -> str:
    if person_id is None:
        return "-"
    return person_id.extension if show else person_id.masked()


def _actor_text(actor: Actor | None, show: bool) -> str:
    if actor is None:
        return "-"
    ext = actor.id_extension or "-"
    if not show and actor.id_extension is not None and actor.id_root in PERSON_ID_ROOTS:
        ext = PersonId(actor.id_root, actor.id_extension).masked()
    return f"{ext}/{actor.type_code}"


def time_order(event: AuditEvent) -> tuple[datetime, int]:
    return to_utc(event.at), event.id or 0
