"""Over HTTP: throughput and latency of `riv-scheduling serve --workers N` (gunicorn), N = 1 and 2.

The producer runs as a subprocess on 127.0.0.1 over a fresh demo database (``riv-scheduling db
upgrade`` and ``riv-scheduling load examples/demo-clinic.toml``, as an operator does it):

- ``--db sqlite`` (default): a SQLite file per worker count;
- ``--db postgres``: a throwaway PostgreSQL server started for the run exactly as ``.ci/run`` does
  (Debian's PostgreSQL, installed with apt-get when missing; initdb in a temporary folder, a free
  port on 127.0.0.1, fsync off; stopped and removed at exit), one database per worker count;
- ``--db URL``: that (empty or current) database.

Two mixes of calls, each a keep-alive HTTP/1.1 client:

- ``read`` (default when ``wrk`` is installed): 40 % GetAvailableTimeslots (one day, one time type),
  30 % GetAppointment, 30 % GetAppointments, canned envelopes. Saturation is measured with ``wrk``
  (C, one thread, a small Lua script), so the client costs little of the CPU the server needs.
- ``booking``: 40 % GetAvailableTimeslots, 30 % GetAppointment, 30 % MakeAppointment of random
  free slots by different persons (real bookings, later refusals); the Python client only
  (bookings would run out of slots under wrk).

Per worker count: a warm-up; **saturation** (``wrk``, or the Python client in closed loop over
``--connections`` connections): requests/s and latency; **half load**: the Python client at a fixed
rate of half the measured saturation (open loop, latency counted from when each request was
due; bench/_load.py), p50/p99/max and the count over 50 ms. Each row also gives the CPU (cores)
of the client, the gunicorn workers and PostgreSQL during the row, from /proc, and the machine's
busy share: client, server and database share the machine's cores.

    .venv/bin/python bench/http.py [--db sqlite|postgres|URL] [--mix read|booking] [--client wrk|python]
        [--workers 1 2] [--server-threads 4] [--serve-arg=--no-reuse-port] [--connections 16]
        [--seconds 10] [--half 0.5] [--rates R ...] [--json FILE]

``--rates`` adds paced rows at fixed rates (the same rate for 1 and 2 workers compares them at equal load).
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# bench/ goes last on the path: this script's own name (http.py) must not hide the standard library's.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

from _common import (  # noqa: E402
    UNIT,
    Postgres,
    Served,
    _children,
    actor,
    cpu_seconds,
    envelope,
    free_slots,
    machine,
    person_id,
    pnr,
    result_code,
    table,
    window,
    write_json,
)
from _load import Load, Request, http_request  # noqa: E402

from riv_scheduling.contract import INTERACTIONS  # noqa: E402
from riv_scheduling.domain import Scheduling  # noqa: E402
from riv_scheduling.store import open_store  # noqa: E402

ROOT = HERE.parent
DEMO = ROOT / "examples" / "demo-clinic.toml"
ORDER = "SGLSGLSGLS"  # 40 % search, 30 % GetAppointment, 30 % the third kind


def cli(*args: str) -> None:
    """``riv-scheduling ARGS`` (this interpreter), failing loudly."""
    done = subprocess.run([sys.executable, "-m", "riv_scheduling.cli", "--log-level", "WARNING", *args],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"riv-scheduling {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


class Mix:
    """The calls of one mix, for one database (after ``db upgrade`` and ``load``)."""

    def __init__(self, db_url: str, kind: str, host: str = "127.0.0.1", port: int = 0) -> None:
        store = open_store(db_url)
        scheduling = Scheduling(store.uow)
        slots = [v for v in free_slots(scheduling, code="SSKBESOK") if v.timeslot.capacity == 1]
        booked = scheduling.booking.make_appointment(UNIT, actor(), person_id(), slots[0].timeslot.id, None, None)
        store.dispose()
        self.kind = kind
        self.slot_ids = [str(v.timeslot.id) for v in slots[1:]]
        self.bodies: dict[str, tuple[str, bytes]] = {
            "S": ("GetAvailableTimeslots", envelope("GetAvailableTimeslots", timeTypeCode="SSKBESOK", **window(1))),
            "G": ("GetAppointment", envelope("GetAppointment", appointmentId=str(booked.id))),
            "L": ("GetAppointments", envelope("GetAppointments")),
        }
        self.persons = iter(range(1, 10**7))

    def canned(self) -> list[tuple[str, str, bytes]]:
        """(name, path, envelope) of the read mix, in ``ORDER``."""
        return [(self.bodies[c][0], INTERACTIONS[self.bodies[c][0]].path, self.bodies[c][1]) for c in ORDER]

    def requests(self, host: str, port: int, n: int, seed: int) -> Callable[[int], Request]:
        """``n`` pre-encoded HTTP requests (cycled): the read mix, or the booking mix with new persons."""
        rnd = random.Random(seed)
        pool: list[Request] = []
        for i in range(n if self.kind == "booking" else len(ORDER)):
            c = ORDER[i % len(ORDER)]
            if self.kind == "booking" and c == "L":
                name = "MakeAppointment"
                body = envelope(name, person=pnr(next(self.persons)), timeslotId=rnd.choice(self.slot_ids))
            else:
                name, body = self.bodies[c]
            pool.append((name, http_request(host, port, INTERACTIONS[name].path, body)))
        return lambda k: pool[k % len(pool)]


def lua_script(mix: Mix, path: Path) -> None:
    """The wrk script: the read mix's canned envelopes in ``ORDER``; one JSON line at the end."""
    lines = ["local reqs = {}", "local i = 0", "function init(args)"]
    for _, url_path, body in mix.canned():
        text = body.decode()
        if "]==]" in text:
            raise ValueError("envelope not embeddable in a Lua long string")
        lines.append(f'  reqs[#reqs + 1] = wrk.format("POST", "{url_path}", '
                     f'{{["Content-Type"] = "text/xml; charset=utf-8"}}, [==[{text}]==])')
    lines += [
        "end",
        "function request()",
        "  i = i % #reqs + 1",
        "  return reqs[i]",
        "end",
        "function done(s, latency, requests)",
        "  local e = s.errors",
        "  io.write(string.format('WRK-JSON {\"requests\": %d, \"duration_us\": %d, \"p50_us\": %d, \"p90_us\": %d,"
        " \"p99_us\": %d, \"max_us\": %d, \"non_2xx\": %d, \"connect\": %d, \"read\": %d, \"write\": %d,"
        " \"timeout\": %d}\\n', s.requests, s.duration, latency:percentile(50), latency:percentile(90),"
        " latency:percentile(99), latency.max, e.status, e.connect, e.read, e.write, e.timeout))",
        "end",
    ]
    path.write_text("\n".join(lines) + "\n")


