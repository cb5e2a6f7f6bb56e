"""`riv-scheduling deliver --once` and `riv-scheduling outbox status|list|retry` from the command line;
listings never show a full identity number."""

from __future__ import annotations

from pathlib import Path

import pytest
from ei_clinic import EIClinic
from ei_receiver import Receiver

from riv_scheduling.cli import build_parser


def main(argv: list[str]) -> int:
    """The command as `riv-scheduling` runs it, without `cli.main`'s logging set-up (which would
    replace the handlers of this test process, the suite's log guard among them)."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))

def test_deliver_once_park_list_retry_and_deliver(
    receiver: Receiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    clinic = EIClinic(url)
    booked = clinic.book(24)
    clinic.close()
    ei = ["--ei-url", receiver.url, "--ei-timeout", "2", "--backoff-base", "0"]  # type: ignore[attr-defined]

    assert main(["outbox", "status", "--db", url]) == 0
    assert capsys.readouterr().out.startswith("depth 1  oldest ")
    receiver.state.down = True
    assert main(["deliver", "--once", "--db", url, "--max-attempts", "1", *ei]) == 1
    assert "failed 1; parked 1" in capsys.readouterr().out
    assert main(["outbox", "list", "--parked", "--db", url]) == 0
    listed = capsys.readouterr().out
    assert f"appointment={booked}" in listed and "person=19121212****" in listed and "PARKED" in listed
    assert "503" in listed and "191212121212" not in listed
    assert main(["deliver", "--once", "--db", url, *ei]) == 0  # parked: nothing is sent
    assert capsys.readouterr().out.startswith("sent 0 in 0 Update call(s)")

    receiver.state.down = False
    assert main(["outbox", "retry", "--db", url]) == 2
    assert main(["outbox", "retry", "--all", "--db", url]) == 0
    assert "re-queued 1 parked entry" in capsys.readouterr().out
    assert main(["deliver", "--once", "--db", url, *ei]) == 0
    assert capsys.readouterr().out.startswith("sent 1 in 1 Update call(s)")
    assert set(receiver.posts_by_booking()) == {str(booked)}
    assert main(["outbox", "status", "--db", url]) == 0
    assert capsys.readouterr().out.startswith("depth 0  oldest -  parked 0")
