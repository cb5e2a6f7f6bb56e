"""What the domain needs from a store: repositories inside one unit of work (= one transaction).

HSA-id arguments named `hsa_id` are matched case-insensitively; `facility_hsa_id` arguments
are the canonical id as returned by `FacilityRepository.get`.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from datetime import datetime
from types import TracebackType
from typing import Protocol

from .model import (
    Appointment,
    HealthcareFacility,
    PersonId,
    Practitioner,
    Timeslot,
    TimeType,
)


class FacilityRepository(Protocol):
    def get(self, hsa_id: str) -> HealthcareFacility | None: ...
    def list(self) -> list[HealthcareFacility]: ...
    def add(self, facility: HealthcareFacility) -> None: ...


class TimeTypeRepository(Protocol):
    def list(self, facility_hsa_id: str) -> list[TimeType]: ...
    def get(self, facility_hsa_id: str, code: str) -> TimeType | None: ...
    def add(self, facility_hsa_id: str, time_type: TimeType) -> None: ...


class PractitionerRepository(Protocol):
    def get(self, hsa_id: str) -> Practitioner | None: ...
    def get_many(self, hsa_ids: Collection[str]) -> dict[str, Practitioner]:
        """Canonical ids -> practitioners (missing ids are left out)."""
        ...

    def list(self, facility_hsa_id: str) -> list[Practitioner]: ...
    def add(self, practitioner: Practitioner) -> None: ...
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
    ) -> list[Timeslot]:
        """Free (booked < capacity, not withdrawn) slots with start_from <= start < start_before,
        ordered by start; one indexed range query."""
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


class UnitOfWork(Protocol):
    """One transaction. Use as `with uow:`; nothing is kept unless `commit()` is called.

    Call `writing()` before entering when the work will write: the store then takes its write
    lock up front (SQLite `BEGIN IMMEDIATE`) so that reads inside see a stable state.
    """

    facilities: FacilityRepository
    time_types: TimeTypeRepository
    practitioners: PractitionerRepository
    timeslots: TimeslotRepository
    appointments: AppointmentRepository

    def writing(self) -> UnitOfWork: ...
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
    "FacilityRepository",
    "PractitionerRepository",
    "TimeTypeRepository",
    "TimeslotRepository",
    "UnitOfWork",
]