class CpuWatch:
    """CPU seconds of the server's processes, PostgreSQL's and the machine between start() and stop()."""

    def __init__(self, served: Served, pg: Postgres | None) -> None:
        self.served, self.pg = served, pg

    def _groups(self) -> dict[str, list[int]]:
        workers = _children(self.served.proc.pid)
        return {"master": [self.served.proc.pid], "workers": workers,
                "postgres": self.pg.pids() if self.pg else []}

    @staticmethod
    def _machine() -> tuple[float, float]:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields) - idle, sum(fields)

    def start(self) -> None:
        self.t0 = time.perf_counter()
        self.before = {p: cpu_seconds(p) for pids in self._groups().values() for p in pids}
        self.m0 = self._machine()
        self.self0 = time.process_time()
        self.kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)

    def stop(self, client: str) -> dict[str, Any]:
        elapsed = time.perf_counter() - self.t0
        busy, total = self._machine()
        groups = self._groups()
        cores: dict[str, Any] = {}
        for name, pids in groups.items():
            used = [cpu_seconds(p) - self.before.get(p, 0.0) for p in pids]
            cores[name] = sum(used) / elapsed
            if name == "workers":
                cores["per_worker"] = [round(u / elapsed, 2) for u in used]
        if client == "wrk":  # wrk has exited and was waited for: its CPU is in RUSAGE_CHILDREN
            kids = resource.getrusage(resource.RUSAGE_CHILDREN)
            used = kids.ru_utime + kids.ru_stime - self.kids0.ru_utime - self.kids0.ru_stime
        else:
            used = time.process_time() - self.self0
        cores["client"] = used / elapsed
        cores["machine_busy"] = (busy - self.m0[0]) / max(1, total - self.m0[1])
        return cores


