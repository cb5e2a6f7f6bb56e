"""Where the CPU of one GetAvailableTimeslots call goes, and how much of it the design asks for.

Issue #16 asks for `serve --workers 2` at half the validating Java peer's requests per CPU-second.
This script splits one call, as `serve` makes it (the producer with its metrics middleware, over a
fresh SQLite demo database), into its parts and says which of them the design itself asks for:

- the HTTP server: our waitress `Server` answering the same number of bytes with no work at all,
  CPU per call of the process under `wrk -t1 -c16` (needs wrk; left out without it);
- the request envelope's checks, the request's schema validation, and Spyne (the request's binding
  objects, dispatch, and the handler's mapping of the request): every request goes through Spyne
  with the generated bindings, and every message is validated (the mission, issue #16 item 2);
- the search (domain rules and store) and writing the answer: ours to make leaner;
- the response check: our answer parsed and validated against the schema before it is sent;
- the rest of the call (WSGI, reading the body, the metrics middleware).

The parts are CPU time of the calling thread (`time.thread_time`), measured around the functions
that do them; the producer runs without its deadline's thread (`deadline=None`), so that the whole
call is on one thread (held on one core, the hand-off costs some 0.04 ms: README, issue #16). The
timers themselves add a few microseconds per call.

Absolute figures drift by a third between runs on a shared VM; the shares hardly move. So the
conclusion is drawn from shares: given how far `serve --workers 2` was from the peer in a
`bench/java_peer/run.py` result (`--peer`, the same rounds for both), it says what fraction of their
cost the parts the design does not ask for could keep if the call is to reach half the peer.

    .venv/bin/python bench/budget.py [--days 1] [--calls 400] [--rounds 5] [--cpu 1]
        [--peer bench/java_peer-6.json] [--json FILE]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# bench/ goes last on the path: bench/http.py must not hide the standard library's http.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

from _common import envelope, machine, median, table, window, write_json  # noqa: E402
from serve_cpu import DEMO, cli  # noqa: E402
from serve_cpu import wrk as run_wrk  # noqa: E402

from riv_scheduling.contract import INTERACTIONS  # noqa: E402
from riv_scheduling.domain.search import Search  # noqa: E402
from riv_scheduling.metrics import instrument  # noqa: E402
from riv_scheduling.server import HttpLimits, make_server  # noqa: E402
from riv_scheduling.soap import envelope as soap_envelope  # noqa: E402
from riv_scheduling.soap import handlers  # noqa: E402
from riv_scheduling.wsgi import create_app, settle_memory  # noqa: E402

INTERACTION = INTERACTIONS["GetAvailableTimeslots"]
SEARCHES = {1: "1d", 7: "7d"}
GOAL = 0.5  # issue #16: per core, half the validating Java peer

# (key, what it is, asked for by the design)
PARTS = [
    ("http", "HTTP server (waitress, no work)", True),
    ("envelope", "request envelope checks", True),
    ("request_validation", "request schema validation", True),
    ("spyne", "Spyne and the request's mapping", True),
    ("search", "search: domain rules and store", False),
    ("writing", "writing the answer", False),
    ("response_check", "response parse and schema validation", True),
    ("rest", "the rest (WSGI, body, metrics)", False),
]


class Parts:
    """Thread CPU seconds spent in the wrapped functions, by part."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, owner: Any, name: str, part: str) -> None:
        inner = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.thread_time()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds[part] += time.thread_time() - start

        setattr(owner, name, timed)


