"""The audit trail through a unit of work: what a change request records, and reading it back.

A change records its event in the unit of work of the change itself (see the use cases); a refusal
is recorded here in a transaction of its own, after the refused unit of work has rolled back.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from .audit import AuditAction, AuditEvent, time_order
from .clock import Clock, to_stockholm
from .model import Actor, PersonId
from .ports import UnitOfWork
from .result_codes import DomainError, ResultCode

log = logging.getLogger(__name__)


@dataclass
class AuditRecord:
    """What one change request records in the audit trail, filled in as the request proceeds."""

    interaction: str
    actor: Actor
    person_id: PersonId
    consumer_hsa_id: str | None
    appointment_id: uuid.UUID | None = None
    timeslot_id: uuid.UUID | None = None
    facility_hsa_id: str | None = None

    def event(
        self,
        at: datetime,
        action: AuditAction,
        code: ResultCode,
        detail: str | None = None,
        *,
        appointment_id: uuid.UUID | None = None,
        new_appointment_id: uuid.UUID | None = None,
        timeslot_id: uuid.UUID | None = None,
    ) -> AuditEvent:
        """The event; ids given here stand in for the record's own."""
        return AuditEvent(
            at=at,
            interaction=self.interaction,
            action=action,
            result_code=code,
            facility_hsa_id=self.facility_hsa_id or "",
            person_id=self.person_id,
            actor=self.actor,
            consumer_hsa_id=self.consumer_hsa_id,
            detail=detail,
            appointment_id=appointment_id or self.appointment_id,
            new_appointment_id=new_appointment_id,
            timeslot_id=timeslot_id or self.timeslot_id,
        )


@contextmanager
def refusals_recorded(uow_factory: Callable[[], UnitOfWork], clock: Clock, record: AuditRecord) -> Iterator[None]:
    """Record a DomainError raised inside (after its own unit of work has rolled back).

    Nothing is recorded before the unit is known (an unknown LogicalAddress is no unit's event)."""
    try:
        yield
    except DomainError as exc:
        if record.facility_hsa_id is not None:
            try:
                with uow_factory().writing() as uow:
                    event = record.event(to_stockholm(clock()), AuditAction.REFUSED, exc.code, exc.text)
                    uow.audit.append(event)
                    uow.commit()
            except Exception:  # the refusal still stands: nothing was changed
                log.exception("could not record the refusal %s in the audit trail", exc.code.value)
        raise


class AuditTrail:
    """Reading the trail: per appointment (with its whole rebooking chain) and per person."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self._uow = uow_factory

    def for_appointment(self, appointment_id: uuid.UUID) -> list[AuditEvent]:
        """Events of the appointment and of every appointment it replaced or was replaced by
        (the chain followed both ways), in time order."""
        with self._uow() as uow:
            seen: set[uuid.UUID] = set()
            frontier = {appointment_id}
            events: dict[int | None, AuditEvent] = {}
            while frontier:
                seen |= frontier
                found = uow.audit.for_appointments(frontier)
                frontier = set()
                for event in found:
                    events[event.id] = event
                    if event.action is AuditAction.REBOOKED:
                        for linked in (event.appointment_id, event.new_appointment_id):
                            if linked is not None and linked not in seen:
                                frontier.add(linked)
            return sorted(events.values(), key=time_order)

    def for_person(self, person_id: PersonId) -> list[AuditEvent]:
        """Every event about the person (booked for, or refused for), in time order."""
        with self._uow() as uow:
            return uow.audit.for_person(person_id)