def run_wrk(url: str, script: Path, connections: int, seconds: float) -> dict[str, Any]:
    done = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s",
                           "-s", str(script), url], capture_output=True, text=True)
    found = [line for line in done.stdout.splitlines() if line.startswith("WRK-JSON ")]
    if done.returncode or not found:
        raise RuntimeError(f"wrk failed:\n{done.stdout}{done.stderr}")
    import json

    w = json.loads(found[0][len("WRK-JSON "):])
    errors = w["non_2xx"] + w["connect"] + w["read"] + w["write"] + w["timeout"]
    return {"requests": w["requests"], "seconds": w["duration_us"] / 1e6,
            "rps": w["requests"] / (w["duration_us"] / 1e6), "p50_ms": w["p50_us"] / 1000,
            "p90_ms": w["p90_us"] / 1000, "p99_ms": w["p99_us"] / 1000, "max_ms": w["max_us"] / 1000,
            "over_50ms": None, "errors": errors, "wrk": w}


def check_canned(served: Served, mix: Mix) -> None:
    """Every canned envelope answers 200 with a successful result (before any load)."""
    from _common import Client

    client = Client(served.host, served.port)
    try:
        for name, path, body in mix.canned()[:3]:
            status, answer = client.post(path, body)
            ok = result_code(answer) == "OK" if name != "GetAppointments" else b"appointmentId>" in answer
            if status != 200 or not ok:
                raise RuntimeError(f"{name}: HTTP {status} {answer[:300]!r}")
    finally:
        client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", default="sqlite", help="sqlite (default), postgres, or a SQLAlchemy URL")
    parser.add_argument("--mix", choices=("read", "booking"), default=None,
                        help="read (default with wrk) or booking (Python client)")
    parser.add_argument("--client", choices=("wrk", "python"), default=None,
                        help="saturation client (default: wrk when installed and the mix is read)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--server-threads", type=int, default=None, help="serve --threads (default: serve's)")
    parser.add_argument("--serve-arg", action="append", default=[], metavar="ARG",
                        help="extra argument for riv-scheduling serve (repeatable), e.g. --serve-arg=--no-reuse-port")
    parser.add_argument("--connections", type=int, default=16, help="client connections (default 16)")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per row (default 10)")
    parser.add_argument("--half", type=float, default=0.5, help="the paced row's share of saturation (0.5)")
    parser.add_argument("--rates", type=float, nargs="*", default=[], metavar="R",
                        help="more paced rows at these fixed rates (req/s), for every worker count")
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("http.json"))
    args = parser.parse_args(argv)

    have_wrk = shutil.which("wrk") is not None
    mix_kind = args.mix or ("read" if have_wrk or args.client == "wrk" else "booking")
    client = args.client or ("wrk" if mix_kind == "read" and have_wrk else "python")
    if client == "wrk" and not have_wrk:
        print("NOTE: wrk is not installed (Debian: apt-get install wrk); the Python client measures"
              " saturation instead, and it needs a good share of a core itself", file=sys.stderr)
        client = "python"
    elif client == "wrk" and mix_kind == "booking":
        raise SystemExit("the booking mix runs with the Python client only (--client python)")
    elif not have_wrk and args.client is None:
        print("NOTE: wrk is not installed (Debian: apt-get install wrk): falling back to the Python client"
              " and the booking mix", file=sys.stderr)
    serve_args = list(args.serve_arg)
    if args.server_threads:
        serve_args += ["--threads", str(args.server_threads)]

    rows: list[dict[str, Any]] = []
    pg: Postgres | None = None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            if args.db == "postgres":
                pg = Postgres()
                print(f"PostgreSQL {pg.version} on 127.0.0.1:{pg.port} (fsync off), shares the cores", flush=True)
            for workers in args.workers:
                if args.db == "sqlite":
                    url = f"sqlite:///{tmp}/bench-{workers}.db"
                elif pg is not None:
                    pg.createdb(f"riv_bench_{workers}")
                    url = pg.url_of(f"riv_bench_{workers}")
                else:
                    url = args.db
                cli("db", "upgrade", "--db", url)
                cli("load", str(DEMO), "--db", url)
                mix = Mix(url, mix_kind)
                with Served(url, workers, Path(tmp) / f"serve-{workers}.log", serve_args) as served:
                    rows += measure(served, pg, mix, client, workers, args, Path(tmp))
        finally:
            if pg is not None:
                pg.stop()

    header = (f"{mix_kind} mix (40 % GetAvailableTimeslots 1 day, 30 % GetAppointment, 30 % "
              f"{'GetAppointments' if mix_kind == 'read' else 'MakeAppointment'}); database {db_name(args.db)}; "
              f"saturation client {client}, {args.connections} connections; {args.seconds:g} s per row")
    print(header)
    print(table(["workers", "load", "req/s", "p50 ms", "p99 ms", "max ms", "> 50 ms", "errors", "CPU client",
                 "CPU workers", "CPU postgres", "machine busy"],
                [[r["workers"], r["load"], r["rps"], r["p50_ms"], r["p99_ms"], r["max_ms"],
                  "-" if r["over_50ms"] is None else r["over_50ms"], r["errors"], f"{r['cpu']['client']:.2f}",
                  "+".join(f"{c:.2f}" for c in r["cpu"]["per_worker"]), f"{r['cpu']['postgres']:.2f}",
                  f"{r['cpu']['machine_busy']:.0%}"] for r in rows]))
    sat = {r["workers"]: r["rps"] for r in rows if r["load"] == "saturation"}
    ratio = None
    if 1 in sat and 2 in sat:
        ratio = sat[2] / sat[1]
        print(f"saturation, 2 workers / 1 worker: {ratio:.2f}")
    write_json(args.json, {"benchmark": "http", **machine(), "db": db_name(args.db),
                           "postgres": pg.version if pg else None, "mix": mix_kind, "client": client,
                           "connections": args.connections, "seconds": args.seconds, "serve_args": serve_args,
                           "ratio_2_to_1": ratio, "rows": rows})
    return 0 if all(r["errors"] == 0 for r in rows) else 1


