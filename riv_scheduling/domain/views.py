"""Slots as the contract shows them (core:TimeslotType): with time type, unit and practitioners."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from .clock import STOCKHOLM, local_date
from .model import HealthcareFacility, Practitioner, Timeslot, TimeslotView, TimeType
from .ports import UnitOfWork


def within_care_guarantee(facility: HealthcareFacility, slot: Timeslot, now: datetime) -> bool | None:
    """Whether the slot lies within the unit's care guarantee, judged at `now` (the search)."""
    if facility.care_guarantee_days is None:
        return None
    return local_date(slot.start) <= local_date(now) + timedelta(days=facility.care_guarantee_days)


def _same(a: datetime, b: datetime) -> bool:
    """The same wall time, zone and fold (with one tzinfo, == compares wall times only)."""
    return a.tzinfo is b.tzinfo and a.fold == b.fold and a == b


def in_stockholm(slot: Timeslot) -> Timeslot:
    """The slot with start and end in Stockholm time; the slot itself when they already are, as the
    store gives them (a copy per slot was a tenth of a search)."""
    start, end = slot.start_utc.astimezone(STOCKHOLM), slot.end_utc.astimezone(STOCKHOLM)
    if _same(start, slot.start) and _same(end, slot.end):
        return slot
    return replace(slot, start=start, end=end)


def timeslot_views(
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
    # The care guarantee's last day, once per search: the same test as `within_care_guarantee`.
    last_day: date | None = None
    if searched_at is not None and facility.care_guarantee_days is not None:
        last_day = local_date(searched_at) + timedelta(days=facility.care_guarantee_days)
    views: list[TimeslotView] = []
    for s in slots:
        time_type = time_types.get(s.time_type_code)
        if time_type is None:
            continue
        slot = in_stockholm(s)
        staff: tuple[Practitioner, ...] = ()
        if s.practitioner_ids:
            staff = tuple(practitioners[p] for p in s.practitioner_ids if p in practitioners)
        views.append(
            TimeslotView(
                timeslot=slot,
                time_type=time_type,
                facility=facility,
                practitioners=staff,
                within_care_guarantee=None if last_day is None else slot.start.date() <= last_day,
            )
        )
    return views
