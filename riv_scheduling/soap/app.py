"""The producer's WSGI application: HTTP -> envelope validation -> Spyne service -> envelope.

Routes:
- ``POST /<Interaction>/<major>/rivtabp21``: the SOAP endpoint of one interaction.
- ``GET  /<Interaction>/<major>/rivtabp21?wsdl``: its WSDL (the contract's own file).
- ``GET  /schemas/<path>``: the XSDs the WSDL imports.

Hostile input (see docs/security.md): the body is read only up to ``max_body + 1`` bytes
(whatever Content-Length says, and also without one), only ``text/xml`` is taken, the
envelope parser refuses DTDs, non-UTF-8 and oversized trees, and with an ``AccessPolicy`` the
consumer (TLS client certificate, or a trusted platform's original-consumer header) must be
allowed the interaction at the LogicalAddress. Every refusal is a SOAP 1.1 Fault with HTTP
500: the national platform passes a producer's HTTP 500 + SOAP Fault through to the consumer,
while any other status becomes its own generic VP009 and the message is lost.
"""

from __future__ import annotations

import io
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from riv_scheduling.access import ARRIVED_KEY, CLIENT_HSA_ID_KEY, CONSUMER_HSA_ID_KEY, AccessPolicy
from riv_scheduling.contract import INTERACTIONS, Interaction
from riv_scheduling.contract.schemas import SCHEMA_DIR
from riv_scheduling.domain import Scheduling
from riv_scheduling.soap import codec, envelope
from riv_scheduling.soap.handlers import HANDLERS
from riv_scheduling.soap.services import (
    ENVELOPE_KEY,
    LOGICAL_ADDRESS_KEY,
    build_application,
)
from riv_scheduling.soap.validation import SchemaViolation, Validator, strip_extensions
from riv_scheduling.soap.wsdl import SCHEMAS_PREFIX, WsdlPublisher


@dataclass(frozen=True)
class Endpoint:
    """One more interaction to serve, from another adapter (the composition root passes them in:
    riv_scheduling.crm_soap serves riv.crm.scheduling 1.1 this way). ``tolerate`` rewrites a
    request body in place before it is validated (e.g. trims values), or is None. ``address``
    reads the logical address from the envelope where the WS profile does not put it in the
    LogicalAddress header (RIVTABP20: WS-Addressing To), raising EnvelopeError when it is missing;
    None: the LogicalAddress header. ``headers``: the SOAP header elements (Clark names) the
    endpoint reads besides LogicalAddress, so that mustUnderstand="1" on them is honoured."""

    interaction: Interaction
    app: Any
    tolerate: Callable[[etree._Element], None] | None = None
    address: Callable[[etree._Element], str] | None = None
    headers: frozenset[str] = frozenset()


Adapter = Callable[[Scheduling], Iterable[Endpoint]]

DEFAULT_MAX_BODY = 1024 * 1024  # bytes
DEFAULT_READ_TIMEOUT = 60.0  # seconds to receive a whole request body
_READ_CHUNK = 64 * 1024
XML_TYPE = "text/xml; charset=utf-8"

log = logging.getLogger("riv_scheduling.soap")

StartResponse = Callable[..., Any]


