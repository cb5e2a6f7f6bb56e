"""The lean booking path (store/driver.py): the statements a MakeAppointment sends run on the DB-API
cursor, past SQLAlchemy's execute. They must still behave as SQLAlchemy's would: the same rows,
database errors raised as SQLAlchemy's without the parameters, a lost connection replaced, and the
no-double-booking UPDATE deciding in the database. SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import exc, select, text
from store_world import CITIZEN, NORR, OTHER, TOLVAN, add_slot, at, fixed_clock
from test_store_pg_connections import terminate

from riv_scheduling.domain import AppointmentState, ClinicSetup, ResultCode, Scheduling
from riv_scheduling.domain.result_codes import DomainError
from riv_scheduling.store import Store, open_store
from riv_scheduling.store.tables import appointment, audit_event, timeslot


def test_a_booking_writes_rows_that_read_back_as_written(store: Store, scheduling: Scheduling,
                                                        setup: ClinicSetup) -> None:
    slot = add_slot(setup, at(2, 10))
    made = scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id, "Hosta", None)
    with store.uow() as uow:
        assert uow.appointments.get(made.id) == made
        assert uow.timeslots.get(slot.id) == dataclasses.replace(slot, booked=1)
        (event,) = [e for e in uow.audit.for_person(TOLVAN) if e.appointment_id == made.id]
        assert (event.interaction, event.action.value, event.result_code, event.timeslot_id) == (
            "MakeAppointment", "made", ResultCode.OK, slot.id)
        assert event.at == made.created_at and event.actor == CITIZEN


def test_the_conditional_update_refuses_a_taken_or_withdrawn_slot(store: Store, setup: ClinicSetup) -> None:
    taken, withdrawn = add_slot(setup, at(2, 10)), add_slot(setup, at(2, 11))
    with store.uow().writing() as uow:
        assert uow.timeslots.reserve(taken.id) is True
        uow.timeslots.withdraw(withdrawn.id)
        uow.commit()
    with store.uow().writing() as uow:
        assert uow.timeslots.reserve(taken.id) is False  # full: nothing touched
        assert uow.timeslots.reserve(withdrawn.id) is False
        assert uow.timeslots.reserve(uuid.uuid4()) is False
        uow.commit()
    with store.engine.connect() as conn:
        booked = dict(conn.execute(select(timeslot.c.id, timeslot.c.booked)).all())
    assert (booked[str(taken.id)], booked[str(withdrawn.id)]) == (1, 0)


def test_a_second_booking_of_a_taken_slot_is_refused_and_leaves_one_appointment(
        store: Store, scheduling: Scheduling, setup: ClinicSetup) -> None:
    slot = add_slot(setup, at(2, 10))
    scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id)
    with pytest.raises(DomainError) as refused:
        scheduling.booking.make_appointment(NORR, dataclasses.replace(CITIZEN, id_extension=OTHER.extension),
                                            OTHER, slot.id)
    assert refused.value.code is ResultCode.REQUESTED_TIME_IS_ALREADY_RESERVED
    with store.engine.connect() as conn:
        rows = conn.execute(select(appointment.c.person_extension).where(appointment.c.timeslot_id == str(slot.id)))
        assert [r.person_extension for r in rows] == [TOLVAN.extension]
        refusals = conn.execute(select(audit_event.c.result_code).where(audit_event.c.action == "refused")).all()
        assert [r.result_code for r in refusals] == ["REQUESTED_TIME_IS_ALREADY_RESERVED"]


def test_a_refused_insert_is_sqlalchemys_error_without_the_parameters(
        store: Store, scheduling: Scheduling, setup: ClinicSetup) -> None:
    slot = add_slot(setup, at(2, 10))
    made = scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id)
    again = dataclasses.replace(made, created_at=made.created_at + timedelta(minutes=1))
    with store.uow().writing() as uow:
        with pytest.raises(exc.IntegrityError) as refused:
            uow.appointments.add(again)  # the same id
    assert TOLVAN.extension not in str(refused.value)
    assert refused.value.statement is not None and "INSERT INTO appointment" in refused.value.statement
    with store.uow() as uow:  # the store goes on working; nothing was kept
        assert uow.appointments.get(made.id) == made
        assert [a.id for a in uow.appointments.overlapping_active(NORR, TOLVAN, at(2, 0), at(3, 0))] == [made.id]


def test_a_connection_lost_in_the_booking_path_fails_one_call_then_the_pool_is_renewed(pg_store: Store) -> None:
    store = open_store(str(pg_store.engine.url.render_as_string(hide_password=False)), ping_after_idle_s=60.0)
    slot = add_slot(ClinicSetup(store.uow, clock=fixed_clock), at(2, 10))
    with store.uow().writing() as uow:
        uow.lock_person(TOLVAN)  # the unit of work's connection is in use
        pid = uow._conn.execute(text("SELECT pg_backend_pid()")).scalar_one()  # type: ignore[union-attr]
        terminate(store, {int(pid)})
        with pytest.raises(exc.OperationalError) as lost:
            uow.timeslots.reserve(slot.id)
    assert lost.value.connection_invalidated
    with store.uow().writing() as uow:
        assert uow.timeslots.reserve(slot.id)
        uow.commit()
    with store.uow() as uow:
        found = uow.timeslots.get(slot.id)
        assert found is not None and found.booked == 1
        assert uow.appointments.overlapping_active(NORR, TOLVAN, at(2, 0), at(3, 0)) == []
    store.dispose()


def test_a_cancelled_appointment_no_longer_overlaps(scheduling: Scheduling, store: Store, setup: ClinicSetup) -> None:
    slot = add_slot(setup, at(2, 10))
    made = scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id)
    scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, made.id)
    with store.uow() as uow:
        assert uow.appointments.overlapping_active(NORR, TOLVAN, at(2, 0), at(3, 0)) == []
        cancelled = uow.appointments.get(made.id)
        assert cancelled is not None and cancelled.state is AppointmentState.CANCELLED


def test_the_statements_serve_engines_of_both_backends_in_turn(pg_store: Store, tmp_path: Path) -> None:
    """A statement is compiled per engine's dialect: a SQLite and a PostgreSQL store side by side
    (as in a test session, where engines come and go) each get their own SQL."""
    from store_world import build_clinic

    sqlite_store = open_store(f"sqlite:///{tmp_path / 'side.db'}")
    try:
        build_clinic(sqlite_store)
        stores = [sqlite_store, pg_store, sqlite_store, pg_store]
        slots = [add_slot(ClinicSetup(s.uow, clock=fixed_clock), at(2, 8 + i)) for i, s in enumerate(stores)]
        for s, slot in zip(stores, slots, strict=True):
            made = Scheduling(s.uow, clock=fixed_clock).booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id)
            with s.uow() as uow:
                assert uow.appointments.get(made.id) == made
    finally:
        sqlite_store.dispose()
