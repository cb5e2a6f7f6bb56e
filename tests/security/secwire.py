"""Helpers for the security tests: a producer on a free port, raw HTTP, request templates.

(Not named conftest.py: tests/soap imports its own ``conftest`` module by name.)
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from lxml import etree

from riv_scheduling.contract import INTERACTIONS
from riv_scheduling.contract.schemas import SCHEMA_DIR
from riv_scheduling.demo import load_demo
from riv_scheduling.domain import (
    ClinicSetup,
    HealthcareFacility,
    Scheduling,
    Timeslot,
    TimeType,
    stockholm_now,
)
from riv_scheduling.server import make_server
from riv_scheduling.soap.app import Producer
from riv_scheduling.soap.handlers import HANDLERS
from riv_scheduling.store import open_store

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
CORE = "urn:riv:supportprocess:logistics:scheduling:2"
REGISTRY = "urn:riv:itintegration:registry:1"
PERSONNUMMER = "1.2.752.129.2.1.3.1"
SAMORDNINGSNUMMER = "1.2.752.129.2.1.3.3"
SNOMED = "1.2.752.116.2.1.1"
UNIT = "SE2321000016-SEC1"
DEMO_UNIT = "SE2321000016-A1B2"
TOLVAN = "191212121212"


def luhn_pnr(prefix11: str) -> str:
    digits = prefix11[2:]
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return prefix11 + str((10 - total % 10) % 10)


# -- request envelopes ------------------------------------------------------------------


def _person(tag: str, pnr: str, root: str = PERSONNUMMER) -> str:
    return f"<r:{tag}><c:root>{root}</c:root><c:extension>{pnr}</c:extension></r:{tag}>"


def _actor(pnr: str, root: str = PERSONNUMMER) -> str:
    return (f"<r:actor><c:actorId><c:root>{root}</c:root><c:extension>{pnr}</c:extension></c:actorId>"
            f"<c:actorType><c:code>116154003</c:code><c:codeSystem>{SNOMED}</c:codeSystem></c:actorType>"
            "</r:actor>")


def request_body(name: str, pnr: str = TOLVAN, slot: str | None = None, appointment: str | None = None,
                 root: str = PERSONNUMMER) -> str:
    """A schema-valid request element (as text) for one interaction."""
    slot = slot or str(uuid.uuid4())
    appointment = appointment or str(uuid.uuid4())
    today = stockholm_now().date()
    start, end = (today + timedelta(days=1)).strftime("%Y%m%d"), (today + timedelta(days=20)).strftime("%Y%m%d")
    a, p = _actor(pnr, root), _person("personId", pnr, root)
    inner = {
        "GetAvailableTimeslots": f"{a}{p}<r:startDateInclusive>{start}</r:startDateInclusive>"
                                 f"<r:endDateInclusive>{end}</r:endDateInclusive>",
        "MakeAppointment": f"{a}{p}<r:timeslotId>{slot}</r:timeslotId><r:reasonText>Ont</r:reasonText>",
        "UpdateAppointment": f"{a}<r:originalAppointmentId>{appointment}</r:originalAppointmentId>"
                             f"<r:timeslotId>{slot}</r:timeslotId>{p}<r:reasonText>Flytt</r:reasonText>",
        "CancelAppointment": f"{a}<r:appointmentId>{appointment}</r:appointmentId>{p}"
                             "<r:reasonText>Frisk</r:reasonText>",
        "GetAppointment": f"{a}<r:appointmentId>{appointment}</r:appointmentId>{p}",
        "GetAppointments": f"{a}{p}",
        "GetAvailableDates": f"{a}{p}<r:startDateInclusive>{start}</r:startDateInclusive>"
                             f"<r:endDateInclusive>{end}</r:endDateInclusive>",
        "GetHealthcareFacility": "",
        "GetHealthcareFacilities": f"{p}",
        "GetTimeTypes": f"{a}{p}",
        "GetPractitioners": f"{a}{p}",
        "ConfirmAppointment": f"{a}<r:appointmentId>{appointment}</r:appointmentId>{p}",
    }[name]
    ns = INTERACTIONS[name].responder_ns
    return f'<r:{name} xmlns:r="{ns}" xmlns:c="{CORE}">{inner}</r:{name}>'


def envelope(body: str, unit: str | None = UNIT, headers: str = "") -> bytes:
    la = f"<itr:LogicalAddress>{unit}</itr:LogicalAddress>" if unit is not None else ""
    return (f'<soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:itr="{REGISTRY}">'
            f"<soapenv:Header>{la}{headers}</soapenv:Header><soapenv:Body>{body}</soapenv:Body>"
            "</soapenv:Envelope>").encode()


SERVED = [name for name in HANDLERS if name in INTERACTIONS]
PATH_OF = {name: INTERACTIONS[name].path for name in SERVED}


# -- answers ----------------------------------------------------------------------------

_schemas: dict[str, etree.XMLSchema] = {}


def schema(name: str) -> etree.XMLSchema:
    if name not in _schemas:
        _schemas[name] = etree.XMLSchema(etree.parse(str(SCHEMA_DIR / INTERACTIONS[name].xsd)))
    return _schemas[name]


def fault_of(status: int, data: bytes) -> tuple[str, str]:
    assert status == 500, (status, data[:300])
    root = etree.fromstring(data)
    fault = root.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    assert fault is not None, data[:300]
    return fault.findtext("faultcode") or "", fault.findtext("faultstring") or ""


def response_of(name: str, status: int, data: bytes) -> etree._Element:
    """The response element of a 200 answer, checked against the Responder XSD."""
    assert status == 200, (status, data[:500])
    payload = etree.fromstring(data).find(f"{{{SOAP}}}Body")[0]
    assert payload.tag == INTERACTIONS[name].response_tag, payload.tag
    assert schema(name).validate(payload), str(schema(name).error_log)
    return payload


# -- the producer -----------------------------------------------------------------------


@dataclass
class Running:
    host: str
    port: int
    setup: ClinicSetup
    store: Any
    scheduling: Scheduling
    producer: Producer

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def post(self, path: str, data: bytes, content_type: str = "text/xml; charset=utf-8",
             headers: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request("POST", path, body=data, headers={"Content-Type": content_type, **(headers or {})})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def raw(self, data: bytes, *, send_all: bool = True, timeout: float = 30) -> tuple[int, bytes]:
        """Send raw bytes (headers and all); the status and body of the answer."""
        with socket.create_connection((self.host, self.port), timeout=timeout) as sock:
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return read_http_response(sock)

    def call(self, name: str, unit: str = UNIT, **kwargs: Any) -> tuple[int, bytes]:
        return self.post(INTERACTIONS[name].path, envelope(request_body(name, **kwargs), unit))

    def make_slot(self, start_in: timedelta | None = None, code: str = "FRI") -> str:
        start = stockholm_now().replace(microsecond=0) + (start_in or timedelta(days=2, minutes=_next()))
        slot = Timeslot(id=uuid.uuid4(), facility_hsa_id=UNIT, time_type_code=code,
                        start=start, end=start + timedelta(minutes=15))
        return str(self.setup.add_timeslot(slot).id)

    def still_serving(self) -> None:
        status, data = self.call("GetAppointments")
        response_of("GetAppointments", status, data)


_counter = iter(range(10**9))


def _next() -> int:
    return 20 * next(_counter)


def read_http_response(sock: socket.socket) -> tuple[int, bytes]:
    """The status and body of the first response on ``sock`` (framed by its Content-Length; bytes the
    client sent after a request's end form a next request, whose answer is not this one)."""
    buf = bytearray()
    while True:
        head, sep, rest = bytes(buf).partition(b"\r\n\r\n")
        if sep:
            length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            if length and len(rest) >= int(length.group(1)):
                return int(head.split(b" ", 2)[1]), rest[: int(length.group(1))]
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        buf += chunk
    head, _, body = bytes(buf).partition(b"\r\n\r\n")
    if not head:
        return 0, b""
    status = int(head.split(b" ", 2)[1])
    return status, body


def world(db: Path) -> tuple[Any, ClinicSetup, Scheduling]:
    store = open_store(f"sqlite:///{db}")
    store.create_schema()
    load_demo(store)
    setup = ClinicSetup(store.uow)
    setup.add_facility(HealthcareFacility(UNIT, "Säkerhetsmottagningen"))
    setup.add_time_type(UNIT, TimeType("FRI", "Fri tid", True, True, timedelta(0), timedelta(0), timedelta(0)))
    return store, setup, Scheduling(store.uow)


@contextmanager
def running(db: Path, **options: Any) -> Iterator[Running]:
    """A producer on a free port. ``options``: Producer keywords, plus ``ssl_context``,
    ``request_timeout`` and ``limits`` for the server and ``wrap`` (a middleware around the producer)."""
    server_options = {k: options.pop(k) for k in ("ssl_context", "request_timeout", "limits") if k in options}
    wrap = options.pop("wrap", lambda app: app)
    store, setup, scheduling = world(db)
    producer = Producer(scheduling, **options)
    server = make_server(wrap(producer), "127.0.0.1", 0, **server_options)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield Running(host, port, setup, store, scheduling, producer)
    finally:
        server.shutdown()
        server.server_close()
        store.dispose()
