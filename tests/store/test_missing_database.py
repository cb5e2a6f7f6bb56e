"""Issue #11: the offline commands never create an empty database where none is, and a database
that is missing or unreachable is one clear line and a non-zero exit (no traceback)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from riv_scheduling.cli import main

COMMANDS = [
    ["units"],
    ["audit", "--person", "191212121212"],
    ["propose", "--unit", "SE2321000016-A1B2", "--person", "191212121212",
     "--timeslot", "7e21f000-0000-4000-8000-000000000000"],
    ["withdraw", "--timeslot", "7e21f000-0000-4000-8000-000000000000"],
    ["assign", "--unit", "SE2321000016-A1B2", "--person", "191212121212", "--time-type", "X"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_an_offline_command_on_a_missing_sqlite_file_creates_nothing(
        command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.db"
    assert main([*command, "--db", f"sqlite:///{missing}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no database at" in err[0] and str(missing) in err[0], err
    assert not missing.exists()


def test_db_status_reports_a_missing_file_without_creating_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.db"
    assert main(["db", "status", "--db", f"sqlite:///{missing}"]) == 1
    assert "missing" in capsys.readouterr().out
    assert not missing.exists()


def test_an_unreachable_database_server_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql+psycopg://nobody@127.0.0.1:{port}/none"
    for command in (["units"], ["serve", "--port", "0"]):
        assert main([*command, "--db", url]) == 2
        err = [line for line in capsys.readouterr().err.strip().splitlines() if "DEVELOPMENT MODE" not in line]
        assert len(err) == 1 and "cannot use the database" in err[0], err
