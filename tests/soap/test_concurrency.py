"""Twenty concurrent MakeAppointment calls for one slot: exactly one OK."""

from __future__ import annotations

import threading
from collections import Counter

import zeep
from soapwire import PERSONS, TEST_UNIT, Slots, Wire, actor, person

from riv_scheduling.contract import INTERACTIONS


def test_twenty_concurrent_bookings_of_one_slot_give_exactly_one_ok(
    wire: Wire, slots: Slots
) -> None:
    slot = slots.make()
    wsdl = f"{wire.base_url}{INTERACTIONS['MakeAppointment'].path}?wsdl"
    clients = [zeep.Client(wsdl).service for _ in range(20)]  # one client per caller
    barrier = threading.Barrier(20)
    results: list[str] = []
    errors: list[BaseException] = []

    def book(i: int) -> None:
        pnr = PERSONS[40 + i]
        try:
            barrier.wait(timeout=30)
            r = clients[i].MakeAppointment(_soapheaders={"LogicalAddress": TEST_UNIT},
                                           actor=actor(pnr), personId=person(pnr),
                                           timeslotId=slot)
            results.append(r.resultCode)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=book, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert Counter(results) == {"OK": 1, "REQUESTED_TIME_IS_ALREADY_RESERVED": 19}
