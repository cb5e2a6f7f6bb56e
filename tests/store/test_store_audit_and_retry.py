"""Through the real store: the audit trail is written with the change (or alone, for a refusal),
an OK means committed, retries are answered as the first call, and one person's bookings never race."""

from __future__ import annotations

import multiprocessing
import threading
import uuid
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import text
from store_world import (
    CITIZEN,
    NORR,
    OTHER,
    SSKBESOK,
    TOLVAN,
    add_slot,
    at,
    fixed_clock,
    person_no,
    race_same_person,
)

from riv_scheduling.domain import (
    AppointmentState,
    AuditAction,
    AuditTrail,
    ClinicSetup,
    DomainError,
    ResultCode,
    Scheduling,
)
from riv_scheduling.store import Store, open_store
from riv_scheduling.store.repositories import AuditRepo

CONSUMER = "SE2321000016-1177"


def count(store: Store, sql: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_the_change_and_its_event_are_one_transaction(
    store: Store, setup: ClinicSetup, scheduling: Scheduling, monkeypatch: pytest.MonkeyPatch
) -> None:
    slot = add_slot(setup, at(3, 10))
    monkeypatch.setattr(AuditRepo, "append", lambda self, e: (_ for _ in ()).throw(RuntimeError("audit down")))
    with pytest.raises(RuntimeError):
        scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id)
    monkeypatch.undo()
    assert count(store, "SELECT count(*) FROM appointment") == 0
    assert count(store, "SELECT booked FROM timeslot") == 0
    assert count(store, "SELECT count(*) FROM audit_event") == 0


def test_a_refusal_is_recorded_in_its_own_transaction(store: Store, setup: ClinicSetup, scheduling: Scheduling) -> None:
    slot = add_slot(setup, at(3, 10))
    scheduling.booking.make_appointment(NORR, CITIZEN, OTHER, slot.id, consumer=CONSUMER)
    with pytest.raises(DomainError):
        scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id, consumer=CONSUMER)
    [refusal] = AuditTrail(store.uow).for_person(TOLVAN)
    assert (refusal.action, refusal.result_code, refusal.consumer_hsa_id, refusal.timeslot_id) == (
        AuditAction.REFUSED, ResultCode.REQUESTED_TIME_IS_ALREADY_RESERVED, CONSUMER, slot.id
    )
    assert count(store, "SELECT count(*) FROM appointment") == 1


def test_an_ok_is_committed_before_the_call_returns(store: Store, db_url: str, setup: ClinicSetup) -> None:
    slot = add_slot(setup, at(3, 10))
    appointment = Scheduling(store.uow, clock=fixed_clock).booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id)
    other = open_store(db_url)  # another engine, another connection: sees only what is committed
    try:
        with other.uow() as uow:
            assert uow.appointments.get(appointment.id) is not None
            assert uow.timeslots.get(slot.id).booked == 1  # type: ignore[union-attr]
        assert [e.action for e in AuditTrail(other.uow).for_appointment(appointment.id)] == [AuditAction.MADE]
    finally:
        other.dispose()


def test_retries_through_the_store(store: Store, setup: ClinicSetup, scheduling: Scheduling) -> None:
    first, second = add_slot(setup, at(3, 10)), add_slot(setup, at(4, 10))
    made = scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, first.id)
    assert scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, first.id).id == made.id
    new = scheduling.rebooking.update_appointment(NORR, CITIZEN, TOLVAN, made.id, second.id)
    assert scheduling.rebooking.update_appointment(NORR, CITIZEN, TOLVAN, made.id, second.id).id == new.id
    scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, new.id)
    # A repeated cancellation is no retry but APPOINTMENT_IS_ALREADY_CANCELED (TKB 2.0 §3.7.4), and frees nothing.
    with pytest.raises(DomainError) as refused:
        scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, new.id)
    assert refused.value.code is ResultCode.APPOINTMENT_IS_ALREADY_CANCELED
    assert count(store, "SELECT count(*) FROM appointment") == 2
    assert count(store, "SELECT sum(booked) FROM timeslot") == 0
    trail = AuditTrail(store.uow).for_appointment(new.id)
    assert [e.action.value for e in trail] == ["made", "repeated", "rebooked", "repeated", "cancelled", "refused"]


