"""Our producer against a Java JAX-WS RI peer: GetAvailableTimeslots throughput per core and half-load latency.

The peer (bench/java_peer/src, built by build.py with wsimport and javac from our served WSDL and
Debian's jars) answers every call with our producer's own answer to the same request, from memory,
with or without @SchemaValidation (request and response). It has no database and no domain rules:
it is the cost of a mainstream SOAP stack alone, the yardstick of issue 16.

Targets (``--targets``, comma-separated; default all):

- ``java-validating``: the peer with @SchemaValidation (the reference of the ratios);
- ``java``: the peer without validation;
- ``serve``: ``riv-scheduling serve`` (one process, the default), SQLite;
- ``workers1`` / ``workers2``: ``riv-scheduling serve --workers 1`` / ``--workers 2``, SQLite;
- ``workers2-pg``: ``riv-scheduling serve --workers 2`` on a throwaway PostgreSQL server.

Two requests, as bench/http.py and bench/inprocess.py build them: GetAvailableTimeslots of the demo
unit, time type SSKBESOK, over 7 days (80 slots, ~147 kB) and over 1 day (16 slots, ~30 kB).

Every answer of every target is first checked equal to our producer's (payloads compared after
exclusive C14N with the namespace prefixes normalized), and the validating peer must refuse a request
the schema forbids. Then, in ``--rounds`` interleaved rounds (every round visits every target and
request): ``wrk`` saturation (16 connections, ``--seconds``), with the CPU time of the server's
process tree (and PostgreSQL's, for workers2-pg) read from /proc before and after: requests per
CPU-second of the server is "per core"; then an open-loop paced client (bench/_load.py) at half of
that saturation: p50/p99/max latency from the time each request was due. Medians over the rounds are
printed with the ratio to the validating peer per core and the issue's targets; everything goes to
bench/java_peer.json.

Skips (exit 0, no results) when java, javac, wsimport, Debian's JAX-WS jars or wrk are missing.

    .venv/bin/python bench/java_peer/run.py [--quick] [--rounds 3] [--seconds 10] [--targets ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
ROOT = BENCH.parent
# bench/ goes last on the path: bench/http.py must not hide the standard library's http package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() not in (HERE, BENCH)] + [str(BENCH), str(HERE)]

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

from _common import (  # noqa: E402
    SOAP,
    Client,
    Postgres,
    Served,
    _children,
    cpu_seconds,
    envelope,
    machine,
    median,
    table,
    window,
    write_json,
)
from _load import Load, Request, http_request  # noqa: E402
from lxml import etree  # noqa: E402

from riv_scheduling.contract import INTERACTIONS  # noqa: E402

from build import INSTALL, JARS, Built, build, missing_tools  # noqa: E402

DEMO = ROOT / "examples" / "demo-clinic.toml"
PATH = INTERACTIONS["GetAvailableTimeslots"].path
CONNECTIONS = 16
REFERENCE = "java-validating"
TARGETS = {  # key: label
    "java-validating": "java @SchemaValidation",
    "java": "java, no validation",
    "serve": "serve",
    "workers1": "serve --workers 1",
    "workers2": "serve --workers 2",
    "workers2-pg": "serve --workers 2, PostgreSQL",
}
SEARCHES = {"7d": 7, "1d": 1}  # key: days


def cli(*args: str) -> None:
    """``riv-scheduling ARGS`` (this interpreter), failing loudly."""
    done = subprocess.run([sys.executable, "-m", "riv_scheduling.cli", "--log-level", "WARNING", *args],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"riv-scheduling {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def requests() -> dict[str, bytes]:
    return {key: envelope("GetAvailableTimeslots", timeTypeCode="SSKBESOK", **window(days))
            for key, days in SEARCHES.items()}


# -- the answers: same payload? -------------------------------------------------------------------


def payload(answer: bytes) -> etree._Element:
    """The SOAP Body's element of an answer envelope."""
    body = etree.fromstring(answer).find(f"{{{SOAP}}}Body")
    if body is None or len(body) == 0:
        raise ValueError(f"no SOAP Body content: {answer[:300]!r}")
    return body[0]


