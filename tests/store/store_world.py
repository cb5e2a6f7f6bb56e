"""Shared set-up for store tests (also imported by spawned worker processes)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from riv_scheduling.domain import (
    PERSONNUMMER_OID,
    STOCKHOLM,
    Actor,
    ClinicSetup,
    DomainError,
    HealthcareFacility,
    PersonId,
    Practitioner,
    Scheduling,
    Timeslot,
    TimeType,
)
from riv_scheduling.store import Store, open_store

NORR = "SE2321000016-A1B2"
SODER = "SE2321000016-C3D4"
DOCTOR = "SE2321000016-N001"
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=STOCKHOLM)
H = timedelta(hours=1)
LAKARBESOK = TimeType("LAKARBESOK", "Läkarbesök", True, True, H, 24 * H, 24 * H)
SSKBESOK = TimeType("SSKBESOK", "Sjuksköterskebesök", True, True, timedelta(0), timedelta(0), timedelta(0))
TOLVAN = PersonId(PERSONNUMMER_OID, "191212121212")  # Skatteverket test personnummer
OTHER = PersonId(PERSONNUMMER_OID, "199001012380")
CITIZEN = Actor(PERSONNUMMER_OID, "191212121212", "116154003")


def person_no(n: int) -> PersonId:
    """The n-th of a series of Luhn-valid test personnummer born 1990-01-01."""
    body = f"900101{n + 200:03d}"
    total = 0
    for i, ch in enumerate(body):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return PersonId(PERSONNUMMER_OID, f"19{body}{(10 - total % 10) % 10}")


def fixed_clock() -> datetime:
    return NOW


def at(days: int, hour: int, minute: int = 0) -> datetime:
    d = NOW.date() + timedelta(days=days)
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=STOCKHOLM)


def build_clinic(store: Store) -> ClinicSetup:
    store.create_schema()
    setup = ClinicSetup(store.uow, clock=fixed_clock)
    for hsa_id, name in ((NORR, "Vårdcentralen Demo Norr"), (SODER, "Vårdcentralen Demo Söder")):
        setup.add_facility(HealthcareFacility(hsa_id, name))
        setup.add_time_type(hsa_id, LAKARBESOK)
        setup.add_time_type(hsa_id, SSKBESOK)
    setup.add_practitioner(NORR, Practitioner(DOCTOR, "Anna", "Lindqvist", "Leg. läkare"))
    return setup


def add_slot(
    setup: ClinicSetup,
    start: datetime,
    code: str = "LAKARBESOK",
    minutes: int = 20,
    facility: str = NORR,
    practitioners: tuple[str, ...] = (),
    capacity: int = 1,
) -> Timeslot:
    end = (start.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(STOCKHOLM)  # real minutes over DST
    return setup.add_timeslot(Timeslot(uuid.uuid4(), facility, code, start, end, practitioners, capacity))


def race_make_appointment(url: str, slot_id: str, extension: str, barrier: Any, results: Any) -> None:
    """Worker process: wait for the others, then try to book the slot; report the outcome."""
    store = open_store(url)
    try:
        scheduling = Scheduling(store.uow, clock=fixed_clock)
        person = PersonId(PERSONNUMMER_OID, extension)
        barrier.wait(timeout=60)
        try:
            scheduling.make_appointment(NORR, CITIZEN, person, uuid.UUID(slot_id))
            results.put("OK")
        except DomainError as e:
            results.put(e.code.value)
        except Exception as e:  # reported, so the test shows it
            results.put(f"{type(e).__name__}: {e}")
    finally:
        store.dispose()
