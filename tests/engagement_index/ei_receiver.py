"""A real EI Update receiver for the tests: a SOAP endpoint on a free loopback port.

Every request is validated against the OFFICIAL EI schemas (../shared or $RIV_SHARED_DIR; the tests
skip where they are absent) and the official schematron's rules (no creationTime/updateTime/owner,
no empty field, no mostRecentContent on a delete, at most 1000 transactions), and, as the national
EI does (skltp/ei), refused with a SOAP fault for a duplicate key in one request (EI002) or a wrong
LogicalAddress (EI003). It keeps the posts as EI would: per request all deletes, then all saves
(RULES.md §7), keyed by the case-exact concatenation of the key fields. Every transaction received
is recorded in arrival order.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from lxml import etree

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("RIV_SHARED_DIR") or REPO.parent / "shared")
OFFICIAL = SHARED / "spec" / "engagementindex" / "official" / "riv.itintegration.engagementindex" / "schemas"
UPDATE_XSD = OFFICIAL / "interactions" / "UpdateInteraction" / "UpdateResponder_1.0.xsd"
REGISTRY_XSD = OFFICIAL / "core_components" / "itintegration_registry_1.0.xsd"
NO_SCHEMAS = f"the official EI schemas are not at {OFFICIAL} (../shared or RIV_SHARED_DIR): no real EI receiver"

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
UPD = "urn:riv:itintegration:engagementindex:UpdateResponder:1"
EI = "urn:riv:itintegration:engagementindex:1"
REG = "urn:riv:itintegration:registry:1"
KEY_FIELDS = (
    "registeredResidentIdentification", "serviceDomain", "categorization", "logicalAddress",
    "businessObjectInstanceIdentifier", "clinicalProcessInterestId", "sourceSystem", "dataController",
)


@dataclass(frozen=True)
class Received:
    delete: bool
    key: tuple[str, ...]  # KEY_FIELDS' values
    most_recent_content: str | None

    @property
    def booking_id(self) -> str:
        return self.key[4]


@dataclass
class ReceiverState:
    posts: dict[tuple[str, ...], str] = field(default_factory=dict)  # key -> mostRecentContent
    received: list[Received] = field(default_factory=list)
    requests: int = 0
    refused: list[str] = field(default_factory=list)  # why requests were refused (faults)
    down: bool = False  # answer 503 to everything
    delay_s: float = 0.0  # before answering (after recording)
    in_flight: int = 0  # requests recorded and not yet answered
    refuse_bookings: set[str] = field(default_factory=set)  # a fault for any request naming one
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class _Threading(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def _fault(code: str, text: str) -> bytes:
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP}"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>soapenv:Server</faultcode><faultstring>{code}: {text}</faultstring>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    ).encode()


def _ok() -> bytes:
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP}"><soapenv:Body>'
        f'<upd:UpdateResponse xmlns:upd="{UPD}"><upd:ResultCode>OK</upd:ResultCode></upd:UpdateResponse>'
        "</soapenv:Body></soapenv:Envelope>"
    ).encode()


class Receiver:
    def __init__(self, logical_address: str = "5565594230") -> None:
        self.logical_address = logical_address
        self.state = ReceiverState()
        self.update_schema = etree.XMLSchema(etree.parse(str(UPDATE_XSD)))
        self.registry_schema = etree.XMLSchema(etree.parse(str(REGISTRY_XSD)))
        self._server: WSGIServer | None = None

    # -- the checks --------------------------------------------------------------------------
    def _check(self, envelope: etree._Element) -> tuple[list[Received], str | None]:
        header = envelope.find(f"{{{SOAP}}}Header")
        address = header.find(f"{{{REG}}}LogicalAddress") if header is not None else None
        if address is None:
            return [], "EI003: no LogicalAddress"
        self.registry_schema.assertValid(etree.ElementTree(address))
        if address.text != self.logical_address:
            return [], f"EI003: LogicalAddress {address.text!r} is not this EI"
        update = envelope.find(f"{{{SOAP}}}Body/{{{UPD}}}Update")
        if update is None:
            return [], "no Update in the body"
        if not self.update_schema.validate(etree.ElementTree(update)):
            return [], f"EI001 schema: {self.update_schema.error_log.last_error}"
        out: list[Received] = []
        transactions = update.findall(f"{{{UPD}}}engagementTransaction")
        if not 1 <= len(transactions) <= 1000:
            return [], f"EI000: {len(transactions)} transactions"
        for tx in transactions:
            delete = tx.findtext(f"{{{EI}}}deleteFlag") in ("true", "1")
            engagement = tx.find(f"{{{EI}}}engagement")
            assert engagement is not None
            for child in engagement:
                name = etree.QName(child).localname
                if name in ("creationTime", "updateTime", "owner"):
                    return [], f"schematron: {name} must not be sent"
                if not (child.text or "").strip() or child.text != child.text.strip():
                    return [], f"EI004: {name} empty or with surrounding whitespace"
            content = engagement.findtext(f"{{{EI}}}mostRecentContent")
            if delete and content is not None:
                return [], "schematron: mostRecentContent on a delete"
            if not delete and content is None:
                return [], "an add without mostRecentContent"
            key = tuple(engagement.findtext(f"{{{EI}}}{f}") or "" for f in KEY_FIELDS)
            out.append(Received(delete, key, content))
        if len({r.key for r in out}) != len(out):
            return [], "EI002: two transactions with the same key"
        if any(r.booking_id in self.state.refuse_bookings for r in out):
            return [], "EI004: refused by the test"
        return out, None

    # -- WSGI ---------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        state = self.state
        if state.down:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"down"]
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size)
        try:
            received, refusal = self._check(etree.fromstring(body))
        except Exception as exc:  # not XML, header invalid
            received, refusal = [], f"invalid request: {exc}"
        with state.lock:
            state.requests += 1
            if refusal is not None:
                state.refused.append(refusal)
            else:
                state.received.extend(received)
                for r in received:  # skltp/ei: all deletes before all saves
                    if r.delete:
                        state.posts.pop(r.key, None)
                for r in received:
                    if not r.delete:
                        state.posts[r.key] = r.most_recent_content or ""
            state.in_flight += 1
        try:
            if state.delay_s:
                time.sleep(state.delay_s)
        finally:
            with state.lock:
                state.in_flight -= 1
        if refusal is not None:
            start_response("500 Internal Server Error", [("Content-Type", "text/xml; charset=utf-8")])
            return [_fault(*refusal.split(": ", 1)) if ": " in refusal else _fault("EI", refusal)]
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
        return [_ok()]

    def start(self, tls: Any = None) -> str:
        """Serve on a free loopback port; `tls`: an ssl.SSLContext (server side) for https."""
        self._server = make_server("127.0.0.1", 0, self, server_class=_Threading, handler_class=_Quiet)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        scheme = "https" if tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_port}/vp/itintegration/engagementindex/Update/1/rivtabp21"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def posts_by_booking(self) -> dict[str, tuple[str, ...]]:
        with self.state.lock:
            return {key[4]: key for key in self.state.posts}
