"""`riv-scheduling serve --workers 2`: gunicorn with two worker processes on one SQLite file.

A real subprocess on a free port: a zeep booking works, and twenty concurrent bookings of one
slot, spread over both workers (separate processes, separate engines), give exactly one OK.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import zeep
from soapwire import PERSONS, TEST_UNIT, TIME_TYPES, Slots, actor, person

from riv_scheduling.contract import INTERACTIONS
from riv_scheduling.demo import load_demo
from riv_scheduling.domain import ClinicSetup, HealthcareFacility
from riv_scheduling.store import open_store

pytest.importorskip("gunicorn")

READY = re.compile(r"serving on (http://[0-9.]+:\d+)")


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Slots, subprocess.Popen[bytes]]]:
    folder = tmp_path_factory.mktemp("workers")
    url = f"sqlite:///{folder / 'producer.db'}"
    store = open_store(url)
    store.create_schema()
    load_demo(store)
    setup = ClinicSetup(store.uow)
    setup.add_facility(HealthcareFacility(TEST_UNIT, "Testmottagningen"))
    for tt in TIME_TYPES:
        setup.add_time_type(TEST_UNIT, tt)
    slots = Slots(setup)
    log = open(folder / "serve.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "riv_scheduling.cli", "serve", "--workers", "2", "--port", "0",
         "--db", url, "--no-demo"],
        stdout=log, stderr=subprocess.STDOUT, cwd=folder, start_new_session=True,
    )
    try:
        base = _wait_ready(proc, folder / "serve.log")
        yield base, slots, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
        store.dispose()


def _wait_ready(proc: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    base = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited with {proc.returncode}:\n{log.read_text()}")
        if base is None:
            found = READY.search(log.read_text())
            base = found.group(1) if found else None
        if base is not None and len(_children(proc.pid)) >= 2:
            try:
                wsdl = f"{base}{INTERACTIONS['MakeAppointment'].path}?wsdl"
                with urllib.request.urlopen(wsdl, timeout=5) as response:
                    if response.status == 200:
                        return base
            except OSError:
                pass
        time.sleep(0.2)
    raise AssertionError(f"serve --workers 2 not ready after {seconds} s:\n{log.read_text()}")


def _client(base: str, interaction: str = "MakeAppointment") -> zeep.Client:
    return zeep.Client(f"{base}{INTERACTIONS[interaction].path}?wsdl")


def test_two_worker_processes_serve_a_zeep_booking(served: tuple[str, Slots, subprocess.Popen[bytes]]) -> None:
    base, slots, proc = served
    assert len(_children(proc.pid)) == 2
    slot = slots.make()
    r = _client(base).service.MakeAppointment(
        _soapheaders={"LogicalAddress": TEST_UNIT}, actor=actor(PERSONS[0]), personId=person(PERSONS[0]),
        timeslotId=slot,
    )
    assert r.resultCode == "OK"
    assert r.appointmentId


def test_twenty_concurrent_bookings_across_two_workers_give_exactly_one_ok(
    served: tuple[str, Slots, subprocess.Popen[bytes]],
) -> None:
    base, slots, _ = served
    slot = slots.make()
    clients = [_client(base).service for _ in range(20)]  # one connection pool per caller
    barrier = threading.Barrier(20)
    results: list[str] = []
    errors: list[BaseException] = []

    def book(i: int) -> None:
        pnr = PERSONS[20 + i]
        try:
            barrier.wait(timeout=60)
            r = clients[i].MakeAppointment(_soapheaders={"LogicalAddress": TEST_UNIT},
                                           actor=actor(pnr), personId=person(pnr), timeslotId=slot)
            results.append(r.resultCode)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=book, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert Counter(results) == {"OK": 1, "REQUESTED_TIME_IS_ALREADY_RESERVED": 19}


def test_workers_refuse_tls_options(tmp_path: Path) -> None:
    from riv_scheduling.cli import main

    assert main(["serve", "--workers", "2", "--db", f"sqlite:///{tmp_path / 'x.db'}",
                 "--tls-cert", "c.pem", "--tls-key", "k.pem", "--client-ca", "ca.pem"]) == 2


def test_a_configuration_change_reaches_every_worker_with_the_next_call(
    served: tuple[str, Slots, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    # Each worker caches the configuration it read; an operator's `riv-scheduling load` in another
    # process must still show in the very next answer of every worker.
    from datetime import date, timedelta

    from riv_scheduling.demo import DEMO_FILE

    base, slots, _ = served
    store = slots.setup._uow.__self__  # type: ignore[attr-defined]  # the fixture's own store
    window = {
        "startDateInclusive": (date.today() + timedelta(days=1)).strftime("%Y%m%d"),
        "endDateInclusive": (date.today() + timedelta(days=7)).strftime("%Y%m%d"),
        "timeTypeCode": "PROVTAGNING",
    }

    def update_allowed_seen(clients: int = 12) -> set[bool]:
        seen: set[bool] = set()
        for _ in range(clients):  # a new client, so a new connection: the kernel deals them to both workers
            r = _client(base, "GetAvailableTimeslots").service.GetAvailableTimeslots(
                _soapheaders={"LogicalAddress": "SE2321000016-A1B2"}, **window
            )
            assert r.resultCode == "OK" and r.timeslot
            seen |= {slot.timeType.updateAppointmentAllowed for slot in r.timeslot}
        return seen

    assert update_allowed_seen() == {False}  # both workers have cached the demo unit's time types
    changed = tmp_path / "clinic.toml"
    demo = DEMO_FILE.read_text(encoding="utf-8")
    block = 'name = "Provtagning"\nupdate_allowed = false\n'
    assert block in demo
    changed.write_text(demo.replace(block, 'name = "Provtagning"\nupdate_allowed = true\n'), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "riv_scheduling.cli", "load", str(changed), "--db", str(store.url)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert update_allowed_seen() == {True}
