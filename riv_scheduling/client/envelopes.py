"""The SOAP 1.1 messages the client sends to a 2.0 producer, and reading the answers (lxml).

Answers are read by element name within the contract's namespaces only where they matter, so a
producer that adds extension elements is still understood.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

from riv_scheduling.contract import (
    CITIZEN_ACTOR_CODE,
    CORE_NS,
    INTERACTIONS,
    LOGICAL_ADDRESS_NS,
    SNOMED_CT_OID,
    SOAP11_NS,
)
from riv_scheduling.contract.personal_identity import root_of

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class SoapFault(Exception):
    """The producer answered a SOAP Fault (or something that is no SOAP answer at all)."""


@dataclass(frozen=True)
class Slot:
    """A free timeslot as GetAvailableTimeslots gave it (core:TimeslotType, the parts we use)."""

    timeslot_id: str
    unit: str
    start: datetime  # Swedish local time, naive, as on the wire
    end: datetime | None
    time_type_code: str  # core:TimeTypeType carries no name on the wire


@dataclass(frozen=True)
class Answer:
    result_code: str
    result_text: str | None
    body: etree._Element


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def request(interaction: str, logical_address: str, fields: list[tuple[str, object]]) -> bytes:
    """An envelope; `fields` in schema order, values str or a dict of core-namespace children."""
    i = INTERACTIONS[interaction]
    envelope = etree.Element(f"{{{SOAP11_NS}}}Envelope", nsmap={"soapenv": SOAP11_NS})
    header = _sub(envelope, f"{{{SOAP11_NS}}}Header")
    _sub(header, f"{{{LOGICAL_ADDRESS_NS}}}LogicalAddress", logical_address)
    body = etree.SubElement(_sub(envelope, f"{{{SOAP11_NS}}}Body"), i.request_tag,
                            nsmap={"ns": i.responder_ns, "core": CORE_NS})
    for name, value in fields:
        _add(body, f"{{{i.responder_ns}}}{name}", value)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _add(parent: etree._Element, tag: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, dict):
        element = _sub(parent, tag)
        for name, child in value.items():
            _add(element, f"{{{CORE_NS}}}{name}", child)
    else:
        _sub(parent, tag, str(value))


def wire_date(day: date) -> str:
    return day.strftime("%Y%m%d")


def person(pnr: str) -> dict[str, str]:
    return {"root": root_of(pnr), "extension": pnr}


def citizen(pnr: str) -> dict[str, object]:
    return {"actorId": person(pnr), "actorType": {"code": CITIZEN_ACTOR_CODE, "codeSystem": SNOMED_CT_OID}}


def answer(interaction: str, status: int, content: bytes) -> Answer:
    """The response element's result, or SoapFault with the fault's text."""
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError:
        raise SoapFault(f"HTTP {status}: not a SOAP answer") from None
    body = root.find(f"{{{SOAP11_NS}}}Body")
    payload = body[0] if body is not None and len(body) else None
    if payload is None:
        raise SoapFault(f"HTTP {status}: empty SOAP body")
    if payload.tag == f"{{{SOAP11_NS}}}Fault":
        raise SoapFault((payload.findtext("faultstring") or "SOAP Fault").strip())
    i = INTERACTIONS[interaction]
    if payload.tag != i.response_tag:
        raise SoapFault(f"HTTP {status}: unexpected answer {etree.QName(payload).localname}")
    r = f"{{{i.responder_ns}}}"
    return Answer(payload.findtext(f"{r}resultCode") or "", payload.findtext(f"{r}resultText"), payload)


def _ts(text: str | None) -> datetime | None:
    return datetime.strptime(text.strip(), "%Y%m%d%H%M%S") if text else None


def slots(found: Answer) -> list[Slot]:
    i = INTERACTIONS["GetAvailableTimeslots"]
    r, c = f"{{{i.responder_ns}}}", f"{{{CORE_NS}}}"
    out = []
    for t in found.body.iterfind(f"{r}timeslot"):
        start = _ts(t.findtext(f"{c}startTime"))
        if start is None:
            continue
        out.append(Slot(
            timeslot_id=(t.findtext(f"{c}timeslotId") or "").strip(),
            unit=(t.findtext(f"{c}healthcareFacilityHSAId/{c}extension") or "").strip(),
            start=start,
            end=_ts(t.findtext(f"{c}endTime")),
            time_type_code=(t.findtext(f"{c}timeType/{c}code") or "").strip(),
        ))
    return out


def facilities(found: Answer) -> list[str]:
    i = INTERACTIONS["GetHealthcareFacilities"]
    r, c = f"{{{i.responder_ns}}}", f"{{{CORE_NS}}}"
    return [(f.findtext(f"{c}HSAId/{c}extension") or "").strip() for f in found.body.iterfind(f"{r}healthcareFacility")]


def appointment_id(made: Answer) -> str | None:
    r = f"{{{INTERACTIONS['MakeAppointment'].responder_ns}}}"
    return made.body.findtext(f"{r}appointmentId")
