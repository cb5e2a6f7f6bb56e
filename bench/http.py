"""Over HTTP: throughput and latency of `riv-scheduling serve --workers N` (gunicorn), N = 1 and 2.

A demo database (SQLite file), the producer as a subprocess on 127.0.0.1, and client threads
with HTTP/1.1 keep-alive connections posting a mix of calls: 40 % GetAvailableTimeslots (one
day, one time type), 30 % GetAppointment, 30 % MakeAppointment of random free slots by
different persons (real bookings, later refusals). Per worker count:

1. saturation: ``--threads`` clients as fast as they can for ``--seconds``: requests/s,
   p50/p99/max latency, the count of requests over 50 ms (GC or scheduling spikes);
2. half load: the same clients paced to half the measured throughput: p50/p99/max and > 50 ms.

Client and server share the machine's cores, so the absolute numbers are low; compare rows.

    .venv/bin/python bench/http.py [--threads 8] [--seconds 10] [--workers 1 2] [--json FILE]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

# bench/ goes last on the path: this script's own name (http.py) must not hide the standard library's.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

from _common import (  # noqa: E402
    UNIT,
    Client,
    Served,
    actor,
    envelope,
    free_slots,
    machine,
    median,
    percentile,
    person_id,
    pnr,
    table,
    window,
    write_json,
)

from riv_scheduling.demo import load_demo  # noqa: E402
from riv_scheduling.domain import Scheduling  # noqa: E402
from riv_scheduling.soap.interactions import INTERACTIONS  # noqa: E402
from riv_scheduling.store import open_store  # noqa: E402

SPIKE_MS = 50.0


class Mix:
    def __init__(self, scheduling: Scheduling) -> None:
        slots = free_slots(scheduling, code="SSKBESOK")
        slots = [v for v in slots if v.timeslot.capacity == 1]
        booked = scheduling.make_appointment(UNIT, actor(), person_id(), slots[0].timeslot.id, None, None)
        self.slot_ids = [str(v.timeslot.id) for v in slots[1:]]
        self.search = envelope("GetAvailableTimeslots", timeTypeCode="SSKBESOK", **window(1))
        self.get = envelope("GetAppointment", appointmentId=str(booked.id))
        self.counter = iter(range(1, 10**7))
        self.lock = threading.Lock()

    def next(self, rnd: random.Random) -> tuple[str, str, bytes]:
        x = rnd.random()
        if x < 0.4:
            return "search", INTERACTIONS["GetAvailableTimeslots"].path, self.search
        if x < 0.7:
            return "get", INTERACTIONS["GetAppointment"].path, self.get
        with self.lock:
            n = next(self.counter)
        who = pnr(n)
        data = envelope("MakeAppointment", person=who, timeslotId=rnd.choice(self.slot_ids))
        return "book", INTERACTIONS["MakeAppointment"].path, data


def run(served: Served, mix: Mix, threads: int, seconds: float, rate: float | None) -> dict[str, float]:
    """``threads`` clients for ``seconds``; ``rate`` (req/s, all clients together) paces them."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start_at = time.monotonic() + 0.2
    stop_at = start_at + seconds

    def client(i: int) -> None:
        rnd = random.Random(i)
        conn = Client(served.host, served.port)
        mine: list[float] = []
        interval = threads / rate if rate else 0.0
        next_at = start_at + (interval * i / threads if rate else 0.0)
        while True:
            now = time.monotonic()
            if rate:
                if next_at > now:
                    time.sleep(next_at - now)
                next_at += interval
            if time.monotonic() >= stop_at:
                break
            _, path, data = mix.next(rnd)
            t0 = time.perf_counter()
            try:
                status, _ = conn.post(path, data)
            except OSError:
                status = 0
            mine.append((time.perf_counter() - t0) * 1000)
            if status != 200:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return {"requests": len(latencies), "rps": len(latencies) / seconds, "p50_ms": median(latencies),
            "p99_ms": percentile(latencies, 99), "max_ms": max(latencies, default=float("nan")),
            "over_50ms": sum(1 for x in latencies if x > SPIKE_MS), "errors": errors[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("http.json"))
    args = parser.parse_args(argv)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in args.workers:
            url = f"sqlite:///{tmp}/bench-{workers}-{uuid.uuid4().hex[:6]}.db"
            store = open_store(url)
            store.create_schema()
            load_demo(store)
            mix = Mix(Scheduling(store.uow))
            store.dispose()
            with Served(url, workers, Path(tmp) / f"serve-{workers}.log") as served:
                run(served, mix, args.threads, 1.0, None)  # warm up every worker
                full = run(served, mix, args.threads, args.seconds, None)
                half = run(served, mix, args.threads, args.seconds, full["rps"] / 2)
            rows.append({"workers": workers, "load": "saturation", **full})
            rows.append({"workers": workers, "load": f"half ({full['rps'] / 2:.0f} req/s)", **half})

    print(f"{args.threads} client threads, keep-alive, {args.seconds:g} s per row; mix 40 % search (1 day),"
          " 30 % GetAppointment, 30 % MakeAppointment")
    print(table(["workers", "load", "req/s", "p50 ms", "p99 ms", "max ms", "> 50 ms", "errors"],
                [[r["workers"], r["load"], r["rps"], r["p50_ms"], r["p99_ms"], r["max_ms"], r["over_50ms"],
                  r["errors"]] for r in rows]))
    write_json(args.json, {"benchmark": "http", **machine(), "threads": args.threads, "seconds": args.seconds,
                           "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
