"""Suite-wide guard: no full personal identity number in any log line the test traffic produces.

Every record logged in this process during the whole run (the producers the tests start in
threads, the domain, the store, Spyne, zeep) is formatted with the project's formatter and kept;
at the end the run fails if a line holds a full personnummer or samordningsnummer. Producers
started as subprocesses log to their own streams; tests/security covers those paths directly.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator

import pytest

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


@pytest.fixture(autouse=True)
def _capture_logs() -> Iterator[None]:
    """Keep the capturing handler attached (a command under test may reconfigure logging)."""
    root = logging.getLogger()
    if _HANDLER not in root.handlers:
        root.addHandler(_HANDLER)
    project = logging.getLogger("riv_scheduling")
    if project.getEffectiveLevel() > logging.DEBUG:
        project.setLevel(logging.DEBUG)
    yield


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
