"""Talking to the producer under test: zeep clients from OUR WSDLs, raw posts, WSDL fetches.

Every exchange is recorded byte for byte (request and response), whatever happens: the checks
and the reports work on these bytes, never on zeep's reading of them.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
import zeep
import zeep.exceptions
from lxml import etree
from zeep.transports import Transport

from riv_scheduling.conformance import contracts, rules
from riv_scheduling.contract.schemas import SCHEMA_DIR

# Faults that mean "this producer (or the platform in front of it) does not serve this contract".
# VP004 / VP007 are the national platform's (TKB 2.0 §3.1, §4.3); the others are wordings
# of common SOAP stacks.
NOT_SERVED_FAULTS = (
    r"\bVP004\b",
    r"\bVP007\b",
    r"not (?:be )?(?:supported|implemented|served)",
    r"\bunsupported (?:operation|interaction|contract|service)",
    r"no such (?:operation|endpoint|service)",
    r"\bunknown (?:operation|endpoint|service)\b",
)


@dataclass
class Exchange:
    """One HTTP exchange with the producer."""

    kind: str  # "call", "raw", "wsdl"
    interaction: str
    method: str
    url: str
    request: bytes = b""
    request_headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    content_type: str = ""
    response: bytes = b""
    error: str = ""  # transport error (no HTTP answer), or zeep could not build the request
    client_note: str = ""  # what zeep said about the answer (informative only)
    seconds: float = 0.0
    sent: bool = False

    @property
    def answered(self) -> bool:
        return self.status is not None

    def envelope(self) -> etree._Element | None:
        """The response parsed as XML, or None."""
        if not self.response:
            return None
        try:
            return etree.fromstring(self.response, _parser())
        except etree.XMLSyntaxError:
            return None

    def body_element(self) -> etree._Element | None:
        """The single element of the SOAP 1.1 Body (response or Fault), or None."""
        root = self.envelope()
        if root is None or root.tag != f"{{{rules.SOAP11_NS}}}Envelope":
            return None
        body = root.find(f"{{{rules.SOAP11_NS}}}Body")
        if body is None:
            return None
        children = [c for c in body if isinstance(c.tag, str)]
        return children[0] if len(children) == 1 else None

    def fault(self) -> tuple[str, str] | None:
        """(faultcode, faultstring) if the answer is a SOAP 1.1 Fault."""
        el = self.body_element()
        if el is None or el.tag != f"{{{rules.SOAP11_NS}}}Fault":
            return None
        return (el.findtext("faultcode") or "").strip(), (el.findtext("faultstring") or "").strip()

    def payload(self, interaction: str) -> etree._Element | None:
        """The response element (any namespace) if the body holds one that is not a Fault."""
        el = self.body_element()
        if el is None or el.tag == f"{{{rules.SOAP11_NS}}}Fault":
            return None
        return el


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


class _RecordingTransport(Transport):
    """zeep's transport, keeping the bytes of what was posted and what came back."""

    def __init__(self, session: requests.Session, timeout: float) -> None:
        super().__init__(session=session, timeout=timeout, operation_timeout=timeout)
        self.current: Exchange | None = None

    def post(self, address: str, message: Any, headers: dict[str, str]) -> requests.Response:
        ex = self.current
        data = message if isinstance(message, bytes) else str(message).encode()
        if ex is not None:
            ex.url = address
            ex.request = data
            ex.request_headers = dict(headers)
            ex.sent = True
        started = time.monotonic()
        try:
            response = super().post(address, message, headers)
        except requests.RequestException as exc:
            if ex is not None:
                ex.error = f"no answer from {address}: {exc}"
                ex.seconds = time.monotonic() - started
            raise
        if ex is not None:
            ex.status = response.status_code
            ex.content_type = response.headers.get("Content-Type", "")
            ex.response = response.content
            ex.seconds = time.monotonic() - started
        return response


