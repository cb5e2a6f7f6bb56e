"""The booking operations and their rules (CONTRACTS.md §3, §5, §6).

Each public method is one unit of work (one store transaction). Refusals are DomainError with
exactly one ResultCode; an unknown LogicalAddress is UnknownHealthcareFacility.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from .audit import AuditAction, AuditEvent
from .clock import end_of_day, local_date, start_of_day, stockholm_now, to_stockholm, to_utc
from .model import (
    Actor,
    Appointment,
    AppointmentState,
    AppointmentStatus,
    AppointmentView,
    Assignment,
    AvailableDate,
    Code,
    HealthcareFacility,
    PersonId,
    Practitioner,
    Process,
    ReasonRequired,
    Reference,
    Resource,
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
BOTH_CODES = "Ange antingen timeTypeCode eller healthcareServiceCode, inte båda."
NO_ORIGINAL = "Den ursprungliga bokningen finns inte."
ORIGINAL_NEEDS_PERSON = "originalAppointmentId kräver personId."
VIDEO_REFERENCE_NAME = "Videomöte"
VIDEO_REFERENCE_DESCRIPTION = "Länk till ditt videobesök. Den gäller bara den här bokningen."
# A request that repeats a change made for the same person at most this long ago is answered as
# the first one was (the national platform retries once after 29 s; see docs/operations.md).
RETRY_WINDOW = timedelta(minutes=10)
_FLOW = {
    Process.NYBOKNING: "bokning",
    Process.OMBOKNING: "ombokning",
    Process.AVBOKNING: "avbokning",
}


def _keys(hsa_ids: Iterable[str]) -> frozenset[str]:
    """HSA-ids compare case-insensitively."""
    return frozenset(h.lower() for h in hsa_ids)


def _too_late(slot: Timeslot, now: datetime, notice: timedelta) -> bool:
    """The slot has started, or starts within the notice the time type requires."""
    lead = _lead_time(slot, now)
    return lead <= timedelta(0) or lead < notice


def _lead_time(slot: Timeslot, now: datetime) -> timedelta:
    """Real time from now until the slot starts (negative once started)."""
    return to_utc(slot.start) - to_utc(now)


def check_reason(
    time_type: TimeType, process: Process, reason_text: str | None, reason_code: Code | None
) -> tuple[str | None, Code | None]:
    """Apply the time type's appointment rule for the flow to a reason.

    Returns the reason to keep: a reason the rule does not support (ReasonNotSupported) is
    dropped silently, since the consumer should not have shown the field. A missing mandatory
    reason or a code outside the rule's `reason_codes` is an ERROR naming what is wrong.
    Without a rule for the flow there are no requirements.
    """
    rule = time_type.rule(process)
    if rule is None:
        return reason_text, reason_code
    flow = _FLOW[process]
    if rule.reason_text_required is ReasonRequired.REASON_NOT_SUPPORTED:
        reason_text = None
    elif rule.reason_text_required is ReasonRequired.MANDATORY and not (reason_text and reason_text.strip()):
        raise DomainError(
            ResultCode.ERROR,
            f"Anledning i fritext (reasonText) saknas: den krävs vid {flow} av {time_type.name}.",
        )
    if rule.reason_code_required is ReasonRequired.REASON_NOT_SUPPORTED:
        reason_code = None
    elif reason_code is None:
        if rule.reason_code_required is ReasonRequired.MANDATORY:
            raise DomainError(
                ResultCode.ERROR,
                f"Orsakskod (reasonCode) saknas: en av mottagningens orsakskoder krävs vid {flow} av {time_type.name}.",
            )
    elif not rule.allows_code(reason_code):
        raise DomainError(
            ResultCode.ERROR,
            f"Orsakskoden {reason_code.code} (kodsystem {reason_code.code_system}) är inte en av de "
            f"tillåtna orsakskoderna vid {flow} av {time_type.name}.",
        )
    return reason_text, reason_code


def appointment_details(time_type: TimeType, slot: Timeslot) -> dict[str, object]:
    """What a new appointment carries besides its reasons: the time type's information texts,
    the slot's alternative location and, for video time types, a unique meeting link."""
    references: tuple[Reference, ...] = ()
    if time_type.video_meeting_url:
        link = f"{time_type.video_meeting_url.rstrip('/')}/{uuid.uuid4()}"
        references = (Reference(VIDEO_REFERENCE_NAME, VIDEO_REFERENCE_DESCRIPTION, link),)
    return {
        "information": time_type.appointment_information,
        "alternative_location": slot.alternative_location,
        "references": references,
    }


