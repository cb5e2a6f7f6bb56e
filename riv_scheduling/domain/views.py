"""Slots as the contract shows them (core:TimeslotType): with time type, unit and practitioners."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from .clock import local_date, to_stockholm
from .model import HealthcareFacility, Timeslot, TimeslotView, TimeType
from .ports import UnitOfWork


def within_care_guarantee(facility: HealthcareFacility, slot: Timeslot, now: datetime) -> bool | None:
    """Whether the slot lies within the unit's care guarantee, judged at `now` (the search)."""
    if facility.care_guarantee_days is None:
        return None
    return local_date(slot.start) <= local_date(now) + timedelta(days=facility.care_guarantee_days)


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
