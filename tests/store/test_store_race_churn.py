"""Real concurrency: 4 processes x 8 threads book, rebook and cancel at random over 10 slots for a few
shared persons (bounded: RIV_CHURN_OPS operations per thread, at most RIV_CHURN_SECONDS). Afterwards
the database must hold: no slot over capacity, booked == active appointments per slot, every replaced
appointment has exactly one successor, nobody in two overlapping appointments, an audit event for
every change, and no caller saw a technical error.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import text
from store_world import SSKBESOK, add_slot, at, churn_process, person_no

from riv_scheduling.domain import AppointmentState, ClinicSetup
from riv_scheduling.store import Store

PROCESSES = 4
THREADS = 8
OPS = int(os.environ.get("RIV_CHURN_OPS", "60"))
SECONDS = min(float(os.environ.get("RIV_CHURN_SECONDS", "60")), 120.0)


def test_processes_and_threads_churning_keep_every_invariant(db_url: str, store: Store, setup: ClinicSetup) -> None:
    # Ten 20-minute slots, 15 minutes apart: each overlaps its neighbours. Capacities 1-3.
    slots = [
        add_slot(setup, at(1, 10) + timedelta(minutes=15 * i), code=SSKBESOK.code, capacity=1 + i % 3)
        for i in range(10)
    ]
    persons = [person_no(n).extension for n in range(12)]
    store.dispose()
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    deadline = time.time() + SECONDS
    workers = [
        ctx.Process(
            target=churn_process,
            args=((db_url, [str(s.id) for s in slots], persons, p, THREADS, OPS, deadline), results),
        )
        for p in range(PROCESSES)
    ]
    for w in workers:
        w.start()
    outcomes: Counter[str] = Counter()
    for _ in workers:
        outcomes.update(results.get(timeout=SECONDS + 120))
    for w in workers:
        w.join(timeout=60)

    assert not [o for o in outcomes if "EXCEPTION" in o], outcomes
    assert outcomes["make OK"] > 0 and outcomes["update OK"] > 0 and outcomes["cancel OK"] > 0, outcomes

    active, cancelled, replaced = (s.value for s in AppointmentState)
    with store.engine.connect() as conn:
        q = conn.execute
        # Slots: booked == active appointments, never over capacity.
        rows = q(text(
            "SELECT t.id, t.capacity, t.booked, "
            "(SELECT count(*) FROM appointment a WHERE a.timeslot_id = t.id AND a.state = :active) "
            "FROM timeslot t"), {"active": active}).all()
        for slot_id, capacity, booked, n_active in rows:
            assert booked == n_active <= capacity, (slot_id, capacity, booked, n_active)
        # Rebookings: each replaced appointment has exactly one successor, which points back.
        appointments = {r.id: r for r in q(text("SELECT id, state, replaces, replaced_by FROM appointment")).all()}
        successors = Counter(a.replaces for a in appointments.values() if a.replaces)
        for a in appointments.values():
            if a.state == replaced:
                assert a.replaced_by in appointments and appointments[a.replaced_by].replaces == a.id
                assert successors[a.id] == 1
            else:
                assert a.replaced_by is None and successors[a.id] == 0
        # Nobody holds two overlapping active appointments.
        overlaps = q(text(
            "SELECT count(*) FROM appointment a JOIN timeslot s ON s.id = a.timeslot_id, "
            "appointment b JOIN timeslot u ON u.id = b.timeslot_id "
            "WHERE a.id < b.id AND a.person_extension = b.person_extension "
            "AND a.state = :active AND b.state = :active "
            "AND s.start_utc < u.end_utc AND u.start_utc < s.end_utc"), {"active": active}).scalar_one()
        assert overlaps == 0
        # The audit trail has every change, written with it.
        events = Counter(dict(q(text("SELECT action, count(*) FROM audit_event GROUP BY action")).all()))
        states = Counter(a.state for a in appointments.values())
        assert events["made"] == sum(1 for a in appointments.values() if a.replaces is None)
        assert events["rebooked"] == states[replaced]
        assert events["cancelled"] == states[cancelled]
        refusals = sum(n for o, n in outcomes.items() if not o.endswith(" OK"))
        assert events["refused"] == refusals
        assert sum(events.values()) == sum(outcomes.values())
        rebooks = {(r[0], r[1]) for r in q(text(
            "SELECT appointment_id, new_appointment_id FROM audit_event WHERE action = 'rebooked'")).all()}
        assert rebooks == {(a.id, a.replaced_by) for a in appointments.values() if a.state == replaced}