def within_care_guarantee(facility: HealthcareFacility, slot: Timeslot, now: datetime) -> bool | None:
    """Whether the slot lies within the unit's care guarantee, judged at `now` (the search)."""
    if facility.care_guarantee_days is None:
        return None
    return local_date(slot.start) <= local_date(now) + timedelta(days=facility.care_guarantee_days)


def new_appointment(
    facility: HealthcareFacility,
    slot: Timeslot,
    time_type: TimeType,
    person_id: PersonId,
    status: AppointmentStatus,
    now: datetime,
    reason_text: str | None,
    reason_code: Code | None,
    related_appointment_ids: Iterable[uuid.UUID] = (),
) -> Appointment:
    """A new ACTIVE appointment in `slot` (booked by the citizen, or proposed by the clinic)."""
    return Appointment(
        id=uuid.uuid4(),
        timeslot_id=slot.id,
        facility_hsa_id=facility.hsa_id,
        person_id=person_id,
        status=status,
        state=AppointmentState.ACTIVE,
        new_reason_text=reason_text,
        new_reason_code=reason_code,
        update_reason_text=None,
        update_reason_code=None,
        replaces=None,
        replaced_by=None,
        created_at=now,
        updated_at=now,
        related_appointment_ids=tuple(related_appointment_ids),
        **appointment_details(time_type, slot),  # type: ignore[arg-type]
    )


def booking_result(appointment: Appointment) -> tuple[ResultCode, str | None]:
    """Result code of a booking that was made: INFO when the appointment carries information
    the citizen must see (for example "kom fastande"), else OK (CONTRACTS.md 5.1)."""
    if not appointment.information:
        return ResultCode.OK, None
    texts = (" ".join(filter(None, (i.header, i.description))) for i in appointment.information)
    return ResultCode.INFO, " ".join(texts)


def find_facility(uow: UnitOfWork, logical_address: str) -> HealthcareFacility:
    """The unit addressed by a LogicalAddress (case-insensitive HSA-id)."""
    facility = uow.facilities.get(logical_address.strip())
    if facility is None:
        raise UnknownHealthcareFacility(logical_address)
    return facility


@dataclass
class _Audit:
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
        **ids: uuid.UUID | None,
    ) -> AuditEvent:
        values: dict[str, uuid.UUID | None] = {
            "appointment_id": self.appointment_id,
            "timeslot_id": self.timeslot_id,
            **ids,
        }
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
            **values,
        )


def _within_retry_window(changed_at: datetime, now: datetime) -> bool:
    return timedelta(0) <= to_utc(now) - to_utc(changed_at) <= RETRY_WINDOW


