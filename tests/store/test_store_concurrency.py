"""The database, not a Python lock, stops double booking: threads and processes race for one slot."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter

from sqlalchemy import text
from store_world import CITIZEN, NORR, SSKBESOK, add_slot, at, fixed_clock, person_no, race_make_appointment

from riv_scheduling.domain import ClinicSetup, DomainError, Scheduling
from riv_scheduling.store import Store, open_store

THREADS = 20
PROCESSES = 4


def booked_and_rows(store: Store, slot_id: object) -> tuple[int, int]:
    with store.engine.connect() as conn:
        booked = conn.execute(text("SELECT booked FROM timeslot WHERE id = :id"), {"id": str(slot_id)}).scalar_one()
        rows = conn.execute(
            text("SELECT count(*) FROM appointment WHERE timeslot_id = :id"), {"id": str(slot_id)}
        ).scalar_one()
    return booked, rows


def test_twenty_threads_racing_for_one_slot_book_it_once(store: Store, setup: ClinicSetup) -> None:
    slot = add_slot(setup, at(1, 10))
    scheduling = Scheduling(store.uow, clock=fixed_clock)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            scheduling.booking.make_appointment(NORR, CITIZEN, person_no(n), slot.id)
            result = "OK"
        except DomainError as e:
            result = e.code.value
        except Exception as e:  # e.g. "database is locked" would land here
            result = f"{type(e).__name__}: {e}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert Counter(outcomes) == {"OK": 1, "REQUESTED_TIME_IS_ALREADY_RESERVED": THREADS - 1}
    assert booked_and_rows(store, slot.id) == (1, 1)


def test_twenty_threads_booking_different_slots_all_succeed(store: Store, setup: ClinicSetup) -> None:
    setup_slots = [add_slot(setup, at(1 + n // 8, 8 + n % 8), code=SSKBESOK.code) for n in range(THREADS)]
    scheduling = Scheduling(store.uow, clock=fixed_clock)
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            scheduling.booking.make_appointment(NORR, CITIZEN, person_no(n), setup_slots[n].id)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert [booked_and_rows(store, s.id) for s in setup_slots] == [(1, 1)] * THREADS


def test_four_processes_racing_for_one_slot_book_it_once(db_url: str, store: Store, setup: ClinicSetup) -> None:
    slot = add_slot(setup, at(1, 10))
    store.dispose()  # the children open their own engines on the same file
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    workers = [
        ctx.Process(
            target=race_make_appointment,
            args=(db_url, str(slot.id), person_no(n).extension, barrier, results),
        )
        for n in range(PROCESSES)
    ]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    assert [w.exitcode for w in workers] == [0] * PROCESSES

    assert Counter(outcomes) == {"OK": 1, "REQUESTED_TIME_IS_ALREADY_RESERVED": PROCESSES - 1}
    check = open_store(db_url)
    try:
        assert booked_and_rows(check, slot.id) == (1, 1)
    finally:
        check.dispose()
