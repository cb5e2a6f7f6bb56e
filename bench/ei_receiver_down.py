"""The EI receiver down for two minutes under steady booking traffic.

A producer (`riv-scheduling serve --workers 2`) on a demo database whose units report to EI, a
deliverer (`riv-scheduling deliver`, a separate process) and an EI receiver on loopback (the tests'
receiver, which validates every request against the official EI schemas when ../shared has them;
otherwise a plain one). MakeAppointment calls arrive at a steady rate from one keep-alive client
throughout; the receiver answers 503 from --before seconds on, for --down seconds. Every 5 s the
producer's /metrics is read (riv_ei_outbox_depth, riv_ei_outbox_oldest_age_seconds).

Shown per 10-second window: bookings made, their p50/p99/max latency, the outbox depth and age of its
oldest entry as /metrics said; then whether the backlog drained, and the booking latency while the
receiver was down against while it was up.

    .venv/bin/python bench/ei_receiver_down.py [--rate 10] [--before 30] [--down 120] [--after 60]
        [--batch-size 1000] [--db URL] [--json FILE]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]
sys.path.append(str(HERE.parent / "tests" / "engagement_index"))

import urllib.request  # noqa: E402  (after the path fix: bench/http.py must not hide http)

from _common import UNIT, Client, Served, envelope, machine, pnr, result_code, table, write_json  # noqa: E402

from riv_scheduling.contract import INTERACTIONS  # noqa: E402
from riv_scheduling.demo import load_demo  # noqa: E402
from riv_scheduling.domain import STOCKHOLM, ClinicSetup, Scheduling, Timeslot, TimeType  # noqa: E402
from riv_scheduling.domain.engagement_index import IndexReporting  # noqa: E402
from riv_scheduling.domain.index_maintenance import IndexMaintenance  # noqa: E402
from riv_scheduling.store import open_store, outbox  # noqa: E402


def receiver() -> Any:
    try:
        from ei_receiver import UPDATE_XSD, Receiver

        if UPDATE_XSD.is_file():
            return Receiver()
    except ImportError:
        pass
    raise SystemExit("needs the official EI schemas (../shared or RIV_SHARED_DIR) for the receiver")


def bench_slots(store: Any, count: int) -> list[uuid.UUID]:
    """A time type without notices or reason rules at the demo unit, and `count` free slots of it."""
    zero = timedelta(0)
    setup = ClinicSetup(store.uow)
    setup.add_time_type(UNIT, TimeType("BENCH", "Bench", True, True, zero, zero, zero), exist_ok=True)
    first = datetime.now(STOCKHOLM).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=1)
    slots = [
        Timeslot(uuid.uuid4(), UNIT, "BENCH", first + timedelta(minutes=10 * n), first + timedelta(minutes=10 * n + 10))
        for n in range(count)
    ]
    return [s.id for s in setup.add_timeslots(slots)]


def gauge(text: str, name: str) -> float:
    found = re.search(rf"^{name} ([0-9.e+-]+)$", text, re.M)
    return float(found.group(1)) if found else float("nan")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=float, default=10.0, help="MakeAppointment calls per second")
    parser.add_argument("--before", type=float, default=30.0)
    parser.add_argument("--down", type=float, default=120.0)
    parser.add_argument("--after", type=float, default=60.0)
    parser.add_argument("--batch-size", type=int, default=1000, help="deliver --batch-size")
    parser.add_argument("--db", default=None, help="SQLAlchemy URL of an empty database (default: a SQLite file)")
    parser.add_argument("--json", type=Path, default=HERE / "ei_receiver_down.json")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="ei-down-"))
    url = args.db or f"sqlite:///{folder / 'producer.db'}"
    store = open_store(url)
    store.create_schema()
    load_demo(store)
    scheduling = Scheduling(store.uow)
    for facility in scheduling.reading.facilities():
        IndexMaintenance(store.uow).set_reporting(facility.hsa_id, IndexReporting("SE2321000016-84GX", "SE232100-0016"))
    total = args.before + args.down + args.after
    slots = bench_slots(store, int(args.rate * total * 1.1) + 10)
    ei = receiver()
    ei_url = ei.start()
    deliver_log = open(folder / "deliver.log", "wb")  # noqa: SIM115
    deliverer = subprocess.Popen(
        [sys.executable, "-m", "riv_scheduling.cli", "deliver", "--db", url, "--ei-url", ei_url,
         "--ei-timeout", "5", "--backoff-base", "1", "--backoff-max", "8", "--max-attempts", "1000",
         "--batch-size", str(args.batch_size)],
        stdout=deliver_log, stderr=subprocess.STDOUT,
    )
    samples: list[tuple[float, float, float]] = []  # (t, depth, oldest age)
    calls: list[tuple[float, float, str]] = []  # (t, latency, resultCode)
    with Served(url, 2, folder / "serve.log") as served:
        base = f"http://{served.host}:{served.port}"
        stop = threading.Event()
        t0 = time.monotonic()

        def sample() -> None:
            while not stop.is_set():
                with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
                    text = response.read().decode()
                samples.append((time.monotonic() - t0, gauge(text, "riv_ei_outbox_depth"),
                                gauge(text, "riv_ei_outbox_oldest_age_seconds")))
                stop.wait(5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        client = Client(served.host, served.port)
        path = INTERACTIONS["MakeAppointment"].path
        n = 0
        while (now := time.monotonic() - t0) < total:
            ei.state.down = args.before <= now < args.before + args.down
            due = t0 + n / args.rate
            if due > time.monotonic():
                time.sleep(due - time.monotonic())
            body = envelope("MakeAppointment", person=pnr(5000 + n), timeslotId=str(slots.pop()))
            started = time.perf_counter()
            _status, answer = client.post(path, body)
            calls.append((time.monotonic() - t0, time.perf_counter() - started, result_code(answer)))
            n += 1
        ei.state.down = False
        drained_at = None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if outbox.status(store).depth == 0:
                drained_at = time.monotonic() - t0
                break
            time.sleep(0.5)
        time.sleep(5.5)  # one more /metrics sample with the drained outbox
        stop.set()
        sampler.join(timeout=15)
        client.close()
    deliverer.terminate()
    deliverer.wait(timeout=30)
    deliver_log.close()
    ei.stop()

    rows = []
    for start in range(0, int(total), 10):
        window = [c for c in calls if start <= c[0] < start + 10]
        seen = [s for s in samples if s[0] < start + 10]
        phase = "DOWN" if args.before <= start < args.before + args.down else "up"
        lat = [c[1] * 1000 for c in window]
        rows.append([f"{start:>3}-{start + 10:<3}", phase, len(window), pct(lat, 50), pct(lat, 99),
                     max(lat, default=float("nan")), seen[-1][1] if seen else "", seen[-1][2] if seen else ""])
    print(table(["t (s)", "EI", "bookings", "p50 ms", "p99 ms", "max ms", "outbox depth", "oldest (s)"], rows))
    up = [c[1] * 1000 for c in calls if not args.before <= c[0] < args.before + args.down]
    down = [c[1] * 1000 for c in calls if args.before <= c[0] < args.before + args.down]
    codes = statistics.multimode([c[2] for c in calls])
    back_up = args.before + args.down
    # The backlog is gone when /metrics first shows no more than the steady traffic's few seconds' worth.
    drained = next((t for t, depth, _age in samples if t >= back_up and depth <= args.rate * 2), None)
    result = {
        "machine": machine(), "rate": args.rate, "batch_size": args.batch_size,
        "before_s": args.before, "down_s": args.down, "after_s": args.after,
        "bookings": len(calls), "result_codes": sorted({c[2] for c in calls}), "most_common_code": codes,
        "p50_ms_up": pct(up, 50), "p99_ms_up": pct(up, 99), "p50_ms_down": pct(down, 50), "p99_ms_down": pct(down, 99),
        "max_depth": max(s[1] for s in samples), "outbox_empty_at_end_s": drained_at,
        "backlog_gone_s_after_recovery": None if drained is None else drained - back_up,
        "receiver_posts": len(ei.state.posts), "receiver_refused": len(ei.state.refused),
        "samples": samples,
    }
    print(f"bookings {len(calls)} ({', '.join(result['result_codes'])}); booking p99 up {result['p99_ms_up']:.1f} ms,"
          f" down {result['p99_ms_down']:.1f} ms; outbox depth max {result['max_depth']:.0f}, back to steady at most"
          f" {result['backlog_gone_s_after_recovery']} s after the receiver came back;"
          f" receiver holds {len(ei.state.posts)} posts, refused {len(ei.state.refused)} requests")
    write_json(args.json, result)
    store.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
