"""Driver statements (store/driver.py) read exactly what SQLAlchemy's own execution gives."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Select, bindparam, select
from store_world import NORR, at

from riv_scheduling.domain import ClinicSetup, Timeslot
from riv_scheduling.store import Store
from riv_scheduling.store.driver import DriverStatement
from riv_scheduling.store.repositories import to_db
from riv_scheduling.store.tables import timeslot


def _statement() -> Select[Any]:
    return (
        select(timeslot)
        .where(timeslot.c.facility_hsa_id == bindparam("unit"), timeslot.c.start_utc >= bindparam("start"),
               timeslot.c.withdrawn == False)  # noqa: E712 - a literal the statement binds itself
        .order_by(timeslot.c.start_utc, timeslot.c.id)
    )


def test_rows_and_values_are_those_sqlalchemy_gives(store: Store, setup: ClinicSetup) -> None:
    slots = [
        Timeslot(uuid.uuid4(), NORR, "LAKARBESOK", at(2, 8) + timedelta(microseconds=i * 1001), at(2, 9), capacity=2)
        for i in range(3)
    ]
    with store.uow().writing() as uow:
        uow.timeslots.add_many(slots)
        uow.commit()
    statement = DriverStatement(_statement())
    values = {"unit": NORR, "start": to_db(at(2, 8) + timedelta(microseconds=1001))}
    with store.engine.connect() as conn:
        expected = [tuple(r) for r in conn.execute(_statement(), values)]
        got = [tuple(r) for r in statement.rows(conn, values)]
        named = statement.rows(conn, values)
    assert got == expected and len(got) == 2
    assert [type(v) for v in got[0]] == [type(v) for v in expected[0]]  # datetimes, bools, JSON lists
    assert isinstance(named[0].start_utc, datetime) and named[0].withdrawn is False
    assert [r.id for r in named] == [str(s.id) for s in slots[1:]]


def test_a_value_not_given_is_an_error_not_a_null(store: Store, setup: ClinicSetup) -> None:
    statement = DriverStatement(_statement())
    with store.engine.connect() as conn, pytest.raises(KeyError):
        statement.rows(conn, {"unit": NORR})