class Connection:
    """The producer at ``base_url``; one zeep client per interaction, built from ``schemas/``."""

    def __init__(
        self,
        base_url: str,
        timeout: float = 30.0,
        cert: str | tuple[str, str] | None = None,
        verify: bool | str = True,
        not_served_faults: tuple[str, ...] = NOT_SERVED_FAULTS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.verify = verify
        if cert:
            self.session.cert = cert
        self.transport = _RecordingTransport(self.session, timeout)
        self._services: dict[str, Any] = {}
        self._clients: dict[str, Any] = {}
        self.not_served_faults = [re.compile(p, re.IGNORECASE) for p in not_served_faults]

    def url(self, interaction: str) -> str:
        return self.base_url + contracts.interaction(interaction).path

    def _service(self, interaction: str) -> Any:
        key = f"{contracts.current()}:{interaction}"  # GetAvailableDates is in both generations
        service = self._services.get(key)
        if service is None:
            i = contracts.interaction(interaction)
            client = zeep.Client(str(SCHEMA_DIR / i.wsdl), transport=self.transport)
            binding = f"{{{i.wsdl_ns}}}{i.name}ResponderBinding"
            service = self._services[key] = client.create_service(binding, self.url(interaction))
            self._clients[key] = client
        return service

    def concurrent(self, interaction: str, prepared: list[tuple[str | None, dict[str, Any]]]) -> list[Exchange]:
        """Send one request per (LogicalAddress, values) at the same moment, each on its own
        connection, released together by a barrier (so the producer sees them in parallel)."""
        i = contracts.interaction(interaction)
        service = self._service(interaction)
        client = self._clients[f"{contracts.current()}:{interaction}"]
        exchanges = []
        for la, request in prepared:
            ex = Exchange("call", interaction, "POST", self.url(interaction))
            try:
                headers = {"LogicalAddress": la} if la is not None else None
                message = client.create_message(service, interaction, _soapheaders=headers, **request)
                ex.request = etree.tostring(message, xml_declaration=True, encoding="UTF-8")
            except Exception as exc:  # noqa: BLE001 - zeep raises many kinds; all are reported
                ex.error = f"zeep could not build the request from the scenario: {type(exc).__name__}: {exc}"
            ex.request_headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{i.soap_action}"'}
            exchanges.append(ex)
        barrier = threading.Barrier(len(exchanges))

        def post(ex: Exchange) -> None:
            with requests.Session() as session:
                session.verify = self.session.verify
                session.cert = self.session.cert
                try:
                    barrier.wait(timeout=self.timeout)
                except threading.BrokenBarrierError:
                    pass
                if ex.error:
                    return
                self._http(ex, lambda: session.post(ex.url, data=ex.request, headers=ex.request_headers,
                                                    timeout=self.timeout))

        threads = [threading.Thread(target=post, args=(ex,), daemon=True) for ex in exchanges]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return exchanges

    def call(self, interaction: str, logical_address: str | None, request: dict[str, Any]) -> Exchange:
        """Send ``request`` (element values) with zeep, as a consumer built from the contract would."""
        ex = Exchange("call", interaction, "POST", self.url(interaction))
        self.transport.current = ex
        try:
            op = getattr(self._service(interaction), interaction)
            body = dict(request)
            headers = {part: body.pop(part) for part in contracts.header_parts() if part in body}
            if logical_address is not None:
                headers["LogicalAddress"] = logical_address
            op(_soapheaders=headers or None, **body)
        except zeep.exceptions.Fault as exc:
            ex.client_note = f"zeep: SOAP Fault {exc.code}: {exc.message}"
        except requests.RequestException:
            pass  # recorded by the transport
        except Exception as exc:  # noqa: BLE001 - zeep raises many kinds; all are reported
            if not ex.sent:
                ex.error = f"zeep could not build the request from the scenario: {type(exc).__name__}: {exc}"
            else:
                ex.client_note = f"zeep could not read the answer: {type(exc).__name__}: {exc}"
        finally:
            self.transport.current = None
        return ex

    def raw(self, interaction: str, data: bytes, content_type: str) -> Exchange:
        """POST bytes as they are (for requests a correct client would never send)."""
        i = contracts.interaction(interaction)
        headers = {"Content-Type": content_type, "SOAPAction": f'"{i.soap_action}"'}
        ex = Exchange("raw", interaction, "POST", self.url(interaction), request=data, request_headers=headers)
        self._http(ex, lambda: self.session.post(ex.url, data=data, headers=headers, timeout=self.timeout))
        return ex

    def wsdl(self, interaction: str, timeout: float | None = None) -> Exchange:
        ex = Exchange("wsdl", interaction, "GET", self.url(interaction) + "?wsdl")
        self._http(ex, lambda: self.session.get(ex.url, timeout=timeout or self.timeout))
        return ex

    def _http(self, ex: Exchange, send: Any) -> None:
        started = time.monotonic()
        ex.sent = True
        try:
            response = send()
        except requests.RequestException as exc:
            ex.error = f"no answer from {ex.url}: {exc}"
        else:
            ex.status = response.status_code
            ex.content_type = response.headers.get("Content-Type", "")
            ex.response = response.content
        ex.seconds = time.monotonic() - started

    def not_served(self, ex: Exchange) -> str | None:
        """Why this answer means the interaction is not served here, or None."""
        if ex.status == 404:
            return f"HTTP 404 from {ex.url}"
        fault = ex.fault()
        if fault is not None:
            code, text = fault
            if any(p.search(text) for p in self.not_served_faults):
                return f"SOAP Fault {code}: {text}"
        return None

    def close(self) -> None:
        self.session.close()
