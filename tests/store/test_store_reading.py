"""A unit of work entered without writing() only reads: on PostgreSQL it runs without a
transaction (no BEGIN and COMMIT round trips), so the store refuses any write in it."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import text
from store_world import CITIZEN, LAKARBESOK, NORR, TOLVAN, add_slot, at

from riv_scheduling.domain import ClinicSetup, Scheduling
from riv_scheduling.store import Store
from riv_scheduling.store.engine import ReadingUnitOfWorkWrites


def test_a_reading_unit_of_work_refuses_to_write(store: Store, setup: ClinicSetup) -> None:
    with store.uow() as uow:
        with pytest.raises(ReadingUnitOfWorkWrites):
            uow.time_types.save(NORR, dataclasses.replace(LAKARBESOK, name="Ändrad"))
    with store.uow() as uow:
        with pytest.raises(ReadingUnitOfWorkWrites):
            uow.lock_person(TOLVAN)
    with store.uow() as uow:
        kept = uow.time_types.get(NORR, LAKARBESOK.code)
    assert kept == LAKARBESOK


def test_reading_on_postgresql_runs_without_a_transaction(pg_store: Store) -> None:
    store = pg_store

    def status(uow: object) -> int:  # psycopg's TransactionStatus: 0 IDLE, 2 INTRANS
        return int(uow._conn.connection.dbapi_connection.info.transaction_status)  # type: ignore[attr-defined]

    with store.uow() as uow:
        uow.facilities.get(NORR)
        uow.appointments.list_active(NORR, TOLVAN)
        reading = status(uow)
    with store.uow().writing() as uow:
        uow.appointments.list_active(NORR, TOLVAN)
        writing = status(uow)
    assert (reading, writing) == (0, 2)


def test_writing_units_of_work_still_write(store: Store, setup: ClinicSetup) -> None:
    slot = add_slot(setup, at(1, 10))
    booked = Scheduling(store.uow, clock=lambda: at(0, 9)).booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM appointment WHERE id = :i"), {"i": str(booked.id)}).scalar() == 1
