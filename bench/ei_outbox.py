"""The booking mix with the Engagemangsindex outbox on and off: p50/p99 and throughput, and the ratio.

The same producer WSGI application, called in process (envelope in, envelope out: parse, validate,
Spyne, the domain, SQLite with synchronous=FULL, response validation), on two demo databases: in
one the demo units report to EI (every booking also writes its EI transaction to the outbox and the
unit's post, in the same transaction), in the other they do not. Rounds alternate between the two
so that a noisy machine hurts both alike.

The mix per call: 40 % GetAvailableTimeslots (one day, one time type), 30 % GetAppointment,
30 % MakeAppointment of a free slot by a new person (each a real booking). Target: the outbox costs
at most 10 % (p99 and throughput).

    .venv/bin/python bench/ei_outbox.py [--db sqlite|postgres] [--calls 30] [--rounds 60] [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

from _common import (  # noqa: E402
    UNIT,
    Postgres,
    actor,
    envelope,
    free_slots,
    machine,
    person_id,
    pnr,
    table,
    window,
    write_json,
)

from riv_scheduling.contract import INTERACTIONS  # noqa: E402
from riv_scheduling.demo import load_demo  # noqa: E402
from riv_scheduling.domain import Scheduling  # noqa: E402
from riv_scheduling.domain.engagement_index import IndexReporting  # noqa: E402
from riv_scheduling.domain.index_maintenance import IndexMaintenance  # noqa: E402
from riv_scheduling.soap.app import Producer  # noqa: E402
from riv_scheduling.store import open_store, outbox  # noqa: E402

ORDER = "SGMSGMSGMS"  # 40 % search, 30 % GetAppointment, 30 % MakeAppointment


class Side:
    def __init__(self, url: str, name: str, reporting: bool) -> None:
        self.name = name
        self.store = open_store(url)
        self.store.create_schema()
        load_demo(self.store)
        scheduling = Scheduling(self.store.uow)
        if reporting:
            for facility in scheduling.reading.facilities():
                IndexMaintenance(self.store.uow).set_reporting(
                    facility.hsa_id, IndexReporting("SE2321000016-84GX", "SE232100-0016")
                )
        self.producer = Producer(scheduling)
        self.slots = [v.timeslot.id for v in free_slots(scheduling, code="SSKBESOK")]
        self.slots += [v.timeslot.id for v in free_slots(scheduling, code="LAKARBESOK")]
        booked = scheduling.booking.make_appointment(UNIT, actor(), person_id(), self.slots.pop(), "Bench", None)
        self.search = envelope("GetAvailableTimeslots", timeTypeCode="SSKBESOK", **window(1))
        self.get = envelope("GetAppointment", appointmentId=str(booked.id))
        self.latency: dict[str, list[float]] = {"mix": [], "MakeAppointment": []}
        self.busy = 0.0
        self.calls = 0
        self.persons = 0

    def call(self, kind: str) -> None:
        if kind == "S":
            name, data = "GetAvailableTimeslots", self.search
        elif kind == "G":
            name, data = "GetAppointment", self.get
        else:
            self.persons += 1
            who = pnr(2000 + self.persons)
            name, data = "MakeAppointment", envelope(
                "MakeAppointment", person=who, timeslotId=str(self.slots.pop()), reasonText="Bench"
            )
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": INTERACTIONS[name].path,
                   "CONTENT_TYPE": "text/xml; charset=utf-8", "CONTENT_LENGTH": str(len(data)),
                   "wsgi.input": io.BytesIO(data), "wsgi.url_scheme": "http", "SERVER_NAME": "bench",
                   "SERVER_PORT": "80"}
        status: list[str] = []
        started = time.perf_counter()
        out = b"".join(self.producer(environ, lambda s, h, e=None: status.append(s)))
        took = time.perf_counter() - started
        if not status[0].startswith("200") or (kind == "M" and b">OK<" not in out):
            raise RuntimeError(f"{name}: {status[0]} {out[:400]!r}")
        self.latency["mix"].append(took)
        if kind == "M":
            self.latency["MakeAppointment"].append(took)
        self.busy += took
        self.calls += 1


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=30, help="calls per round (three cycles of the mix)")
    parser.add_argument("--rounds", type=int, default=60,
                        help="rounds per side, alternating (short rounds: both sides see the same machine load)")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite",
                        help="SQLite files (default), or a throwaway PostgreSQL server (as bench/http.py starts it)")
    parser.add_argument("--json", type=Path, default=None, help="default bench/ei_outbox[-postgres].json")
    args = parser.parse_args(argv)
    json_path = args.json or HERE / ("ei_outbox.json" if args.db == "sqlite" else "ei_outbox-postgres.json")
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        if args.db == "postgres":
            pg = stack.enter_context(Postgres())
            for name in ("off", "on"):
                pg.createdb(f"ei_{name}")
            urls = [pg.url_of("ei_off"), pg.url_of("ei_on")]
        else:
            urls = [f"sqlite:///{folder}/off.db", f"sqlite:///{folder}/on.db"]
        sides = [Side(urls[0], "outbox-off", False), Side(urls[1], "outbox-on", True)]
        for side in sides:  # warm up
            for kind in ORDER:
                side.call(kind)
            side.latency = {"mix": [], "MakeAppointment": []}
            side.busy, side.calls = 0.0, 0
        for r in range(args.rounds):
            for side in sides if r % 2 == 0 else reversed(sides):
                for i in range(args.calls):
                    side.call(ORDER[i % len(ORDER)])
        off, on = sides
        depth = outbox.status(on.store).depth
        rows = []
        result: dict[str, Any] = {"machine": machine(), "db": args.db, "calls_per_side": on.calls,
                                  "outbox_entries": depth}
        for side in sides:
            mix, make = side.latency["mix"], side.latency["MakeAppointment"]
            figures = {
                "throughput_per_s": side.calls / side.busy,
                "mix_p50_ms": statistics.median(mix) * 1000, "mix_p99_ms": pct(mix, 99) * 1000,
                "make_p50_ms": statistics.median(make) * 1000, "make_p99_ms": pct(make, 99) * 1000,
            }
            result[side.name] = figures
            rows.append([side.name, side.calls, *figures.values()])
        ratio = {k: result["outbox-on"][k] / result["outbox-off"][k] for k in result["outbox-on"]}
        result["ratio_on_off"] = ratio
        rows.append(["on / off", "", *ratio.values()])
        print(table(["", "calls", "calls/s", "mix p50 ms", "mix p99 ms", "make p50 ms", "make p99 ms"], rows))
        print(f"outbox entries written with the outbox on: {depth}")
        for side in sides:
            side.store.dispose()
    write_json(json_path, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
