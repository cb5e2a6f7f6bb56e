"""`kill -9` of the deliverer in the middle of a batch, three times: afterwards every change is in
the receiver (duplicates allowed), nothing out of order per appointment, and the receiver holds
exactly the posts of the bookings that are still active."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ei_clinic import CITIZEN, NORR, EIClinic, person_no
from ei_receiver import Receiver

from riv_scheduling.domain import to_local
from riv_scheduling.store import outbox

SERVICE = ("riv:supportprocess:logistics:scheduling", "NA")


@pytest.fixture
def clinic(db_url: str) -> Iterator[EIClinic]:
    c = EIClinic(db_url)
    yield c
    c.close()


def as_received(entry: outbox.OutboxEntry) -> tuple[bool, tuple[str, ...], str | None]:
    t, k = entry.transaction, entry.transaction.key
    key = (
        k.registered_resident_identification, *SERVICE, k.logical_address,
        k.business_object_instance_identifier, "NA", k.source_system, k.data_controller,
    )
    content = to_local(t.most_recent_content).strftime("%Y%m%d%H%M%S") if t.most_recent_content else None
    return t.delete_flag, key, content


def deliverer(db_url: str, receiver_url: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "riv_scheduling.cli", "deliver", "--db", db_url, "--ei-url", receiver_url,
         "--batch-size", "25", "--ei-timeout", "1", "--lease", "1", "--backoff-base", "0.2", "--sweep-every", "3600"],
        stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )


def test_kill_9_mid_batch_three_times_loses_nothing_and_keeps_the_order(
    clinic: EIClinic, receiver: Receiver, db_url: str, tmp_path: Path
) -> None:
    active: set[str] = set()
    for n in range(150):
        booked = clinic.book(24 + n, person=person_no(n))
        active.add(str(booked))
        if n % 3 == 1:  # rebooked: delete + add
            new = clinic.scheduling.rebooking.update_appointment(
                NORR, CITIZEN, person_no(n), booked, clinic.slot(500 + n).id
            ).id
            active -= {str(booked)}
            active.add(str(new))
            if n % 6 == 1:  # and cancelled
                clinic.scheduling.cancellation.cancel_appointment(NORR, CITIZEN, person_no(n), new)
                active.discard(str(new))
        elif n % 3 == 2:  # proposed and confirmed: add + update
            proposed = clinic.setup.propose_appointment(NORR, person_no(n), clinic.slot(900 + n).id).id
            clinic.now = clinic.now.replace(second=(clinic.now.second + 1) % 60)
            clinic.scheduling.confirmation.confirm_appointment(NORR, CITIZEN, person_no(n), proposed)
            active.add(str(proposed))
    sequence: dict[str, list[tuple[bool, tuple[str, ...], str | None]]] = {}
    for entry in outbox.entries(clinic.store, limit=10_000):
        sequence.setdefault(str(entry.appointment_id), []).append(as_received(entry))
    total = sum(len(s) for s in sequence.values())
    assert total > 300

    receiver.state.delay_s = 0.15
    log = tmp_path / "deliver.log"
    kills = 0
    while kills < 3:
        proc = deliverer(db_url, receiver.url, log)  # type: ignore[attr-defined]
        deadline = time.monotonic() + 30
        seen = len(receiver.state.received)
        # Mid-batch: after a batch or more went through, while a request is being answered.
        while not (receiver.state.in_flight and len(receiver.state.received) > seen + 25):
            assert time.monotonic() < deadline, log.read_text()
            assert proc.poll() is None, log.read_text()
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += 1
    receiver.state.delay_s = 0.0
    proc = deliverer(db_url, receiver.url, log)  # type: ignore[attr-defined]
    try:
        deadline = time.monotonic() + 60
        while outbox.status(clinic.store).depth:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)

    assert receiver.state.refused == []
    # Each kill hit a batch the receiver had recorded but not answered: it was sent again.
    assert len(receiver.state.received) >= total + 3
    received: dict[str, list[tuple[bool, tuple[str, ...], str | None]]] = {}
    for r in receiver.state.received:
        received.setdefault(r.booking_id, []).append((r.delete, r.key, r.most_recent_content))
    assert set(received) == set(sequence)
    for booking, expected in sequence.items():
        got = received[booking]
        positions = [expected.index(t) for t in got]  # every one received was recorded ...
        assert positions == sorted(positions), f"out of order for {booking}: {positions}"
        assert set(positions) == set(range(len(expected)))  # ... and every one recorded was received
    assert set(receiver.posts_by_booking()) == active