def test_cli_audit_prints_the_chain_masked_unless_asked(
    store: Store,
    db_url: str,
    setup: ClinicSetup,
    scheduling: Scheduling,
    capsys: pytest.CaptureFixture[str],
    cli: Callable[[list[str]], int],
) -> None:
    a = scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, add_slot(setup, at(3, 10)).id, consumer=CONSUMER)
    target = add_slot(setup, at(4, 10))
    b = scheduling.rebooking.update_appointment(NORR, CITIZEN, TOLVAN, a.id, target.id, consumer=CONSUMER)
    with pytest.raises(DomainError):
        scheduling.cancellation.cancel_appointment(NORR, CITIZEN, OTHER, b.id)
    scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, b.id, consumer=CONSUMER)
    capsys.readouterr()
    assert cli(["audit", "--appointment", str(a.id), "--db", db_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[1:4] for line in lines] == [
        ["MakeAppointment", "made", "OK"],
        ["UpdateAppointment", "rebooked", "OK"],
        ["CancelAppointment", "refused", "APPOINTMENT_DOES_NOT_EXIST"],
        ["CancelAppointment", "cancelled", "OK"],
    ]
    assert f"appointment={a.id}  new_appointment={b.id}" in lines[1]
    assert f"consumer={CONSUMER}" in lines[0] and "consumer=-" in lines[2]
    out = "\n".join(lines)
    assert "191212121212" not in out and "19121212****" in out and "19811228****" in out
    assert cli(["audit", "--person", TOLVAN.extension, "--db", db_url, "--show-identity"]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert len(shown) == 3 and all("person=191212121212" in line for line in shown)


def book(
    scheduling: Scheduling, person: object, slot_id: uuid.UUID, barrier: threading.Barrier, out: list[str]
) -> None:
    barrier.wait()
    try:
        scheduling.booking.make_appointment(NORR, CITIZEN, person, slot_id)  # type: ignore[arg-type]
        out.append("OK")
    except DomainError as e:
        out.append(e.code.value)
    except Exception as e:
        out.append(f"{type(e).__name__}: {e}")


def test_the_same_person_booking_two_overlapping_slots_at_once_gets_one(
    store: Store, setup: ClinicSetup, scheduling: Scheduling
) -> None:
    for round_ in range(5):
        person = person_no(round_)
        slots = [add_slot(setup, at(1 + round_, 10), code=SSKBESOK.code, capacity=3),
                 add_slot(setup, at(1 + round_, 10, 10), code=SSKBESOK.code, capacity=3)]
        barrier = threading.Barrier(len(slots) * 4)
        outcomes: list[str] = []
        threads = [
            threading.Thread(target=book, args=(scheduling, person, s.id, barrier, outcomes))
            for s in slots
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        # Four callers per slot: the first of each slot could be a new booking, the rest repeats;
        # but only one of the two overlapping slots can be the person's.
        assert set(outcomes) <= {"OK", "USER_IS_ALREADY_OCCUPIED"}, outcomes
        with store.engine.connect() as conn:
            active = conn.execute(
                text("SELECT count(*) FROM appointment WHERE person_extension = :p AND state = :active"),
                {"p": person.extension, "active": AppointmentState.ACTIVE.value},
            ).scalar_one()
        assert active == 1


def test_processes_booking_two_overlapping_slots_for_one_person_get_one(
    db_url: str, store: Store, setup: ClinicSetup
) -> None:
    a = add_slot(setup, at(1, 10), code=SSKBESOK.code, capacity=2)
    b = add_slot(setup, at(1, 10, 10), code=SSKBESOK.code, capacity=2)
    store.dispose()
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    workers = [ctx.Process(target=race_same_person, args=(db_url, str(s.id), TOLVAN.extension, barrier, results))
               for s in (a, b)]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    assert Counter(outcomes) == {"OK": 1, "USER_IS_ALREADY_OCCUPIED": 1}
