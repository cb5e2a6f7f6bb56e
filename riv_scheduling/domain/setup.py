"""Clinic-side administration: units, time types, practitioners, timeslots (not a contract).

Used by the demo data set, tests and, later, an admin tool. Misuse raises SetupError.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from .appointments import new_appointment, reserve
from .audit import AuditAction, AuditEvent
from .clock import to_stockholm
from .index_updates import record_index_change
from .lookup import find_facility
from .model import (
    Appointment,
    AppointmentStatus,
    Assignment,
    Code,
    HealthcareFacility,
    HealthcareService,
    OpenInvitation,
    PersonId,
    Practitioner,
    Timeslot,
    TimeType,
)
from .policy import Flow
from .ports import UnitOfWork
from .result_codes import ResultCode, UnknownHealthcareFacility
from .use_case import UseCase


class SetupError(ValueError):
    """Invalid clinic configuration (unknown unit, duplicate id, bad slot...)."""


class ClinicSetup(UseCase):
    """The clinic's own changes (not a contract interaction); proposals obey the same BookingPolicy."""

    def facilities(self) -> list[HealthcareFacility]:
        with self._uow() as uow:
            return uow.facilities.list()

    def add_facility(self, facility: HealthcareFacility, *, exist_ok: bool = False) -> HealthcareFacility:
        """Add a unit; returns the stored one (its canonical HSA-id spelling)."""
        if not facility.hsa_id.strip():
            raise SetupError("empty HSA-id")
        with self._uow().writing() as uow:
            existing = uow.facilities.get(facility.hsa_id)
            if existing is not None:
                if exist_ok:
                    return existing
                raise SetupError(f"healthcare facility {facility.hsa_id} exists")
            uow.facilities.add(facility)
            uow.commit()
        return facility

    def add_time_type(self, facility_hsa_id: str, time_type: TimeType, *, exist_ok: bool = False) -> None:
        """Add a time type; care services it maps to are added when missing."""
        with self._uow().writing() as uow:
            facility = self._facility(uow, facility_hsa_id)
            if uow.time_types.get(facility.hsa_id, time_type.code) is not None:
                if exist_ok:
                    return
                raise SetupError(f"time type {time_type.code} exists at {facility.hsa_id}")
            for service in time_type.healthcare_services:
                if uow.healthcare_services.get(service.code.code) is None:
                    uow.healthcare_services.add(service)
            uow.time_types.add(facility.hsa_id, time_type)
            uow.commit()

    def add_healthcare_service(self, service: HealthcareService, *, exist_ok: bool = False) -> None:
        with self._uow().writing() as uow:
            if uow.healthcare_services.get(service.code.code) is not None:
                if exist_ok:
                    return
                raise SetupError(f"care service {service.code.code} exists")
            uow.healthcare_services.add(service)
            uow.commit()

    def assign_time_type(
        self,
        facility_hsa_id: str,
        person_id: PersonId,
        time_type_code: str,
        priority: int | None = None,
        valid_until: date | None = None,
    ) -> Assignment:
        """Invite a person to a (protected) time type, or record a triage result: the person may
        then search and book it at the unit (see `Assignment`). Replaces an earlier assignment
        of the same time type."""
        if not person_id.is_valid:
            raise SetupError("invalid personId: a personnummer or samordningsnummer of 12 digits")
        if priority is not None and priority < 1:
            raise SetupError("priority must be 1 (most urgent) or more")
        with self._uow().writing() as uow:
            facility = self._facility(uow, facility_hsa_id)
            if uow.time_types.get(facility.hsa_id, time_type_code) is None:
                raise SetupError(f"unknown time type {time_type_code} at {facility.hsa_id}")
            assignment = Assignment(facility.hsa_id, person_id, time_type_code, priority, valid_until)
            uow.assignments.save(assignment)
            uow.commit()
        return assignment

    def invite(
        self,
        facility_hsa_id: str,
        person_id: PersonId,
        time_type_code: str,
        purpose: str,
        valid_until: date | None = None,
    ) -> OpenInvitation:
        """An open invitation (riv.crm.scheduling 1.1 §3.6): the person may book one time of the
        (protected) time type, naming the invitation's id. Made with the assignment that allows the
        booking (as `assign_time_type`), in one transaction. `purpose` is shown as it is (TKB 1.1
        §3.6: an invitation must have one; it may be DocBook markup)."""
        if not person_id.is_valid:
            raise SetupError("invalid personId: a personnummer or samordningsnummer of 12 digits")
        if not purpose.strip():
            raise SetupError("an invitation must say what it is for (purpose)")
        with self._uow().writing() as uow:
            facility = self._facility(uow, facility_hsa_id)
            if uow.time_types.get(facility.hsa_id, time_type_code) is None:
                raise SetupError(f"unknown time type {time_type_code} at {facility.hsa_id}")
            uow.assignments.save(Assignment(facility.hsa_id, person_id, time_type_code, None, valid_until))
            invitation = OpenInvitation(
                uuid.uuid4(), facility.hsa_id, person_id, time_type_code, purpose, self._now(), valid_until
            )
            uow.invitations.add(invitation)
            uow.commit()
        return invitation

    def add_practitioner(self, facility_hsa_id: str, practitioner: Practitioner) -> Practitioner:
        """Add (or reuse, by case-insensitive HSA-id) a practitioner and link them to the unit."""
        with self._uow().writing() as uow:
            facility = self._facility(uow, facility_hsa_id)
            stored = uow.practitioners.get(practitioner.hsa_id)
            if stored is None:
                uow.practitioners.add(practitioner)
                stored = practitioner
            uow.practitioners.link(facility.hsa_id, stored.hsa_id)
            uow.commit()
        return stored

    def add_timeslot(self, slot: Timeslot) -> Timeslot:
        return self.add_timeslots([slot])[0]

    def add_timeslots(self, slots: Iterable[Timeslot], *, skip_existing: bool = False) -> list[Timeslot]:
        """Validate and insert slots in one transaction; returns those inserted (canonical ids)."""
        slots = list(slots)
        with self._uow().writing() as uow:
            facilities: dict[str, HealthcareFacility] = {}
            codes: dict[str, set[str]] = {}
            practitioners: dict[str, str] = {}
            ready: list[Timeslot] = []
            for slot in slots:
                key = slot.facility_hsa_id.lower()
                if key not in facilities:
                    facility = self._facility(uow, slot.facility_hsa_id)
                    facilities[key] = facility
                    codes[key] = {t.code for t in uow.time_types.list(facility.hsa_id)}
                facility = facilities[key]
                if slot.time_type_code not in codes[key]:
                    raise SetupError(f"unknown time type {slot.time_type_code} at {facility.hsa_id}")
                if slot.capacity < 1 or not 0 <= slot.booked <= slot.capacity:
                    raise SetupError(f"timeslot {slot.id}: need capacity >= 1 and 0 <= booked <= capacity")
                canonical = []
                for hsa_id in slot.practitioner_ids:
                    if hsa_id.lower() not in practitioners:
                        stored = uow.practitioners.get(hsa_id)
                        if stored is None:
                            raise SetupError(f"unknown practitioner {hsa_id}")
                        practitioners[hsa_id.lower()] = stored.hsa_id
                    canonical.append(practitioners[hsa_id.lower()])
                ready.append(
                    replace(
                        slot,
                        facility_hsa_id=facility.hsa_id,
                        practitioner_ids=tuple(canonical),
                        start=to_stockholm(slot.start),
                        end=to_stockholm(slot.end),
                    )
                )
            ids = [s.id for s in ready]
            if len(set(ids)) != len(ids):
                raise SetupError("duplicate timeslot ids")
            existing = uow.timeslots.existing_ids(ids)
            if existing and not skip_existing:
                raise SetupError(f"{len(existing)} timeslot id(s) exist already")
            ready = [s for s in ready if s.id not in existing]
            uow.timeslots.add_many(ready)
            uow.commit()
        return ready

    def withdraw_timeslot(self, timeslot_id: uuid.UUID) -> None:
        """The clinic takes a slot out of online booking."""
        with self._uow().writing() as uow:
            if uow.timeslots.get(timeslot_id) is None:
                raise SetupError(f"no timeslot {timeslot_id}")
            uow.timeslots.withdraw(timeslot_id)
            uow.commit()

    def propose_appointment(
        self,
        facility_hsa_id: str,
        person_id: PersonId,
        timeslot_id: uuid.UUID,
        reason_text: str | None = None,
        reason_code: Code | None = None,
        related_appointment_ids: tuple[uuid.UUID, ...] = (),
    ) -> Appointment:
        """The clinic books a slot for a citizen as PRELIMINARY, to be confirmed (flow 4).

        The clinic's own rules are not the citizen's (BookingPolicy, Flow.PROPOSE): no booking notice,
        protected time types and slots held for a priority are fine. The slot must not be withdrawn
        or full, and the person must not be in another appointment at the same time."""
        if not person_id.is_valid:
            raise SetupError("invalid personId: a personnummer or samordningsnummer of 12 digits")
        with self._uow().writing() as uow:
            facility = self._facility(uow, facility_hsa_id)
            uow.lock_person(person_id)
            slot = uow.timeslots.get(timeslot_id)
            if slot is None or slot.facility_hsa_id != facility.hsa_id:
                raise SetupError(f"no timeslot {timeslot_id} at {facility.hsa_id}")
            now = to_stockholm(self._clock())
            time_type = uow.time_types.get(facility.hsa_id, slot.time_type_code)
            time_type = self._policy.check_slot(Flow.PROPOSE, slot, time_type, now)
            reserve(uow, slot)  # before the person's checks, which roll the reservation back
            reason_text, reason_code = self._policy.check_person(
                Flow.PROPOSE, uow, facility, person_id, slot, time_type, now, reason_text, reason_code
            )
            appointment = new_appointment(
                facility, slot, time_type, person_id, AppointmentStatus.PRELIMINARY, now,
                reason_text, reason_code, related_appointment_ids,
            )
            uow.appointments.add(appointment)
            record_index_change(uow, appointment, slot, now, new=True)
            uow.audit.append(
                AuditEvent(
                    at=now,
                    interaction="propose",  # the clinic's command, not a contract interaction
                    action=AuditAction.PROPOSED,
                    result_code=ResultCode.OK,
                    facility_hsa_id=facility.hsa_id,
                    person_id=person_id,
                    actor=None,
                    consumer_hsa_id=None,
                    appointment_id=appointment.id,
                    timeslot_id=slot.id,
                )
            )
            uow.commit()
        return appointment

    @staticmethod
    def _facility(uow: UnitOfWork, hsa_id: str) -> HealthcareFacility:
        try:
            return find_facility(uow, hsa_id)
        except UnknownHealthcareFacility as exc:
            raise SetupError(f"unknown healthcare facility {hsa_id}") from exc
