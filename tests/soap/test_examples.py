"""The consumer scripts in examples/ book, rebook and cancel against a running producer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from soapwire import DEMO_UNIT, PERSONS, Wire

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(script: str, wire: Wire, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--url", wire.base_url, "--unit", DEMO_UNIT,
         "--person", PERSONS[30], *args],
        capture_output=True, text=True, timeout=120, cwd=EXAMPLES,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip().splitlines()


def test_book_rebook_and_cancel_scripts(wire: Wire) -> None:
    booked = run("book_first_free_slot.py", wire, "--time-type", "SSKBESOK")
    assert booked[1].startswith("  first:") and "MakeAppointment: OK" in booked[2]
    appointment = booked[-1]
    rebooked = run("rebook.py", wire, "--appointment", appointment)
    assert any(line.startswith("UpdateAppointment: OK") for line in rebooked)
    new_appointment = rebooked[-1]
    assert new_appointment != appointment
    cancelled = run("cancel.py", wire, "--appointment", new_appointment)
    assert cancelled == ["CancelAppointment: OK"]
    again = subprocess.run(
        [sys.executable, str(EXAMPLES / "cancel.py"), "--url", wire.base_url, "--unit", DEMO_UNIT,
         "--person", PERSONS[30], "--appointment", new_appointment],
        capture_output=True, text=True, timeout=120, cwd=EXAMPLES,
    )
    # TKB 2.0 §3.7.4: a repeat says the appointment is already cancelled (the script exits 1 on any refusal).
    assert again.returncode == 1
    assert again.stdout.startswith("CancelAppointment: APPOINTMENT_IS_ALREADY_CANCELED")
