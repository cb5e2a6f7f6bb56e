"""Issue #11, item 4: no fault and no log line carries more than a few hundred characters of a
client's input. A 65,000-character LogicalAddress (inside the 64 KiB value limit) and other long
values go to every served interaction; the longest run of the client's filler in any answer or
log line is measured."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from secwire import SERVED, UNIT, envelope, fault_of, request_body, running

from riv_scheduling.contract import INTERACTIONS
from riv_scheduling.logs import StructuredFormatter

ECHO_BOUND = 400  # characters of client input in one fault or log line
FILLER = "Q"


def longest_run(text: str) -> int:
    return max((len(m) for m in re.findall(f"{FILLER}+", text)), default=0)


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(StructuredFormatter("kv"))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_65000_character_input_is_echoed_at_most_a_few_hundred_characters(
        tmp_path: Path, log_lines: io.StringIO) -> None:
    big = "SE" + FILLER * 65_000
    with running(tmp_path / "p.db") as p:
        cases = []
        for name in SERVED:
            path = INTERACTIONS[name].path
            cases.append((name, "LogicalAddress", p.post(path, envelope(request_body(name), big))))
        body = request_body("GetAppointments").replace("<r:personId><c:root>1.2.752.129.2.1.3.1</c:root>",
                                                       f"<r:personId><c:root>{FILLER * 60_000}</c:root>")
        cases.append(("GetAppointments", "personId root", p.post(INTERACTIONS["GetAppointments"].path,
                                                                envelope(body, UNIT))))
        tag = f"<x{FILLER * 60_000}/>"
        cases.append(("GetAppointments", "element name", p.post(INTERACTIONS["GetAppointments"].path,
                                                                envelope(tag, UNIT))))
        cases.append(("GetAppointments", "content type", p.post(INTERACTIONS["GetAppointments"].path,
                                                                envelope(request_body("GetAppointments")),
                                                                content_type="text/" + FILLER * 8000)))
        for name, what, (status, data) in cases:
            _, text = fault_of(status, data)
            assert longest_run(data.decode()) <= ECHO_BOUND, f"{name}, long {what}: {len(data)} bytes of fault"
            assert len(data) < 3000, f"{name}, long {what}: a fault of {len(data)} bytes"
            assert text
        p.still_serving()
    lines = log_lines.getvalue().splitlines()
    assert lines
    worst = max(lines, key=longest_run)
    assert longest_run(worst) <= ECHO_BOUND, f"a log line quotes {longest_run(worst)} characters: {worst[:200]}"
    assert max(map(len, lines)) < 20_000
