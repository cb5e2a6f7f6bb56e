"""Races over the wire, on SQLite and PostgreSQL: concurrent MakeAppointment calls to a producer.

One slot, many persons: exactly one OK. One person, two overlapping slots: exactly one booking,
however the calls interleave (the person's lock), and every call is in the audit trail.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import zeep
from sqlalchemy import text
from store_world import NORR, SSKBESOK, TOLVAN, add_slot, at, fixed_clock, person_no

from riv_scheduling.contract import INTERACTIONS
from riv_scheduling.domain import ClinicSetup, Scheduling
from riv_scheduling.server import make_server
from riv_scheduling.soap.app import Producer
from riv_scheduling.store import Store

PERSONNUMMER = "1.2.752.129.2.1.3.1"
SNOMED = "1.2.752.116.2.1.1"
CALLERS = 12


@pytest.fixture
def base_url(store: Store, setup: ClinicSetup) -> Iterator[str]:
    server = make_server(Producer(Scheduling(store.uow, clock=fixed_clock)), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()


def call_all(base_url: str, requests: list[tuple[str, str]]) -> list[str]:
    """MakeAppointment for each (personnummer, timeslot id) at once, one zeep client per caller."""
    wsdl = f"{base_url}{INTERACTIONS['MakeAppointment'].path}?wsdl"
    clients = [zeep.Client(wsdl).service for _ in requests]
    barrier = threading.Barrier(len(requests))
    results: list[str] = []
    errors: list[BaseException] = []

    def book(i: int) -> None:
        pnr, slot = requests[i]
        try:
            barrier.wait(timeout=60)
            r: Any = clients[i].MakeAppointment(
                _soapheaders={"LogicalAddress": NORR},
                actor={"actorId": {"root": PERSONNUMMER, "extension": pnr},
                       "actorType": {"code": "116154003", "codeSystem": SNOMED}},
                personId={"root": PERSONNUMMER, "extension": pnr},
                timeslotId=slot,
            )
            results.append(r.resultCode)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=book, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def test_many_persons_racing_for_one_slot_over_the_wire(base_url: str, setup: ClinicSetup) -> None:
    slot = str(add_slot(setup, at(1, 10)).id)
    results = call_all(base_url, [(person_no(n).extension, slot) for n in range(CALLERS)])
    assert Counter(results) == {"OK": 1, "REQUESTED_TIME_IS_ALREADY_RESERVED": CALLERS - 1}


def test_one_person_racing_for_two_overlapping_slots_over_the_wire(
    base_url: str, store: Store, setup: ClinicSetup
) -> None:
    a = str(add_slot(setup, at(1, 10), code=SSKBESOK.code, capacity=CALLERS).id)
    b = str(add_slot(setup, at(1, 10, 10), code=SSKBESOK.code, capacity=CALLERS).id)
    results = call_all(base_url, [(TOLVAN.extension, a if i % 2 else b) for i in range(CALLERS)])
    # The first call books; the others for that slot are repeats (OK, same id); the other slot is refused.
    assert set(results) == {"OK", "USER_IS_ALREADY_OCCUPIED"}
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM appointment")).scalar_one() == 1
        assert conn.execute(text("SELECT sum(booked) FROM timeslot")).scalar_one() == 1
        actions = Counter(dict(conn.execute(text("SELECT action, count(*) FROM audit_event GROUP BY action")).all()))
    assert actions["made"] == 1 and sum(actions.values()) == CALLERS
    assert actions["refused"] == Counter(results)["USER_IS_ALREADY_OCCUPIED"]
