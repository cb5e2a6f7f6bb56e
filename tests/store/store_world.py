"""Shared set-up for store tests (also imported by spawned worker processes)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
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
OTHER = PersonId(PERSONNUMMER_OID, "198112289874")
CITIZEN = Actor(PERSONNUMMER_OID, "191212121212", "116154003")


def person_no(n: int) -> PersonId:
    """The n-th of a series of Luhn-valid test personnummer born 1990-01-01."""
    body = f"900101{n + 200:03d}"
    total = 0
    for i, ch in enumerate(body):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return PersonId(PERSONNUMMER_OID, f"19{body}{(10 - total % 10) % 10}")


def at_once(stores: Sequence[Store], action: Callable[[Store], object], timeout: float = 120) -> list[BaseException]:
    """Run `action` on every store in its own thread, all released at the same moment (workers
    starting together); the errors they raised."""
    barrier = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def run(s: Store) -> None:
        barrier.wait()
        try:
            action(s)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return errors


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
            scheduling.booking.make_appointment(NORR, CITIZEN, person, uuid.UUID(slot_id))
            results.put("OK")
        except DomainError as e:
            results.put(e.code.value)
        except Exception as e:  # reported, so the test shows it
            results.put(f"{type(e).__name__}: {e}")
    finally:
        store.dispose()


def race_same_person(url: str, slot_id: str, extension: str, barrier: Any, results: Any) -> None:
    """Worker process: the same person books one of two overlapping slots at the same moment."""
    store = open_store(url)
    try:
        scheduling = Scheduling(store.uow, clock=fixed_clock)
        barrier.wait(timeout=60)
        try:
            person = PersonId(PERSONNUMMER_OID, extension)
            scheduling.booking.make_appointment(NORR, CITIZEN, person, uuid.UUID(slot_id))
            results.put("OK")
        except DomainError as e:
            results.put(e.code.value)
        except Exception as e:
            results.put(f"{type(e).__name__}: {e}")
    finally:
        store.dispose()


def churn(
    url: str, slot_ids: list[str], persons: list[str], seed: int, threads: int, ops: int, deadline: float
) -> dict[str, int]:
    """Threads randomly booking, rebooking and cancelling for a few shared persons over a few slots,
    until `ops` each or the wall-clock `deadline` (time.time()); returns the outcome counts."""
    import random
    import threading
    import time
    from collections import Counter

    store = open_store(url)
    scheduling = Scheduling(store.uow, clock=fixed_clock)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def run(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        for _ in range(ops):
            if time.time() > deadline:
                break
            person = PersonId(PERSONNUMMER_OID, rng.choice(persons))
            target = uuid.UUID(rng.choice(slot_ids))
            op = rng.choices(("make", "update", "cancel"), weights=(45, 35, 20))[0]
            try:
                if op == "make":
                    scheduling.booking.make_appointment(NORR, CITIZEN, person, target)
                else:
                    held = scheduling.reading.appointments(NORR, person)
                    if not held:
                        op = "make"
                        scheduling.booking.make_appointment(NORR, CITIZEN, person, target)
                    elif op == "update":
                        original = rng.choice(held).appointment.id
                        scheduling.rebooking.update_appointment(NORR, CITIZEN, person, original, target)
                    else:
                        cancelled = rng.choice(held).appointment.id
                        scheduling.cancellation.cancel_appointment(NORR, CITIZEN, person, cancelled)
                result = f"{op} OK"
            except DomainError as e:
                result = f"{op} {e.code.value}"
            except Exception as e:  # a technical error: the test fails on it
                result = f"{op} EXCEPTION {type(e).__name__}: {e}"
            with lock:
                outcomes[result] += 1

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    store.dispose()
    return dict(outcomes)


def churn_process(args: tuple[Any, ...], results: Any) -> None:
    """Worker process around `churn`."""
    try:
        results.put(churn(*args))
    except BaseException as e:
        results.put({f"process EXCEPTION {type(e).__name__}: {e}": 1})
