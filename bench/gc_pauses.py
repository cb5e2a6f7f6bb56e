"""Garbage-collection pauses in the request path: the producer in-process, as a worker runs it.

``create_app`` and ``settle_memory()`` (what every gunicorn worker does after start-up: collect,
then ``gc.freeze()``), then ``--requests`` calls of the booking mix (40 % GetAvailableTimeslots
one day, 30 % GetAppointment, 30 % MakeAppointment by new persons) with ``gc.callbacks`` timing
every collection. Prints, per generation, the number of collections and their longest pause, and
the slowest request. ``--no-freeze`` skips ``gc.freeze()`` for comparison.

    .venv/bin/python bench/gc_pauses.py [--db sqlite|postgres] [--requests 3000] [--no-freeze] [--json FILE]
"""

from __future__ import annotations

import argparse
import gc
import io
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

from _common import Postgres, envelope, machine, pnr, table, write_json  # noqa: E402

from riv_scheduling.contract import INTERACTIONS  # noqa: E402
from riv_scheduling.wsgi import create_app, settle_memory  # noqa: E402


def _bench_http() -> Any:
    """bench/http.py as a module (its name is the standard library's ``http``)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_http", HERE / "http.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench_http = _bench_http()
DEMO, ORDER, Mix, cli = bench_http.DEMO, bench_http.ORDER, bench_http.Mix, bench_http.cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--no-freeze", action="store_true", help="do not gc.freeze() the start-up heap")
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("gc_pauses.json"))
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        pg = Postgres() if args.db == "postgres" else None
        try:
            url = pg.url if pg else f"sqlite:///{tmp}/gc.db"
            cli("db", "upgrade", "--db", url)
            cli("load", str(DEMO), "--db", url)
            mix = Mix(url, "booking")
            producer = create_app(url)
            if args.no_freeze:
                gc.collect()
            else:
                settle_memory()
            result = run(producer, mix, args.requests)
            producer.store.dispose()  # type: ignore[attr-defined]
        finally:
            if pg is not None:
                pg.stop()
    print(f"{args.requests} requests in-process ({args.db}), gc.freeze() {'off' if args.no_freeze else 'on'};"
          f" slowest request {result['slowest_request_ms']:.1f} ms, p99 {result['p99_request_ms']:.1f} ms")
    print(table(["generation", "collections", "max pause ms", "total pause ms"],
                [[g, v["collections"], v["max_ms"], v["total_ms"]] for g, v in result["generations"].items()]))
    write_json(args.json, {"benchmark": "gc_pauses", **machine(), "db": args.db, "freeze": not args.no_freeze,
                           **result})
    return 0


def run(producer: Any, mix: Any, n: int) -> dict[str, Any]:
    rnd = random.Random(1)
    calls = []
    for i in range(n):
        c = ORDER[i % len(ORDER)]
        if c == "L":
            name = "MakeAppointment"
            body = envelope(name, person=pnr(i + 1), timeslotId=rnd.choice(mix.slot_ids))
        else:
            name, body = mix.bodies[c]
        calls.append((INTERACTIONS[name].path, body))
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    started = [0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses[info["generation"]].append((time.perf_counter() - started[0]) * 1000)

    latencies = []
    gc.callbacks.append(callback)
    try:
        for path, body in calls:
            environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "CONTENT_TYPE": "text/xml; charset=utf-8",
                       "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
                       "SERVER_NAME": "bench", "SERVER_PORT": "80"}
            t0 = time.perf_counter()
            b"".join(producer(environ, lambda s, h, e=None: None))
            latencies.append((time.perf_counter() - t0) * 1000)
    finally:
        gc.callbacks.remove(callback)
    latencies.sort()
    return {"requests": n, "slowest_request_ms": latencies[-1], "p99_request_ms": latencies[int(0.99 * (n - 1))],
            "generations": {g: {"collections": len(v), "max_ms": max(v, default=0.0), "total_ms": sum(v)}
                            for g, v in pauses.items()}}


if __name__ == "__main__":
    raise SystemExit(main())
