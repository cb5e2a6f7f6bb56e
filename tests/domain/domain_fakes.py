"""An in-memory UnitOfWork for domain unit tests (no database)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType

from riv_scheduling.domain import (
    Appointment,
    AppointmentState,
    Assignment,
    AuditEvent,
    HealthcareFacility,
    HealthcareService,
    PersonId,
    Practitioner,
    Timeslot,
    TimeType,
    to_utc,
)


@dataclass
class Data:
    facilities: dict[str, HealthcareFacility] = field(default_factory=dict)  # by lower-case id
    time_types: dict[tuple[str, str], TimeType] = field(default_factory=dict)
    practitioners: dict[str, Practitioner] = field(default_factory=dict)  # by lower-case id
    links: set[tuple[str, str]] = field(default_factory=set)
    timeslots: dict[uuid.UUID, Timeslot] = field(default_factory=dict)
    appointments: dict[uuid.UUID, Appointment] = field(default_factory=dict)
    services: dict[str, HealthcareService] = field(default_factory=dict)
    assignments: dict[tuple[str, str, str, str], Assignment] = field(default_factory=dict)
    audit: list[AuditEvent] = field(default_factory=list)


class FakeDatabase:
    """Shared state; every unit of work works on a copy and publishes it on commit."""

    def __init__(self) -> None:
        self.data = Data()
        self.units: list[FakeUnitOfWork] = []

    def uow(self) -> FakeUnitOfWork:
        unit = FakeUnitOfWork(self)
        self.units.append(unit)
        return unit


class _Repo:
    def __init__(self, data: Data) -> None:
        self.d = data


class Facilities(_Repo):
    def get(self, hsa_id: str) -> HealthcareFacility | None:
        return self.d.facilities.get(hsa_id.lower())

    def list(self) -> list[HealthcareFacility]:
        return [self.d.facilities[k] for k in sorted(self.d.facilities)]

    def add(self, facility: HealthcareFacility) -> None:
        assert facility.hsa_id.lower() not in self.d.facilities
        self.d.facilities[facility.hsa_id.lower()] = facility

    def save(self, facility: HealthcareFacility) -> None:
        assert facility.hsa_id.lower() in self.d.facilities
        self.d.facilities[facility.hsa_id.lower()] = facility


class TimeTypes(_Repo):
    def list(self, facility_hsa_id: str) -> list[TimeType]:
        return [t for (f, _), t in sorted(self.d.time_types.items()) if f == facility_hsa_id]

    def get(self, facility_hsa_id: str, code: str) -> TimeType | None:
        return self.d.time_types.get((facility_hsa_id, code))

    def add(self, facility_hsa_id: str, time_type: TimeType) -> None:
        assert all(s.code.code in self.d.services for s in time_type.healthcare_services)
        self.d.time_types[(facility_hsa_id, time_type.code)] = time_type

    def save(self, facility_hsa_id: str, time_type: TimeType) -> None:
        assert (facility_hsa_id, time_type.code) in self.d.time_types
        self.add(facility_hsa_id, time_type)


class HealthcareServices(_Repo):
    def get(self, code: str) -> HealthcareService | None:
        return self.d.services.get(code)

    def list(self) -> list[HealthcareService]:
        return [self.d.services[k] for k in sorted(self.d.services)]

    def add(self, service: HealthcareService) -> None:
        assert service.code.code not in self.d.services
        self.d.services[service.code.code] = service

    def save(self, service: HealthcareService) -> None:
        self.d.services[service.code.code] = service


class Assignments(_Repo):
    def list(self, facility_hsa_id: str, person_id: PersonId) -> list[Assignment]:
        return [
            a
            for (f, root, ext, _), a in sorted(self.d.assignments.items())
            if (f, root, ext) == (facility_hsa_id, person_id.root, person_id.extension)
        ]

    def save(self, assignment: Assignment) -> None:
        p = assignment.person_id
        self.d.assignments[(assignment.facility_hsa_id, p.root, p.extension, assignment.time_type_code)] = assignment


class Practitioners(_Repo):
    def get(self, hsa_id: str) -> Practitioner | None:
        return self.d.practitioners.get(hsa_id.lower())

    def get_many(self, hsa_ids: Collection[str]) -> dict[str, Practitioner]:
        by_id = {p.hsa_id: p for p in self.d.practitioners.values()}
        return {h: by_id[h] for h in hsa_ids if h in by_id}

    def list(self, facility_hsa_id: str) -> list[Practitioner]:
        ps = [p for p in self.d.practitioners.values() if (facility_hsa_id, p.hsa_id) in self.d.links]
        return sorted(ps, key=lambda p: (p.last_name, p.first_name, p.hsa_id))

    def add(self, practitioner: Practitioner) -> None:
        self.d.practitioners[practitioner.hsa_id.lower()] = practitioner

    def save(self, practitioner: Practitioner) -> None:
        self.d.practitioners[practitioner.hsa_id.lower()] = practitioner

    def link(self, facility_hsa_id: str, practitioner_hsa_id: str) -> None:
        self.d.links.add((facility_hsa_id, practitioner_hsa_id))


class Timeslots(_Repo):
    def get(self, timeslot_id: uuid.UUID) -> Timeslot | None:
        return self.d.timeslots.get(timeslot_id)

    def find_free(
        self,
        facility_hsa_id: str,
        start_from: datetime,
        start_before: datetime,
        time_type_codes: Collection[str] | None = None,
        practitioner_hsa_id: str | None = None,
        priority: int | None = None,
    ) -> list[Timeslot]:
        found = [
            s
            for s in self.d.timeslots.values()
            if s.facility_hsa_id == facility_hsa_id
            and to_utc(start_from) <= to_utc(s.start) < to_utc(start_before)
            and s.is_free
            and s.offered_to(priority)
            and (time_type_codes is None or s.time_type_code in time_type_codes)
            and (practitioner_hsa_id is None or practitioner_hsa_id in s.practitioner_ids)
        ]
        return sorted(found, key=lambda s: (to_utc(s.start), str(s.id)))

    def _free_from(self, facility_hsa_id: str, start_from: datetime) -> list[Timeslot]:
        return [
            s
            for s in self.d.timeslots.values()
            if s.facility_hsa_id == facility_hsa_id and s.is_free and to_utc(s.start) >= to_utc(start_from)
        ]

    def free_time_type_codes(
        self, facility_hsa_id: str, start_from: datetime, practitioner_hsa_id: str | None = None
    ) -> set[str]:
        return {
            s.time_type_code
            for s in self._free_from(facility_hsa_id, start_from)
            if practitioner_hsa_id is None or practitioner_hsa_id in s.practitioner_ids
        }

    def free_practitioner_ids(
        self, facility_hsa_id: str, start_from: datetime, time_type_codes: Collection[str]
    ) -> set[str]:
        return {
            p
            for s in self._free_from(facility_hsa_id, start_from)
            if s.time_type_code in time_type_codes
            for p in s.practitioner_ids
        }

    def list_from(
        self, facility_hsa_id: str, start_from: datetime, time_type_codes: Collection[str]
    ) -> list[Timeslot]:
        found = [
            s
            for s in self.d.timeslots.values()
            if s.facility_hsa_id == facility_hsa_id
            and s.time_type_code in time_type_codes
            and to_utc(s.start) >= to_utc(start_from)
        ]
        return sorted(found, key=lambda s: (to_utc(s.start), str(s.id)))

    def update_unbooked(self, slot: Timeslot) -> bool:
        stored = self.d.timeslots[slot.id]
        if stored.booked:
            return False
        self.d.timeslots[slot.id] = replace(
            stored,
            end=slot.end,
            capacity=slot.capacity,
            priority=slot.priority,
            resources=slot.resources,
            alternative_location=slot.alternative_location,
        )
        return True

    def remove_unbooked(self, timeslot_id: uuid.UUID) -> bool:
        stored = self.d.timeslots[timeslot_id]
        if stored.booked or stored.withdrawn:
            return False
        if any(a.timeslot_id == timeslot_id for a in self.d.appointments.values()):
            self.d.timeslots[timeslot_id] = replace(stored, withdrawn=True)
        else:
            del self.d.timeslots[timeslot_id]
        return True

    def existing_ids(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        return {i for i in ids if i in self.d.timeslots}

    def add_many(self, slots: Iterable[Timeslot]) -> None:
        for s in slots:
            assert s.id not in self.d.timeslots
            self.d.timeslots[s.id] = s

    def reserve(self, timeslot_id: uuid.UUID) -> bool:
        s = self.d.timeslots[timeslot_id]
        if not s.is_free:
            return False
        self.d.timeslots[timeslot_id] = replace(s, booked=s.booked + 1)
        return True

    def release(self, timeslot_id: uuid.UUID) -> None:
        s = self.d.timeslots[timeslot_id]
        self.d.timeslots[timeslot_id] = replace(s, booked=max(s.booked - 1, 0))

    def withdraw(self, timeslot_id: uuid.UUID) -> None:
        s = self.d.timeslots[timeslot_id]
        self.d.timeslots[timeslot_id] = replace(s, withdrawn=True)


class Appointments(_Repo):
    def get(self, appointment_id: uuid.UUID) -> Appointment | None:
        a = self.d.appointments.get(appointment_id)
        return copy.deepcopy(a)  # callers mutate; only save() publishes

    def add(self, appointment: Appointment) -> None:
        assert appointment.id not in self.d.appointments
        self.d.appointments[appointment.id] = copy.deepcopy(appointment)

    def save(self, appointment: Appointment) -> None:
        assert appointment.id in self.d.appointments
        self.d.appointments[appointment.id] = copy.deepcopy(appointment)

    def _active(self, facility_hsa_id: str, person_id: PersonId) -> list[Appointment]:
        return [
            copy.deepcopy(a)
            for a in self.d.appointments.values()
            if a.facility_hsa_id == facility_hsa_id and a.person_id == person_id and a.state is AppointmentState.ACTIVE
        ]

    def list_active(
        self,
        facility_hsa_id: str,
        person_id: PersonId,
        start_from: datetime | None = None,
        start_before: datetime | None = None,
    ) -> list[tuple[Appointment, Timeslot]]:
        rows = [(a, self.d.timeslots[a.timeslot_id]) for a in self._active(facility_hsa_id, person_id)]
        rows = [
            (a, s)
            for a, s in rows
            if (start_from is None or to_utc(s.start) >= to_utc(start_from))
            and (start_before is None or to_utc(s.start) < to_utc(start_before))
        ]
        return sorted(rows, key=lambda r: to_utc(r[1].start))

    def overlapping_active(
        self, facility_hsa_id: str, person_id: PersonId, start: datetime, end: datetime
    ) -> list[Appointment]:
        return [
            a for a in self._active(facility_hsa_id, person_id) if self.d.timeslots[a.timeslot_id].overlaps(start, end)
        ]


class Audit(_Repo):
    def append(self, event: AuditEvent) -> None:
        self.d.audit.append(replace(event, id=len(self.d.audit) + 1))

    def for_appointments(self, appointment_ids: Collection[uuid.UUID]) -> list[AuditEvent]:
        ids = set(appointment_ids)
        return [e for e in self.d.audit if e.appointment_id in ids or e.new_appointment_id in ids]

    def for_person(self, person_id: PersonId) -> list[AuditEvent]:
        return [e for e in self.d.audit if e.person_id == person_id]


class FakeUnitOfWork:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db
        self.write = False
        self.committed = False

    def writing(self) -> FakeUnitOfWork:
        self.write = True
        return self

    def __enter__(self) -> FakeUnitOfWork:
        self._data = copy.deepcopy(self._db.data)
        self.facilities = Facilities(self._data)
        self.time_types = TimeTypes(self._data)
        self.practitioners = Practitioners(self._data)
        self.timeslots = Timeslots(self._data)
        self.appointments = Appointments(self._data)
        self.healthcare_services = HealthcareServices(self._data)
        self.assignments = Assignments(self._data)
        self.audit = Audit(self._data)
        self.locked: list[PersonId] = []
        return self

    def lock_person(self, person_id: PersonId) -> None:
        self.locked.append(person_id)

    def commit(self) -> None:
        assert self.write, "commit in a unit of work not marked writing()"
        self._db.data = self._data
        self.committed = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._data = Data()  # uncommitted work is dropped