def canonical(element: etree._Element) -> bytes:
    """Exclusive C14N of ``element`` after giving every namespace a fixed prefix (ns0, ns1... by URI), so
    two serializations of the same infoset compare equal whatever prefixes their producers chose."""
    uris = sorted({etree.QName(e).namespace or "" for e in element.iter(etree.Element)} - {""})
    nsmap = {f"ns{i}": uri for i, uri in enumerate(uris)}

    def copy(src: etree._Element, parent: etree._Element | None) -> etree._Element:
        dst = etree.Element(src.tag, nsmap=nsmap) if parent is None else etree.SubElement(parent, src.tag)
        for name, value in src.attrib.items():
            dst.set(name, value)
        dst.text = src.text
        for child in src:
            if isinstance(child.tag, str):
                copy(child, dst).tail = child.tail
        return dst

    return etree.tostring(copy(element, None), method="c14n", exclusive=True)


def check_equal(label: str, search: str, ours: bytes, theirs: bytes) -> None:
    a, b = canonical(payload(ours)), canonical(payload(theirs))
    if a != b:
        at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        raise SystemExit(f"{label}, {search}: the answer differs from our producer's (canonical payloads"
                         f" {len(a)} vs {len(b)} bytes, first difference at byte {at}):\n"
                         f"  ours:   {a[max(0, at - 80):at + 80]!r}\n  theirs: {b[max(0, at - 80):at + 80]!r}")


