"""An in-memory UnitOfWork for domain unit tests (no database).

It behaves as the SQL store does (tests/store/test_repository_contract.py runs the same contract on
this fake, SQLite and PostgreSQL): times come back in Swedish time, a reading unit of work refuses
writes, save() of something not stored changes nothing, and so on.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Any

from riv_scheduling.domain import (
    Actor,
    Appointment,
    AppointmentState,
    Assignment,
    AuditEvent,
    HealthcareFacility,
    HealthcareService,
    OpenInvitation,
    PersonId,
    Practitioner,
    Timeslot,
    TimeType,
    to_stockholm,
    to_utc,
)
from riv_scheduling.domain.engagement_index import EngagementPost, EngagementTransaction, IndexReporting
from riv_scheduling.store.engine import ReadingUnitOfWorkWrites


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
    invitations: dict[uuid.UUID, OpenInvitation] = field(default_factory=dict)
    audit: list[AuditEvent] = field(default_factory=list)
    ei_reporting: dict[str, IndexReporting] = field(default_factory=dict)  # by canonical unit id
    ei_posts: dict[uuid.UUID, EngagementPost] = field(default_factory=dict)
    ei_outbox: list[EngagementTransaction] = field(default_factory=list)


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
    def __init__(self, data: Data, unit: FakeUnitOfWork) -> None:
        self.d = data
        self._unit = unit

    def _writes(self, what: str) -> None:
        """The store refuses any write in a unit of work entered without writing()."""
        if not self._unit.write:
            raise ReadingUnitOfWorkWrites(f"{type(self).__name__}.{what}")


class Facilities(_Repo):
    def get(self, hsa_id: str) -> HealthcareFacility | None:
        return self.d.facilities.get(hsa_id.lower())

    def list(self) -> list[HealthcareFacility]:
        return [self.d.facilities[k] for k in sorted(self.d.facilities)]

    def add(self, facility: HealthcareFacility) -> None:
        self._writes("add")
        assert facility.hsa_id.lower() not in self.d.facilities
        self.d.facilities[facility.hsa_id.lower()] = facility

    def save(self, facility: HealthcareFacility) -> None:
        """Matched by the canonical id (exact spelling); an id not stored changes nothing."""
        self._writes("save")
        stored = self.d.facilities.get(facility.hsa_id.lower())
        if stored is not None and stored.hsa_id == facility.hsa_id:
            self.d.facilities[facility.hsa_id.lower()] = facility


class TimeTypes(_Repo):
    def _read(self, time_type: TimeType) -> TimeType:
        """Care services as they are stored now (the store joins them), in the time type's order."""
        services = tuple(self.d.services[s.code.code] for s in time_type.healthcare_services)
        return replace(time_type, healthcare_services=services)

    def list(self, facility_hsa_id: str) -> list[TimeType]:
        return [self._read(t) for (f, _), t in sorted(self.d.time_types.items()) if f == facility_hsa_id]

    def get(self, facility_hsa_id: str, code: str) -> TimeType | None:
        found = self.d.time_types.get((facility_hsa_id, code))
        return self._read(found) if found is not None else None

    def add(self, facility_hsa_id: str, time_type: TimeType) -> None:
        self._writes("add")
        assert (facility_hsa_id, time_type.code) not in self.d.time_types
        self._put(facility_hsa_id, time_type)

    def save(self, facility_hsa_id: str, time_type: TimeType) -> None:
        self._writes("save")
        assert (facility_hsa_id, time_type.code) in self.d.time_types
        self._put(facility_hsa_id, time_type)

    def _put(self, facility_hsa_id: str, time_type: TimeType) -> None:
        assert all(s.code.code in self.d.services for s in time_type.healthcare_services)
        self.d.time_types[(facility_hsa_id, time_type.code)] = time_type


class HealthcareServices(_Repo):
    def get(self, code: str) -> HealthcareService | None:
        return self.d.services.get(code)

    def list(self) -> list[HealthcareService]:
        return [self.d.services[k] for k in sorted(self.d.services)]

    def add(self, service: HealthcareService) -> None:
        self._writes("add")
        assert service.code.code not in self.d.services
        self.d.services[service.code.code] = service

    def save(self, service: HealthcareService) -> None:
        """A code not stored changes nothing."""
        self._writes("save")
        if service.code.code in self.d.services:
            self.d.services[service.code.code] = service


