"""Helpers for the riv.crm.scheduling 1.1 wire tests: zeep clients built from the WSDLs the producer
serves, the Actor header, and a schema check of every response against our 1.1 schemas."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import zeep
from lxml import etree
from zeep.plugins import Plugin

from riv_scheduling.contract.crm_scheduling import CRM_INTERACTIONS
from riv_scheduling.contract.schemas import SCHEMA_DIR
from riv_scheduling.domain import Scheduling

DEMO_UNIT = "SE2321000016-A1B2"
TOLVAN = "191212121212"
SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"


class ValidateResponses(Plugin):
    """Every 1.1 response body must validate against our 1.1 schema (independently of the producer's
    own check)."""

    def __init__(self, schema: etree.XMLSchema) -> None:
        self.schema = schema

    def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> Any:
        payload = envelope.find(f"{SOAP}Body")[0]
        if not payload.tag.endswith("}Fault"):
            assert self.schema.validate(payload), str(self.schema.error_log)
        return envelope, http_headers


def luhn_pnr(prefix11: str) -> str:
    """Complete an 11-digit personnummer (YYYYMMDDNNN) with its check digit."""
    total = 0
    for i, ch in enumerate(prefix11[2:]):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return prefix11 + str((10 - total % 10) % 10)


def actor(pnr: str = TOLVAN, actor_type: str = "subject_of_care") -> dict[str, str]:
    return {"actorId": pnr, "actorType": actor_type}


@dataclass
class CrmWire:
    base_url: str
    scheduling: Scheduling
    store: Any
    clients: dict[str, Any] = field(default_factory=dict)

    def service(self, name: str) -> Any:
        if name not in self.clients:
            i = CRM_INTERACTIONS[name]
            schema = etree.XMLSchema(etree.parse(str(SCHEMA_DIR / i.xsd)))
            client = zeep.Client(f"{self.base_url}{i.path}?wsdl", plugins=[ValidateResponses(schema)])
            self.clients[name] = client.service
        return self.clients[name]

    def call(self, name: str, unit: str = DEMO_UNIT, pnr: str = TOLVAN, actor_type: str = "subject_of_care",
             **body: Any) -> Any:
        op = getattr(self.service(name), name)
        return op(_soapheaders={"LogicalAddress": unit, "actor": actor(pnr, actor_type)}, **body)

    def post(self, path: str, data: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.base_url + path, data=data, method="POST",
            headers={"Content-Type": "text/xml; charset=utf-8", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