def db_name(db: str) -> str:
    return db if db in ("sqlite", "postgres") else db.split(":", 1)[0]


def measure(served: Served, pg: Postgres | None, mix: Mix, client: str, workers: int, args: argparse.Namespace,
            tmp: Path) -> list[dict[str, Any]]:
    check_canned(served, mix)
    n = int(args.seconds * 1500) + 1000
    watch = CpuWatch(served, pg)
    base = f"http://{served.host}:{served.port}"
    if client == "wrk":
        script = tmp / "mix.lua"
        lua_script(mix, script)
        run_wrk(base, script, args.connections, 2.0)  # warm up every worker and connection
        watch.start()
        full = run_wrk(base, script, args.connections, args.seconds)
        full["cpu"] = watch.stop("wrk")
    else:
        load = Load(served.host, served.port, args.connections)
        try:
            load.run(mix.requests(served.host, served.port, 3000, seed=1), 2.0)  # warm up
            watch.start()
            full = dict(load.run(mix.requests(served.host, served.port, n, seed=2), args.seconds))
            full["cpu"] = watch.stop("python")
        finally:
            load.close()
    rows = [{"workers": workers, "load": "saturation", "client": client, **full}]
    print(f"workers {workers}: saturation {full['rps']:.0f} req/s (p99 {full['p99_ms']:.1f} ms)", flush=True)
    paced = [(f"{args.half:.0%} ({full['rps'] * args.half:.0f} req/s)", full["rps"] * args.half)]
    paced += [(f"fixed {r:g} req/s", r) for r in args.rates]
    for i, (label, rate) in enumerate(paced):
        time.sleep(1.0)
        load = Load(served.host, served.port, args.connections)
        try:
            watch.start()
            row = dict(load.run(mix.requests(served.host, served.port, n, seed=3 + i), args.seconds, rate=rate))
            row["cpu"] = watch.stop("python")
        finally:
            load.close()
        rows.append({"workers": workers, "load": label, "client": "python paced", **row})
        print(f"workers {workers}: at {rate:.0f} req/s p99 {row['p99_ms']:.1f} ms (pacing late p99"
              f" {row['late_p99_ms']:.2f} ms, client {row['client_cpu_cores']:.2f} cores)", flush=True)
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