class Invitations(_Repo):
    def get(self, invitation_id: uuid.UUID) -> OpenInvitation | None:
        found = self.d.invitations.get(invitation_id)
        return replace(found) if found else None  # a copy, as a store reads a row

    def open_for(self, facility_hsa_id: str, person_id: PersonId, time_type_code: str) -> list[OpenInvitation]:
        found = [i for i in self.d.invitations.values()
                 if (i.facility_hsa_id, i.person_id, i.time_type_code) == (facility_hsa_id, person_id, time_type_code)
                 and i.appointment_id is None]
        return [replace(i) for i in sorted(found, key=lambda i: (i.created_at, str(i.id)))]

    def add(self, invitation: OpenInvitation) -> None:
        self._writes("add")
        assert invitation.id not in self.d.invitations
        self.d.invitations[invitation.id] = replace(invitation)

    def save(self, invitation: OpenInvitation) -> None:
        self._writes("save")
        stored = self.d.invitations.get(invitation.id)
        if stored is not None:  # only the appointment it became changes
            self.d.invitations[invitation.id] = replace(stored, appointment_id=invitation.appointment_id)


class Assignments(_Repo):
    def list(self, facility_hsa_id: str, person_id: PersonId) -> list[Assignment]:
        return [
            a
            for (f, root, ext, _), a in sorted(self.d.assignments.items())
            if (f, root, ext) == (facility_hsa_id, person_id.root, person_id.extension)
        ]

    def save(self, assignment: Assignment) -> None:
        self._writes("save")
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
        self._writes("add")
        assert practitioner.hsa_id.lower() not in self.d.practitioners
        self.d.practitioners[practitioner.hsa_id.lower()] = practitioner

    def save(self, practitioner: Practitioner) -> None:
        """Matched by the canonical id (exact spelling); an id not stored changes nothing."""
        self._writes("save")
        stored = self.d.practitioners.get(practitioner.hsa_id.lower())
        if stored is not None and stored.hsa_id == practitioner.hsa_id:
            self.d.practitioners[practitioner.hsa_id.lower()] = practitioner

    def link(self, facility_hsa_id: str, practitioner_hsa_id: str) -> None:
        if (facility_hsa_id, practitioner_hsa_id) not in self.d.links:
            self._writes("link")
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
        self._writes("update_unbooked")
        stored = self.d.timeslots.get(slot.id)
        if stored is None or stored.booked:
            return False
        self.d.timeslots[slot.id] = replace(
            stored,
            end=to_stockholm(slot.end),
            capacity=slot.capacity,
            priority=slot.priority,
            resources=slot.resources,
            alternative_location=slot.alternative_location,
        )
        return True

    def remove_unbooked(self, timeslot_id: uuid.UUID) -> bool:
        stored = self.d.timeslots.get(timeslot_id)
        if stored is None or stored.booked:
            return False
        self._writes("remove_unbooked")
        if any(a.timeslot_id == timeslot_id for a in self.d.appointments.values()):
            if stored.withdrawn:
                return False
            self.d.timeslots[timeslot_id] = replace(stored, withdrawn=True)
        else:
            # As the store does: a withdrawn slot that no appointment names is deleted too (True),
            # although ports.py says False when already withdrawn (see the contract suite's xfail).
            del self.d.timeslots[timeslot_id]
        return True

    def existing_ids(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        return {i for i in ids if i in self.d.timeslots}

    def add_many(self, slots: Iterable[Timeslot]) -> None:
        for s in slots:
            self._writes("add_many")
            assert s.id not in self.d.timeslots
            self.d.timeslots[s.id] = replace(s, start=to_stockholm(s.start), end=to_stockholm(s.end))

    def reserve(self, timeslot_id: uuid.UUID) -> bool:
        self._writes("reserve")
        s = self.d.timeslots.get(timeslot_id)
        if s is None or not s.is_free:
            return False
        self.d.timeslots[timeslot_id] = replace(s, booked=s.booked + 1)
        return True

    def release(self, timeslot_id: uuid.UUID) -> None:
        self._writes("release")
        s = self.d.timeslots.get(timeslot_id)
        if s is not None:
            self.d.timeslots[timeslot_id] = replace(s, booked=max(s.booked - 1, 0))

    def withdraw(self, timeslot_id: uuid.UUID) -> None:
        self._writes("withdraw")
        s = self.d.timeslots.get(timeslot_id)
        if s is not None:
            self.d.timeslots[timeslot_id] = replace(s, withdrawn=True)


# What AppointmentRepository.save persists; the rest is fixed when the appointment is made.
_MUTABLE = (
    "status",
    "state",
    "new_reason_text",
    "new_reason_code",
    "update_reason_text",
    "update_reason_code",
    "cancel_reason_text",
    "cancel_reason_code",
    "replaced_by",
    "updated_at",
)


class Appointments(_Repo):
    def get(self, appointment_id: uuid.UUID) -> Appointment | None:
        a = self.d.appointments.get(appointment_id)
        return copy.deepcopy(a)  # callers mutate; only save() publishes

    def add(self, appointment: Appointment) -> None:
        self._writes("add")
        assert appointment.id not in self.d.appointments
        self.d.appointments[appointment.id] = replace(
            copy.deepcopy(appointment),
            created_at=to_stockholm(appointment.created_at),
            updated_at=to_stockholm(appointment.updated_at),
        )

    def save(self, appointment: Appointment) -> None:
        """Persists the mutable fields (see the port); an appointment not stored changes nothing."""
        self._writes("save")
        stored = self.d.appointments.get(appointment.id)
        if stored is None:
            return
        mutable: dict[str, Any] = {name: copy.deepcopy(getattr(appointment, name)) for name in _MUTABLE}
        mutable["updated_at"] = to_stockholm(appointment.updated_at)
        self.d.appointments[appointment.id] = replace(stored, **mutable)

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


def _clip(value: str | None) -> str | None:
    """As the store keeps values from a request within their 64-character columns."""
    return value[:64] if value is not None else None


class Audit(_Repo):
    def append(self, event: AuditEvent) -> None:
        self._writes("append")
        person, actor = event.person_id, event.actor
        self.d.audit.append(
            replace(
                event,
                id=len(self.d.audit) + 1,
                at=to_stockholm(event.at),
                facility_hsa_id=str(_clip(event.facility_hsa_id)),
                person_id=PersonId(str(_clip(person.root)), str(_clip(person.extension))) if person else None,
                actor=Actor(str(_clip(actor.id_root)), _clip(actor.id_extension), str(_clip(actor.type_code)))
                if actor
                else None,
                consumer_hsa_id=_clip(event.consumer_hsa_id),
            )
        )

    @staticmethod
    def _in_time_order(events: Iterable[AuditEvent]) -> list[AuditEvent]:
        return sorted(events, key=lambda e: (to_utc(e.at), e.id or 0))

    def for_appointments(self, appointment_ids: Collection[uuid.UUID]) -> list[AuditEvent]:
        ids = set(appointment_ids)
        return self._in_time_order(e for e in self.d.audit if e.appointment_id in ids or e.new_appointment_id in ids)

    def for_person(self, person_id: PersonId) -> list[AuditEvent]:
        return self._in_time_order(e for e in self.d.audit if e.person_id == person_id)


class EngagementIndex(_Repo):
    def reporting(self, facility_hsa_id: str) -> IndexReporting | None:
        return self.d.ei_reporting.get(facility_hsa_id)

    def set_reporting(self, facility_hsa_id: str, reporting: IndexReporting | None) -> None:
        self._writes("set_reporting")
        self.d.ei_reporting.pop(facility_hsa_id, None)
        if reporting is not None:
            self.d.ei_reporting[facility_hsa_id] = reporting

    def post(self, appointment_id: uuid.UUID) -> EngagementPost | None:
        post = self.d.ei_posts.get(appointment_id)
        return replace(post, start=to_stockholm(post.start)) if post is not None else None

    def posts_of(self, facility_hsa_id: str) -> list[EngagementPost]:
        found = [p for p in self.d.ei_posts.values() if p.facility_hsa_id == facility_hsa_id]
        return sorted(found, key=lambda p: to_utc(p.start))

    def passed(self, now: datetime, limit: int) -> list[EngagementPost]:
        found = sorted((p for p in self.d.ei_posts.values() if to_utc(p.start) <= to_utc(now)), key=lambda p: p.start)
        return found[:limit]

    def record(
        self,
        appointment_id: uuid.UUID,
        transactions: Sequence[EngagementTransaction],
        post: EngagementPost | None,
        new: bool = False,
    ) -> None:
        self._writes("record")
        assert not (new and appointment_id in self.d.ei_posts), "new, but it has a post"
        self.d.ei_outbox.extend(transactions)
        self.d.ei_posts.pop(appointment_id, None)
        if post is not None:
            self.d.ei_posts[appointment_id] = post


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
        self.facilities = Facilities(self._data, self)
        self.time_types = TimeTypes(self._data, self)
        self.practitioners = Practitioners(self._data, self)
        self.timeslots = Timeslots(self._data, self)
        self.appointments = Appointments(self._data, self)
        self.healthcare_services = HealthcareServices(self._data, self)
        self.assignments = Assignments(self._data, self)
        self.invitations = Invitations(self._data, self)
        self.audit = Audit(self._data, self)
        self.engagement_index = EngagementIndex(self._data, self)
        self.locked: list[PersonId] = []
        return self

    def lock_person(self, person_id: PersonId) -> None:
        if not self.write:
            raise ReadingUnitOfWorkWrites("lock_person: only a writing unit of work changes a person's appointments")
        self.locked.append(person_id)

    def commit(self) -> None:
        """As in the store, a reading unit of work may commit too: it has written nothing."""
        if self.write:
            self._db.data = copy.deepcopy(self._data)  # later writes in this unit are not published
            self.committed = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._data = Data()  # uncommitted work is dropped
