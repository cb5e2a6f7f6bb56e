"""The producer's WSGI application: HTTP -> envelope validation -> Spyne service -> envelope.

Routes:
- ``POST /<Interaction>/<major>/rivtabp21``: the SOAP endpoint of one interaction.
- ``GET  /<Interaction>/<major>/rivtabp21?wsdl``: its WSDL (the contract's own file).
- ``GET  /schemas/<path>``: the XSDs the WSDL imports.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from lxml import etree

from riv_scheduling.domain import Scheduling
from riv_scheduling.schemas import SCHEMA_DIR
from riv_scheduling.soap import envelope
from riv_scheduling.soap.handlers import HANDLERS
from riv_scheduling.soap.interactions import INTERACTIONS, Interaction
from riv_scheduling.soap.services import (
    ENVELOPE_KEY,
    LOGICAL_ADDRESS_KEY,
    build_application,
)
from riv_scheduling.soap.validation import SchemaViolation, Validator, strip_extensions
from riv_scheduling.soap.wsdl import SCHEMAS_PREFIX, WsdlPublisher

DEFAULT_MAX_BODY = 1024 * 1024  # bytes
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
    ) -> None:
        self.max_body = max_body
        self.validate_responses = validate_responses
        self.validator = Validator(schema_dir)
        self.publisher = WsdlPublisher(schema_dir)
        self.endpoints: dict[str, tuple[Interaction, Any]] = {}
        for name, handler in HANDLERS.items():
            interaction = INTERACTIONS[name]
            app = build_application(interaction, handler, scheduling)
            self.endpoints[interaction.path] = (interaction, app)

    # -- WSGI --------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
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
            env = envelope.parse(body)
            if env.body.tag != interaction.request_tag:
                raise envelope.EnvelopeError(
                    f"This endpoint serves {interaction.request_tag}, not {env.body.tag}"
                )
            if not env.logical_address:
                raise envelope.EnvelopeError(
                    "The LogicalAddress header ({urn:riv:itintegration:registry:1}LogicalAddress)"
                    " is required: the HSA-id of the care unit"
                )
            self.validator.validate(interaction, env.body)
        except envelope.EnvelopeError as exc:
            return self._fault(start_response, exc.code, exc.message)
        except SchemaViolation as exc:
            return self._fault(start_response, "Client", str(exc))
        strip_extensions(env.body)
        inner = dict(environ)
        inner["wsgi.input"] = io.BytesIO(body)
        inner["CONTENT_LENGTH"] = str(len(body))
        inner["CONTENT_TYPE"] = XML_TYPE
        inner[ENVELOPE_KEY] = env.root
        inner[LOGICAL_ADDRESS_KEY] = env.logical_address
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"] = status

        try:
            out = b"".join(app(inner, capture))
        except Exception:
            log.exception("technical error in the %s endpoint", interaction.name)
            return self._fault(start_response, "Server", "Technical error in the producer")
        status = captured.get("status", "500 Internal Server Error")
        if status.startswith("200") and self.validate_responses:
            problem = self._check_response(interaction, out)
            if problem:
                log.error("invalid %s response withheld: %s", interaction.name, problem)
                return self._fault(start_response, "Server",
                                   "Technical error in the producer: invalid response")
        return self._send(start_response, status, out)

    def _read_body(self, environ: dict[str, Any]) -> bytes:
        content_type = environ.get("CONTENT_TYPE", "")
        if "application/soap+xml" in content_type:
            raise envelope.EnvelopeError(
                "SOAP 1.2 is not supported: RIVTABP21 uses SOAP 1.1 (text/xml)", "VersionMismatch"
            )
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise envelope.EnvelopeError("Invalid Content-Length") from None
        if length > self.max_body:
            raise envelope.EnvelopeError(f"Request body larger than {self.max_body} bytes")
        data = environ["wsgi.input"].read(length) if length > 0 else b""
        return data

    def _check_response(self, interaction: Interaction, out: bytes) -> str | None:
        try:
            root = etree.fromstring(out)
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
        return self._send(start_response, "500 Internal Server Error", envelope.fault(code, message))

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


def _base_url(environ: dict[str, Any]) -> str:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    )
    return f"{scheme}://{host}{environ.get('SCRIPT_NAME', '')}"