@contextmanager
def wrapped(parts: Parts, producer: Any) -> Iterator[None]:
    """The producer's steps timed by part (module attributes put back afterwards).

    Writing the answer is timed from the end of the search to the end of ``render.response``: the
    handler writes each slot in between (a timer per slot would cost more than some parts)."""
    saved = [(soap_envelope, "parse"), (Search, "available_timeslots"), (handlers.r, "response")]
    originals = [(owner, name, getattr(owner, name)) for owner, name in saved]
    parts.wrap(soap_envelope, "parse", "envelope")
    parts.wrap(producer, "_call", "call")  # Spyne, the handler and what it calls
    parts.wrap(producer, "_check_response", "response_check")
    parts.wrap(Search, "available_timeslots", "search")
    search_ended = [0.0]
    search = Search.available_timeslots
    response = handlers.r.response
    validate = producer.validator.validate

    found: list[Any] = []

    def search_timed(*args: Any, **kwargs: Any) -> Any:
        # The slots found are freed in the next call's search, not when the handler returns: the
        # cost of freeing them is the search's, not Spyne's.
        found.clear()
        try:
            found.append(search(*args, **kwargs))
            return found[0]
        finally:
            search_ended[0] = time.thread_time()

    def response_timed(*args: Any, **kwargs: Any) -> Any:
        try:
            return response(*args, **kwargs)
        finally:
            parts.seconds["writing"] += time.thread_time() - search_ended[0]

    def validate_timed(interaction: Any, element: Any) -> None:
        if element.tag != interaction.request_tag:
            return validate(interaction, element)  # the response's: inside response_check
        start = time.thread_time()
        try:
            return validate(interaction, element)
        finally:
            parts.seconds["request_validation"] += time.thread_time() - start

    Search.available_timeslots = search_timed  # type: ignore[method-assign]
    handlers.r.response = response_timed
    producer.validator.validate = validate_timed
    try:
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
        del producer.validator.validate, producer._call, producer._check_response


