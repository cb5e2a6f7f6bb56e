"""What the domain needs from a store: repositories inside one unit of work (= one transaction).

HSA-id arguments named `hsa_id` are matched case-insensitively; `facility_hsa_id` arguments
are the canonical id as returned by `FacilityRepository.get`.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol

from .audit import AuditEvent
from .engagement_index import EngagementPost, EngagementTransaction, IndexReporting
from .model import (
    Appointment,
    Assignment,
    HealthcareFacility,
    HealthcareService,
    OpenInvitation,
    PersonId,
    Practitioner,
    Timeslot,
    TimeType,
)


class FacilityRepository(Protocol):
    def get(self, hsa_id: str) -> HealthcareFacility | None: ...
    def list(self) -> list[HealthcareFacility]: ...
    def add(self, facility: HealthcareFacility) -> None: ...
    def save(self, facility: HealthcareFacility) -> None:
        """Overwrite the stored unit's attributes (matched by canonical `hsa_id`)."""
        ...


class TimeTypeRepository(Protocol):
    """Time types come with their appointment rules and care services."""

    def list(self, facility_hsa_id: str) -> list[TimeType]: ...
    def get(self, facility_hsa_id: str, code: str) -> TimeType | None: ...
    def add(self, facility_hsa_id: str, time_type: TimeType) -> None:
        """Insert; the care services must exist (see HealthcareServiceRepository)."""
        ...

    def save(self, facility_hsa_id: str, time_type: TimeType) -> None:
        """Overwrite an existing time type, its rules and its care-service mapping."""
        ...


class HealthcareServiceRepository(Protocol):
    def get(self, code: str) -> HealthcareService | None: ...
    def list(self) -> list[HealthcareService]: ...
    def add(self, service: HealthcareService) -> None: ...
    def save(self, service: HealthcareService) -> None: ...


class AssignmentRepository(Protocol):
    def list(self, facility_hsa_id: str, person_id: PersonId) -> list[Assignment]:
        """The person's assignments at the unit (valid or not), ordered by time type code."""
        ...

    def save(self, assignment: Assignment) -> None:
        """Insert, or replace the one for the same unit, person and time type."""
        ...


class OpenInvitationRepository(Protocol):
    def get(self, invitation_id: uuid.UUID) -> OpenInvitation | None: ...
    def open_for(self, facility_hsa_id: str, person_id: PersonId, time_type_code: str) -> list[OpenInvitation]:
        """The person's invitations to the time type at the unit that are not booked yet, oldest first."""
        ...

    def add(self, invitation: OpenInvitation) -> None: ...
    def save(self, invitation: OpenInvitation) -> None:
        """Store a stored invitation's appointment_id (the rest does not change)."""
        ...


class PractitionerRepository(Protocol):
    def get(self, hsa_id: str) -> Practitioner | None: ...
    def get_many(self, hsa_ids: Collection[str]) -> dict[str, Practitioner]:
        """Canonical ids -> practitioners (missing ids are left out)."""
        ...

    def list(self, facility_hsa_id: str) -> list[Practitioner]: ...
    def add(self, practitioner: Practitioner) -> None: ...
    def save(self, practitioner: Practitioner) -> None: ...
    def link(self, facility_hsa_id: str, practitioner_hsa_id: str) -> None:
        """Record that the practitioner works at the unit (idempotent)."""
        ...


class TimeslotRepository(Protocol):
    def get(self, timeslot_id: uuid.UUID) -> Timeslot | None: ...
    def find_free(
        self,
        facility_hsa_id: str,
        start_from: datetime,
        start_before: datetime,
        time_type_codes: Collection[str] | None = None,
        practitioner_hsa_id: str | None = None,
        priority: int | None = None,
    ) -> list[Timeslot]:
        """Free (booked < capacity, not withdrawn) slots with start_from <= start < start_before,
        offered to `priority` (see `Timeslot.offered_to`), ordered by start; one indexed range query."""
        ...

    def free_time_type_codes(
        self, facility_hsa_id: str, start_from: datetime, practitioner_hsa_id: str | None = None
    ) -> set[str]:
        """Codes of the time types with a free slot starting at or after start_from."""
        ...

    def free_practitioner_ids(
        self, facility_hsa_id: str, start_from: datetime, time_type_codes: Collection[str]
    ) -> set[str]:
        """Practitioners with a free slot of one of the time types starting at or after start_from."""
        ...

    def list_from(
        self, facility_hsa_id: str, start_from: datetime, time_type_codes: Collection[str]
    ) -> list[Timeslot]:
        """All slots (free, booked or withdrawn) of the time types starting at or after start_from."""
        ...

    def update_unbooked(self, slot: Timeslot) -> bool:
        """Overwrite end, capacity, priority, resources and alternative location of a slot that
        nobody has booked (booked = 0, decided by the database); False if it was booked."""
        ...

    def remove_unbooked(self, timeslot_id: uuid.UUID) -> bool:
        """Delete a slot nobody has booked (withdraw it instead while old appointments refer to it);
        False when booked, unknown, or withdrawn already and still referred to."""
        ...

    def existing_ids(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]: ...
    def add_many(self, slots: Iterable[Timeslot]) -> None: ...
    def reserve(self, timeslot_id: uuid.UUID) -> bool:
        """Atomically take one place if the slot is free; False when full or withdrawn.
        This is THE no-double-booking guarantee and must be enforced by the database."""
        ...

    def release(self, timeslot_id: uuid.UUID) -> None: ...
    def withdraw(self, timeslot_id: uuid.UUID) -> None: ...


