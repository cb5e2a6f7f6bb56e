"""Defensive parsing of incoming SOAP 1.1 envelopes and building of SOAP Faults.

No DTDs, no entity expansion, no network access, bounded size: whatever arrives on the
port is either a well-formed SOAP 1.1 envelope with one body element or a Client Fault.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from riv_scheduling.soap.interactions import LOGICAL_ADDRESS_NS

SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
LOGICAL_ADDRESS_TAG = f"{{{LOGICAL_ADDRESS_NS}}}LogicalAddress"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


class EnvelopeError(Exception):
    """A request that cannot be processed; becomes a SOAP Fault."""

    def __init__(self, message: str, code: str = "Client") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Envelope:
    root: etree._Element
    body: etree._Element  # the single child of soap:Body
    logical_address: str | None


def parse(data: bytes) -> Envelope:
    """Parse and check a SOAP 1.1 request envelope."""
    if not data.strip():
        raise EnvelopeError("Empty request body: a SOAP 1.1 envelope is required")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise EnvelopeError(f"Malformed XML: {exc}") from None
    doc = root.getroottree().docinfo
    if doc.doctype or doc.internalDTD is not None:
        raise EnvelopeError("Document type declarations (DTDs) are not allowed")
    if root.tag == f"{{{SOAP12_NS}}}Envelope":
        raise EnvelopeError("SOAP 1.2 is not supported: RIVTABP21 uses SOAP 1.1", "VersionMismatch")
    if root.tag != f"{{{SOAP11_NS}}}Envelope":
        raise EnvelopeError(f"Root element must be {{{SOAP11_NS}}}Envelope, not {root.tag}")
    header = body_el = None
    for child in root:
        if child.tag == f"{{{SOAP11_NS}}}Header" and header is None and body_el is None:
            header = child
        elif child.tag == f"{{{SOAP11_NS}}}Body" and body_el is None:
            body_el = child
        else:
            raise EnvelopeError(f"Unexpected element {child.tag} in the SOAP Envelope")
    if body_el is None:
        raise EnvelopeError("The SOAP Envelope has no Body")
    payload = [c for c in body_el if isinstance(c.tag, str)]
    if len(payload) != 1:
        raise EnvelopeError(f"The SOAP Body must hold exactly one element, found {len(payload)}")
    logical_address = None
    if header is not None:
        found = [c for c in header if c.tag == LOGICAL_ADDRESS_TAG]
        if len(found) > 1:
            raise EnvelopeError("More than one LogicalAddress header")
        if found:
            logical_address = (found[0].text or "").strip()
    return Envelope(root, payload[0], logical_address)


def fault(code: str, message: str) -> bytes:
    """A SOAP 1.1 Fault envelope (faultcode ``soap:<code>``)."""
    env = etree.Element(f"{{{SOAP11_NS}}}Envelope", nsmap={"soap": SOAP11_NS})
    body = etree.SubElement(env, f"{{{SOAP11_NS}}}Body")
    f = etree.SubElement(body, f"{{{SOAP11_NS}}}Fault")
    etree.SubElement(f, "faultcode").text = f"soap:{code}"
    etree.SubElement(f, "faultstring").text = message
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")
