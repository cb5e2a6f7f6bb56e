"""Make the database match a clinic configuration file, in one transaction.

Re-applying the same file on the same day changes nothing: units, practitioners, care services
and time types are compared before they are written, and slots have deterministic uuid5 ids.

What the file owns, and so may change:
- the attributes of the units, practitioners, care services and time types it defines;
- the slots of every time type a unit lists in its `time_types`, from the day the file is
  applied on (slots come only from `[[opening_hours]]`): missing slots are added, slots nobody
  has booked are brought up to date, and free slots the opening hours no longer give are removed
  (withdrawn instead when old, cancelled or rebooked appointments still refer to them).

What it never touches: booked slots (not even to change capacity), slots before the day it is
applied on, slots of units or time types the file does not list for the unit, withdrawn slots
(a slot withdrawn by the clinic stays withdrawn), appointments and assignments, and anything the
file does not mention (nothing is deleted: to stop a time type, set `booking_allowed = false`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from pathlib import Path

from riv_scheduling.domain import Timeslot, UnitOfWork, local_date, stockholm_now
from riv_scheduling.domain.clock import start_of_day
from riv_scheduling.domain.index_updates import reindex_unit
from riv_scheduling.store import Store

from .config import ClinicConfig, UnitConfig, load_config


@dataclass
class Summary:
    """What applying a file changed."""

    units_added: int = 0
    units_updated: int = 0
    practitioners_added: int = 0
    practitioners_updated: int = 0
    care_services_added: int = 0
    care_services_updated: int = 0
    time_types_added: int = 0
    time_types_updated: int = 0
    timeslots_added: int = 0
    timeslots_updated: int = 0
    timeslots_removed: int = 0
    engagement_index_units_changed: int = 0

    @property
    def changed(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def __str__(self) -> str:
        parts: dict[str, list[str]] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value:
                thing, _, what = f.name.rpartition("_")
                parts.setdefault(thing.replace("_", " "), []).append(f"{value} {what}")
        if not parts:
            return "no changes"
        return "; ".join(f"{thing}: {', '.join(counts)}" for thing, counts in parts.items())


def apply_config(store: Store, path: str | Path, today: date | None = None) -> Summary:
    """Load `path` and make the store match it (creating the schema if needed)."""
    config = load_config(path)
    store.create_schema()
    day = today if today is not None else local_date(stockholm_now())
    with store.uow().writing() as uow:
        summary = apply_to(uow, config, day)
        uow.commit()
    return summary


def apply_to(uow: UnitOfWork, config: ClinicConfig, today: date) -> Summary:
    """Apply a parsed configuration inside an entered, writing unit of work (no commit)."""
    summary = Summary()
    units, canonical = _apply_definitions(uow, config, summary)
    # Which units report to the engagement index is the whole file's business (its
    # [engagement_index] section), so only a load applies it, not the admin tool's partial edits.
    for _unit, hsa_id in units:
        reporting = config.reporting_of(hsa_id)
        if uow.engagement_index.reporting(hsa_id) != reporting:
            reindex_unit(uow, hsa_id, reporting, stockholm_now())
            summary.engagement_index_units_changed += 1
    for unit, hsa_id in units:
        _sync_timeslots(uow, config, unit, hsa_id, canonical, today, summary)
    return summary


def apply_definitions(uow: UnitOfWork, config: ClinicConfig) -> Summary:
    """Like `apply_to`, but the definitions only (care services, practitioners, units, time types):
    no slot is touched, so the file may leave out its opening hours (the admin tool's edits)."""
    summary = Summary()
    _apply_definitions(uow, config, summary)
    return summary


def _apply_definitions(
    uow: UnitOfWork, config: ClinicConfig, summary: Summary
) -> tuple[list[tuple[UnitConfig, str]], dict[str, str]]:
    """Care services, practitioners, units and time types; returns the units with their stored
    HSA-ids and the practitioners' stored spellings, for the slots."""
    for service in config.services:
        stored = uow.healthcare_services.get(service.code.code)
        if stored is None:
            uow.healthcare_services.add(service)
            summary.care_services_added += 1
        elif stored != service:
            uow.healthcare_services.save(service)
            summary.care_services_updated += 1

    canonical: dict[str, str] = {}  # lower-case HSA-id -> stored spelling
    for practitioner in config.practitioners:
        stored_p = uow.practitioners.get(practitioner.hsa_id)
        if stored_p is None:
            uow.practitioners.add(practitioner)
            summary.practitioners_added += 1
            stored_p = practitioner
        else:
            wanted = replace(practitioner, hsa_id=stored_p.hsa_id)
            if stored_p != wanted:
                uow.practitioners.save(wanted)
                summary.practitioners_updated += 1
        canonical[practitioner.hsa_id.lower()] = stored_p.hsa_id

    units = []
    for unit in config.units:
        stored_f = uow.facilities.get(unit.facility.hsa_id)
        if stored_f is None:
            uow.facilities.add(unit.facility)
            summary.units_added += 1
            facility = unit.facility
        else:
            facility = replace(unit.facility, hsa_id=stored_f.hsa_id)
            if stored_f != facility:
                uow.facilities.save(facility)
                summary.units_updated += 1
        units.append((unit, facility.hsa_id))

    for unit, hsa_id in units:
        for p in config.unit_practitioners(unit):
            uow.practitioners.link(hsa_id, canonical[p.lower()])
        for code in unit.time_types:
            time_type = config.time_types[code]
            stored_t = uow.time_types.get(hsa_id, code)
            if stored_t is None:
                uow.time_types.add(hsa_id, time_type)
                summary.time_types_added += 1
            elif stored_t != time_type:
                uow.time_types.save(hsa_id, time_type)
                summary.time_types_updated += 1
    return units, canonical


def _sync_timeslots(
    uow: UnitOfWork,
    config: ClinicConfig,
    unit: UnitConfig,
    hsa_id: str,
    canonical: dict[str, str],
    today: date,
    summary: Summary,
) -> None:
    codes = set(unit.time_types)
    if not codes:
        return
    planned = {
        s.id: replace(
            s,
            facility_hsa_id=hsa_id,
            practitioner_ids=tuple(canonical[p.lower()] for p in s.practitioner_ids),
        )
        for s in config.timeslots(unit, today)
    }
    existing = {s.id: s for s in uow.timeslots.list_from(hsa_id, start_of_day(today), codes)}
    new = [s for i, s in planned.items() if i not in existing]
    if new:
        uow.timeslots.add_many(new)
        summary.timeslots_added += len(new)
    for slot_id, stored in existing.items():
        wanted = planned.get(slot_id)
        if wanted is None:
            if not stored.booked and not stored.withdrawn and uow.timeslots.remove_unbooked(slot_id):
                summary.timeslots_removed += 1
        elif not stored.booked and not stored.withdrawn and _differs(stored, wanted):
            if uow.timeslots.update_unbooked(wanted):
                summary.timeslots_updated += 1


def _differs(stored: Timeslot, wanted: Timeslot) -> bool:
    return (stored.end, stored.capacity, stored.priority, stored.resources, stored.alternative_location) != (
        wanted.end,
        wanted.capacity,
        wanted.priority,
        wanted.resources,
        wanted.alternative_location,
    )
