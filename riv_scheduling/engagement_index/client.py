"""Sending one Update to the EI endpoint over HTTP(S), with the client certificate for mutual TLS."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from riv_scheduling.contract.engagement_index import NATIONAL_EI_LOGICAL_ADDRESS, UPDATE_SOAP_ACTION
from riv_scheduling.domain.engagement_index import EngagementTransaction

from .update_request import UpdateOutcome, parse_response, update_envelope

MAX_RESPONSE = 1024 * 1024


@dataclass(frozen=True)
class EndpointConfig:
    """Where and how Update is sent (`riv-scheduling deliver` options; docs/engagement-index.md)."""

    url: str
    logical_address: str = NATIONAL_EI_LOGICAL_ADDRESS  # the EI's owner (TKB 2.0 §3.4; confirm in TAK)
    client_cert: str | None = None  # PEM; with client_key: mutual TLS to the platform
    client_key: str | None = None
    ca_file: str | None = None  # CAs that sign the endpoint's certificate (default: the system's)
    timeout: float = 30.0  # seconds: connecting, and each wait for the answer


class DeliveryError(Exception):
    """The Update did not reach the EI or was not answered (retry later)."""


class UpdateClient:
    def __init__(self, config: EndpointConfig) -> None:
        self.config = config
        self._context: ssl.SSLContext | None = None
        if config.url.lower().startswith("https:"):
            context = ssl.create_default_context(cafile=config.ca_file)
            if config.client_cert:
                context.load_cert_chain(config.client_cert, config.client_key)
            self._context = context

    def update(self, transactions: Sequence[EngagementTransaction]) -> UpdateOutcome:
        """Send one Update; the EI's answer (accepted, a logical error or a fault), or DeliveryError."""
        body = update_envelope(transactions, self.config.logical_address)
        request = urllib.request.Request(
            self.config.url,
            data=body,
            method="POST",
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{UPDATE_SOAP_ACTION}"'},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout, context=self._context) as response:
                answer = response.read(MAX_RESPONSE)
        except urllib.error.HTTPError as exc:  # a SOAP fault comes with HTTP 500
            answer = exc.read(MAX_RESPONSE)
            try:
                outcome = parse_response(answer)
            except ValueError:
                raise DeliveryError(f"HTTP {exc.code} {exc.reason}") from None
            return outcome
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"{type(exc).__name__}: {reason}") from None
        try:
            return parse_response(answer)
        except ValueError as exc:
            raise DeliveryError(f"unreadable answer: {exc}") from None
