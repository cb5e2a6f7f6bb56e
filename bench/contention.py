"""Contention: 64 client threads booking the same 100 slots over HTTP until all are taken.

A demo database (SQLite file) served by ``riv-scheduling serve --workers N`` (default 2, gunicorn;
``--workers 0``: the threaded single-process server). Each client keeps its own list of the
100 slots, books a random one with a new person each time, and drops a slot from its list when
the answer is OK or REQUESTED_TIME_IS_ALREADY_RESERVED; it stops when its list is empty. Then the
database is checked: every slot booked exactly once (active appointments per slot <= capacity and
== the slot's booked counter), OK answers == appointments == 100. Double bookings must be 0.

    .venv/bin/python bench/contention.py [--clients 64] [--slots 100] [--workers 2] [--json FILE]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

from _common import Client, Served, envelope, free_slots, machine, pnr, result_code, table, write_json  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from riv_scheduling.contract import INTERACTIONS  # noqa: E402
from riv_scheduling.demo import load_demo  # noqa: E402
from riv_scheduling.domain import Scheduling  # noqa: E402
from riv_scheduling.store import open_store  # noqa: E402
from riv_scheduling.store.tables import appointment, timeslot  # noqa: E402

DONE = {"OK", "INFO", "REQUESTED_TIME_IS_ALREADY_RESERVED"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--slots", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers; 0 = threaded server")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="give up after this long")
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("contention.json"))
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/contention.db"
        store = open_store(url)
        store.create_schema()
        load_demo(store)
        views = [v for v in free_slots(Scheduling(store.uow), code="SSKBESOK") if v.timeslot.capacity == 1]
        slot_ids = [str(v.timeslot.id) for v in views[: args.slots]]
        if len(slot_ids) < args.slots:
            raise SystemExit(f"only {len(slot_ids)} free single slots in the demo data")
        path = INTERACTIONS["MakeAppointment"].path
        counter = iter(range(1, 10**7))
        lock = threading.Lock()
        codes: Counter[str] = Counter()
        with Served(url, args.workers or None, Path(tmp) / "serve.log") as served:
            barrier = threading.Barrier(args.clients)
            deadline = [0.0]
            last_ok = [0.0]

            def client(i: int) -> None:
                rnd = random.Random(i)
                mine = list(slot_ids)
                conn = Client(served.host, served.port)
                seen: Counter[str] = Counter()
                barrier.wait()
                while mine and time.monotonic() < deadline[0]:
                    slot = rnd.choice(mine)
                    with lock:
                        n = next(counter)
                    try:
                        _, body = conn.post(path, envelope("MakeAppointment", person=pnr(n), timeslotId=slot))
                        code = result_code(body)
                    except OSError:
                        code = "CONNECTION_ERROR"
                    seen[code] += 1
                    if code in ("OK", "INFO"):
                        with lock:
                            last_ok[0] = max(last_ok[0], time.perf_counter())
                    if code in DONE:
                        mine.remove(slot)
                conn.close()
                with lock:
                    codes.update(seen)

            threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
            deadline[0] = time.monotonic() + args.max_seconds
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - start
            sold_out = last_ok[0] - start if last_ok[0] else float("nan")
        with store.engine.connect() as conn:
            active = select(appointment.c.timeslot_id, func.count().label("n")).where(
                appointment.c.state == "active").where(appointment.c.timeslot_id.in_(slot_ids)).group_by(
                appointment.c.timeslot_id).subquery()
            rows = conn.execute(select(timeslot.c.id, timeslot.c.capacity, timeslot.c.booked, active.c.n)
                                .join(active, active.c.timeslot_id == timeslot.c.id)).all()
        store.dispose()

    booked_slots = len(rows)
    appointments = sum(r.n for r in rows)
    double = sum(1 for r in rows if r.n > r.capacity or r.n != r.booked)
    ok = codes["OK"] + codes["INFO"]
    attempts = sum(codes.values())
    result = {"clients": args.clients, "slots": args.slots, "workers": args.workers, "seconds": elapsed,
              "attempts": attempts, "attempts_per_s": attempts / elapsed, "bookings": ok,
              "sold_out_s": sold_out, "bookings_per_s": ok / sold_out, "slots_booked_in_db": booked_slots,
              "appointments_in_db": appointments, "double_bookings": double, "answers": dict(codes)}
    print(f"{args.clients} clients, {args.slots} slots, "
          f"{'threaded server' if not args.workers else f'{args.workers} gunicorn workers'}")
    print(table(["seconds", "attempts", "attempts/s", "bookings (OK)", "sold out after s", "bookings/s",
                 "slots booked (DB)", "appointments (DB)", "double bookings"],
                [[elapsed, attempts, attempts / elapsed, ok, sold_out, ok / sold_out, booked_slots, appointments,
                  double]]))
    print("answers:", dict(codes))
    write_json(args.json, {"benchmark": "contention", **machine(), **result})
    return 0 if double == 0 and ok == args.slots == appointments else 1


if __name__ == "__main__":
    raise SystemExit(main())
