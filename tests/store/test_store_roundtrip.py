"""The SQLAlchemy store on a SQLite file: round trips, lookups, time zones, schema guards."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, inspect, text, update
from sqlalchemy.exc import IntegrityError
from store_pg import only_sqlite
from store_world import CITIZEN, DOCTOR, NORR, NOW, OTHER, SODER, SSKBESOK, TOLVAN, add_slot, at, at_once

from riv_scheduling.domain import (
    STOCKHOLM,
    Appointment,
    AppointmentState,
    AppointmentStatus,
    BookingLimits,
    ClinicSetup,
    Code,
    HealthcareFacility,
    Practitioner,
    Scheduling,
    TimeslotQuery,
    TimeType,
)
from riv_scheduling.store import Store, open_store
from riv_scheduling.store.tables import timeslot


def test_facility_lookup_is_case_insensitive(store: Store, setup: ClinicSetup) -> None:
    with store.uow() as uow:
        assert uow.facilities.get(NORR.lower()) == HealthcareFacility(NORR, "Vårdcentralen Demo Norr")
        assert uow.facilities.get("se2321000016-c3d4").hsa_id == SODER  # type: ignore[union-attr]
        assert uow.facilities.get("SE2321000016-XXXX") is None
        assert [f.hsa_id for f in uow.facilities.list()] == [NORR, SODER]


def test_time_type_round_trip(store: Store, setup: ClinicSetup) -> None:
    odd = TimeType("X", "Udda", False, True, timedelta(minutes=90), timedelta(0), timedelta(days=2), True, False)
    setup.add_time_type(SODER, odd)
    with store.uow() as uow:
        assert uow.time_types.get(SODER, "X") == odd
        assert uow.time_types.get(NORR, "X") is None
        assert [t.code for t in uow.time_types.list(SODER)] == ["LAKARBESOK", "SSKBESOK", "X"]


def test_time_type_limits_are_one_json_object_and_unknown_keys_are_ignored(store: Store, setup: ClinicSetup) -> None:
    setup.add_time_type(SODER, TimeType("X", "Udda", True, True, timedelta(0), timedelta(0), timedelta(0)))
    with store.engine.begin() as conn:
        assert conn.execute(text("SELECT limits FROM time_type WHERE code = 'X'")).scalar_one() in ("{}", {})
        conn.execute(text("UPDATE time_type SET limits = NULL WHERE code = 'X'"))  # a row from before 0004
    with store.uow() as uow:
        assert uow.time_types.get(SODER, "X").limits == BookingLimits()  # type: ignore[union-attr]
    with store.engine.begin() as conn:
        # a key a newer version wrote
        conn.execute(text("""UPDATE time_type SET limits = '{"from_the_future": 3}' WHERE code = 'X'"""))
    with store.uow() as uow:
        assert uow.time_types.get(SODER, "X").limits == BookingLimits()  # type: ignore[union-attr]


def test_practitioner_round_trip_and_case_insensitive_lookup(store: Store, setup: ClinicSetup) -> None:
    setup.add_practitioner(NORR, Practitioner(DOCTOR.lower(), "Ignoreras", "Eftersom", "finns"))  # same person
    with store.uow() as uow:
        doctor = Practitioner(DOCTOR, "Anna", "Lindqvist", "Leg. läkare")
        assert uow.practitioners.get(DOCTOR.lower()) == doctor
        assert uow.practitioners.get_many([DOCTOR, "SE2321000016-NONE"]) == {DOCTOR: doctor}
        assert uow.practitioners.list(NORR) == [doctor]
        assert uow.practitioners.list(SODER) == []


def test_timeslot_round_trip_stores_utc_and_returns_stockholm_time(store: Store, setup: ClinicSetup) -> None:
    nurse = "SE2321000016-N003"
    setup.add_practitioner(NORR, Practitioner(nurse, "Maria", "Holm"))
    slot = add_slot(setup, at(1, 10), practitioners=(nurse, DOCTOR), capacity=2)
    with store.uow() as uow:
        loaded = uow.timeslots.get(slot.id)
    assert loaded == slot
    assert loaded.start.tzinfo is not None and loaded.practitioner_ids == (nurse, DOCTOR)
    with store.engine.connect() as conn:
        raw = conn.execute(text("SELECT start_utc FROM timeslot WHERE id = :id"), {"id": str(slot.id)}).scalar()
    assert str(raw).startswith("2025-03-11 09:00:00")  # 10:00 CET


@pytest.mark.parametrize(
    "start",
    [
        datetime(2025, 3, 30, 3, 30, tzinfo=STOCKHOLM),  # just after the spring change
        datetime(2025, 10, 26, 2, 30, fold=1, tzinfo=STOCKHOLM),  # second 02:30 in autumn
        datetime(2025, 10, 26, 2, 30, fold=0, tzinfo=STOCKHOLM),  # first 02:30 in autumn
    ],
)
def test_timeslots_keep_their_instant_across_dst(store: Store, setup: ClinicSetup, start: datetime) -> None:
    slot = add_slot(setup, start, code="SSKBESOK", minutes=30)
    with store.uow() as uow:
        loaded = uow.timeslots.get(slot.id)
    assert loaded is not None
    assert loaded.start.astimezone(UTC) == start.astimezone(UTC)
    assert loaded.length_minutes == 30


def test_appointment_round_trip(store: Store, setup: ClinicSetup) -> None:
    slot = add_slot(setup, at(1, 10))
    a = Appointment(
        id=uuid.uuid4(),
        timeslot_id=slot.id,
        facility_hsa_id=NORR,
        person_id=TOLVAN,
        status=AppointmentStatus.PRELIMINARY,
        state=AppointmentState.ACTIVE,
        new_reason_text="Hosta",
        new_reason_code=Code("R1", "1.2.3", "Hosta"),
        update_reason_text=None,
        update_reason_code=Code("U1", "1.2.3"),
        replaces=None,
        replaced_by=None,
        created_at=NOW,
        updated_at=NOW + timedelta(seconds=1),
        cancel_reason_text="Frisk",
    )
    with store.uow().writing() as uow:
        uow.appointments.add(a)
        uow.commit()
    with store.uow() as uow:
        assert uow.appointments.get(a.id) == a
        assert uow.appointments.get(uuid.uuid4()) is None


def test_uncommitted_work_is_rolled_back(store: Store, setup: ClinicSetup) -> None:
    slot = add_slot(setup, at(1, 10))
    with store.uow().writing() as uow:
        assert uow.timeslots.reserve(slot.id)
    with store.uow() as uow:
        assert uow.timeslots.get(slot.id).booked == 0  # type: ignore[union-attr]


def test_reserve_is_conditional(store: Store, setup: ClinicSetup) -> None:
    slot = add_slot(setup, at(1, 10))
    with store.uow().writing() as uow:
        assert uow.timeslots.reserve(slot.id) is True
        assert uow.timeslots.reserve(slot.id) is False
        uow.timeslots.release(slot.id)
        uow.timeslots.withdraw(slot.id)
        assert uow.timeslots.reserve(slot.id) is False
        uow.commit()


def test_the_database_refuses_overbooking(store: Store, setup: ClinicSetup) -> None:
    slot = add_slot(setup, at(1, 10))
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(update(timeslot).where(timeslot.c.id == str(slot.id)).values(booked=2))


def test_find_free_is_one_indexed_range_query(store: Store, setup: ClinicSetup) -> None:
    for hour in range(8, 16):
        add_slot(setup, at(1, hour), practitioners=(DOCTOR,))
    sqlite = store.engine.dialect.name == "sqlite"

    def plan(where: str, hide: str | None = None, **values: Any) -> str:
        with store.engine.connect() as conn:
            if not sqlite:  # eight rows: PostgreSQL would rightly scan; ask whether an index serves
                conn.exec_driver_sql("SET enable_seqscan = off")
            if hide is not None:  # dropped in this transaction only (rolled back below)
                conn.exec_driver_sql(f"DROP INDEX {hide}")
            bounds = {"a": "2025-03-11", "b": "2025-03-12"} if sqlite else {
                "a": datetime(2025, 3, 11), "b": datetime(2025, 3, 12)}
            explain = "EXPLAIN QUERY PLAN" if sqlite else "EXPLAIN"
            sql = f"{explain} SELECT id FROM timeslot WHERE facility_hsa_id = :f AND {where}"
            found = " ".join(str(r[-1]) for r in conn.execute(text(sql), {"f": NORR, **bounds, **values}))
            conn.rollback()
            return found

    # Over all time types: the (unit, start) index (PostgreSQL may take the (unit, type, start) one
    # for eight rows; either is a range scan of an index, not of the table).
    assert re.search(r"ix_timeslot_facility_(type_)?start", plan("start_utc >= :a AND start_utc < :b"))
    # By time type (migration 0007): the (unit, type, start) index. SQLite prefers it (more equality
    # columns); PostgreSQL's costs for eight rows tie, so there it must serve once the other is hidden.
    by_type = "time_type_code = :code AND start_utc >= :a AND start_utc < :b"
    assert "ix_timeslot_facility_type_start" in plan(
        by_type, hide=None if sqlite else "ix_timeslot_facility_start", code="SSKBESOK")
    if not sqlite:
        assert re.search(r"ix_timeslot_facility_(type_)?start", plan(by_type, code="SSKBESOK"))
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    scheduling = Scheduling(store.uow, clock=lambda: NOW)
    views = scheduling.search.available_timeslots(NORR, TimeslotQuery(NOW.date(), NOW.date() + timedelta(days=7)))
    assert len(views) == 8 and all(v.practitioners[0].hsa_id == DOCTOR for v in views)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 5


def test_indexes_exist(store: Store, setup: ClinicSetup) -> None:
    inspector = inspect(store.engine)
    timeslot_indexes = {tuple(i["column_names"]) for i in inspector.get_indexes("timeslot")}
    appointment_indexes = {tuple(i["column_names"])[0] for i in inspector.get_indexes("appointment")}
    assert ("facility_hsa_id", "start_utc") in timeslot_indexes
    assert {"person_extension", "timeslot_id"} <= appointment_indexes


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_full_sync(store: Store, setup: ClinicSetup) -> None:
    only_sqlite(store)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 30000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL: an OK is on disk


def test_writes_begin_immediate_and_reads_do_not(store: Store, scheduling: Scheduling, setup: ClinicSetup) -> None:
    only_sqlite(store)
    slot = add_slot(setup, at(1, 10))
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    scheduling.search.available_timeslots(NORR, TimeslotQuery(NOW.date(), NOW.date()))
    assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN"]
    statements.clear()
    scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id)
    assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]


def test_booking_flow_through_the_store(store: Store, scheduling: Scheduling, setup: ClinicSetup) -> None:
    first = add_slot(setup, at(2, 10), practitioners=(DOCTOR,))
    second = add_slot(setup, at(3, 10), practitioners=(DOCTOR,))
    appointment = scheduling.booking.make_appointment(NORR.lower(), CITIZEN, TOLVAN, first.id, "Hosta", None)
    view = scheduling.reading.get_appointment(NORR, TOLVAN, appointment.id)
    assert view is not None and view.slot.practitioners[0].hsa_id == DOCTOR
    assert scheduling.reading.get_appointment(NORR, OTHER, appointment.id) is None

    week = (NOW.date(), NOW.date() + timedelta(days=7))
    offered = scheduling.search.available_timeslots(
        NORR, TimeslotQuery(*week, original_appointment_id=appointment.id, person_id=TOLVAN)
    )
    assert [v.timeslot.id for v in offered] == [second.id]

    new = scheduling.rebooking.update_appointment(NORR, CITIZEN, TOLVAN, appointment.id, second.id, "Krock", None)
    assert [v.appointment.id for v in scheduling.reading.appointments(NORR, TOLVAN)] == [new.id]
    with store.uow() as uow:
        old = uow.appointments.get(appointment.id)
        assert old is not None and (old.state, old.replaced_by) == (AppointmentState.REPLACED, new.id)
        assert uow.timeslots.get(first.id).booked == 0  # type: ignore[union-attr]

    scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, new.id, "Frisk", Code("A", "1.2.3", "Frisk"))
    assert scheduling.reading.appointments(NORR, TOLVAN) == []
    free = scheduling.search.available_timeslots(NORR, TimeslotQuery(NOW.date(), NOW.date() + timedelta(days=7)))
    assert {v.timeslot.id for v in free} == {first.id, second.id}


def test_schema_creation_is_idempotent_and_is_empty_tracks_units(db_url: str) -> None:
    store = open_store(db_url)
    try:
        assert store.is_empty()  # no schema yet
        store.create_schema()
        store.create_schema()
        assert store.is_empty()
        ClinicSetup(store.uow).add_facility(HealthcareFacility(NORR, "Norr"))
        assert not store.is_empty()
    finally:
        store.dispose()


def test_default_url_is_a_sqlite_file_in_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store(None)
    try:
        store.create_schema()
        assert (tmp_path / "riv-scheduling.db").exists()
    finally:
        store.dispose()


def test_in_memory_sqlite_works_across_threads() -> None:
    import threading

    store = open_store("sqlite://")
    try:
        store.create_schema()
        setup = ClinicSetup(store.uow)
        setup.add_facility(HealthcareFacility(NORR, "Norr"))
        setup.add_time_type(NORR, SSKBESOK)
        found: list[int] = []
        t = threading.Thread(target=lambda: found.append(len(Scheduling(store.uow).reading.facilities())))
        t.start()
        t.join()
        assert found == [1]
    finally:
        store.dispose()


def test_workers_creating_the_schema_at_once_do_not_collide(db_url: str) -> None:
    stores = [open_store(db_url) for _ in range(6)]
    errors = at_once(stores, Store.create_schema, timeout=60)
    try:
        assert errors == []
        assert stores[0].is_empty()
    finally:
        for s in stores:
            s.dispose()
