"""No full personal identity number in any log line: real wire traffic for every served interaction
(and faults, a traceback, SQL parameters, request lines) with everything logged at DEBUG."""

from __future__ import annotations

import io
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
import zeep
from secwire import (
    SAMORDNINGSNUMMER,
    SERVED,
    UNIT,
    envelope,
    fault_of,
    luhn_pnr,
    request_body,
    response_of,
    running,
)

from riv_scheduling.contract import INTERACTIONS
from riv_scheduling.logs import StructuredFormatter

PERSONNUMMER_IDS = [luhn_pnr(f"19840312{n:03d}") for n in (123, 456)]
SAMORDNINGSNUMMER_IDS = [luhn_pnr("19840372987")]
ALL_IDS = PERSONNUMMER_IDS + SAMORDNINGSNUMMER_IDS
LOUD = ["", "riv_scheduling", "spyne", "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "zeep",
        "urllib3", "py.warnings"]


def forms(number: str) -> list[str]:
    """The full number as a 12-digit, 10-digit and separated string."""
    return [number, number[2:], f"{number[2:8]}-{number[8:]}", f"{number[:8]}-{number[8:]}",
            f"{number[2:8]}+{number[8:]}"]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(StructuredFormatter("kv"))
    handler.setLevel(logging.DEBUG)
    saved = {name: logging.getLogger(name).level for name in LOUD}
    root = logging.getLogger()
    root.addHandler(handler)
    for name in LOUD:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def test_no_identity_number_in_any_log_line(captured: io.StringIO, tmp_path: Path,
                                            capfd: pytest.CaptureFixture[str]) -> None:
    with running(tmp_path / "p.db") as p:
        zeep_client = zeep.Client(f"{p.base_url}{INTERACTIONS['MakeAppointment'].path}?wsdl")
        for number in ALL_IDS:
            root = SAMORDNINGSNUMMER if number in SAMORDNINGSNUMMER_IDS else "1.2.752.129.2.1.3.1"
            ident = {"root": root, "extension": number}
            # zeep logs the envelopes it sends and receives at DEBUG.
            made = zeep_client.service.MakeAppointment(
                _soapheaders={"LogicalAddress": UNIT}, personId=ident, timeslotId=p.make_slot(),
                actor={"actorId": ident, "actorType": {"code": "116154003", "codeSystem": "1.2.752.116.2.1.1"}})
            assert made.resultCode == "OK", made.resultText
            for name in SERVED:
                kw = {"appointment": made.appointmentId, "slot": p.make_slot()}
                status, data = p.post(INTERACTIONS[name].path, envelope(request_body(name, number, root=root, **kw)))
                response_of(name, status, data)
            # Faults: an unknown unit, a schema violation, malformed XML, a body for another endpoint.
            body = request_body("GetAppointments", number, root=root)
            fault_of(*p.post(INTERACTIONS["GetAppointments"].path, envelope(body, "SE2321000016-NONE")))
            fault_of(*p.post(INTERACTIONS["GetAppointments"].path,
                             envelope(body.replace(f"<c:root>{root}</c:root>", "<c:root>9.9.9</c:root>"))))
            fault_of(*p.post(INTERACTIONS["GetAppointments"].path, envelope(body)[:-30]))
            fault_of(*p.post(INTERACTIONS["MakeAppointment"].path, envelope(body)))
            # The request line: the number in the path and the query.
            for path in (f"/{number}?person={number[2:8]}-{number[8:]}", f"/GetAppointments/2/rivtabp21?{number}"):
                try:
                    urllib.request.urlopen(p.base_url + path, timeout=10)
                except urllib.error.HTTPError:
                    pass
        # A technical error whose exception (and so its traceback) carries a number.
        def broken(*args: object, **kwargs: object) -> object:
            raise RuntimeError(f"lookup failed for {ALL_IDS[0]} / {ALL_IDS[0][2:]}")

        p.scheduling.reading.appointments = broken  # type: ignore[method-assign]
        code, text = fault_of(*p.call("GetAppointments", pnr=ALL_IDS[0]))
        assert code.endswith(":Server") and ALL_IDS[0] not in text

    # SQL parameters, on an engine that does not hide them.
    engine = sqlalchemy.create_engine("sqlite://", echo=False, hide_parameters=False)
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text("SELECT :a, :b"), {"a": ALL_IDS[1], "b": f"{ALL_IDS[1][2:8]}-{ALL_IDS[1][8:]}"})
    engine.dispose()

    lines = captured.getvalue().splitlines()
    assert len(lines) > 200, "expected DEBUG traffic from spyne, sqlalchemy, zeep and the producer"
    text_all = "\n".join(lines)
    for logger in ("riv_scheduling.http", "riv_scheduling.soap", "spyne", "sqlalchemy.engine", "zeep"):
        assert f"logger={logger}" in text_all, f"nothing logged by {logger}"
    assert "exc=" in text_all and "Traceback" in text_all, "the traceback was not logged"
    assert "19840312****" in text_all, "the numbers never reached the log (masking untested)"
    leaks = [(line, form) for line in lines for n in ALL_IDS for form in forms(n) if form in line]
    assert not leaks, f"{len(leaks)} lines with an identity number, e.g. {leaks[0]}"
    # Nothing went around the logging system (wsgiref/socketserver print to stderr by default).
    out, err = capfd.readouterr()
    for n in ALL_IDS:
        for form in forms(n):
            assert form not in out and form not in err
