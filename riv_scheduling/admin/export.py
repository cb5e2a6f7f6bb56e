"""The clinic configuration as a document in the format of `riv-scheduling load`, read from the store.

`definitions(uow)` gives care services, practitioners, time types and units (what the admin tool
edits); `opening_hours(uow, today)` rebuilds the `[[opening_hours]]` entries from the stored slots,
so that loading the exported file on the same day changes nothing (tests/admin/test_export.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import fields
from datetime import date, datetime, timedelta
from typing import Any

from riv_scheduling.clinic.config import WEEKDAYS, timeslot_id
from riv_scheduling.domain import (
    AppointmentRule,
    BookingLimits,
    Code,
    HealthcareFacility,
    HealthcareService,
    Information,
    Practitioner,
    ReasonRequired,
    Resource,
    Timeslot,
    TimeType,
    UnitOfWork,
    to_local,
)
from riv_scheduling.domain.clock import start_of_day

Doc = dict[str, Any]


class ExportError(ValueError):
    """The stored configuration cannot be written in the file format (the message says why)."""


def duration(value: timedelta, where: str) -> str:
    """timedelta -> "0", "30m", "24h", "2d", "1d2h30m" (the file's duration format)."""
    seconds = int(value.total_seconds())
    if seconds < 0 or seconds % 60:
        raise ExportError(f"{where}: {value} is not a whole, non-negative number of minutes")
    days, rest = divmod(seconds, 86400)
    hours, minutes = divmod(rest // 60, 60)
    text = (f"{days}d" if days else "") + (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return text or "0"


def infos(items: Iterable[Information]) -> list[dict[str, str]]:
    out = []
    for i in items:
        item = {"header": i.header}
        if i.description is not None:
            item["description"] = i.description
        if i.link is not None:
            item["link"] = i.link
        out.append(item)
    return out


def code(value: Code) -> dict[str, str]:
    out = {"code": value.code, "code_system": value.code_system}
    if value.display_name is not None:
        out["display_name"] = value.display_name
    return out


def _set(doc: Doc, key: str, value: Any) -> None:
    """Keys with no value (None, empty list) are left out: the parser's defaults give them back."""
    if value is not None and value != [] and value != {}:
        doc[key] = value


def service_doc(s: HealthcareService) -> Doc:
    doc: Doc = {"code": s.code.code}
    _set(doc, "display_name", s.code.display_name)
    _set(doc, "information", infos(s.information))
    _set(doc, "conditions_to_confirm", infos(s.conditions_to_confirm))
    return doc


def practitioner_doc(p: Practitioner) -> Doc:
    doc: Doc = {"hsa_id": p.hsa_id, "first_name": p.first_name, "last_name": p.last_name}
    _set(doc, "title", p.title)
    return doc


def rule_doc(r: AppointmentRule) -> Doc:
    doc: Doc = {"process": r.process.value}
    if r.reason_text_required is not ReasonRequired.OPTIONAL:
        doc["reason_text_required"] = r.reason_text_required.value
    if r.reason_code_required is not ReasonRequired.OPTIONAL:
        doc["reason_code_required"] = r.reason_code_required.value
    _set(doc, "reason_codes", [code(c) for c in r.reason_codes])
    _set(doc, "information", infos(r.information))
    _set(doc, "condition_to_confirm", infos(r.condition_to_confirm))
    return doc


def limits_doc(limits: BookingLimits) -> Doc:
    return {f.name: getattr(limits, f.name) for f in fields(limits) if getattr(limits, f.name) is not None}


def time_type_doc(t: TimeType) -> Doc:
    where = f"time type {t.code}"
    doc: Doc = {
        "code": t.code,
        "name": t.name,
        "booking_allowed": t.booking_allowed,
        "hidden": t.hidden,
        "update_allowed": t.update_allowed,
        "cancel_allowed": t.cancel_allowed,
        "confirm_allowed": t.confirm_allowed,
        "booking_notice": duration(t.booking_notice, where),
        "update_notice": duration(t.update_notice, where),
        "cancel_notice": duration(t.cancel_notice, where),
        "confirm_notice": duration(t.confirm_notice, where),
    }
    if t.care_contact_code is not None:
        doc["care_contact_code"] = code(t.care_contact_code)
    doc["care_services"] = [s.code.code for s in t.healthcare_services]
    _set(doc, "healthcare_team", t.healthcare_team)
    _set(doc, "patient_group", t.patient_group)
    _set(doc, "appointment_information", infos(t.appointment_information))
    _set(doc, "video_meeting_url", t.video_meeting_url)
    _set(doc, "limits", limits_doc(t.limits))
    _set(doc, "rule", [rule_doc(r) for r in t.appointment_rules])
    return doc


def unit_doc(f: HealthcareFacility, time_types: list[str], practitioners: list[str]) -> Doc:
    doc: Doc = {"hsa_id": f.hsa_id, "name": f.name}
    _set(doc, "alternative_location", f.alternative_location)
    _set(doc, "information", infos(f.information))
    _set(doc, "condition_to_confirm", infos(f.condition_to_confirm))
    _set(doc, "care_guarantee_days", f.care_guarantee_days)
    _set(doc, "related_units", list(f.related_facilities))
    doc["time_types"] = time_types
    _set(doc, "practitioners", practitioners)
    return doc


def definitions(uow: UnitOfWork) -> Doc:
    """Care services, practitioners, time types and units as a configuration document.

    The file defines a time type once for every unit that lists it; the store keeps one per unit.
    Stored time types of one code that differ between units cannot be written, and are refused."""
    facilities = sorted(uow.facilities.list(), key=lambda f: f.hsa_id)
    time_types: dict[str, tuple[TimeType, str]] = {}
    practitioners: dict[str, Practitioner] = {}
    units = []
    for f in facilities:
        codes = []
        for t in uow.time_types.list(f.hsa_id):
            seen = time_types.setdefault(t.code, (t, f.hsa_id))
            if seen[0] != t:
                raise ExportError(
                    f"time type {t.code} differs between units {seen[1]} and {f.hsa_id}: the configuration "
                    "file defines a time type once for all units that have it"
                )
            codes.append(t.code)
        staff = uow.practitioners.list(f.hsa_id)
        for p in staff:
            practitioners.setdefault(p.hsa_id.lower(), p)
        units.append(unit_doc(f, codes, sorted(p.hsa_id for p in staff)))
    return {
        "care_service": [service_doc(s) for s in sorted(uow.healthcare_services.list(), key=lambda s: s.code.code)],
        "practitioner": [practitioner_doc(p) for p in sorted(practitioners.values(), key=lambda p: p.hsa_id)],
        "time_type": [time_type_doc(t) for t, _ in time_types.values()],
        "unit": units,
    }


def resource_doc(r: Resource) -> Doc:
    doc: Doc = {}
    if r.type_of_resource is not None:
        doc["type_of_resource"] = code(r.type_of_resource)
    if r.resource_attribute is not None:
        doc["resource_attribute"] = code(r.resource_attribute)
    _set(doc, "description", r.description)
    return doc


def opening_hours(uow: UnitOfWork, today: date) -> list[Doc]:
    """`[[opening_hours]]` entries that generate exactly the stored slots from `today` on.

    Slots of one series (time type, practitioners, capacity, priority, resources, place) are cut
    into runs of back-to-back slots of one length per day; runs at the same times form one entry
    over their weekdays and dates, or one entry per date where a date in between lacks them."""
    entries: list[Doc] = []
    for f in sorted(uow.facilities.list(), key=lambda f: f.hsa_id):
        codes = [t.code for t in uow.time_types.list(f.hsa_id)]
        if not codes:
            continue
        slots = uow.timeslots.list_from(f.hsa_id, start_of_day(today), codes)
        series: dict[tuple[Any, ...], list[Timeslot]] = defaultdict(list)
        for s in slots:
            if s.id != timeslot_id(f.hsa_id, s.practitioner_ids, s.time_type_code, to_local(s.start)):
                raise ExportError(
                    f"timeslot {s.id} at {f.hsa_id} was not made from opening hours (its id is not the one "
                    "the configuration file would give it), so no file can reproduce it"
                )
            key = (s.time_type_code, s.practitioner_ids, s.capacity, s.priority, s.resources, s.alternative_location)
            series[key].append(s)
        for key, members in series.items():
            entries += _series_entries(f.hsa_id, key, members, today)
    return entries


def _series_entries(unit: str, key: tuple[Any, ...], slots: list[Timeslot], today: date) -> list[Doc]:
    code_, who, capacity, priority, resources, place = key
    by_day: dict[date, list[tuple[datetime, datetime]]] = defaultdict(list)
    for s in slots:
        start, end = to_local(s.start), to_local(s.end)
        by_day[start.date()].append((start, end))
    runs: dict[tuple[str, str, int], set[date]] = defaultdict(set)
    for day, times in by_day.items():
        times.sort()
        run_start, run_end = times[0]
        length = run_end - run_start
        following: list[tuple[datetime, datetime] | None] = [*times[1:], None]  # None: the day is over
        for pair in following:
            if pair is not None and pair[0] == run_end and pair[1] - pair[0] == length:
                run_end = pair[1]
                continue
            minutes = int(length.total_seconds() // 60)
            if length != timedelta(minutes=minutes) or run_start.second or run_start.microsecond:
                raise ExportError(f"a {code_} slot at {unit} on {day} is not a whole number of minutes")
            runs[(f"{run_start:%H:%M}", f"{run_end:%H:%M}", minutes)].add(day)
            if pair is not None:
                run_start, run_end = pair
                length = run_end - run_start
    entries = []
    for (start_text, end_text, minutes), days in sorted(runs.items()):
        base: Doc = {"unit": unit, "time_type": code_, "from": start_text, "to": end_text, "slot_minutes": minutes}
        _set(base, "practitioners", list(who))
        if len(who) > 1:
            base["team"] = True
        if capacity != 1:
            base["capacity"] = capacity
        _set(base, "priority", priority)
        _set(base, "resources", [resource_doc(r) for r in resources])
        _set(base, "alternative_location", place)
        weekdays = sorted({d.weekday() for d in days})
        first, last = min(days), max(days)
        generated = {
            first + timedelta(days=i) for i in range((last - first).days + 1)
            if (first + timedelta(days=i)).weekday() in weekdays
        }
        groups = [sorted(days)] if generated == days else [[d] for d in sorted(days)]
        for group in groups:
            entry = dict(base)
            entry["weekdays"] = [WEEKDAYS[w] for w in sorted({d.weekday() for d in group})]
            entry["horizon_days"] = (group[-1] - today).days + 1
            entry["valid_from"] = group[0]
            entry["valid_until"] = group[-1]
            entries.append(entry)
    return entries


def document(uow: UnitOfWork, today: date) -> Doc:
    """The whole configuration: definitions and opening hours."""
    doc = definitions(uow)
    doc["opening_hours"] = opening_hours(uow, today)
    return doc
