"""Real producer processes for the first-free tests and bench/first_free.py.

Each producer gets its own SQLite database filled from a clinic configuration (TOML text) and runs
as `riv-scheduling serve --port 0` (or slow_producer.py, a producer answering late) in its own
process. `start_all` starts them in parallel, since each process needs a second or two to import.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from riv_scheduling.clinic import apply_config
from riv_scheduling.store import open_store

HERE = Path(__file__).parent
READY = re.compile(r"(http://127\.0\.0\.1:\d+)")


@dataclass(frozen=True)
class Spec:
    name: str
    clinic_toml: str
    delay: float = 0.0  # seconds every SOAP answer is held back


@dataclass
class Running:
    spec: Spec
    url: str
    db_url: str
    process: subprocess.Popen[bytes]
    log: Path


def prepare(folder: Path, spec: Spec) -> str:
    """The producer's database, made to match its clinic file; returns its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    clinic = folder / "clinic.toml"
    clinic.write_text(spec.clinic_toml, encoding="utf-8")
    db_url = f"sqlite:///{folder / 'producer.db'}"
    store = open_store(db_url)
    try:
        apply_config(store, clinic)
    finally:
        store.dispose()
    return db_url


def _start(folder: Path, spec: Spec, seconds: float = 90) -> Running:
    db_url = prepare(folder, spec)
    log = folder / "serve.log"
    if spec.delay:
        command = [sys.executable, str(HERE / "slow_producer.py"), db_url, str(spec.delay)]
    else:
        command = [sys.executable, "-m", "riv_scheduling.cli", "serve", "--port", "0", "--db", db_url, "--no-demo"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=folder, start_new_session=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = READY.search(log.read_text(errors="replace"))
        if found:
            return Running(spec, found.group(1), db_url, process, log)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    _stop(process)
    raise RuntimeError(f"producer {spec.name} did not start:\n{log.read_text(errors='replace')}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextmanager
def start_all(root: Path, specs: Sequence[Spec]) -> Iterator[list[Running]]:
    """All producers running (started in parallel), stopped at the end."""
    with ThreadPoolExecutor(max_workers=len(specs) or 1) as pool:
        futures = [pool.submit(_start, root / spec.name, spec) for spec in specs]
        started: list[Running] = []
        errors: list[BaseException] = []
        for future in futures:
            try:
                started.append(future.result())
            except Exception as exc:  # stop the others before failing
                errors.append(exc)
    try:
        if errors:
            raise errors[0]
        yield started
    finally:
        for running in started:
            _stop(running.process)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released): a producer that is down."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
