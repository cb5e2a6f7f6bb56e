"""examples/crm_booking.py books, lists, rebooks and cancels through riv.crm.scheduling 1.1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from crmwire import DEMO_UNIT, CrmWire, luhn_pnr

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PERSON = luhn_pnr("19121212300")


def run(crm: CrmWire, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "crm_booking.py"), *args, "--url", crm.base_url, "--unit", DEMO_UNIT,
         "--person", PERSON],
        capture_output=True, text=True, timeout=120, cwd=EXAMPLES,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip().splitlines()


def test_book_list_rebook_cancel(crm: CrmWire) -> None:
    booked = run(crm, "book", "--time-type", "SSKBESOK")
    assert booked[0].startswith("MakeBooking: OK") or booked[0].startswith("MakeBooking: INFO")
    booking = booked[-1]
    assert any(line.startswith(booking) for line in run(crm, "list"))
    rebooked = run(crm, "rebook", "--booking", booking)
    assert rebooked[-1].startswith(("UpdateBooking: OK", "UpdateBooking: INFO"))
    assert any(line.startswith(booking) for line in run(crm, "list"))  # the same id after the rebooking
    assert run(crm, "cancel", "--booking", booking, "--message", "Kan inte komma") == ["CancelBooking: OK"]
    assert not any(line.startswith(booking) for line in run(crm, "list"))