class Producer:
    """WSGI application serving the interactions in ``HANDLERS``."""

    def __init__(
        self,
        scheduling: Scheduling,
        schema_dir: Path = SCHEMA_DIR,
        max_body: int = DEFAULT_MAX_BODY,
        validate_responses: bool = True,
        access: AccessPolicy | None = None,
        limits: envelope.Limits = envelope.DEFAULT_LIMITS,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        adapters: Iterable[Adapter] = (),
        deadline: float | None = None,
        call_threads: int = 32,
    ) -> None:
        self.max_body = max_body
        self.deadline = deadline
        self._calls: ThreadPoolExecutor | None = None
        if deadline is not None:
            self._calls = ThreadPoolExecutor(call_threads, thread_name_prefix="riv-call")
        self.access = access
        self.limits = limits
        self.read_timeout = read_timeout
        self.validate_responses = validate_responses
        # Every schema is compiled here, before any server accepts a connection (validation.py).
        self.validator = Validator(schema_dir, [INTERACTIONS[name] for name in HANDLERS])
        self.publisher = WsdlPublisher(schema_dir)
        self.endpoints: dict[str, tuple[Interaction, Any]] = {}
        for name, handler in HANDLERS.items():
            interaction = INTERACTIONS[name]
            app = build_application(interaction, handler, scheduling)
            self.endpoints[interaction.path] = (interaction, app)
        self._tolerate: dict[str, Callable[[etree._Element], None]] = {}
        self._address: dict[str, Callable[[etree._Element], str]] = {}
        self._understood: dict[str, frozenset[str]] = {}
        for adapter in adapters:
            for endpoint in adapter(scheduling):
                path = endpoint.interaction.path
                if path in self.endpoints:
                    raise ValueError(f"two adapters serve {path}")
                self.endpoints[path] = (endpoint.interaction, endpoint.app)
                self.validator.prepare(endpoint.interaction)
                if endpoint.tolerate is not None:
                    self._tolerate[path] = endpoint.tolerate
                if endpoint.address is not None:
                    self._address[path] = endpoint.address
                self._understood[path] = endpoint.headers

    @staticmethod
    def render_fault(code: str, message: str) -> bytes:
        """The one way a fault is built (also for the HTTP server's own refusals)."""
        return envelope.fault(code, message)

    # -- WSGI --------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self._route(environ, start_response)
        except Exception:
            reference = uuid.uuid4()
            log.exception("technical error (reference %s)", reference)
            return self._fault(start_response, "Server", f"Technical error in the producer (reference {reference})")

    def _route(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith(SCHEMAS_PREFIX) and method in ("GET", "HEAD"):
            data = self.publisher.schema_file(path)
            if data is None:
                return self._plain(start_response, "404 Not Found", "No such schema file\n")
            return self._send(start_response, "200 OK", data)
        endpoint = self.endpoints.get(path.rstrip("/"))
        if endpoint is None:
            return self._plain(start_response, "404 Not Found", self._index())
        interaction, app = endpoint
        if method in ("GET", "HEAD"):
            if environ.get("QUERY_STRING", "").lower() == "wsdl":
                wsdl = self.publisher.wsdl(interaction, _base_url(environ))
                return self._send(start_response, "200 OK", wsdl)
            return self._plain(
                start_response, "405 Method Not Allowed",
                f"POST a SOAP 1.1 envelope here, or GET {interaction.path}?wsdl\n",
                [("Allow", "GET, POST")],
            )
        if method != "POST":
            return self._plain(start_response, "405 Method Not Allowed", "Use POST\n",
                               [("Allow", "GET, POST")])
        return self._soap(interaction, app, environ, start_response)

    # -- SOAP --------------------------------------------------------------------------

    def _soap(
        self, interaction: Interaction, app: Any, environ: dict[str, Any],
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        try:
            body = self._read_body(environ)
            env = envelope.parse(body, self.limits, self._understood.get(interaction.path, frozenset()))
            if env.body.tag != interaction.request_tag:
                raise envelope.EnvelopeError(
                    f"This endpoint serves {interaction.request_tag}, not {env.body.tag}"
                )
            address = self._address.get(interaction.path)
            logical_address = address(env.root) if address is not None else env.logical_address
            if not logical_address:
                raise envelope.EnvelopeError(
                    "The LogicalAddress header ({urn:riv:itintegration:registry:1}LogicalAddress)"
                    " is required: the HSA-id of the care unit"
                )
            consumer = self._authorize(interaction, logical_address, environ)
            tolerate = self._tolerate.get(interaction.path)
            if tolerate is not None:
                tolerate(env.body)
            self.validator.validate(interaction, env.body)
        except envelope.EnvelopeError as exc:
            return self._fault(start_response, exc.code, exc.message)
        except SchemaViolation as exc:
            return self._fault(start_response, "Client", str(exc))
        strip_extensions(env.body, interaction.domain)
        inner = dict(environ)
        inner["wsgi.input"] = io.BytesIO(body)
        inner["CONTENT_LENGTH"] = str(len(body))
        inner["CONTENT_TYPE"] = XML_TYPE
        inner[ENVELOPE_KEY] = env.root
        inner[LOGICAL_ADDRESS_KEY] = logical_address
        inner[CONSUMER_HSA_ID_KEY] = consumer
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"] = status

        try:
            out = self._call(lambda: b"".join(app(inner, capture)), environ.get(ARRIVED_KEY))
        except DeadlinePassed as exc:
            log.error("%s not answered within the deadline of %g s from its arrival (reference %s); a call"
                      " that had started goes on in the background until the database answers",
                      interaction.name, self.deadline, exc.reference)
            return self._fault(start_response, "Server",
                               f"The producer could not answer within {self.deadline:g} s"
                               f" (reference {exc.reference})")
        except Exception:
            reference = uuid.uuid4()
            log.exception("technical error in the %s endpoint (reference %s)", interaction.name, reference)
            return self._fault(start_response, "Server", f"Technical error in the producer (reference {reference})")
        status = captured.get("status", "500 Internal Server Error")
        if not status.startswith("200"):
            # A fault Spyne serialized (raised by the handlers, services.py): rebuilt by the one
            # fault function, so every fault on the wire has the same form.
            code, message = _spyne_fault(out)
            return self._fault(start_response, code, message)
        if self.validate_responses:
            problem = self._check_response(interaction, out, inner.get(codec.OUT_DOCUMENT_KEY))
            if problem:
                log.error("invalid %s response withheld: %s", interaction.name, problem)
                return self._fault(start_response, "Server",
                                   "Technical error in the producer: invalid response")
        return self._send(start_response, status, out)

    def _call(self, work: Callable[[], bytes], arrived: float | None = None) -> bytes:
        """``work()``, within the deadline: past it the caller gets ``DeadlinePassed`` and is free
        again while the work, if it started, finishes in the background (a stalled database).

        The deadline counts from ``arrived`` (``time.monotonic()`` when the request had arrived
        whole, from the HTTP server), so a request that waited for a thread behind calls stuck in
        a stalled database is answered in time too; one already past it is never started."""
        if self._calls is None or self.deadline is None:
            return work()
        left = self.deadline if arrived is None else self.deadline - (time.monotonic() - arrived)
        if left <= 0:
            raise DeadlinePassed(uuid.uuid4())
        future: Future[bytes] = self._calls.submit(work)
        try:
            return future.result(timeout=left)
        except FutureTimeout:
            future.cancel()  # never started (every call thread busy): it never will
            raise DeadlinePassed(uuid.uuid4()) from None

    def close(self) -> None:
        """Stop the call threads (waits for none of them)."""
        if self._calls is not None:
            self._calls.shutdown(wait=False, cancel_futures=True)

    def _authorize(self, interaction: Interaction, logical_address: str, environ: dict[str, Any]) -> str | None:
        """The consumer's HSA-id; an EnvelopeError (Client Fault) when the allowlist says no."""
        if self.access is None:
            consumer = environ.get(CLIENT_HSA_ID_KEY)  # TLS without allowlist, or None (open mode)
            environ[CONSUMER_HSA_ID_KEY] = consumer
            return consumer
        decision = self.access.decide(environ, interaction.access_name, logical_address)
        environ[CONSUMER_HSA_ID_KEY] = decision.identity.consumer if decision.allowed else None
        if not decision.allowed:
            log.warning(
                "access refused",
                extra={"consumer": decision.identity.consumer, "tls_client": decision.identity.certificate,
                       "interaction": interaction.access_name,
                       "logical_address": envelope.shorten(logical_address, 64)},
            )
            raise envelope.EnvelopeError(decision.reason)
        return decision.identity.consumer

    def _read_body(self, environ: dict[str, Any]) -> bytes:
        """The request body; never more than ``max_body + 1`` bytes are read from the client."""
        content_type = environ.get("CONTENT_TYPE", "")
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type == "application/soap+xml":
            raise envelope.EnvelopeError(
                "SOAP 1.2 is not supported: RIVTABP21 uses SOAP 1.1 (text/xml)", "VersionMismatch"
            )
        if media_type not in ("text/xml", ""):
            raise envelope.EnvelopeError(
                f"Content-Type {media_type[:80]!r} is not accepted: a SOAP 1.1 request is text/xml; charset=utf-8"
            )
        charset = _charset(content_type)
        if charset not in (None, "utf-8", "utf8"):
            raise envelope.EnvelopeError(f"charset {charset[:40]!r} is not accepted: RIVTABP21 requires UTF-8")
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        declared = environ.get("CONTENT_LENGTH")
        if declared and not chunked:
            try:
                length = int(declared)
            except ValueError:
                raise envelope.EnvelopeError("Invalid Content-Length") from None
            if length < 0:
                raise envelope.EnvelopeError("Invalid Content-Length")
            if length > self.max_body:
                raise envelope.EnvelopeError(f"Request body larger than {self.max_body} bytes")
            want = length
        elif chunked or environ.get("wsgi.input_terminated"):
            want = self.max_body + 1  # read until the end, but no further than one byte past the limit
        else:
            want = 0  # no Content-Length and nothing that ends the input: no body
        data = self._read(environ["wsgi.input"], want)
        if len(data) > self.max_body:
            raise envelope.EnvelopeError(f"Request body larger than {self.max_body} bytes")
        if declared and not chunked and len(data) < want:
            raise envelope.EnvelopeError("The request body is shorter than its Content-Length")
        return data

    def _read(self, stream: Any, want: int) -> bytes:
        out = bytearray()
        deadline = time.monotonic() + self.read_timeout
        try:
            while len(out) < want:
                if time.monotonic() > deadline:
                    raise envelope.EnvelopeError(f"The request body took longer than {self.read_timeout:g} s")
                data = stream.read(min(_READ_CHUNK, want - len(out)))
                if not data:
                    break
                out += data
        except TimeoutError:
            raise envelope.EnvelopeError("Timed out reading the request body") from None
        except ValueError as exc:  # a WSGI server whose input reports broken framing
            raise envelope.EnvelopeError(f"Unreadable request body: {exc}") from None
        return bytes(out)

    def _check_response(self, interaction: Interaction, out: bytes,
                        tree: etree._Element | None = None) -> str | None:
        """Why the response may not be sent (None: it validates). ``tree``: the document the
        bytes were serialized from (no need to parse them again); None for a pre-rendered
        response (soap/render.py), whose bytes are parsed here."""
        try:
            root = tree if tree is not None else envelope.parse_response(out)
            body = root.find(f"{{{envelope.SOAP11_NS}}}Body")
            payload = body[0] if body is not None and len(body) else None
            if payload is None or payload.tag != interaction.response_tag:
                return "no response element"
            self.validator.validate(interaction, payload)
        except (etree.XMLSyntaxError, SchemaViolation) as exc:
            return str(exc)
        return None

    # -- plumbing ----------------------------------------------------------------------

    def _fault(self, start_response: StartResponse, code: str, message: str) -> list[bytes]:
        if code != "Server":  # Server faults are logged where they arise, with their reference
            log.info("fault", extra={"faultcode": code, "faultstring": envelope.shorten(message, 300)})
        return self._send(start_response, "500 Internal Server Error", self.render_fault(code, message))

    @staticmethod
    def _send(start_response: StartResponse, status: str, data: bytes,
              content_type: str = XML_TYPE) -> list[bytes]:
        start_response(status, [("Content-Type", content_type),
                                ("Content-Length", str(len(data)))])
        return [data]

    def _plain(self, start_response: StartResponse, status: str, text: str,
               headers: list[tuple[str, str]] | None = None) -> list[bytes]:
        data = text.encode()
        start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                                ("Content-Length", str(len(data)))] + (headers or []))
        return [data]

    def _index(self) -> str:
        lines = ["riv-scheduling: endpoints (append ?wsdl for the WSDL)"]
        lines += sorted(self.endpoints)
        return "\n".join(lines) + "\n"


def _spyne_fault(data: bytes) -> tuple[str, str]:
    """(faultcode without its prefix, faultstring) of a fault envelope Spyne wrote."""
    try:
        fault = etree.fromstring(data).find(f"{{{envelope.SOAP11_NS}}}Body/{{{envelope.SOAP11_NS}}}Fault")
    except etree.XMLSyntaxError:
        fault = None
    if fault is None:
        log.error("the SOAP runtime answered without a fault: %r", data[:200])
        return "Server", "Technical error in the producer"
    code = (fault.findtext("faultcode") or "Server").rsplit(":", 1)[-1]
    return (code if code in ("Client", "Server") else "Server"), fault.findtext("faultstring") or ""


class DeadlinePassed(Exception):
    def __init__(self, reference: uuid.UUID) -> None:
        super().__init__(str(reference))
        self.reference = reference


def _charset(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _base_url(environ: dict[str, Any]) -> str:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    )
    return f"{scheme}://{host}{environ.get('SCRIPT_NAME', '')}"
