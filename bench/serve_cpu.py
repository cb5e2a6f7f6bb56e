"""CPU per call of `serve` (one process) by thread count, against one gunicorn worker.

Each set-up runs as a subprocess over its own fresh SQLite demo database (`riv-scheduling db upgrade`,
`riv-scheduling load examples/demo-clinic.toml`): `serve --threads N` for each N of `--threads`, and
`serve --workers 1` (one thread, the default). In interleaved rounds, each set-up gets a warm-up and then
`wrk -t1 -c16` for `--seconds` with a GetAvailableTimeslots of `--days` days (one time type); the server's
process tree's CPU seconds (from /proc) over the requests it answered give **CPU ms per call**, which
does not depend on how many cores the server got. The ratio column compares with the worker.

`--before DIR` runs every set-up a second time from another checkout of the project (say a
`git worktree add ../before <commit>`), with its own database built by that code, in the same
interleaved rounds: before and after compared on the same machine in the same minutes.

`--taskset CPUS` runs every set-up a second time under `taskset -c CPUS` (all of its processes and
threads on those CPUs), and `--wrk-cpu N` keeps `wrk` on CPU N: with `--taskset 1 --wrk-cpu 0` the
server's threads share one core and the client stays off it, as a client on another machine would.

    .venv/bin/python bench/serve_cpu.py [--threads 1 4] [--days 1] [--rounds 3] [--seconds 8]
        [--before DIR] [--taskset CPUS] [--wrk-cpu N] [--json FILE]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# bench/ goes last on the path: bench/http.py must not hide the standard library's http.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

from _common import (  # noqa: E402
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

from riv_scheduling.contract import INTERACTIONS  # noqa: E402

DEMO = HERE.parent / "examples" / "demo-clinic.toml"


def cli(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([sys.executable, "-m", "riv_scheduling.cli", "--log-level", "WARNING", *args],
                   check=True, stdout=subprocess.DEVNULL, env=env)


def checkout_env(tree: Path) -> dict[str, str]:
    """The environment that makes ``python -m riv_scheduling.cli`` the code of ``tree``."""
    if not (tree / "riv_scheduling" / "cli.py").is_file():
        raise SystemExit(f"--before {tree}: not a checkout of riv-scheduling")
    return {**os.environ, "PYTHONPATH": str(tree.resolve())}


def tree_cpu(pid: int) -> float:
    return cpu_seconds(pid) + sum(cpu_seconds(child) for child in _children(pid))


def wrk(url: str, script: Path, seconds: float, cpu: int | None = None) -> float:
    pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
    done = subprocess.run([*pin, "wrk", "-t1", "-c16", f"-d{seconds:g}s", "-s", str(script), url],
                          capture_output=True, text=True, check=True)
    found = re.search(r"(\d+) requests in", done.stdout)
    if found is None or "Non-2xx" in done.stdout or "Socket errors" in done.stdout:
        raise RuntimeError(f"wrk: {done.stdout}")
    return float(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4], help="serve --threads values")
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--before", type=Path, metavar="DIR",
                        help="also run every set-up from this checkout (older code), interleaved")
    parser.add_argument("--taskset", metavar="CPUS",
                        help="also run every set-up under taskset -c CPUS, interleaved")
    parser.add_argument("--wrk-cpu", type=int, metavar="N", help="run wrk on CPU N only")
    parser.add_argument("--json", type=Path, default=HERE / "serve_cpu.json")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("SKIP bench/serve_cpu.py: wrk is missing (apt-get install wrk)")
        return 0
    if (args.taskset is not None or args.wrk_cpu is not None) and shutil.which("taskset") is None:
        print("SKIP bench/serve_cpu.py: --taskset/--wrk-cpu need taskset (Debian package util-linux)")
        return 0
    setups = {f"serve --threads {n}": ["--threads", str(n)] for n in args.threads}
    setups["serve --workers 1"] = ["--workers", "1"]
    envs: dict[str, dict[str, str] | None] = dict.fromkeys(setups)
    if args.before is not None:  # each set-up next to its older self, so that they take turns
        older = checkout_env(args.before)
        paired: dict[str, list[str]] = {}
        for name, extra in setups.items():
            paired[name] = extra
            paired[f"before: {name}"] = extra
            envs[f"before: {name}"] = older
        setups = paired
    prefixes: dict[str, list[str] | None] = dict.fromkeys(setups)
    if args.taskset is not None:  # each set-up next to itself on the given CPUs
        pinned: dict[str, list[str]] = {}
        for name, extra in setups.items():
            pinned[name] = extra
            pinned[f"{name}, taskset -c {args.taskset}"] = extra
            envs[f"{name}, taskset -c {args.taskset}"] = envs[name]
            prefixes[f"{name}, taskset -c {args.taskset}"] = ["taskset", "-c", args.taskset]
        setups = pinned
    path = INTERACTIONS["GetAvailableTimeslots"].path
    body = envelope("GetAvailableTimeslots", timeTypeCode="SSKBESOK", **window(args.days))
    per_call: dict[str, list[float]] = {name: [] for name in setups}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "body.xml").write_bytes(body)
        script = Path(tmp) / "post.lua"
        script.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "text/xml; charset=utf-8"\n'
                          f'local f = io.open("{tmp}/body.xml", "rb")\nwrk.body = f:read("*a")\nf:close()\n')
        servers: dict[str, Served] = {}
        try:
            for i, (name, extra) in enumerate(setups.items()):
                db = f"sqlite:///{tmp}/{i}.db"
                cli("db", "upgrade", "--db", db, env=envs[name])
                cli("load", str(DEMO), "--db", db, env=envs[name])
                served = Served(db, None, Path(tmp) / f"{i}.log", extra, env=envs[name],
                                prefix=prefixes.get(name))
                servers[name] = served
                wrk(f"http://{served.host}:{served.port}{path}", script, 3, args.wrk_cpu)  # warm-up
            for _ in range(args.rounds):
                for name, served in servers.items():
                    cpu = tree_cpu(served.proc.pid)
                    calls = wrk(f"http://{served.host}:{served.port}{path}", script, args.seconds, args.wrk_cpu)
                    per_call[name].append((tree_cpu(served.proc.pid) - cpu) / calls * 1000)
                    time.sleep(0.5)
        finally:
            for served in servers.values():
                served.stop()
    worker = median(per_call["serve --workers 1"])
    rows = [[name, round(median(v), 2), " / ".join(f"{x:.2f}" for x in v), round(median(v) / worker, 2)]
            for name, v in per_call.items()]
    print(f"GetAvailableTimeslots, {args.days} day(s); wrk 16 connections"
          f"{'' if args.wrk_cpu is None else f' on CPU {args.wrk_cpu}'}, {args.seconds:g} s x {args.rounds} rounds")
    print(table(["set-up", "CPU ms per call (median)", "rounds", "x one worker"], rows))
    if args.before is not None:
        for name in [n for n in per_call if not n.startswith("before: ")]:
            print(f"{name}: {median(per_call[name]) / median(per_call['before: ' + name]):.2f} x the CPU per call"
                  f" of {args.before}")
    write_json(args.json, {"benchmark": "serve_cpu", **machine(), "days": args.days, "rounds": args.rounds,
                           "seconds": args.seconds, "before": str(args.before) if args.before else None,
                           "taskset": args.taskset, "wrk_cpu": args.wrk_cpu,
                           "cpu_ms_per_call": per_call})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
