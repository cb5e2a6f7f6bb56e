"""The booking operations and their rules (CONTRACTS.md §3, §5, §6).

Each public method is one unit of work (one store transaction). Refusals are DomainError with
exactly one ResultCode; an unknown LogicalAddress is UnknownHealthcareFacility.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta

from .clock import end_of_day, local_date, start_of_day, stockholm_now, to_stockholm, to_utc
from .model import (
    Actor,
    Appointment,
    AppointmentState,
    AppointmentStatus,
    AppointmentView,
    AvailableDate,
    Code,
    HealthcareFacility,
    PersonId,
    Practitioner,
    Timeslot,
    TimeslotQuery,
    TimeslotView,
    TimeType,
)
from .ports import UnitOfWork
from .result_codes import DomainError, ResultCode, UnknownHealthcareFacility

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

NO_SUCH_TIMESLOT = "Den valda tiden finns inte hos mottagningen."
INVALID_PERSON_ID = "Ogiltigt personId: ange personnummer eller samordningsnummer med 12 siffror."


def _keys(hsa_ids: Iterable[str]) -> frozenset[str]:
    """HSA-ids compare case-insensitively."""
    return frozenset(h.lower() for h in hsa_ids)


def _lead_time(slot: Timeslot, now: datetime) -> timedelta:
    """Real time from now until the slot starts (negative once started)."""
    return to_utc(slot.start) - to_utc(now)


def find_facility(uow: UnitOfWork, logical_address: str) -> HealthcareFacility:
    """The unit addressed by a LogicalAddress (case-insensitive HSA-id)."""
    facility = uow.facilities.get(logical_address.strip())
    if facility is None:
        raise UnknownHealthcareFacility(logical_address)
    return facility


class Scheduling:
    """The producer's booking service, one method per contract operation."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock = stockholm_now) -> None:
        self._uow = uow_factory
        self._clock = clock

    def _now(self) -> datetime:
        return to_stockholm(self._clock())

    # -- units -------------------------------------------------------------------------------

    def facility(self, logical_address: str) -> HealthcareFacility:
        with self._uow() as uow:
            return find_facility(uow, logical_address)

    def facilities(self) -> list[HealthcareFacility]:
        with self._uow() as uow:
            return uow.facilities.list()

    def time_types(self, logical_address: str) -> list[TimeType]:
        """Time types usable for new booking (GetTimeTypes); protected ones carry hidden=True."""
        with self._uow() as uow:
            facility = find_facility(uow, logical_address)
            return [t for t in uow.time_types.list(facility.hsa_id) if t.booking_allowed]

    def practitioners(self, logical_address: str) -> list[Practitioner]:
        """Staff working at the unit (GetPractitioners)."""
        with self._uow() as uow:
            facility = find_facility(uow, logical_address)
            return uow.practitioners.list(facility.hsa_id)

    # -- search ------------------------------------------------------------------------------

    def available_timeslots(self, logical_address: str, query: TimeslotQuery) -> list[TimeslotView]:
        """Free, future, bookable slots of the unit (GetAvailableTimeslots), ordered by start."""
        with self._uow() as uow:
            return self._available(uow, logical_address, query)

    def available_dates(self, logical_address: str, query: TimeslotQuery) -> list[AvailableDate]:
        """GetAvailableDates: one entry per date and combination of time type and practitioners."""
        with self._uow() as uow:
            views = self._available(uow, logical_address, query)
        counts: Counter[tuple[date, str, tuple[str, ...]]] = Counter()
        first: dict[tuple[date, str, tuple[str, ...]], TimeslotView] = {}
        for view in views:
            key = (
                local_date(view.timeslot.start),
                view.time_type.code,
                view.timeslot.practitioner_ids,
            )
            counts[key] += 1
            first.setdefault(key, view)
        return [AvailableDate(key[0], first[key].time_type, first[key].practitioners, n) for key, n in counts.items()]

    def _available(self, uow: UnitOfWork, logical_address: str, query: TimeslotQuery) -> list[TimeslotView]:
        facility = find_facility(uow, logical_address)
        if query.end_date < query.start_date:
            raise DomainError(ResultCode.ERROR, "Slutdatum ligger före startdatum.")
        if query.time_type_code is not None and query.healthcare_service_code is not None:
            raise DomainError(
                ResultCode.ERROR, "Ange antingen timeTypeCode eller healthcareServiceCode, inte båda."
            )
        if query.healthcare_service_code is not None:
            return []  # no time type is mapped to a care service (yet): nothing matches
        now = self._now()
        time_types = {t.code: t for t in uow.time_types.list(facility.hsa_id)}
        codes = {code for code, t in time_types.items() if t.bookable}
        original_slot: Timeslot | None = None
        if query.original_appointment_id is not None:
            original_slot = self._original_for_search(uow, facility, query)
            # Rebooking: the original's time type decides, even a protected one.
            original_type = time_types.get(original_slot.time_type_code)
            allowed = original_type is not None and original_type.update_allowed
            codes = {original_slot.time_type_code} if allowed else set()
        if query.time_type_code is not None:
            codes &= {query.time_type_code}
        practitioner_id: str | None = None
        if query.practitioner_hsa_id is not None:
            practitioner = uow.practitioners.get(query.practitioner_hsa_id.strip())
            if practitioner is None:
                return []
            practitioner_id = practitioner.hsa_id
        if not codes:
            return []

        range_start = max(to_utc(start_of_day(query.start_date)), to_utc(now))
        range_end = to_utc(end_of_day(query.end_date))
        if range_start >= range_end:
            return []
        slots = uow.timeslots.find_free(facility.hsa_id, range_start, range_end, codes, practitioner_id)

        # Slots the citizen could not book anyway: overlapping their other active appointments.
        busy: list[Timeslot] = []
        if query.person_id is not None:
            busy = [
                s
                for a, s in uow.appointments.list_active(facility.hsa_id, query.person_id, start_before=range_end)
                if a.id != query.original_appointment_id and to_utc(s.end) > range_start
            ]

        same_practitioners = _keys(original_slot.practitioner_ids) if original_slot else frozenset()
        offered: list[Timeslot] = []
        for slot in slots:
            time_type = time_types.get(slot.time_type_code)
            if time_type is None or not slot.is_free:
                continue
            lead = _lead_time(slot, now)
            if lead <= timedelta(0) or lead < time_type.booking_notice:
                continue
            if original_slot is not None:
                if slot.id == original_slot.id:
                    continue
                if same_practitioners and _keys(slot.practitioner_ids) != same_practitioners:
                    continue
            if any(slot.overlaps(b.start, b.end) for b in busy):
                continue
            offered.append(slot)
        offered.sort(key=lambda s: (to_utc(s.start), str(s.id)))
        return self._views(uow, facility, time_types, offered)

    def _original_for_search(self, uow: UnitOfWork, facility: HealthcareFacility, query: TimeslotQuery) -> Timeslot:
        not_found = DomainError(ResultCode.ERROR, "Den ursprungliga bokningen finns inte.")
        if query.person_id is None or query.original_appointment_id is None:
            raise DomainError(ResultCode.ERROR, "originalAppointmentId kräver personId.")
        original = uow.appointments.get(query.original_appointment_id)
        if original is None or not self._owned(original, facility, query.person_id) or not original.is_active:
            raise not_found
        slot = uow.timeslots.get(original.timeslot_id)
        if slot is None:
            raise not_found
        return slot

    # -- booking -----------------------------------------------------------------------------

    def make_appointment(
        self,
        logical_address: str,
        actor: Actor,
        person_id: PersonId,
        timeslot_id: uuid.UUID,
        reason_text: str | None = None,
        reason_code: Code | None = None,
    ) -> Appointment:
        """MakeAppointment: book a free slot; the appointment is confirmed at once."""
        with self._uow().writing() as uow:
            facility = find_facility(uow, logical_address)
            self._require_valid_person(person_id)
            now = self._now()
            slot = self._target_slot(uow, facility, timeslot_id)
            time_type = uow.time_types.get(facility.hsa_id, slot.time_type_code)
            if slot.withdrawn or time_type is None:
                raise DomainError(ResultCode.REQUESTED_TIME_IS_NO_LONGER_AVAILABLE)
            lead = _lead_time(slot, now)
            if lead <= timedelta(0):
                raise DomainError(ResultCode.REQUESTED_TIME_HAS_ALREADY_PASSED)
            if lead < time_type.booking_notice:
                raise DomainError(ResultCode.TOO_LATE_TO_MAKE_APPOINTMENT)
            if not time_type.bookable:
                raise DomainError(ResultCode.APPOINTMENT_IS_NOT_ALLOWED)
            if uow.appointments.overlapping_active(facility.hsa_id, person_id, slot.start, slot.end):
                raise DomainError(ResultCode.USER_IS_ALREADY_OCCUPIED)
            self._reserve(uow, slot)
            appointment = Appointment(
                id=uuid.uuid4(),
                timeslot_id=slot.id,
                facility_hsa_id=facility.hsa_id,
                person_id=person_id,
                status=AppointmentStatus.CONFIRMED,
                state=AppointmentState.ACTIVE,
                new_reason_text=reason_text,
                new_reason_code=reason_code,
                update_reason_text=None,
                update_reason_code=None,
                replaces=None,
                replaced_by=None,
                created_at=now,
                updated_at=now,
            )
            uow.appointments.add(appointment)
            uow.commit()
        log.info(
            "appointment %s made at %s by %r for %s",
            appointment.id,
            facility.hsa_id,
            actor,
            person_id,
        )
        return appointment

    def update_appointment(
        self,
        logical_address: str,
        actor: Actor,
        person_id: PersonId,
        original_appointment_id: uuid.UUID,
        timeslot_id: uuid.UUID,
        reason_text: str | None = None,
        reason_code: Code | None = None,
    ) -> Appointment:
        """UpdateAppointment: move to another slot of the same time type, atomically.

        Returns the NEW appointment (new id); the original becomes REPLACED and its slot is freed.
        """
        with self._uow().writing() as uow:
            facility = find_facility(uow, logical_address)
            now = self._now()
            original, original_slot, time_type = self._existing(uow, facility, person_id, original_appointment_id)
            if not time_type.update_allowed:
                raise DomainError(ResultCode.UPDATE_APPOINTMENT_IS_NOT_ALLOWED)
            lead = _lead_time(original_slot, now)
            if lead <= timedelta(0) or lead < time_type.update_notice:
                raise DomainError(ResultCode.TOO_LATE_TO_UPDATE_APPOINTMENT)

            if timeslot_id == original_slot.id:
                raise DomainError(ResultCode.ERROR, "Den nya tiden är samma som den bokade tiden.")
            slot = self._target_slot(uow, facility, timeslot_id)
            if slot.withdrawn:
                raise DomainError(ResultCode.REQUESTED_TIME_IS_NO_LONGER_AVAILABLE)
            target_lead = _lead_time(slot, now)
            if target_lead <= timedelta(0):
                raise DomainError(ResultCode.REQUESTED_TIME_HAS_ALREADY_PASSED)
            if slot.time_type_code != original_slot.time_type_code:
                raise DomainError(
                    ResultCode.ERROR,
                    "Den nya tiden gäller en annan besökstyp än den ursprungliga bokningen.",
                )
            # Update has no TOO_LATE_TO_MAKE_APPOINTMENT: a slot inside the booking notice is
            # simply no longer available online.
            if target_lead < time_type.booking_notice:
                raise DomainError(ResultCode.REQUESTED_TIME_IS_NO_LONGER_AVAILABLE)
            others = uow.appointments.overlapping_active(facility.hsa_id, person_id, slot.start, slot.end)
            if any(a.id != original.id for a in others):
                raise DomainError(ResultCode.USER_IS_ALREADY_OCCUPIED)
            self._reserve(uow, slot)
            uow.timeslots.release(original_slot.id)

            new = Appointment(
                id=uuid.uuid4(),
                timeslot_id=slot.id,
                facility_hsa_id=facility.hsa_id,
                person_id=original.person_id,
                status=original.status,
                state=AppointmentState.ACTIVE,
                new_reason_text=original.new_reason_text,
                new_reason_code=original.new_reason_code,
                update_reason_text=reason_text,
                update_reason_code=reason_code,
                replaces=original.id,
                replaced_by=None,
                created_at=now,
                updated_at=now,
            )
            uow.appointments.add(new)
            original.state = AppointmentState.REPLACED
            original.replaced_by = new.id
            original.updated_at = now
            uow.appointments.save(original)
            uow.commit()
        log.info("appointment %s replaced by %s at %s by %r", original.id, new.id, facility.hsa_id, actor)
        return new

    def cancel_appointment(
        self,
        logical_address: str,
        actor: Actor,
        person_id: PersonId,
        appointment_id: uuid.UUID,
        reason_text: str | None = None,
        reason_code: Code | None = None,
    ) -> Appointment:
        """CancelAppointment: the slot is bookable again in the same transaction."""
        with self._uow().writing() as uow:
            facility = find_facility(uow, logical_address)
            now = self._now()
            appointment, slot, time_type = self._existing(uow, facility, person_id, appointment_id)
            if not time_type.cancel_allowed:
                raise DomainError(ResultCode.CANCEL_IS_NOT_ALLOWED)
            lead = _lead_time(slot, now)
            if lead <= timedelta(0) or lead < time_type.cancel_notice:
                raise DomainError(ResultCode.TOO_LATE_TO_CANCEL_APPOINTMENT)
            uow.timeslots.release(slot.id)
            appointment.state = AppointmentState.CANCELLED
            appointment.cancel_reason_text = reason_text
            appointment.cancel_reason_code = reason_code
            appointment.updated_at = now
            uow.appointments.save(appointment)
            uow.commit()
        log.info("appointment %s cancelled at %s by %r", appointment.id, facility.hsa_id, actor)
        return appointment

    def confirm_appointment(
        self, logical_address: str, actor: Actor, person_id: PersonId, appointment_id: uuid.UUID
    ) -> Appointment:
        """ConfirmAppointment: preliminary -> confirmed (flow 4)."""
        with self._uow().writing() as uow:
            facility = find_facility(uow, logical_address)
            now = self._now()
            appointment = uow.appointments.get(appointment_id)
            if appointment is None or not self._owned(appointment, facility, person_id):
                raise DomainError(ResultCode.APPOINTMENT_DOES_NOT_EXIST)
            if not appointment.is_active:
                raise DomainError(ResultCode.CONFIRM_IS_NOT_ALLOWED, "Bokningen är avbokad eller ombokad.")
            if appointment.status is AppointmentStatus.CONFIRMED:
                raise DomainError(ResultCode.APPOINTMENT_IS_ALREADY_CONFIRMED)
            slot = uow.timeslots.get(appointment.timeslot_id)
            if slot is None:
                raise DomainError(ResultCode.APPOINTMENT_DOES_NOT_EXIST)
            if _lead_time(slot, now) <= timedelta(0):
                raise DomainError(ResultCode.TOO_LATE_TO_CONFIRM_APPOINTMENT)
            appointment.status = AppointmentStatus.CONFIRMED
            appointment.updated_at = now
            uow.appointments.save(appointment)
            uow.commit()
        log.info("appointment %s confirmed at %s by %r", appointment.id, facility.hsa_id, actor)
        return appointment

    # -- reading appointments ----------------------------------------------------------------

    def get_appointment(
        self, logical_address: str, person_id: PersonId, appointment_id: uuid.UUID
    ) -> AppointmentView | None:
        """GetAppointment: None unless the id is the person's ACTIVE appointment at this unit."""
        with self._uow() as uow:
            facility = find_facility(uow, logical_address)
            appointment = uow.appointments.get(appointment_id)
            if appointment is None or not self._owned(appointment, facility, person_id):
                return None
            if not appointment.is_active:
                return None
            slot = uow.timeslots.get(appointment.timeslot_id)
            if slot is None:
                return None
            time_types = {t.code: t for t in uow.time_types.list(facility.hsa_id)}
            views = self._views(uow, facility, time_types, [slot])
            return AppointmentView(appointment, views[0]) if views else None

    def appointments(
        self,
        logical_address: str,
        person_id: PersonId,
        from_date: date | None = None,
        to_date: date | None = None,
        time_type_code: str | None = None,
    ) -> list[AppointmentView]:
        """GetAppointments: the person's ACTIVE appointments at the unit, ordered by start."""
        with self._uow() as uow:
            facility = find_facility(uow, logical_address)
            if from_date is not None and to_date is not None and to_date < from_date:
                return []
            rows = uow.appointments.list_active(
                facility.hsa_id,
                person_id,
                start_from=start_of_day(from_date) if from_date else None,
                start_before=end_of_day(to_date) if to_date else None,
            )
            rows = [(a, s) for a, s in rows if time_type_code is None or s.time_type_code == time_type_code]
            rows.sort(key=lambda row: (to_utc(row[1].start), str(row[0].id)))
            time_types = {t.code: t for t in uow.time_types.list(facility.hsa_id)}
            views = {v.timeslot.id: v for v in self._views(uow, facility, time_types, [s for _, s in rows])}
            return [AppointmentView(a, views[s.id]) for a, s in rows if s.id in views]

    # -- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _require_valid_person(person_id: PersonId) -> None:
        if not person_id.is_valid:
            raise DomainError(ResultCode.ERROR, INVALID_PERSON_ID)

    @staticmethod
    def _owned(appointment: Appointment, facility: HealthcareFacility, person_id: PersonId) -> bool:
        return appointment.facility_hsa_id == facility.hsa_id and appointment.person_id == person_id

    @staticmethod
    def _target_slot(uow: UnitOfWork, facility: HealthcareFacility, timeslot_id: uuid.UUID) -> Timeslot:
        slot = uow.timeslots.get(timeslot_id)
        if slot is None or slot.facility_hsa_id != facility.hsa_id:
            raise DomainError(ResultCode.ERROR, NO_SUCH_TIMESLOT)
        return slot

    @staticmethod
    def _reserve(uow: UnitOfWork, slot: Timeslot) -> None:
        if not uow.timeslots.reserve(slot.id):
            raise DomainError(ResultCode.REQUESTED_TIME_IS_ALREADY_RESERVED)

    def _existing(
        self,
        uow: UnitOfWork,
        facility: HealthcareFacility,
        person_id: PersonId,
        appointment_id: uuid.UUID,
    ) -> tuple[Appointment, Timeslot, TimeType]:
        """An appointment to update or cancel, with its slot and time type, or the refusal."""
        appointment = uow.appointments.get(appointment_id)
        # Never reveal that the id exists for another person or unit.
        if appointment is None or not self._owned(appointment, facility, person_id):
            raise DomainError(ResultCode.APPOINTMENT_DOES_NOT_EXIST)
        if appointment.state is AppointmentState.CANCELLED:
            raise DomainError(ResultCode.APPOINTMENT_IS_ALREADY_CANCELED)
        if appointment.state is AppointmentState.REPLACED:
            raise DomainError(ResultCode.APPOINTMENT_IS_ALREADY_UPDATED)
        slot = uow.timeslots.get(appointment.timeslot_id)
        if slot is None:
            raise DomainError(ResultCode.APPOINTMENT_DOES_NOT_EXIST)
        time_type = uow.time_types.get(facility.hsa_id, slot.time_type_code)
        if time_type is None:
            # The clinic removed the time type: nothing may be changed online.
            time_type = TimeType(
                slot.time_type_code,
                slot.time_type_code,
                False,
                False,
                timedelta(0),
                timedelta(0),
                timedelta(0),
            )
        return appointment, slot, time_type

    @staticmethod
    def _views(
        uow: UnitOfWork,
        facility: HealthcareFacility,
        time_types: dict[str, TimeType],
        slots: list[Timeslot],
    ) -> list[TimeslotView]:
        """Slots with time type, unit and practitioners; one practitioner query for all."""
        wanted = {p for s in slots for p in s.practitioner_ids}
        practitioners = uow.practitioners.get_many(wanted) if wanted else {}
        return [
            TimeslotView(
                timeslot=replace(s, start=to_stockholm(s.start), end=to_stockholm(s.end)),
                time_type=time_types[s.time_type_code],
                facility=facility,
                practitioners=tuple(practitioners[p] for p in s.practitioner_ids if p in practitioners),
            )
            for s in slots
            if s.time_type_code in time_types
        ]