# -- the servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class JavaPeer:
    """The peer JVM for one answer, on 127.0.0.1 (a free port), stopped by ``stop()``."""

    def __init__(self, built: Built, answer: Path, validate: bool, threads: int | None, java_opts: list[str],
                 log: Path) -> None:
        self.host, self.port = "127.0.0.1", free_port()
        self.log_path = log
        self.log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(built.command(self.port, answer, validate, threads, java_opts),
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the Java peer exited:\n{log.read_text()}")
            if "peer serving on" in log.read_text():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the Java peer did not start:\n{log.read_text()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()


@dataclass
class Target:
    key: str
    label: str
    # per search: (host, port, root pid of the server's process tree)
    endpoints: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    pg: Postgres | None = None
    stops: list[Callable[[], None]] = field(default_factory=list)

    def pids(self, search: str) -> list[int]:
        root = self.endpoints[search][2]
        return [root, *_children(root), *(self.pg.pids() if self.pg else [])]

    def stop(self) -> None:
        for stop in reversed(self.stops):
            try:
                stop()
            except Exception as exc:  # noqa: BLE001 - stop the others all the same
                print(f"stopping {self.label}: {exc}", file=sys.stderr)
        self.stops.clear()


# -- the load -------------------------------------------------------------------------------------


def lua_script(body: bytes, path: Path) -> None:
    text = body.decode()
    if "]==]" in text:
        raise ValueError("envelope not embeddable in a Lua long string")
    path.write_text("\n".join([
        'wrk.method = "POST"',
        'wrk.headers["Content-Type"] = "text/xml; charset=utf-8"',
        f"wrk.body = [==[{text}]==]",
        "function done(s, latency, requests)",
        "  local e = s.errors",
        "  io.write(string.format('WRK-JSON {\"requests\": %d, \"duration_us\": %d, \"p50_us\": %d,"
        " \"p99_us\": %d, \"max_us\": %d, \"non_2xx\": %d, \"connect\": %d, \"read\": %d, \"write\": %d,"
        " \"timeout\": %d}\\n', s.requests, s.duration, latency:percentile(50), latency:percentile(99),"
        " latency.max, e.status, e.connect, e.read, e.write, e.timeout))",
        "end",
    ]) + "\n")


def run_wrk(url: str, script: Path, seconds: float) -> dict[str, Any]:
    done = subprocess.run(["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:g}s", "--timeout", "10s",
                           "-s", str(script), url], capture_output=True, text=True)
    found = [line for line in done.stdout.splitlines() if line.startswith("WRK-JSON ")]
    if done.returncode or not found:
        raise RuntimeError(f"wrk failed:\n{done.stdout}{done.stderr}")
    w = json.loads(found[0][len("WRK-JSON "):])
    return {"requests": w["requests"], "seconds": w["duration_us"] / 1e6,
            "rps": w["requests"] / (w["duration_us"] / 1e6), "p50_ms": w["p50_us"] / 1000,
            "p99_ms": w["p99_us"] / 1000, "max_ms": w["max_us"] / 1000,
            "errors": w["non_2xx"] + w["connect"] + w["read"] + w["write"] + w["timeout"]}


def warm_up(target: Target, search: str, script: Path, seconds: float, budget: float) -> list[float]:
    """wrk for ``seconds``, then 2-second runs until one is at most 10 % faster than the previous (a JVM's
    JIT has compiled the hot paths) or ``budget`` seconds have passed; the rates of the 2-second runs."""
    host, port, _ = target.endpoints[search]
    url = f"http://{host}:{port}{PATH}"
    run_wrk(url, script, seconds)
    rates: list[float] = []
    spent = 0.0
    while spent < budget:
        rates.append(run_wrk(url, script, 2.0)["rps"])
        spent += 2.0
        if len(rates) >= 2 and rates[-1] <= rates[-2] * 1.1:
            break
    return rates


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine so far."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def saturation(target: Target, search: str, script: Path, seconds: float) -> dict[str, Any]:
    host, port, _ = target.endpoints[search]
    pids = target.pids(search)
    before = {p: cpu_seconds(p) for p in pids}
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    m0 = _machine_busy()
    t0 = time.perf_counter()
    row = run_wrk(f"http://{host}:{port}{PATH}", script, seconds)
    elapsed = time.perf_counter() - t0
    m1 = _machine_busy()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_s = sum(cpu_seconds(p) - before.get(p, 0.0) for p in target.pids(search))
    pg_s = 0.0
    if target.pg is not None:
        pg_pids = target.pg.pids()
        pg_s = sum(cpu_seconds(p) - before.get(p, 0.0) for p in pg_pids)
    client_s = kids.ru_utime + kids.ru_stime - kids0.ru_utime - kids0.ru_stime
    ncpu = os.cpu_count() or 1
    machine_cores = (m1[0] - m0[0]) / max(1, m1[1] - m0[1]) * ncpu
    row.update(server_cpu_s=server_s, postgres_cpu_s=pg_s, cores=server_s / elapsed,
               per_core=row["requests"] / server_s if server_s > 0 else float("nan"),
               client_cores=client_s / elapsed, machine_cores=machine_cores,
               other_cores=max(0.0, machine_cores - server_s / elapsed - client_s / elapsed))
    return row


def half_load(target: Target, search: str, body: bytes, rate: float, seconds: float) -> dict[str, Any]:
    host, port, _ = target.endpoints[search]
    request: Request = ("GetAvailableTimeslots", http_request(host, port, PATH, body))
    load = Load(host, port, CONNECTIONS)
    try:
        result = load.run(lambda k: request, seconds, rate=rate)
    finally:
        load.close()
    return {k: result[k] for k in ("requests", "rps", "target_rps", "unanswered", "errors", "p50_ms", "p99_ms",
                                   "max_ms", "late_p99_ms", "client_cpu_cores")}


# -- setting up the targets -----------------------------------------------------------------------


def post(host: str, port: int, body: bytes) -> tuple[int, bytes]:
    client = Client(host, port)
    try:
        return client.post(PATH, body)
    finally:
        client.close()


def start_served(target: Target, db_url: str, workers: int | None, tmp: Path) -> None:
    served = Served(db_url, workers, tmp / f"{target.key}.log")
    target.stops.append(served.stop)
    for search in SEARCHES:
        target.endpoints[search] = (served.host, served.port, served.proc.pid)


def start_peer(target: Target, built: Built, answers: dict[str, Path], args: argparse.Namespace,
               tmp: Path) -> None:
    for search, answer in answers.items():
        peer = JavaPeer(built, answer, target.key == "java-validating", args.java_threads, args.java_opt,
                        tmp / f"{target.key}-{search}.log")
        target.stops.append(peer.stop)
        target.endpoints[search] = (peer.host, peer.port, peer.proc.pid)


def check_validation(targets: dict[str, Target], bodies: dict[str, bytes]) -> None:
    """The validating peer refuses a start date the schema's pattern forbids; the other one does not."""
    bad = bodies["1d"].replace(b"startDateInclusive>", b"startDateInclusive>X", 1)
    for key, validating in (("java-validating", True), ("java", False)):
        if key not in targets:
            continue
        host, port, _ = targets[key].endpoints["1d"]
        status, answer = post(host, port, bad)
        refused = status == 500 and b"cvc-" in answer
        if refused != validating:
            raise SystemExit(f"{targets[key].label}: a request with an invalid start date was"
                             f" {'answered' if not refused else 'refused'} (HTTP {status}):\n{answer[:500]!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--targets", default=",".join(TARGETS),
                        help=f"comma-separated, of {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of each saturation and half-load row")
    parser.add_argument("--warmup", type=float, default=10.0,
                        help="seconds of wrk per target and request before the first round (JIT, caches)")
    parser.add_argument("--warmup-max", type=float, default=30.0,
                        help="at most this many seconds more of warm-up until the rate is steady (default 30)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 round, 3 s rows, 2 s warm-up (+ at most 10 s until steady)")
    parser.add_argument("--java-threads", type=int, default=None,
                        help="the peer's executor threads (default: the available processors)")
    parser.add_argument("--java-opt", action="append", default=None, metavar="OPT",
                        help="a JVM option (repeatable; default -Xmx1g -Dsun.net.httpserver.nodelay=true)")
    parser.add_argument("--json", type=Path, default=BENCH / "java_peer.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds, args.warmup, args.warmup_max = 1, 3.0, 2.0, min(args.warmup_max, 10.0)
    if args.java_opt is None:
        args.java_opt = ["-Xmx1g", "-Dsun.net.httpserver.nodelay=true"]
    keys = [k.strip() for k in args.targets.split(",") if k.strip()]
    unknown = [k for k in keys if k not in TARGETS]
    if unknown or not keys:
        parser.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    keys = [k for k in TARGETS if k in keys]  # the table's order
    wants_java = any(k.startswith("java") for k in keys)

    missing = missing_tools(java=wants_java)
    if missing:
        print(f"SKIP bench/java_peer: missing {', '.join(missing)}.\n"
              f"  Debian: {INSTALL}\n  (no results written)")
        return 0

    load0 = os.getloadavg()
    print(f"load average at start: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f} ({os.cpu_count()} cores)",
          flush=True)
    bodies = requests()
    targets: dict[str, Target] = {}
    built: Built | None = None
    reference: Target | None = None
    sizes: dict[str, dict[str, int]] = {}
    rows: list[dict[str, Any]] = []
    warm: dict[str, dict[str, list[float]]] = {}  # target: search: the 2-second warm-up rates
    with tempfile.TemporaryDirectory(prefix="riv-java-peer.") as tmp_name:
        tmp = Path(tmp_name)
        try:
            # The demo database, loaded once (as an operator does: db upgrade, load), copied per target.
            demo_db = tmp / "demo.db"
            cli("db", "upgrade", "--db", f"sqlite:///{demo_db}")
            cli("load", str(DEMO), "--db", f"sqlite:///{demo_db}")

            # Our answers and the WSDL, from `serve` (kept as the serve target when that is chosen).
            reference = Target("serve", TARGETS["serve"])
            shutil.copy(demo_db, tmp / "serve.db")
            start_served(reference, f"sqlite:///{tmp / 'serve.db'}", None, tmp)
            if "serve" in keys:
                targets["serve"] = reference
            host, port, _ = reference.endpoints["1d"]
            ours: dict[str, bytes] = {}
            answers: dict[str, Path] = {}
            for search, body in bodies.items():
                status, ours[search] = post(host, port, body)
                if status != 200 or b"Fault>" in ours[search]:
                    raise SystemExit(f"our producer, {search}: HTTP {status}\n{ours[search][:500]!r}")
                if len(payload(ours[search])) < 2:  # resultCode alone: no slot to measure
                    raise SystemExit(f"our producer, {search}: an answer without timeslots; the demo data"
                                     " has no free slot in the search window")
                answers[search] = tmp / f"answer-{search}.xml"
                answers[search].write_bytes(etree.tostring(payload(ours[search]), method="c14n", exclusive=True))
            if wants_java:
                built = build(f"http://{host}:{port}")
            if "serve" not in keys:
                reference.stop()

            for key in keys:
                if key in targets:
                    continue
                target = targets[key] = Target(key, TARGETS[key])
                print(f"starting {target.label}", flush=True)
                if key.startswith("java"):
                    assert built is not None
                    start_peer(target, built, answers, args, tmp)
                elif key == "workers2-pg":
                    target.pg = Postgres()
                    target.stops.append(target.pg.stop)
                    print(f"  PostgreSQL {target.pg.version} on 127.0.0.1:{target.pg.port} (fsync off)", flush=True)
                    cli("db", "upgrade", "--db", target.pg.url)
                    cli("load", str(DEMO), "--db", target.pg.url)
                    start_served(target, target.pg.url, 2, tmp)
                else:
                    shutil.copy(demo_db, tmp / f"{key}.db")
                    start_served(target, f"sqlite:///{tmp / f'{key}.db'}", 1 if key == "workers1" else 2, tmp)

            # Same answers everywhere; validation really on in the validating peer.
            for key, target in targets.items():
                sizes[key] = {}
                for search, body in bodies.items():
                    h, p, _ = target.endpoints[search]
                    status, answer = post(h, p, body)
                    if status != 200:
                        raise SystemExit(f"{target.label}, {search}: HTTP {status}\n{answer[:500]!r}")
                    check_equal(target.label, search, ours[search], answer)
                    sizes[key][search] = len(answer)
            check_validation(targets, bodies)
            print("answers checked equal to our producer's: "
                  + ", ".join(f"{targets[k].label} {sizes[k]['7d']}/{sizes[k]['1d']} B" for k in targets), flush=True)

            scripts = {search: tmp / f"{search}.lua" for search in bodies}
            for search, body in bodies.items():
                lua_script(body, scripts[search])
            print(f"warm-up: {args.warmup:g} s of wrk per target and request, then 2 s runs until one is no more"
                  f" than 10 % faster than the one before (at most {args.warmup_max:g} s more)", flush=True)
            for key, target in targets.items():
                warm[key] = {}
                for search in bodies:
                    warm[key][search] = warm_up(target, search, scripts[search], args.warmup, args.warmup_max)
                print(f"  {target.label}: " + "; ".join(f"{s} " + " ".join(f"{r:.0f}" for r in rates)
                                                      for s, rates in warm[key].items()) + " req/s", flush=True)

            for rnd in range(1, args.rounds + 1):
                for key, target in targets.items():
                    for search, body in bodies.items():
                        h, p, _ = target.endpoints[search]
                        run_wrk(f"http://{h}:{p}{PATH}", scripts[search], 1.0)  # connections and caches warm
                        sat = saturation(target, search, scripts[search], args.seconds)
                        time.sleep(1.0)
                        half = half_load(target, search, body, sat["rps"] / 2, args.seconds)
                        rows.append({"round": rnd, "target": key, "search": search, "saturation": sat,
                                     "half": half})
                        print(f"round {rnd} {target.label:<30} {search}: {sat['rps']:7.0f} req/s on"
                              f" {sat['cores']:.2f} cores = {sat['per_core']:6.0f}/core; half load p50"
                              f" {half['p50_ms']:.1f} p99 {half['p99_ms']:.1f} ms (others {sat['other_cores']:.2f}"
                              f" cores, errors {sat['errors'] + half['errors']})", flush=True)
                        time.sleep(0.5)
        finally:
            for target in targets.values():
                target.stop()
            if reference is not None:
                reference.stop()  # a second stop() does nothing

    load1 = os.getloadavg()
    if args.quick:
        print("\n--quick: a smoke run (one short round, a short warm-up); its figures are not for reading targets")
    summary = summarize(rows, keys)
    print()
    print(f"GetAvailableTimeslots, wrk {CONNECTIONS} connections, {args.rounds} round(s) of {args.seconds:g} s;"
          f" medians over the rounds; per core = requests per CPU-second of the server's processes"
          f" (and PostgreSQL's); half load = 50 % of the target's saturation in the same round, open loop")
    print(table(["target", "search", "req/s", "cores", "req/s/core", "x java-val/core", "p50 ms", "p99 ms",
                 "max ms", "others cores", "errors"],
                [[TARGETS[s["target"]], s["search"], s["rps"], s["cores"], s["per_core"],
                  "-" if s["ratio"] is None else f"{s['ratio']:.2f}", s["p50_ms"], s["p99_ms"], s["max_ms"],
                  s["other_cores"], s["errors"]] for s in summary]))
    goals = goal_lines(summary)
    for goal in goals:
        verdict = "met    " if goal["met"] else "NOT met" if goal["met"] is False else "n/a    "
        value = "" if goal["value"] is None else f": {goal['value']}"
        print(f"{verdict} {goal['goal']}{value}")
    print(f"load average at start {load0[0]:.2f}, at end {load1[0]:.2f} ({os.cpu_count()} cores; 'others cores':"
          f" the machine's busy cores during saturation less the server's and wrk's)")
    write_json(args.json, {
        "benchmark": "java_peer", **machine(), "java": java_version() if wants_java else None,
        "jars": JARS if wants_java else [], "java_opts": args.java_opt, "java_threads": args.java_threads,
        "connections": CONNECTIONS, "rounds": args.rounds, "seconds": args.seconds, "warmup": args.warmup,
        "warmup_max": args.warmup_max, "warmup_rates": warm,
        "quick": args.quick, "loadavg_start": load0, "loadavg_end": load1, "answer_bytes": sizes,
        "summary": summary, "goals": goals, "rows": rows,
    })
    return 0 if all(r["saturation"]["errors"] == 0 and r["half"]["errors"] == 0 for r in rows) else 1


def summarize(rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    out = []
    ref: dict[str, float] = {}
    for key in keys:
        for search in SEARCHES:
            mine = [r for r in rows if r["target"] == key and r["search"] == search]
            if not mine:
                continue
            sat = [r["saturation"] for r in mine]
            half = [r["half"] for r in mine]
            s = {"target": key, "search": search, "rounds": len(mine),
                 "rps": median([x["rps"] for x in sat]), "cores": median([x["cores"] for x in sat]),
                 "per_core": median([x["per_core"] for x in sat]),
                 "per_core_rounds": [round(x["per_core"], 1) for x in sat],
                 "p50_ms": median([x["p50_ms"] for x in half]), "p99_ms": median([x["p99_ms"] for x in half]),
                 "max_ms": max(x["max_ms"] for x in half), "other_cores": median([x["other_cores"] for x in sat]),
                 "errors": sum(x["errors"] for x in sat) + sum(x["errors"] for x in half)}
            if key == REFERENCE:
                ref[search] = s["per_core"]
            out.append(s)
    for s in out:
        s["ratio"] = s["per_core"] / ref[s["search"]] if s["search"] in ref else None
    return out


def goal_lines(summary: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 16's targets, as far as this run's targets allow."""
    by = {(s["target"], s["search"]): s for s in summary}
    goals: list[dict[str, Any]] = []
    for key in ("workers2", "workers2-pg"):
        for search in SEARCHES:
            s = by.get((key, search))
            ratio = s["ratio"] if s else None
            goals.append({"goal": f"{TARGETS[key]}, {search}: per core >= 0.5 x java @SchemaValidation",
                          "met": None if ratio is None else ratio >= 0.5,
                          "value": None if ratio is None else f"{ratio:.2f} x"})
    for search in SEARCHES:
        a, b = by.get(("serve", search)), by.get(("workers1", search))
        goals.append({"goal": f"serve, {search}: per core >= serve --workers 1 per core",
                      "met": None if not (a and b) else a["per_core"] >= b["per_core"],
                      "value": None if not (a and b) else f"{a['per_core']:.0f} vs {b['per_core']:.0f}"
                                                          f" ({a['per_core'] / b['per_core']:.2f} x)"})
    s = by.get(("serve", "1d"))
    goals.append({"goal": "serve, 1d: p99 at half load < 10 ms", "met": None if not s else s["p99_ms"] < 10.0,
                  "value": None if not s else f"{s['p99_ms']:.1f} ms"})
    return goals


def java_version() -> str:
    done = subprocess.run(["java", "-version"], capture_output=True, text=True)
    return (done.stderr or done.stdout).splitlines()[0] if (done.stderr or done.stdout) else "?"


if __name__ == "__main__":
    raise SystemExit(main())
