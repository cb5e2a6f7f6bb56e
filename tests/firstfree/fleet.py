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


# -- the ten-producer fleet of the first-free test and bench ------------------------------------

SERVICE = "33879002"  # SNOMED CT: vaccination
TIME_TYPE = "VACCIN"
SLOW, FAULTY, DOWN = 7, 8, 9  # indexes of the three bad producers
SLOW_SECONDS = 2.0


def unit_id(producer: int, unit: int) -> str:
    return f"SE2321000016-P{producer:02d}U{unit}"


def clinic(producer: int, units: int = 5, horizon_days: int = 4) -> str:
    """A producer's clinic file: `units` units with different opening hours and slot lengths."""
    parts = [
        f'[[care_service]]\ncode = "{SERVICE}"\ndisplay_name = "Vaccination"\n',
        f'[[time_type]]\ncode = "{TIME_TYPE}"\nname = "Vaccination"\ncare_services = ["{SERVICE}"]\n',
        '[[time_type]]\ncode = "ANNAT"\nname = "Annat besök"\n',
    ]
    for u in range(units):
        n = producer * units + u
        hsa = unit_id(producer, u)
        start_minutes = 7 * 60 + (n * 23) % 300  # 07:00 .. 11:59, different per unit
        length = (15, 20, 30, 45)[n % 4]
        weekdays = ("mon-sun", "mon-fri", ["tue", "thu", "sat"], ["mon", "wed", "fri", "sun"])[n % 4]
        parts.append(f'[[unit]]\nhsa_id = "{hsa}"\nname = "Mottagning {n}"\ntime_types = ["{TIME_TYPE}", "ANNAT"]\n')
        days = f'"{weekdays}"' if isinstance(weekdays, str) else "[" + ", ".join(f'"{d}"' for d in weekdays) + "]"
        for code, offset in ((TIME_TYPE, 0), ("ANNAT", 60)):
            begin = start_minutes + offset
            parts.append(
                f'[[opening_hours]]\nunit = "{hsa}"\ntime_type = "{code}"\nweekdays = {days}\n'
                f'from = "{begin // 60:02d}:{begin % 60:02d}"\nto = "{(begin + 120) // 60:02d}:{begin % 60:02d}"\n'
                f"slot_minutes = {length}\nhorizon_days = {horizon_days}\n"
            )
    return "\n".join(parts)


def fleet_specs(count: int = 10, units: int = 5) -> list[Spec]:
    return [Spec(f"producer{i:02d}", clinic(i, units), SLOW_SECONDS if i == SLOW else 0.0) for i in range(count)]


def producers_file(running: Sequence[Running], units: int = 5) -> str:
    """The producers file for the fleet: FAULTY is asked at units it does not serve (it answers SOAP
    Faults: unknown LogicalAddress), DOWN has been stopped (nothing listens), SLOW answers late."""
    lines = []
    for i, r in enumerate(running):
        asked = [unit_id(i + 50, u) for u in range(units)] if i == FAULTY else [unit_id(i, u) for u in range(units)]
        units_list = ", ".join(f'"{u}"' for u in asked)
        lines.append(f'[[producer]]\nname = "{r.spec.name}"\nurl = "{r.url}"\nunits = [{units_list}]\n')
    return "\n".join(lines)


def stop(running: Running) -> None:
    _stop(running.process)