def in_process(db: str, body: bytes, calls: int, rounds: int) -> tuple[list[dict[str, float]], bytes]:
    """Per round, ms per call by part (no HTTP), and the answer."""
    producer = create_app(db, deadline=None)
    store = producer.store  # type: ignore[attr-defined]  # create_app keeps it there
    app = instrument(producer, store)
    settle_memory()

    def call() -> bytes:
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": INTERACTION.path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8080", "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": "text/xml; charset=utf-8",
            "CONTENT_LENGTH": str(len(body)), "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr, "wsgi.multithread": True,
            "wsgi.multiprocess": False, "wsgi.run_once": False, "wsgi.version": (1, 0)}
        return b"".join(app(environ, lambda status, headers, exc_info=None: None))

    answer = call()
    if b"resultCode>OK<" not in answer or b"timeslot>" not in answer:
        raise SystemExit(f"the search found no slots, or failed: {answer[:400]!r}")
    for _ in range(max(100, calls // 4)):  # warm-up: caches, fragments, the pool
        call()
    results = []
    try:
        parts = Parts()
        with wrapped(parts, producer):
            for _ in range(rounds):
                parts.seconds.clear()
                start = time.thread_time()
                for _ in range(calls):
                    call()
                total = time.thread_time() - start
                s = parts.seconds
                ms: dict[str, float] = {
                    "envelope": s["envelope"], "request_validation": s["request_validation"],
                    "spyne": s["call"] - s["search"] - s["writing"], "search": s["search"], "writing": s["writing"],
                    "response_check": s["response_check"],
                }
                ms["rest"] = total - s["envelope"] - s["request_validation"] - s["call"] - s["response_check"]
                ms["total"] = total
                results.append({k: v / calls * 1000 for k, v in ms.items()})
    finally:
        store.dispose()
    return results, answer


def http_floor(answer: bytes, body: bytes, seconds: float, rounds: int, wrk_cpu: int | None) -> list[float]:
    """CPU ms per call of this process serving ``answer`` for every request through our Server."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(answer)))])
        return [answer]

    server = make_server(app, port=0, limits=HttpLimits(threads=1))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address
    per_call = []
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "body.xml").write_bytes(body)
        script = Path(tmp) / "post.lua"
        script.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "text/xml; charset=utf-8"\n'
                          f'local f = io.open("{tmp}/body.xml", "rb")\nwrk.body = f:read("*a")\nf:close()\n')
        url = f"http://{host}:{port}{INTERACTION.path}"
        try:
            run_wrk(url, script, 2, wrk_cpu)
            for _ in range(rounds):
                cpu = time.process_time()
                calls = run_wrk(url, script, seconds, wrk_cpu)
                per_call.append((time.process_time() - cpu) / calls * 1000)
        finally:
            server.shutdown()
            server.server_close()
    return per_call


def peer_ratio(path: Path, search: str, target: str = "workers2") -> float | None:
    """``target``'s requests per CPU-second as a multiple of the validating Java peer's, for ``search``,
    in a bench/java_peer/run.py result (both measured in the same rounds)."""
    if not path.is_file():
        return None
    for row in json.loads(path.read_text()).get("summary", []):
        if row.get("target") == target and row.get("search") == search and row.get("ratio"):
            return float(row["ratio"])
    return None


def needed(ratio: float, designed_share: float, goal: float = GOAL) -> float | None:
    """The fraction of their CPU per call the parts the design does not ask for may keep, so that a
    call costs ``ratio / goal`` of what it costs now (the design's parts as they are); None when
    the design's parts alone cost more than that."""
    allowed = ratio / goal
    if allowed >= 1:
        return 1.0
    if allowed <= designed_share:
        return None
    return (allowed - designed_share) / (1 - designed_share)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=1, choices=sorted(SEARCHES))
    parser.add_argument("--calls", type=int, default=400, help="calls per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4.0, help="wrk's run per round for the HTTP server")
    parser.add_argument("--cpu", type=int, default=1 if (os.cpu_count() or 1) > 1 else None,
                        help="hold this process on this CPU (wrk goes to another one)")
    parser.add_argument("--peer", type=Path, default=HERE / "java_peer-6.json",
                        help="a bench/java_peer/run.py result: the validating peer's per-core rate")
    parser.add_argument("--json", type=Path, default=None, help="default: bench/budget-1d.json (or -7d)")
    args = parser.parse_args(argv)
    if args.json is None:
        args.json = HERE / f"budget-{SEARCHES[args.days]}.json"

    wrk_cpu = None
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
        others = sorted(set(range(os.cpu_count() or 1)) - {args.cpu})
        wrk_cpu = others[0] if others else None
    search = SEARCHES[args.days]
    body = envelope("GetAvailableTimeslots", timeTypeCode="SSKBESOK", **window(args.days))
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/demo.db"
        cli("db", "upgrade", "--db", db)
        cli("load", str(DEMO), "--db", db)
        rounds, answer = in_process(db, body, args.calls, args.rounds)
    if shutil.which("wrk"):
        http = http_floor(answer, body, args.seconds, args.rounds, wrk_cpu)
    else:
        print("wrk is not installed (apt-get install wrk): the HTTP server's part is left out")
        http = []

    ms = {key: median([r[key] for r in rounds]) for key in [*(p[0] for p in PARTS if p[0] != "http"), "total"]}
    ms["http"] = median(http) if http else float("nan")
    total = ms["total"] + (ms["http"] if http else 0.0)
    rows = [[label, round(ms[key], 3), f"{ms[key] / total:.0%}" if ms[key] == ms[key] else "-",
             "yes" if asked else "no"] for key, label, asked in PARTS]
    designed = sum(ms[key] for key, _, asked in PARTS if asked and ms[key] == ms[key])
    rows.append(["total", round(total, 3), "100%", ""])
    print(f"GetAvailableTimeslots, {args.days} day(s), {len(answer):,} bytes; {args.calls} calls x {args.rounds}"
          f" rounds{'' if args.cpu is None else f' on CPU {args.cpu}'}; CPU ms per call, medians of the rounds")
    print(table(["part", "ms", "share", "asked for by the design"], rows))
    share = designed / total
    print(f"\nThe parts the design asks for: {designed:.2f} of {total:.2f} ms ({share:.0%}).")
    ratio = peer_ratio(args.peer, search)
    keep = needed(ratio, share) if ratio is not None else None
    if ratio is None:
        print(f"{args.peer}: no `serve --workers 2` figure for the {search} search against the validating peer")
    elif keep is None:
        print(f"`serve --workers 2` ran at {ratio:.2f} x the validating peer per core ({args.peer.name}); {GOAL} x"
              f" needs {ratio / GOAL:.0%} of today's CPU per call, less than the design's parts alone.")
    else:
        print(f"`serve --workers 2` ran at {ratio:.2f} x the validating peer per core ({args.peer.name}); {GOAL} x"
              f" needs {min(ratio / GOAL, 1):.0%} of today's CPU per call: the search, writing the answer and the"
              f" rest at {keep:.0%} of their cost today (the design's parts as they are).")
    write_json(args.json, {"benchmark": "budget", **machine(), "days": args.days, "answer_bytes": len(answer),
                           "calls": args.calls, "rounds_n": args.rounds, "cpu": args.cpu, "ms_per_call": ms,
                           "rounds": rounds, "http_rounds": http, "designed_ms": designed, "designed_share": share,
                           "peer": str(args.peer), "workers2_ratio": ratio, "others_may_keep": keep})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
