"""Crash test (issue #11): ``kill -9`` of every server process while 20 clients are booking; an OK is
only ever sent for a booking that survives, and no slot is ever over-booked.

    .venv/bin/python bench/crash.py [--backends sqlite,postgres] [--rounds 3] [--clients 20]

Per backend (SQLite: ``serve``, one process; PostgreSQL: ``serve --workers 2``, on a throwaway
server as in bench/_common.Postgres), ``--rounds`` times: start the producer, let ``--clients``
threads book random slots of the demo unit (MakeAppointment, a new person each try) for a random
2-4 s, then SIGKILL the whole process group (the arbiter and every worker at once). Afterwards,
straight from the database: every appointment the producer answered OK/INFO for exists and is
active; no slot has more bookings than places; every slot's ``booked`` equals its active
appointments. Exit code 0 only when all rounds of all backends hold.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py would shadow the standard library's http package: this folder goes last on the path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE] + [str(_HERE)]

import argparse  # noqa: E402
import itertools  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from _common import UNIT, Client, Postgres, Served, envelope, machine, pnr, result_code, table, write_json  # noqa: E402

from riv_scheduling.contract import INTERACTIONS  # noqa: E402

PATH = INTERACTIONS["MakeAppointment"].path


def prepare(db: str) -> list[str]:
    """The demo data set; the ids of the demo unit's bookable slots."""
    from sqlalchemy import select

    from riv_scheduling.demo import load_demo
    from riv_scheduling.store import open_store
    from riv_scheduling.store.tables import timeslot

    store = open_store(db)
    store.create_schema()
    load_demo(store)
    with store.engine.connect() as conn:
        ids = [str(i) for (i,) in conn.execute(
            select(timeslot.c.id).where(timeslot.c.facility_hsa_id == UNIT, timeslot.c.withdrawn.is_(False)))]
    store.dispose()
    return ids


def check(db: str, acknowledged: list[tuple[str, str]]) -> dict[str, int]:
    from sqlalchemy import func, select

    from riv_scheduling.store import open_store
    from riv_scheduling.store.tables import appointment, timeslot

    store = open_store(db)
    try:
        with store.engine.connect() as conn:
            active = {str(i): str(s) for i, s in conn.execute(
                select(appointment.c.id, appointment.c.timeslot_id).where(appointment.c.state == "active"))}
            over = conn.execute(select(func.count()).select_from(timeslot)
                                .where(timeslot.c.booked > timeslot.c.capacity)).scalar_one()
            counts = dict(conn.execute(select(appointment.c.timeslot_id, func.count())
                                       .where(appointment.c.state == "active").group_by(appointment.c.timeslot_id)
                                       ).all())
            mismatched = sum(1 for slot_id, booked in conn.execute(select(timeslot.c.id, timeslot.c.booked))
                             if booked != counts.get(slot_id, 0))
    finally:
        store.dispose()
    missing = sum(1 for appointment_id, slot in acknowledged if active.get(appointment_id) != slot)
    return {"acknowledged": len(acknowledged), "missing": missing, "over_booked_slots": int(over),
            "booked_count_mismatches": mismatched}


def one_round(db: str, workers: int | None, slots: list[str], clients: int, persons: Any, log: Path,
              rng: random.Random) -> tuple[list[tuple[str, str]], int, float]:
    acknowledged: list[tuple[str, str]] = []
    lock = threading.Lock()
    stop = threading.Event()
    errors = [0]
    served = Served(db, workers, log)
    try:
        def book(seed: int) -> None:
            mine = random.Random(seed)
            client = Client(served.host, served.port)
            while not stop.is_set():
                slot = mine.choice(slots)
                person = pnr(next(persons))
                try:
                    status, body = client.post(PATH, envelope("MakeAppointment", UNIT, person, timeslotId=slot))
                except OSError:
                    errors[0] += 1
                    time.sleep(0.05)
                    continue
                if status == 200 and result_code(body) in ("OK", "INFO"):
                    start = body.find(b"appointmentId>") + len(b"appointmentId>")
                    with lock:
                        acknowledged.append((body[start:body.find(b"<", start)].decode(), slot))
            client.close()

        threads = [threading.Thread(target=book, args=(rng.random(),), daemon=True) for _ in range(clients)]
        for t in threads:
            t.start()
        run_for = rng.uniform(2, 4)
        time.sleep(run_for)
        os.killpg(served.proc.pid, signal.SIGKILL)  # the arbiter and every worker at once
        served.proc.wait(timeout=30)
        stop.set()
        for t in threads:
            t.join(timeout=60)
    finally:
        served.stop()
    return acknowledged, errors[0], run_for


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("crash.json"))
    args = parser.parse_args()
    if not 1 <= args.rounds <= 10 or not 1 <= args.clients <= 64:
        parser.error("--rounds 1..10, --clients 1..64")
    rng = random.Random(args.seed)
    persons = itertools.count(1)
    rows, results = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            pg = Postgres() if backend == "postgres" else None
            try:
                db = pg.url if pg else f"sqlite:///{Path(tmp) / 'crash.db'}"
                workers = 2 if pg else None
                slots = prepare(db)
                acknowledged: list[tuple[str, str]] = []
                for n in range(1, args.rounds + 1):
                    acked, errors, run_for = one_round(db, workers, slots, args.clients, persons,
                                                       Path(tmp) / f"{backend}-{n}.log", rng)
                    acknowledged += acked
                    found = check(db, acknowledged)  # everything acknowledged so far, after this crash
                    result = {"backend": backend, "round": n, "killed_after_s": round(run_for, 2),
                              "acknowledged_this_round": len(acked), "client_errors": errors, **found}
                    results.append(result)
                    rows.append([backend, n, result["killed_after_s"], len(acked), found["acknowledged"],
                                 found["missing"], found["over_booked_slots"], found["booked_count_mismatches"]])
                    print(f"{backend} round {n}: {found}", flush=True)
            finally:
                if pg:
                    pg.stop()
    print(table(["backend", "round", "killed after s", "OKs this round", "OKs so far", "missing", "over-booked slots",
                 "booked != appointments"], rows))
    write_json(args.out, {"machine": machine(), "args": {k: str(v) for k, v in vars(args).items()},
                          "results": results})
    bad = [r for r in results if r["missing"] or r["over_booked_slots"] or r["booked_count_mismatches"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
