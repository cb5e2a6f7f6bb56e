"""First free times over ten real producer processes (issue #15): 50 units with different opening
hours, one producer slow by 2 s, one answering faults, one not listening. The fan-out's answer is
checked against the union of the good producers' own answers, asked one unit at a time with zeep."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import zeep
from fleet import DOWN, FAULTY, SERVICE, SLOW, TIME_TYPE, Running, fleet_specs, producers_file, start_all, stop, unit_id

from riv_scheduling.client import Need, Status, book_first, load_producers, search
from riv_scheduling.contract import INTERACTIONS

PNR, OTHER = "191212121212", "198112289874"  # Skatteverket test personnummer
DEADLINE = 1.0  # below the slow producer's 2 s
START = date.today() + timedelta(days=1)
NEED = Need(healthcare_service_code=SERVICE, start=START, days=3)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[Running], Path]]:
    root = tmp_path_factory.mktemp("fleet")
    with start_all(root, fleet_specs()) as running:
        stop(running[DOWN])  # started, then gone: nothing listens on its port any more
        path = root / "producers.toml"
        path.write_text(producers_file(running), encoding="utf-8")
        yield running, path


def own_answers(running: list[Running]) -> list[tuple[datetime, str, str]]:
    """Every good producer's free times, asked unit by unit with zeep (no fan-out code involved)."""
    union = []
    for i, r in enumerate(running):
        if i in (SLOW, FAULTY, DOWN):
            continue
        client = zeep.Client(f"{r.url}{INTERACTIONS['GetAvailableTimeslots'].path}?wsdl")
        for u in range(5):
            found = client.service.GetAvailableTimeslots(
                _soapheaders={"LogicalAddress": unit_id(i, u)}, healthcareServiceCode=SERVICE,
                startDateInclusive=NEED.start.strftime("%Y%m%d"), endDateInclusive=NEED.end.strftime("%Y%m%d"))
            assert found.resultCode == "OK"
            union += [(datetime.strptime(s.startTime, "%Y%m%d%H%M%S"), s.healthcareFacilityHSAId.extension,
                       s.timeslotId) for s in found.timeslot]
    return union


def test_first_free_times_over_ten_producers_with_three_bad_ones(fleet: tuple[list[Running], Path]) -> None:
    running, path = fleet
    producers = load_producers(path)
    assert sum(len(p.units) for p in producers) == 50
    progress: list[tuple[str, Status, int]] = []
    found = asyncio.run(search(producers, NEED, limit=25, deadline=DEADLINE,
                               progress=lambda r, done, total: progress.append((r.name, r.status, done))))

    statuses = {r.name: r.status for r in found.producers}
    names = [r.spec.name for r in running]
    assert statuses[names[SLOW]] is Status.TIMEOUT
    assert statuses[names[FAULTY]] is Status.FAULT
    assert statuses[names[DOWN]] is Status.REFUSED
    assert [n for n, s in statuses.items() if s is Status.ANSWERED] == [
        n for i, n in enumerate(names) if i not in (SLOW, FAULTY, DOWN)]
    faulty = next(r for r in found.producers if r.name == names[FAULTY])
    assert faulty.text and unit_id(FAULTY + 50, 0) in faulty.text  # the fault's own text names the address
    assert found.partial
    assert found.seconds < DEADLINE + 1.0, "the slow producer's deadline bounds the total"
    assert len(progress) == 10 and [d for _, _, d in progress] == list(range(1, 11))

    union = sorted(own_answers(running))
    assert len(union) > 25
    got = [(t.slot.start, t.unit, t.slot.timeslot_id) for t in found.times]
    assert got == [(s, u, i) for s, u, i in union[:25]]
    assert {t.slot.time_type_code for t in found.times} == {TIME_TYPE}
    assert len({t.unit for t in found.times}) > 3  # the times come from many units
    how = found.how_to_book(found.times[0])
    assert how["endpoint"].endswith("/MakeAppointment/2/rivtabp21") and how["logical_address"] == found.times[0].unit


def test_booking_falls_back_when_the_first_time_is_taken_meanwhile(fleet: tuple[list[Running], Path]) -> None:
    _, path = fleet
    found = asyncio.run(search(load_producers(path), NEED, limit=3, deadline=DEADLINE))
    first = found.times[0]
    # Another citizen takes the first time between the search and the booking.
    client = zeep.Client(found.urls[first.producer] + INTERACTIONS["MakeAppointment"].path + "?wsdl")
    person = {"root": "1.2.752.129.2.1.3.1", "extension": OTHER}
    taken = client.service.MakeAppointment(
        _soapheaders={"LogicalAddress": first.unit}, timeslotId=first.slot.timeslot_id, personId=person,
        actor={"actorId": person, "actorType": {"code": "116154003", "codeSystem": "1.2.752.116.2.1.1"}})
    assert taken.resultCode == "OK"
    booked = asyncio.run(book_first(found, PNR))
    assert [a.result_code for a in booked.attempts] == ["REQUESTED_TIME_IS_ALREADY_RESERVED", "OK"]
    assert booked.time == found.times[1] and booked.appointment_id


def run_cli(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "riv_scheduling.cli", "first-free", "--producers", str(path),
         "--deadline", str(DEADLINE), "--from", START.isoformat(), "--days", "3", *args],
        capture_output=True, text=True, timeout=60,
    )


def test_the_command_prints_json_and_a_table_and_books(fleet: tuple[list[Running], Path]) -> None:
    _, path = fleet
    done = run_cli(path, "--care-service", SERVICE, "--limit", "5", "--json")
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["partial"] is True and len(result["times"]) == 5
    assert sorted(p["status"] for p in result["producers"]) == ["answered"] * 7 + ["fault", "refused", "timeout"]
    assert "producers 10/10" in done.stderr  # the progress line
    starts = [t["start"] for t in result["times"]]
    assert starts == sorted(starts)

    table = run_cli(path, "--time-type", TIME_TYPE, "--limit", "3")
    assert table.returncode == 0, table.stderr
    assert "PARTIAL" in table.stdout and "timeout" in table.stdout and "to book the first" in table.stdout

    booked = run_cli(path, "--time-type", TIME_TYPE, "--limit", "3", "--book", "--person", PNR)
    assert booked.returncode == 0, booked.stdout + booked.stderr
    assert "booked for 19121212****" in booked.stdout
    assert PNR not in booked.stdout + booked.stderr
