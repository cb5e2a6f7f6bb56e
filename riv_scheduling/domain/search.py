"""The search operations: where, what and when the person can book.

GetHealthcareFacilities, GetTimeTypes, GetPractitioners, GetAvailableTimeslots and GetAvailableDates
(TKB 2.0 §7.5-7.8, §7.10). A search offers only what the booking rules (policy.py) would let the
person take: never a passed slot (TKB 2.0 §7.6, §7.7), nothing inside the booking notice, no
protected time type without an assignment, nothing overlapping the person's other appointments.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

from .clock import Clock, end_of_day, local_date, start_of_day, stockholm_now, to_stockholm, to_utc
from .lookup import find_facility, find_original_slot, find_timeslot, require_valid_person
from .model import (
    Appointment,
    Assignment,
    AvailableDate,
    HealthcareFacility,
    PersonId,
    Practitioner,
    Resource,
    Timeslot,
    TimeslotDescription,
    TimeslotQuery,
    TimeslotView,
    TimeType,
)
from .policy import BookingPolicy, usable_assignments
from .ports import UnitOfWork
from .result_codes import (
    BOTH_CODES,
    END_BEFORE_START,
    DomainError,
    ResultCode,
    search_window_too_long,
    too_many_timeslots,
)
from .unit_group import offers_rebooking_at, same_unit
from .use_case import UseCase
from .views import timeslot_views


def _keys(hsa_ids: Iterable[str]) -> frozenset[str]:
    """HSA-ids compare case-insensitively."""
    return frozenset(h.lower() for h in hsa_ids)


@dataclass(frozen=True)
class SearchLimits:
    """How much one search may ask for, whichever contract generation asks (`serve
    --max-search-days`, `--max-timeslots`): a longer window or a larger answer is refused with ERROR."""

    max_days: int = 92  # startDateInclusive..endDateInclusive, both days counted
    max_timeslots: int = 2000  # timeslots in one answer of available_timeslots


class Search(UseCase):
    """Read-only: each method is one reading unit of work."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock = stockholm_now,
        policy: BookingPolicy | None = None,
        limits: SearchLimits | None = None,
    ) -> None:
        super().__init__(uow_factory, clock, policy)
        self.limits = limits or SearchLimits()

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
        (the person's active appointment at the addressed unit or its group) the original's time
        type decides, and the candidates are the original's unit and, when that time type allows
        a move (unit_group.py), its related units: TKB 2.0 §7.8 "valbara vid ombokning".
        """
        with self._uow() as uow:
            facility = find_facility(uow, logical_address)
            if time_type_code is not None and healthcare_service_code is not None:
                raise DomainError(ResultCode.ERROR, BOTH_CODES)
            rebooking = original_appointment_id is not None
            original_slot: Timeslot | None = None
            related_ids = facility.related_facilities
            if original_appointment_id is not None:
                query = TimeslotQuery(
                    date.min, date.min, original_appointment_id=original_appointment_id, person_id=person_id
                )
                original_slot = find_original_slot(uow, facility, query)
                time_type_code = original_slot.time_type_code
                origin = uow.facilities.get(original_slot.facility_hsa_id) or facility
                related_ids = (origin.hsa_id, *origin.related_facilities)
            candidates = [facility]
            for hsa_id in related_ids:
                related = uow.facilities.get(hsa_id)
                if related is not None and related.hsa_id.lower() not in _keys(c.hsa_id for c in candidates):
                    candidates.append(related)
            offering = []
            for unit in candidates:
                if original_slot is not None and not offers_rebooking_at(uow, original_slot, unit.hsa_id):
                    continue
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
            now = to_stockholm(self._clock())
            types = [t for t in uow.time_types.list(facility.hsa_id) if t.booking_allowed]
            if person_id is not None:
                assigned = usable_assignments(uow, facility, person_id, now)
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
            now = to_stockholm(self._clock())
            time_types = {t.code: t for t in uow.time_types.list(facility.hsa_id)}
            assigned = usable_assignments(uow, facility, person_id, now) if person_id else {}
            codes = {c for c, t in time_types.items() if t.bookable or (t.booking_allowed and c in assigned)}
            keep: frozenset[str] | None = None
            if original_appointment_id is not None:
                query = TimeslotQuery(
                    date.min, date.min, original_appointment_id=original_appointment_id, person_id=person_id
                )
                original = find_original_slot(uow, facility, query)
                allowed = offers_rebooking_at(uow, original, facility.hsa_id)
                codes = {original.time_type_code} if allowed and original.time_type_code in time_types else set()
                if original.practitioner_ids and same_unit(original.facility_hsa_id, facility.hsa_id):
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

    def timeslot_id(self, logical_address: str, wanted: TimeslotDescription) -> uuid.UUID:
        """The id of the one slot at the unit that `wanted` describes (see `lookup.find_timeslot`);
        DomainError(ERROR) when it describes none. Booking it is then the booking use case's work."""
        with self._uow() as uow:
            return find_timeslot(uow, find_facility(uow, logical_address), wanted).id

    def available_timeslots(self, logical_address: str, query: TimeslotQuery) -> list[TimeslotView]:
        """Free, future, bookable slots of the unit (GetAvailableTimeslots), ordered by start."""
        with self._uow() as uow:
            views = self._available(uow, logical_address, query)
        if len(views) > self.limits.max_timeslots:
            raise DomainError(ResultCode.ERROR, too_many_timeslots(self.limits.max_timeslots))
        return views

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
            require_valid_person(query.person_id)
        if query.end_date < query.start_date:
            raise DomainError(ResultCode.ERROR, END_BEFORE_START)
        if (query.end_date - query.start_date).days + 1 > self.limits.max_days:
            raise DomainError(ResultCode.ERROR, search_window_too_long(self.limits.max_days))
        if query.time_type_code is not None and query.healthcare_service_code is not None:
            raise DomainError(ResultCode.ERROR, BOTH_CODES)
        now = to_stockholm(self._clock())
        time_types = {t.code: t for t in uow.time_types.list(facility.hsa_id)}
        active: list[tuple[Appointment, Timeslot]] = []
        assigned: dict[str, Assignment] = {}
        if query.person_id is not None:
            active = uow.appointments.list_active(facility.hsa_id, query.person_id)
            assigned = usable_assignments(uow, facility, query.person_id, now, active)
        # Protected time types only for a person the clinic has assigned them to.
        codes = {code for code, t in time_types.items() if t.bookable or (t.booking_allowed and code in assigned)}
        priority = query.priority
        original_slot: Timeslot | None = None
        if query.original_appointment_id is not None:
            original_slot = find_original_slot(uow, facility, query)
            # Rebooking: the original's time type decides, even a protected one.
            allowed = offers_rebooking_at(uow, original_slot, facility.hsa_id)
            codes = {original_slot.time_type_code} & set(time_types) if allowed else set()
            if not same_unit(original_slot.facility_hsa_id, facility.hsa_id):
                original_slot = replace(original_slot, practitioner_ids=(), resources=())  # others staff this unit
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

        # Each instant is converted to UTC once per search, each slot's start once (not per rule).
        now_utc = to_utc(now)
        range_start = max(to_utc(start_of_day(query.start_date)), now_utc)
        range_end = to_utc(end_of_day(query.end_date))
        if range_start >= range_end:
            return []
        slots = uow.timeslots.find_free(
            facility.hsa_id, range_start, range_end, codes, practitioner_id, priority=priority
        )

        # Slots the citizen could not book anyway: overlapping their other active appointments.
        busy = [
            (busy_start, busy_end)
            for a, s in active
            if a.id != query.original_appointment_id
            and (busy_end := s.end_utc) > range_start
            and (busy_start := s.start_utc) < range_end
        ]

        same_practitioners = _keys(original_slot.practitioner_ids) if original_slot else frozenset()
        same_resources = frozenset(original_slot.resources) if original_slot else frozenset()
        offered: list[tuple[datetime, uuid.UUID, Timeslot]] = []
        for slot in slots:
            time_type = time_types.get(slot.time_type_code)
            if time_type is None or not slot.is_free or not slot.offered_to(priority):
                continue
            start = slot.start_utc
            if not self._policy.open_for_booking_in(start - now_utc, time_type):
                continue
            if original_slot is not None:
                if slot.id == original_slot.id:
                    continue
                if same_practitioners and _keys(slot.practitioner_ids) != same_practitioners:
                    continue
                if same_resources and frozenset(slot.resources) != same_resources:
                    continue
            if busy:  # half-open intervals, as Timeslot.overlaps
                end = slot.end_utc
                if any(start < b_end and b_start < end for b_start, b_end in busy):
                    continue
            offered.append((start, slot.id, slot))
        # By start, then id: UUIDs order as their text does (fixed-length lowercase hex), without
        # writing each id out as text.
        offered.sort(key=lambda o: (o[0], o[1]))
        return timeslot_views(uow, facility, time_types, [o[2] for o in offered], searched_at=now)