class Scheduling:
    """The producer's booking service, one method per contract operation.

    The changing operations (make, update, cancel, confirm) take `consumer`: the HSA-id of the
    calling system for the audit trail (None in development mode). Each records its outcome:
    a change in the same transaction as the change, a refusal in a transaction of its own.
    """

    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock = stockholm_now) -> None:
        self._uow = uow_factory
        self._clock = clock

    def _now(self) -> datetime:
        return to_stockholm(self._clock())

    @contextmanager
    def _refusals_recorded(self, audit: _Audit) -> Iterator[None]:
        """Record a DomainError raised inside (after its own unit of work has rolled back)."""
        try:
            yield
        except DomainError as exc:
            if audit.facility_hsa_id is not None:
                try:
                    with self._uow().writing() as uow:
                        event = audit.event(self._now(), AuditAction.REFUSED, exc.code, exc.text)
                        uow.audit.append(event)
                        uow.commit()
                except Exception:  # the refusal still stands: nothing was changed
                    log.exception("could not record the refusal %s in the audit trail", exc.code.value)
            raise

    # -- units -------------------------------------------------------------------------------

    def facility(self, logical_address: str) -> HealthcareFacility:
        with self._uow() as uow:
            return find_facility(uow, logical_address)

    def facilities(self) -> list[HealthcareFacility]:
        with self._uow() as uow:
            return uow.facilities.list()

    def facility_details(self, logical_address: str) -> HealthcareFacility:
        """GetHealthcareFacility: the addressed unit with its texts and conditions to confirm."""
        return self.facility(logical_address)

    def facilities_for(
        self,
        logical_address: str,
        original_appointment_id: uuid.UUID | None = None,
        person_id: PersonId | None = None,
        time_type_code: str | None = None,
        healthcare_service_code: str | None = None,
    ) -> list[HealthcareFacility]:
        """GetHealthcareFacilities: the addressed unit and its related units that offer the care.

        A unit offers a time type when it has it with booking allowed (for rebooking: with
        update allowed); a care service when one of those time types is mapped to it; without
        a filter, when it has any time type open for booking. With `original_appointment_id`
        (the person's active appointment at the addressed unit) the original's time type decides,
        and only the addressed unit is a candidate: UpdateAppointment moves an appointment within
        its unit (a rebooking to another unit is a cancellation there and a new booking here).
        """
        with self._uow() as uow:
            facility = find_facility(uow, logical_address)
            if time_type_code is not None and healthcare_service_code is not None:
                raise DomainError(ResultCode.ERROR, BOTH_CODES)
            rebooking = original_appointment_id is not None
            if original_appointment_id is not None:
                query = TimeslotQuery(
                    date.min, date.min, original_appointment_id=original_appointment_id, person_id=person_id
                )
                time_type_code = self._original_for_search(uow, facility, query).time_type_code
            candidates = [facility]
            for hsa_id in () if rebooking else facility.related_facilities:
                related = uow.facilities.get(hsa_id)
                if related is not None and related.hsa_id.lower() not in _keys(c.hsa_id for c in candidates):
                    candidates.append(related)
            offering = []
            for unit in candidates:
                types = [t for t in uow.time_types.list(unit.hsa_id) if t.booking_allowed]
                if rebooking:
                    types = [t for t in types if t.update_allowed]
                if time_type_code is not None:
                    types = [t for t in types if t.code == time_type_code]
                if healthcare_service_code is not None:
                    types = [t for t in types if t.offers_service(healthcare_service_code)]
                if types:
                    offering.append(unit)
            return offering

    def time_types(
        self,
        logical_address: str,
        healthcare_service_code: str | None = None,
        practitioner_hsa_id: str | None = None,
        person_id: PersonId | None = None,
    ) -> list[TimeType]:
        """GetTimeTypes: time types open for new booking; protected ones carry hidden=True.

        Without a person all are listed (the consumer hides protected ones). With a person, a
        protected time type is listed only while the person holds a usable assignment for it.
        A practitioner filter keeps the time types the practitioner has free slots of.
        """
        with self._uow() as uow:
            facility = find_facility(uow, logical_address)
            now = self._now()
            types = [t for t in uow.time_types.list(facility.hsa_id) if t.booking_allowed]
            if person_id is not None:
                assigned = self._usable_assignments(uow, facility, person_id, now)
                types = [t for t in types if not t.hidden or t.code in assigned]
            if healthcare_service_code is not None:
                types = [t for t in types if t.offers_service(healthcare_service_code)]
            if practitioner_hsa_id is not None:
                practitioner = uow.practitioners.get(practitioner_hsa_id.strip())
                if practitioner is None:
                    return []
                codes = uow.timeslots.free_time_type_codes(facility.hsa_id, now, practitioner.hsa_id)
                types = [t for t in types if t.code in codes]
            return types

    def practitioners(
        self,
        logical_address: str,
        person_id: PersonId | None = None,
        original_appointment_id: uuid.UUID | None = None,
        time_type_code: str | None = None,
        healthcare_service_code: str | None = None,
    ) -> list[Practitioner]:
        """GetPractitioners: without a filter, the staff of the unit; with a time type, care
        service or original appointment, the staff with free slots the person could book."""
        with self._uow() as uow:
            facility = find_facility(uow, logical_address)
            if time_type_code is not None and healthcare_service_code is not None:
                raise DomainError(ResultCode.ERROR, BOTH_CODES)
            if original_appointment_id is None and time_type_code is None and healthcare_service_code is None:
                return uow.practitioners.list(facility.hsa_id)
            now = self._now()
            time_types = {t.code: t for t in uow.time_types.list(facility.hsa_id)}
            assigned = self._usable_assignments(uow, facility, person_id, now) if person_id else {}
            codes = {c for c, t in time_types.items() if t.bookable or (t.booking_allowed and c in assigned)}
            keep: frozenset[str] | None = None
            if original_appointment_id is not None:
                query = TimeslotQuery(
                    date.min, date.min, original_appointment_id=original_appointment_id, person_id=person_id
                )
                original = self._original_for_search(uow, facility, query)
                original_type = time_types.get(original.time_type_code)
                allowed = original_type is not None and original_type.update_allowed
                codes = {original.time_type_code} if allowed else set()
                if original.practitioner_ids:
                    keep = _keys(original.practitioner_ids)
            if time_type_code is not None:
                codes &= {time_type_code}
            if healthcare_service_code is not None:
                codes = {c for c in codes if time_types[c].offers_service(healthcare_service_code)}
            if not codes:
                return []
            ids = uow.timeslots.free_practitioner_ids(facility.hsa_id, now, codes)
            if keep is not None:
                ids = {i for i in ids if i.lower() in keep}
            found = uow.practitioners.get_many(ids) if ids else {}
            return sorted(found.values(), key=lambda p: (p.last_name, p.first_name, p.hsa_id))

    # -- search ------------------------------------------------------------------------------

    def available_timeslots(self, logical_address: str, query: TimeslotQuery) -> list[TimeslotView]:
        """Free, future, bookable slots of the unit (GetAvailableTimeslots), ordered by start."""
        with self._uow() as uow:
            return self._available(uow, logical_address, query)

    def available_dates(self, logical_address: str, query: TimeslotQuery) -> list[AvailableDate]:
        """GetAvailableDates: one entry per date and combination of time type, practitioner and
        resource (see `AvailableDate`), ordered by date, time type code and practitioner."""
        with self._uow() as uow:
            views = self._available(uow, logical_address, query)
        wanted = query.practitioner_hsa_id.strip().lower() if query.practitioner_hsa_id else None
        counts: Counter[tuple[date, str, str, Resource | None]] = Counter()
        first: dict[tuple[date, str, str, Resource | None], tuple[TimeslotView, Practitioner | None]] = {}
        for view in views:
            practitioner: Practitioner | None = None
            if len(view.practitioners) == 1:
                practitioner = view.practitioners[0]
            elif wanted is not None:  # a team slot found through one of its members
                practitioner = next((p for p in view.practitioners if p.hsa_id.lower() == wanted), None)
            resource = view.timeslot.resources[0] if len(view.timeslot.resources) == 1 else None
            key = (
                local_date(view.timeslot.start),
                view.time_type.code,
                practitioner.hsa_id if practitioner else "",
                resource,
            )
            counts[key] += 1
            first.setdefault(key, (view, practitioner))
        ordered = sorted(counts, key=lambda k: (k[0], k[1], k[2], repr(k[3])))
        return [
            AvailableDate(
                date=key[0],
                no_of_timeslots=counts[key],
                time_type=first[key][0].time_type,
                practitioner=first[key][1],
                resource=key[3],
            )
            for key in ordered
        ]

    def _available(self, uow: UnitOfWork, logical_address: str, query: TimeslotQuery) -> list[TimeslotView]:
        facility = find_facility(uow, logical_address)
        if query.person_id is not None:
            self._require_valid_person(query.person_id)
        if query.end_date < query.start_date:
            raise DomainError(ResultCode.ERROR, "Slutdatum ligger före startdatum.")
        if query.time_type_code is not None and query.healthcare_service_code is not None:
            raise DomainError(ResultCode.ERROR, BOTH_CODES)
        now = self._now()
        time_types = {t.code: t for t in uow.time_types.list(facility.hsa_id)}
        active: list[tuple[Appointment, Timeslot]] = []
        assigned: dict[str, Assignment] = {}
        if query.person_id is not None:
            active = uow.appointments.list_active(facility.hsa_id, query.person_id)
            assigned = self._usable_assignments(uow, facility, query.person_id, now, active)
        # Protected time types only for a person the clinic has assigned them to.
        codes = {code for code, t in time_types.items() if t.bookable or (t.booking_allowed and code in assigned)}
        priority = query.priority
        original_slot: Timeslot | None = None
        if query.original_appointment_id is not None:
            original_slot = self._original_for_search(uow, facility, query)
            # Rebooking: the original's time type decides, even a protected one.
            original_type = time_types.get(original_slot.time_type_code)
            allowed = original_type is not None and original_type.update_allowed
            codes = {original_slot.time_type_code} if allowed else set()
            if priority is None:
                priority = original_slot.priority  # the person was entitled to such a slot
        if query.time_type_code is not None:
            codes &= {query.time_type_code}
        if query.healthcare_service_code is not None:
            codes = {c for c in codes if time_types[c].offers_service(query.healthcare_service_code)}
        if query.care_contact_codes:
            codes = {
                c
                for c in codes
                if (contact := time_types[c].care_contact_code) is not None
                and any(contact.same_code(wanted) for wanted in query.care_contact_codes)
            }
        if priority is None:
            # An assignment's priority (triage result held here) stands in for the request's.
            held = [a.priority for code, a in assigned.items() if code in codes and a.priority is not None]
            priority = min(held) if held else None
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
        slots = uow.timeslots.find_free(
            facility.hsa_id, range_start, range_end, codes, practitioner_id, priority=priority
        )

        # Slots the citizen could not book anyway: overlapping their other active appointments.
        busy = [
            s
            for a, s in active
            if a.id != query.original_appointment_id
            and to_utc(s.end) > range_start
            and to_utc(s.start) < range_end
        ]

        same_practitioners = _keys(original_slot.practitioner_ids) if original_slot else frozenset()
        same_resources = frozenset(original_slot.resources) if original_slot else frozenset()
        offered: list[Timeslot] = []
        for slot in slots:
            time_type = time_types.get(slot.time_type_code)
            if time_type is None or not slot.is_free or not slot.offered_to(priority):
                continue
            if _too_late(slot, now, time_type.booking_notice):
                continue
            if original_slot is not None:
                if slot.id == original_slot.id:
                    continue
                if same_practitioners and _keys(slot.practitioner_ids) != same_practitioners:
                    continue
                if same_resources and frozenset(slot.resources) != same_resources:
                    continue
            if any(slot.overlaps(b.start, b.end) for b in busy):
                continue
            offered.append(slot)
        offered.sort(key=lambda s: (to_utc(s.start), str(s.id)))
        return self._views(uow, facility, time_types, offered, searched_at=now)

    def _usable_assignments(
        self,
        uow: UnitOfWork,
        facility: HealthcareFacility,
        person_id: PersonId,
        now: datetime,
        active: list[tuple[Appointment, Timeslot]] | None = None,
        ignore: uuid.UUID | None = None,
    ) -> dict[str, Assignment]:
        """The person's assignments at the unit that allow a booking now, by time type code.

        An assignment is valid through its `valid_until` date and allows one upcoming appointment
        of its time type at a time: while the person holds one (not yet ended), it is in use.
        """
        today = local_date(now)
        valid = {a.time_type_code: a for a in uow.assignments.list(facility.hsa_id, person_id) if a.valid_on(today)}
        if not valid:
            return {}
        if active is None:
            active = uow.appointments.list_active(facility.hsa_id, person_id)
        in_use = {s.time_type_code for a, s in active if a.id != ignore and to_utc(s.end) > to_utc(now)}
        return {code: a for code, a in valid.items() if code not in in_use}

    def _original_for_search(self, uow: UnitOfWork, facility: HealthcareFacility, query: TimeslotQuery) -> Timeslot:
        not_found = DomainError(ResultCode.ERROR, NO_ORIGINAL)
        if query.person_id is None or query.original_appointment_id is None:
            raise DomainError(ResultCode.ERROR, ORIGINAL_NEEDS_PERSON)
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
        consumer: str | None = None,
    ) -> Appointment:
        """MakeAppointment: book a free slot; the appointment is confirmed at once.

        A repeat (the person already holds this slot through a MakeAppointment at most
        RETRY_WINDOW ago) returns that appointment instead of booking again."""
        audit = _Audit("MakeAppointment", actor, person_id, consumer, timeslot_id=timeslot_id)
        with self._refusals_recorded(audit), self._uow().writing() as uow:
            facility = find_facility(uow, logical_address)
            audit.facility_hsa_id = facility.hsa_id
            self._require_valid_person(person_id)
            uow.lock_person(person_id)
            now = self._now()
            slot = self._target_slot(uow, facility, timeslot_id)
            for held in uow.appointments.overlapping_active(facility.hsa_id, person_id, slot.start, slot.end):
                if held.timeslot_id == slot.id and held.replaces is None and _within_retry_window(held.created_at, now):
                    code, _ = booking_result(held)
                    uow.audit.append(audit.event(now, AuditAction.REPEATED, code, appointment_id=held.id))
                    uow.commit()
                    log.info("appointment %s: MakeAppointment repeated at %s by %r", held.id, facility.hsa_id, actor)
                    return held
            time_type = uow.time_types.get(facility.hsa_id, slot.time_type_code)
            if slot.withdrawn or time_type is None:
                raise DomainError(ResultCode.REQUESTED_TIME_IS_NO_LONGER_AVAILABLE)
            lead = _lead_time(slot, now)
            if lead <= timedelta(0):
                raise DomainError(ResultCode.REQUESTED_TIME_HAS_ALREADY_PASSED)
            if lead < time_type.booking_notice:
                raise DomainError(ResultCode.TOO_LATE_TO_MAKE_APPOINTMENT)
            if not time_type.booking_allowed:
                raise DomainError(ResultCode.APPOINTMENT_IS_NOT_ALLOWED)
            if time_type.hidden and time_type.code not in self._usable_assignments(uow, facility, person_id, now):
                raise DomainError(
                    ResultCode.APPOINTMENT_IS_NOT_ALLOWED,
                    "Den här besökstypen kan bara bokas efter kallelse eller bedömning från mottagningen.",
                )
            reason_text, reason_code = check_reason(time_type, Process.NYBOKNING, reason_text, reason_code)
            if uow.appointments.overlapping_active(facility.hsa_id, person_id, slot.start, slot.end):
                # Also refuses the same person twice in one group slot.
                raise DomainError(ResultCode.USER_IS_ALREADY_OCCUPIED)
            self._reserve(uow, slot)
            appointment = new_appointment(
                facility, slot, time_type, person_id, AppointmentStatus.CONFIRMED, now, reason_text, reason_code
            )
            uow.appointments.add(appointment)
            code, _ = booking_result(appointment)
            uow.audit.append(audit.event(now, AuditAction.MADE, code, appointment_id=appointment.id))
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
        consumer: str | None = None,
    ) -> Appointment:
        """UpdateAppointment: move to another slot of the same time type, atomically.

        Returns the NEW appointment (new id); the original becomes REPLACED and its slot is freed.
        A repeat (the original was replaced by an appointment in this slot, still active, at most
        RETRY_WINDOW ago) returns that new appointment again.
        """
        audit = _Audit(
            "UpdateAppointment", actor, person_id, consumer,
            appointment_id=original_appointment_id, timeslot_id=timeslot_id,
        )
        with self._refusals_recorded(audit), self._uow().writing() as uow:
            facility = find_facility(uow, logical_address)
            audit.facility_hsa_id = facility.hsa_id
            self._require_valid_person(person_id)
            uow.lock_person(person_id)
            now = self._now()
            repeated = self._repeated_update(uow, facility, person_id, original_appointment_id, timeslot_id, now)
            if repeated is not None:
                code, _ = booking_result(repeated)
                uow.audit.append(audit.event(now, AuditAction.REPEATED, code, new_appointment_id=repeated.id))
                uow.commit()
                log.info("appointment %s: UpdateAppointment repeated at %s by %r", repeated.id, facility.hsa_id, actor)
                return repeated
            original, original_slot, time_type = self._existing(uow, facility, person_id, original_appointment_id)
            if not time_type.update_allowed:
                raise DomainError(ResultCode.UPDATE_APPOINTMENT_IS_NOT_ALLOWED)
            if _too_late(original_slot, now, time_type.update_notice):
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
            reason_text, reason_code = check_reason(time_type, Process.OMBOKNING, reason_text, reason_code)
            others = uow.appointments.overlapping_active(facility.hsa_id, person_id, slot.start, slot.end)
            if any(a.id != original.id for a in others):
                raise DomainError(ResultCode.USER_IS_ALREADY_OCCUPIED)
            # Touch the two slot rows in id order, so that concurrent rebookings between the same
            # two slots cannot deadlock (the database takes a row lock at each UPDATE).
            if str(original_slot.id) < str(slot.id):
                uow.timeslots.release(original_slot.id)
                self._reserve(uow, slot)
            else:
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
                related_appointment_ids=original.related_appointment_ids,
                **appointment_details(time_type, slot),  # type: ignore[arg-type]
            )
            uow.appointments.add(new)
            original.state = AppointmentState.REPLACED
            original.replaced_by = new.id
            original.updated_at = now
            uow.appointments.save(original)
            code, _ = booking_result(new)
            uow.audit.append(audit.event(now, AuditAction.REBOOKED, code, new_appointment_id=new.id))
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
        consumer: str | None = None,
    ) -> Appointment:
        """CancelAppointment: the slot is bookable again in the same transaction.

        A repeat (the person's appointment was cancelled at most RETRY_WINDOW ago) answers OK again."""
        audit = _Audit("CancelAppointment", actor, person_id, consumer, appointment_id=appointment_id)
        with self._refusals_recorded(audit), self._uow().writing() as uow:
            facility = find_facility(uow, logical_address)
            audit.facility_hsa_id = facility.hsa_id
            self._require_valid_person(person_id)
            uow.lock_person(person_id)
            now = self._now()
            cancelled = uow.appointments.get(appointment_id)
            if (
                cancelled is not None
                and self._owned(cancelled, facility, person_id)
                and cancelled.state is AppointmentState.CANCELLED
                and _within_retry_window(cancelled.updated_at, now)
            ):
                event = audit.event(now, AuditAction.REPEATED, ResultCode.OK, timeslot_id=cancelled.timeslot_id)
                uow.audit.append(event)
                uow.commit()
                log.info("appointment %s: CancelAppointment repeated at %s by %r", cancelled.id, facility.hsa_id, actor)
                return cancelled
            appointment, slot, time_type = self._existing(uow, facility, person_id, appointment_id)
            if not time_type.cancel_allowed:
                raise DomainError(ResultCode.CANCEL_IS_NOT_ALLOWED)
            if _too_late(slot, now, time_type.cancel_notice):
                raise DomainError(ResultCode.TOO_LATE_TO_CANCEL_APPOINTMENT)
            reason_text, reason_code = check_reason(time_type, Process.AVBOKNING, reason_text, reason_code)
            uow.timeslots.release(slot.id)
            appointment.state = AppointmentState.CANCELLED
            appointment.cancel_reason_text = reason_text
            appointment.cancel_reason_code = reason_code
            appointment.updated_at = now
            uow.appointments.save(appointment)
            uow.audit.append(audit.event(now, AuditAction.CANCELLED, ResultCode.OK, timeslot_id=slot.id))
            uow.commit()
        log.info("appointment %s cancelled at %s by %r", appointment.id, facility.hsa_id, actor)
        return appointment

    def confirm_appointment(
        self,
        logical_address: str,
        actor: Actor,
        person_id: PersonId,
        appointment_id: uuid.UUID,
        consumer: str | None = None,
    ) -> Appointment:
        """ConfirmAppointment: preliminary -> confirmed (flow 4)."""
        audit = _Audit("ConfirmAppointment", actor, person_id, consumer, appointment_id=appointment_id)
        with self._refusals_recorded(audit), self._uow().writing() as uow:
            facility = find_facility(uow, logical_address)
            audit.facility_hsa_id = facility.hsa_id
            self._require_valid_person(person_id)
            uow.lock_person(person_id)
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
            time_type = uow.time_types.get(facility.hsa_id, slot.time_type_code)
            if time_type is None or not time_type.confirm_allowed:
                raise DomainError(ResultCode.CONFIRM_IS_NOT_ALLOWED)
            if _too_late(slot, now, time_type.confirm_notice):
                raise DomainError(ResultCode.TOO_LATE_TO_CONFIRM_APPOINTMENT)
            appointment.status = AppointmentStatus.CONFIRMED
            appointment.updated_at = now
            uow.appointments.save(appointment)
            uow.audit.append(audit.event(now, AuditAction.CONFIRMED, ResultCode.OK, timeslot_id=slot.id))
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
            self._require_valid_person(person_id)
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
            self._require_valid_person(person_id)
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
        """A personnummer or samordningsnummer: 12 digits, a real date, the right check digit."""
        reason = person_id.problem()
        if reason is not None:
            raise DomainError(ResultCode.ERROR, f"{INVALID_PERSON_ID} ({reason})")

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

    def _repeated_update(
        self,
        uow: UnitOfWork,
        facility: HealthcareFacility,
        person_id: PersonId,
        original_appointment_id: uuid.UUID,
        timeslot_id: uuid.UUID,
        now: datetime,
    ) -> Appointment | None:
        """The new appointment when this UpdateAppointment has already taken effect, else None."""
        original = uow.appointments.get(original_appointment_id)
        if (
            original is None
            or not self._owned(original, facility, person_id)
            or original.state is not AppointmentState.REPLACED
            or original.replaced_by is None
            or not _within_retry_window(original.updated_at, now)
        ):
            return None
        new = uow.appointments.get(original.replaced_by)
        if new is None or not new.is_active or new.timeslot_id != timeslot_id:
            return None
        return new

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
        searched_at: datetime | None = None,
    ) -> list[TimeslotView]:
        """Slots with time type, unit and practitioners; one practitioner query for all.

        `searched_at` (searches only) sets `within_care_guarantee`; booked slots leave it None."""
        wanted = {p for s in slots for p in s.practitioner_ids}
        practitioners = uow.practitioners.get_many(wanted) if wanted else {}
        return [
            TimeslotView(
                timeslot=replace(s, start=to_stockholm(s.start), end=to_stockholm(s.end)),
                time_type=time_types[s.time_type_code],
                facility=facility,
                practitioners=tuple(practitioners[p] for p in s.practitioner_ids if p in practitioners),
                within_care_guarantee=within_care_guarantee(facility, s, searched_at) if searched_at else None,
            )
            for s in slots
            if s.time_type_code in time_types
        ]
