"""Which Engagemangsindex (EI) posts the bookings imply, and the EI transactions a change records.

Scheduling TKB 2.0 §3.1: "…måste tjänsteproducent samtidigt också uppdatera engagemangsindex med
indexposter som motsvarar bokningarna." One post per booking (§3.5.4) of a unit that reports to EI,
while the booking is active and its start lies ahead (§3.5.3, §3.5.6). A change to a booking records,
in its own unit of work, the transactions that bring EI from the post it holds to the post wanted:

- no post -> post: add (deleteFlag=false, mostRecentContent = now);
- post -> post with the same key: update in place, new mostRecentContent (§3.5.7, §3.5.8);
- post -> post with another key: delete the old key, add the new one (§3.5.9);
- post -> none (cancelled, replaced, start passed, unit stopped reporting): delete (§3.5.6).

The store writes them to its outbox in the same transaction (the change and its EI transactions are
committed together or not at all); the deliverer sends them later. Pure domain: no XML here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from .clock import to_utc
from .model import Appointment, PersonId, Timeslot


@dataclass(frozen=True)
class IndexReporting:
    """How a unit's bookings appear in EI (the clinic file's [engagement_index]; docs/configuration.md).

    `source_system`: HSA-id of this booking system (§3.5.5 "Källsystemet som genererade
    engagemangsposten"). `data_controller`: organisation number or HSA-id of the care provider that
    is personuppgiftsansvarig for the unit's bookings (§3.5.5; EI-TKB "Personuppgiftsansvar")."""

    source_system: str
    data_controller: str


@dataclass(frozen=True)
class EngagementKey:
    """The fields of a post that make it unique (TKB 2.0 §3.5.5 "Del av instansens unikhet"); the
    constant ones (serviceDomain, categorization, clinicalProcessInterestId) are the contract's."""

    registered_resident_identification: str  # 12 characters, no hyphen
    logical_address: str  # the unit's HSA-id, as consumers address its booking book
    business_object_instance_identifier: str  # the booking id (appointmentId)
    source_system: str
    data_controller: str


@dataclass(frozen=True)
class EngagementPost:
    """A post this producer has put in EI (or has queued for it): the key as sent, the appointment
    it stands for and its start (the sweep deletes it when the start has passed)."""

    appointment_id: uuid.UUID
    facility_hsa_id: str
    key: EngagementKey
    start: datetime  # aware


@dataclass(frozen=True)
class EngagementTransaction:
    """One EI engagementTransaction: an add/update (`most_recent_content` set) or a delete
    (`delete_flag`, no mostRecentContent: §3.5.10 "…mostRecentContent inte ska uppges…")."""

    appointment_id: uuid.UUID
    key: EngagementKey
    delete_flag: bool
    most_recent_content: datetime | None  # aware; None exactly when delete_flag

    def __post_init__(self) -> None:
        if self.delete_flag != (self.most_recent_content is None):
            raise ValueError("a delete carries no mostRecentContent, an add or update carries one")


def wanted_post(
    appointment: Appointment, slot: Timeslot, reporting: IndexReporting | None, now: datetime
) -> EngagementPost | None:
    """The post the appointment should have in EI now: None when it is not active, its start has
    passed (TKB 2.0 §3.5.6 "…dess starttidpunkt passerats…") or its unit does not report."""
    if reporting is None or not appointment.is_active or slot.start_utc <= to_utc(now):
        return None
    key = EngagementKey(
        registered_resident_identification=_resident(appointment.person_id),
        logical_address=appointment.facility_hsa_id,
        business_object_instance_identifier=str(appointment.id),
        source_system=reporting.source_system,
        data_controller=reporting.data_controller,
    )
    return EngagementPost(appointment.id, appointment.facility_hsa_id, key, slot.start)


def transactions(
    held: EngagementPost | None, wanted: EngagementPost | None, now: datetime, *, touched: bool = True
) -> list[EngagementTransaction]:
    """The transactions that take EI from `held` to `wanted` (in the order to send them).

    `touched`: the booking itself changed, so a post whose key stays gets a new mostRecentContent
    (§3.5.1: the time "då EI-posten (bokningen) skapas (eller ändras)"); False re-keys only."""
    out: list[EngagementTransaction] = []
    if held is not None and (wanted is None or wanted.key != held.key):
        out.append(EngagementTransaction(held.appointment_id, held.key, True, None))
    if wanted is not None and (held is None or wanted.key != held.key or touched):
        out.append(EngagementTransaction(wanted.appointment_id, wanted.key, False, now))
    return out


def _resident(person_id: PersonId) -> str:
    """registeredResidentIdentification: personnummer or samordningsnummer, 12 characters
    (EI-TKB "Nationell accepterad personidentitet")."""
    return person_id.extension
