"""Suite-wide fixtures: the PostgreSQL server (`postgres_url`, see pg_server.py), and a guard that
no log line the test traffic produces holds a full personal identity number.

Every record logged in this process during the whole run (the producers the tests start in
threads, the domain, the store, Spyne, zeep) is formatted with the project's formatter and kept;
at the end the run fails if a line holds a full personnummer or samordningsnummer. Producers
started as subprocesses log to their own streams; tests/security covers those paths directly.
"""

from __future__ import annotations

import io
import logging
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pg_server import ENV, HOW_TO_GET, PostgresServer, PostgresStartFailed, find_bin_dir

from riv_scheduling import logs
from riv_scheduling.contract.personal_identity import is_valid
from riv_scheduling.logs import StructuredFormatter, mask

_STREAM = io.StringIO()
_HANDLER = logging.StreamHandler(_STREAM)
_HANDLER.setFormatter(StructuredFormatter("kv"))
_HANDLER.setLevel(logging.DEBUG)
_FINDINGS: list[str] = []
# 12 digits (optionally YYYYMMDD-NNNN) that form a real personnummer or samordningsnummer.
_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])((?:18|19|20)\d{6})[-+]?(\d{4})(?![0-9A-Za-z])")
_ROOTS = ("1.2.752.129.2.1.3.1", "1.2.752.129.2.1.3.3")


def _identity_numbers(line: str) -> list[str]:
    found = []
    for m in _CANDIDATE.finditer(line):
        number = m.group(1) + m.group(2)
        if any(is_valid(root, number) for root in _ROOTS):
            found.append(number)
    return found


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database the tests may create schemas in: RIV_TEST_POSTGRES_URL, or a throwaway
    server started on first use and stopped at the end of the session (pg_server.py)."""
    given = os.environ.get(ENV, "").strip()
    if given:
        yield given
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        reason = f"no PostgreSQL server binaries on this machine, so the PostgreSQL variant cannot run: {HOW_TO_GET}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}", pytrace=False)
        pytest.skip(reason)
    server = PostgresServer(bin_dir)
    try:
        try:
            server.start()
        except PostgresStartFailed as e:
            pytest.fail(f"could not start a throwaway PostgreSQL server from {bin_dir}: {e}", pytrace=False)
        os.environ[ENV] = server.url  # for processes the tests start
        yield server.url
    finally:
        os.environ.pop(ENV, None)
        server.stop()


@pytest.fixture(autouse=True)
def _capture_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep the capturing handler attached, also when a command under test configures logging, and
    afterwards put the root logger's handlers back as they were.

    A command under test (``riv_scheduling.logs.configure``) replaces the root logger's handlers with
    one on the stream pytest captured for it: the capturing handler is attached again right after, so
    what the command logs is checked too. Left in place, that handler would be written to by a server
    thread after the stream closed (at the end of the run: "--- Logging error ---")."""
    root = logging.getLogger()
    if _HANDLER not in root.handlers:
        root.addHandler(_HANDLER)
    handlers, level = list(root.handlers), root.level
    configure = logs.configure

    def configure_and_keep_capturing(*args: Any, **kwargs: Any) -> None:
        configure(*args, **kwargs)
        root.addHandler(_HANDLER)

    monkeypatch.setattr(logs, "configure", configure_and_keep_capturing)
    project = logging.getLogger("riv_scheduling")
    if project.getEffectiveLevel() > logging.DEBUG:
        project.setLevel(logging.DEBUG)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    logging.getLogger().removeHandler(_HANDLER)
    lines = _STREAM.getvalue().splitlines()
    leaks = [line for line in lines if _identity_numbers(line)]
    if leaks:
        _FINDINGS.append(f"FAILED: {len(leaks)} of {len(lines)} log lines hold a full identity number, "
                         f"the first (masked here): {mask(leaks[0][:300])}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    else:
        _FINDINGS.append(f"no full identity number in any of the {len(lines)} log lines of this run")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _FINDINGS:
        terminalreporter.write_line(f"log guard: {line}")