class AppointmentRepository(Protocol):
    def get(self, appointment_id: uuid.UUID) -> Appointment | None: ...
    def add(self, appointment: Appointment) -> None: ...
    def save(self, appointment: Appointment) -> None:
        """Persist the mutable fields (status, state, reasons, replaced_by, updated_at)."""
        ...

    def list_active(
        self,
        facility_hsa_id: str,
        person_id: PersonId,
        start_from: datetime | None = None,
        start_before: datetime | None = None,
    ) -> list[tuple[Appointment, Timeslot]]:
        """The person's ACTIVE appointments at the unit with their slots, ordered by start."""
        ...

    def overlapping_active(
        self, facility_hsa_id: str, person_id: PersonId, start: datetime, end: datetime
    ) -> list[Appointment]:
        """The person's ACTIVE appointments at the unit whose slot overlaps [start, end)."""
        ...


class AuditRepository(Protocol):
    """The append-only audit trail: there is no way to change or remove an event."""

    def append(self, event: AuditEvent) -> None: ...
    def for_appointments(self, appointment_ids: Collection[uuid.UUID]) -> list[AuditEvent]:
        """Events whose appointment_id or new_appointment_id is one of the ids, in time order."""
        ...

    def for_person(self, person_id: PersonId) -> list[AuditEvent]:
        """Events about the person, in time order."""
        ...


class EngagementIndexRepository(Protocol):
    """Engagemangsindex (domain/engagement_index.py): which units report, the post each appointment
    has there, and the outbox the deliverer sends from. `record` writes in this unit of work's
    transaction, so the transactions are committed with the change that implies them, or not at all."""

    def reporting(self, facility_hsa_id: str) -> IndexReporting | None:
        """How the unit reports to EI; None when it does not."""
        ...

    def set_reporting(self, facility_hsa_id: str, reporting: IndexReporting | None) -> None: ...
    def post(self, appointment_id: uuid.UUID) -> EngagementPost | None: ...
    def posts_of(self, facility_hsa_id: str) -> list[EngagementPost]:
        """The unit's posts, ordered by start."""
        ...

    def passed(self, now: datetime, limit: int) -> list[EngagementPost]:
        """Posts whose start is at or before `now` (oldest first, at most `limit`)."""
        ...

    def record(
        self,
        appointment_id: uuid.UUID,
        transactions: Sequence[EngagementTransaction],
        post: EngagementPost | None,
        new: bool = False,
    ) -> None:
        """Append the transactions to the outbox (in order) and make `post` the appointment's post
        (None: it has none). `new`: the appointment has no post yet."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Use as `with uow:`.

    Work that writes calls `writing()` before entering: the store then takes its write lock up front
    (SQLite `BEGIN IMMEDIATE`) so that reads inside see a stable state, and nothing is kept unless
    `commit()` is called. A unit of work entered without `writing()` only reads.
    """

    # Read-only members, so that a store may declare its own repository classes (covariance).
    @property
    def facilities(self) -> FacilityRepository: ...
    @property
    def time_types(self) -> TimeTypeRepository: ...
    @property
    def practitioners(self) -> PractitionerRepository: ...
    @property
    def timeslots(self) -> TimeslotRepository: ...
    @property
    def appointments(self) -> AppointmentRepository: ...
    @property
    def healthcare_services(self) -> HealthcareServiceRepository: ...
    @property
    def assignments(self) -> AssignmentRepository: ...
    @property
    def invitations(self) -> OpenInvitationRepository: ...
    @property
    def audit(self) -> AuditRepository: ...
    @property
    def engagement_index(self) -> EngagementIndexRepository: ...

    def writing(self) -> UnitOfWork: ...
    def lock_person(self, person_id: PersonId) -> None:
        """Hold the person's lock until the unit of work ends: changes for one person are
        serialised, so the person's overlap check (USER_IS_ALREADY_OCCUPIED) and the recognition
        of a repeated request cannot race. Take it before reading the person's appointments."""
        ...

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...


__all__ = [
    "AppointmentRepository",
    "AuditRepository",
    "AssignmentRepository",
    "EngagementIndexRepository",
    "FacilityRepository",
    "HealthcareServiceRepository",
    "PractitionerRepository",
    "TimeTypeRepository",
    "TimeslotRepository",
    "UnitOfWork",
]
