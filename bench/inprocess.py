"""In-process round trip per interaction (envelope in, envelope out) against the lxml floor.

For each booking-core interaction the same request envelope goes
  (a) through the producer's WSGI application, called directly (parse, validate against
      schemas/, Spyne binding, the domain call on SQLite, response, response validation), and
  (b) through the floor (bench/floor.py): lxml parse, validation against the same XSD, the SAME
      domain call, the same response element built with lxml and validated, serialized.
The database work is in both, so the ratio (a)/(b) is the cost of the SOAP stack. Rounds are
interleaved and the median per call is reported; only ratios compare between runs (noisy VMs).

    .venv/bin/python bench/inprocess.py [--iterations 200] [--rounds 5] [--json FILE] [--profile NAME]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

# bench/ goes last on the path: this script's own name (http.py) must not hide the standard library's.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

from _common import (  # noqa: E402
    PNR,
    UNIT,
    actor,
    envelope,
    free_slots,
    machine,
    median,
    person_id,
    table,
    window,
    write_json,
)
from floor import Floor, shape  # noqa: E402

from riv_scheduling.contract import INTERACTIONS  # noqa: E402
from riv_scheduling.demo import load_demo  # noqa: E402
from riv_scheduling.domain import Scheduling  # noqa: E402
from riv_scheduling.soap.app import Producer  # noqa: E402
from riv_scheduling.store import open_store  # noqa: E402


def requests(scheduling: Scheduling) -> dict[str, bytes]:
    free = free_slots(scheduling, code="SSKBESOK")
    booked = scheduling.booking.make_appointment(UNIT, actor(), person_id(), free[0].timeslot.id, None, None)
    taken = str(free[0].timeslot.id)
    return {
        # 7 days of one time type: ~80 slots, a 150-190 kB answer
        "GetAvailableTimeslots": envelope("GetAvailableTimeslots", timeTypeCode="SSKBESOK", **window(7)),
        # 1 day: a few slots, the common small search
        "GetAvailableTimeslots-1d": envelope("GetAvailableTimeslots", timeTypeCode="SSKBESOK", **window(1)),
        "MakeAppointment": envelope("MakeAppointment", timeslotId=taken),  # answered ALREADY_RESERVED
        "UpdateAppointment": envelope("UpdateAppointment", originalAppointmentId=str(booked.id), timeslotId=taken),
        "CancelAppointment": envelope("CancelAppointment", appointmentId=str(uuid.UUID(int=1))),
        "GetAppointment": envelope("GetAppointment", appointmentId=str(booked.id)),
        "GetAppointments": envelope("GetAppointments"),
    }


def call_producer(producer: Producer, path: str, data: bytes) -> bytes:
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "CONTENT_TYPE": "text/xml; charset=utf-8",
               "CONTENT_LENGTH": str(len(data)), "wsgi.input": io.BytesIO(data), "wsgi.url_scheme": "http",
               "SERVER_NAME": "bench", "SERVER_PORT": "80"}
    status: list[str] = []
    out = b"".join(producer(environ, lambda s, h, e=None: status.append(s)))
    if not status[0].startswith("200"):
        raise RuntimeError(f"{path}: {status[0]} {out[:300]!r}")
    return out


def timed(fn: Any, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200, help="calls per round (small answers)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("inprocess.json"))
    parser.add_argument("--profile", metavar="NAME", help="cProfile the producer for one interaction instead")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/bench.db")
        store.create_schema()
        load_demo(store)
        scheduling = Scheduling(store.uow)
        producer = Producer(scheduling)
        floor = Floor(scheduling)
        envelopes = requests(scheduling)
        if args.profile:
            data = envelopes[args.profile]
            path = INTERACTIONS[args.profile.split("-")[0]].path
            call_producer(producer, path, data)
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(args.iterations):
                call_producer(producer, path, data)
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(30)
            store.dispose()
            return 0
        rows = []
        for name, data in envelopes.items():
            path = INTERACTIONS[name.split("-")[0]].path
            call_producer(producer, path, data)  # warm up; a booking made here is refused afterwards
            floor(data)
            ours_out, floor_out = call_producer(producer, path, data), floor(data)
            same = shape(ours_out) == shape(floor_out)
            n = max(5, args.iterations // 20) if len(ours_out) > 20_000 else args.iterations
            ours, base = [], []
            for _ in range(args.rounds):
                ours.append(timed(lambda path=path, data=data: call_producer(producer, path, data), n))
                base.append(timed(lambda data=data: floor(data), n))
            p, f = median(ours), median(base)
            rows.append({"interaction": name, "response_bytes": len(ours_out), "same_answer": same,
                         "producer_ms": p * 1000, "floor_ms": f * 1000, "ratio": p / f})
        store.dispose()

    print(table(["interaction", "answer bytes", "same answer", "producer ms", "lxml floor ms", "ratio"],
                [[r["interaction"], r["response_bytes"], "yes" if r["same_answer"] else "NO",
                  r["producer_ms"], r["floor_ms"], round(r["ratio"], 2)] for r in rows]))
    worst = max(r["ratio"] for r in rows)
    print(f"worst ratio {worst:.2f} (target <= 4)")
    write_json(args.json, {"benchmark": "inprocess", **machine(), "iterations": args.iterations,
                           "rounds": args.rounds, "person": PNR[:8] + "****", "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
