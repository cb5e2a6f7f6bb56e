"""The EI Update request and response (UpdateResponder_1.0.xsd, UpdateInteraction_1.0_RIVTABP21.wsdl).

Element order is the schema's xs:sequence; creationTime, updateTime and owner are never sent
(EI-TKB "Update / Fältregler": "Dessa ska inte användas i denna interaktion"); a delete carries no
mostRecentContent (TKB 2.0 §3.5.10).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from riv_scheduling.contract import SOAP11_NS
from riv_scheduling.contract.engagement_index import (
    CATEGORIZATION,
    CLINICAL_PROCESS_INTEREST_ID,
    ENGAGEMENT_INDEX_NS,
    MAX_TRANSACTIONS_PER_UPDATE,
    REGISTRY_NS,
    RESULT_ERROR,
    SERVICE_DOMAIN,
    TIMESTAMP_FORMAT,
    UPDATE_RESPONDER_NS,
)
from riv_scheduling.domain import to_local
from riv_scheduling.domain.engagement_index import EngagementTransaction

_NSMAP = {"soapenv": SOAP11_NS, "itr": REGISTRY_NS, "upd": UPDATE_RESPONDER_NS, "ei": ENGAGEMENT_INDEX_NS}


def _ei(parent: etree._Element, name: str, text: str) -> None:
    etree.SubElement(parent, f"{{{ENGAGEMENT_INDEX_NS}}}{name}").text = text


def timestamp(value: datetime) -> str:
    """TS: YYYYMMDDhhmmss in Swedish local time (EI-TKB "Tidszon för tidpunkter")."""
    return to_local(value).strftime(TIMESTAMP_FORMAT)


def update_body(transactions: Sequence[EngagementTransaction]) -> etree._Element:
    """The <Update> element for 1..1000 transactions with distinct keys (EI-TKB kR1, kR3)."""
    if not 1 <= len(transactions) <= MAX_TRANSACTIONS_PER_UPDATE:
        raise ValueError(f"an Update carries 1 to {MAX_TRANSACTIONS_PER_UPDATE} transactions, not {len(transactions)}")
    if len({t.key for t in transactions}) != len(transactions):
        raise ValueError("two transactions with the same key in one Update (EI-TKB kR1)")
    nsmap = {"upd": UPDATE_RESPONDER_NS, "ei": ENGAGEMENT_INDEX_NS}
    update = etree.Element(f"{{{UPDATE_RESPONDER_NS}}}Update", nsmap=nsmap)
    for t in transactions:
        tx = etree.SubElement(update, f"{{{UPDATE_RESPONDER_NS}}}engagementTransaction")
        _ei(tx, "deleteFlag", "true" if t.delete_flag else "false")
        engagement = etree.SubElement(tx, f"{{{ENGAGEMENT_INDEX_NS}}}engagement")
        k = t.key
        _ei(engagement, "registeredResidentIdentification", k.registered_resident_identification)
        _ei(engagement, "serviceDomain", SERVICE_DOMAIN)
        _ei(engagement, "categorization", CATEGORIZATION)
        _ei(engagement, "logicalAddress", k.logical_address)
        _ei(engagement, "businessObjectInstanceIdentifier", k.business_object_instance_identifier)
        _ei(engagement, "clinicalProcessInterestId", CLINICAL_PROCESS_INTEREST_ID)
        if t.most_recent_content is not None:
            _ei(engagement, "mostRecentContent", timestamp(t.most_recent_content))
        _ei(engagement, "sourceSystem", k.source_system)
        _ei(engagement, "dataController", k.data_controller)
    return update


def update_envelope(transactions: Sequence[EngagementTransaction], logical_address: str) -> bytes:
    """The SOAP 1.1 request: <LogicalAddress> of the EI (its owner's organisation number) in the header."""
    envelope = etree.Element(f"{{{SOAP11_NS}}}Envelope", nsmap=_NSMAP)
    header = etree.SubElement(envelope, f"{{{SOAP11_NS}}}Header")
    etree.SubElement(header, f"{{{REGISTRY_NS}}}LogicalAddress").text = logical_address
    body = etree.SubElement(envelope, f"{{{SOAP11_NS}}}Body")
    body.append(update_body(transactions))
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


@dataclass(frozen=True)
class UpdateOutcome:
    """What the EI answered: ResultCode OK/INFO (accepted), ERROR (a logical error, with its
    comment), or a SOAP fault (`fault` set: a technical error, EI-TKB "Felhantering")."""

    result_code: str | None
    comment: str | None = None
    fault: str | None = None

    @property
    def accepted(self) -> bool:
        return self.fault is None and self.result_code is not None and self.result_code != RESULT_ERROR

    def describe(self) -> str:
        if self.fault is not None:
            return f"SOAP fault: {self.fault}"
        return f"ResultCode {self.result_code}" + (f": {self.comment}" if self.comment else "")


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_response(body: bytes) -> UpdateOutcome:
    """UpdateResponse or a SOAP fault; anything else raises ValueError."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not XML: {exc}") from None
    fault = root.find(f".//{{{SOAP11_NS}}}Fault")
    if fault is not None:
        code = fault.findtext("faultcode") or ""
        text = fault.findtext("faultstring") or ""
        return UpdateOutcome(None, fault=f"{code} {text}".strip()[:500])
    response = root.find(f".//{{{UPDATE_RESPONDER_NS}}}UpdateResponse")
    if response is None:
        raise ValueError("neither an UpdateResponse nor a SOAP fault")
    code = response.findtext(f"{{{UPDATE_RESPONDER_NS}}}ResultCode")
    if code is None:  # elementFormDefault may differ between EI versions: accept it unqualified
        code = response.findtext("ResultCode")
    comment = response.findtext(f"{{{UPDATE_RESPONDER_NS}}}comment") or response.findtext("comment")
    if code is None:
        raise ValueError("UpdateResponse without ResultCode")
    return UpdateOutcome(code.strip(), comment)
