"""Defensive parsing of incoming SOAP 1.1 envelopes and building of SOAP Faults.

No DTDs, no entity expansion, no network access, bounded size: whatever arrives on the
port is either a well-formed SOAP 1.1 envelope with one body element or a Client Fault.

Checks, cheapest first (see docs/security.md):
1. bytes: UTF-8 only (no BOM other than UTF-8's, no NUL, strict decoding, an XML declaration
   may only name UTF-8), no ``<!DOCTYPE``/``<!ENTITY`` anywhere, and at most about
   ``2 * max_elements`` markup starts (a count of ``<`` bytes, before any tree is built);
2. lxml with DTD loading, entity resolution and network access off and ``huge_tree=False``
   (libxml2 refuses documents deeper than 256 levels and text nodes over 10 MB itself);
3. the tree: depth, element count, SOAP header children, attributes per element and the
   length of every text and attribute value are bounded by ``Limits``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from lxml import etree

from riv_scheduling.contract import LOGICAL_ADDRESS_NS, SOAP11_NS

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


_parsers = threading.local()


def parse_response(data: bytes) -> etree._Element:
    """A response envelope this producer wrote, parsed again to validate it: the same hardened
    options, one parser per thread (lxml makes the threads that share a parser take turns)."""
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = _parser()
    return etree.fromstring(data, parser)


@dataclass(frozen=True)
class Limits:
    """Bounds on an incoming envelope (a real request: some 10-100 elements, depth under 10)."""

    max_depth: int = 64
    max_elements: int = 5_000
    max_header_elements: int = 64
    max_attributes: int = 32  # per element
    max_value: int = 64 * 1024  # characters in one text node or attribute value


DEFAULT_LIMITS = Limits()

_XML_DECL_ENCODING = re.compile(rb"""\A\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']{0,40})["']""")
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


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


def parse(data: bytes, limits: Limits = DEFAULT_LIMITS, understood: frozenset[str] = frozenset()) -> Envelope:
    """Parse and check a SOAP 1.1 request envelope."""
    if not data.strip():
        raise EnvelopeError("Empty request body: a SOAP 1.1 envelope is required")
    _check_bytes(data, limits)
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
        raise EnvelopeError(f"Root element must be {{{SOAP11_NS}}}Envelope, not {_shorten(str(root.tag))}")
    _check_tree(root, limits)
    header = body_el = None
    for child in root:
        if child.tag == f"{{{SOAP11_NS}}}Header" and header is None and body_el is None:
            header = child
        elif child.tag == f"{{{SOAP11_NS}}}Body" and body_el is None:
            body_el = child
        else:
            raise EnvelopeError(f"Unexpected element {_shorten(str(child.tag))} in the SOAP Envelope")
    if body_el is None:
        raise EnvelopeError("The SOAP Envelope has no Body")
    payload = [c for c in body_el if isinstance(c.tag, str)]
    if len(payload) != 1:
        raise EnvelopeError(f"The SOAP Body must hold exactly one element, found {len(payload)}")
    logical_address = None
    if header is not None:
        if len(header) > limits.max_header_elements:
            raise EnvelopeError(
                f"Too many SOAP header elements: {len(header)} (at most {limits.max_header_elements})"
            )
        _must_understand(header, understood)
        found = [c for c in header if c.tag == LOGICAL_ADDRESS_TAG]
        if len(found) > 1:
            raise EnvelopeError("More than one LogicalAddress header")
        if found:
            logical_address = (found[0].text or "").strip()
    return Envelope(root, payload[0], logical_address)


_MUST_UNDERSTAND = f"{{{SOAP11_NS}}}mustUnderstand"
_ACTOR = f"{{{SOAP11_NS}}}actor"
_NEXT = "http://schemas.xmlsoap.org/soap/actor/next"


def _must_understand(header: etree._Element, understood: frozenset[str]) -> None:
    """SOAP 1.1 §4.2.3: a header entry for us with mustUnderstand="1" that we do not understand
    (anything but LogicalAddress and the endpoint's own ``understood`` headers, such as the
    riv.crm.scheduling Actor or WS-Addressing To) is a MustUnderstand fault, before anything is processed."""
    for entry in header:
        if not isinstance(entry.tag, str) or entry.tag == LOGICAL_ADDRESS_TAG or entry.tag in understood:
            continue
        if entry.get(_ACTOR, _NEXT) != _NEXT:  # meant for another SOAP node (§4.2.2)
            continue
        if (entry.get(_MUST_UNDERSTAND) or "").strip() in ("1", "true"):
            raise EnvelopeError(
                f"SOAP header {_shorten(str(entry.tag))} has mustUnderstand=\"1\" and is not understood",
                "MustUnderstand",
            )


def _check_bytes(data: bytes, limits: Limits) -> None:
    """Refusals that need no parser: encoding, DTDs, an upper bound of the element count."""
    if data.startswith(_UTF16_32_BOMS) or b"\x00" in data:
        raise EnvelopeError("The request body must be UTF-8 (found UTF-16/32 or NUL bytes)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EnvelopeError(f"The request body is not valid UTF-8 (byte {exc.start})") from None
    head = data[len(_UTF8_BOM):] if data.startswith(_UTF8_BOM) else data
    declared = _XML_DECL_ENCODING.match(head[:200])
    if declared and declared.group(1).decode("ascii", "replace").lower() not in ("utf-8", "utf8"):
        raise EnvelopeError(
            f"The XML declaration names encoding {declared.group(1).decode('ascii', 'replace')!r};"
            " RIVTABP21 requires UTF-8"
        )
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise EnvelopeError("Document type declarations (DTDs) and entity declarations are not allowed")
    # Every element needs a '<' (two unless empty): a cheap bound before any tree is built.
    if data.count(b"<") > 2 * limits.max_elements + 2:
        raise EnvelopeError(f"Too many elements: more than {limits.max_elements}")


def _check_tree(root: etree._Element, limits: Limits) -> None:
    depth = count = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if event == "end":
            depth -= 1
            continue
        depth += 1
        count += 1
        if depth > limits.max_depth:
            raise EnvelopeError(f"The XML is nested too deeply: more than {limits.max_depth} levels")
        if count > limits.max_elements:
            raise EnvelopeError(f"Too many elements: more than {limits.max_elements}")
        if len(el.attrib) > limits.max_attributes:
            raise EnvelopeError(f"Too many attributes on one element: more than {limits.max_attributes}")
        if (el.text and len(el.text) > limits.max_value) or (el.tail and len(el.tail) > limits.max_value):
            raise EnvelopeError(f"A text value is longer than {limits.max_value} characters")
        for value in el.attrib.values():
            if len(value) > limits.max_value:
                raise EnvelopeError(f"An attribute value is longer than {limits.max_value} characters")


MAX_FAULT_TEXT = 1000  # characters of a faultstring (client input quoted in it: at most a few hundred)


def shorten(text: str, size: int = 200) -> str:
    """``text``, cut to ``size`` characters (saying how long it was): client input echoed in a fault or
    a log line is always bounded."""
    return text if len(text) <= size else f"{text[:size]}... ({len(text)} characters)"


_shorten = shorten


_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def fault(code: str, message: str) -> bytes:
    """A SOAP 1.1 Fault envelope (faultcode ``soap:<code>``)."""
    env = etree.Element(f"{{{SOAP11_NS}}}Envelope", nsmap={"soap": SOAP11_NS})
    body = etree.SubElement(env, f"{{{SOAP11_NS}}}Body")
    f = etree.SubElement(body, f"{{{SOAP11_NS}}}Fault")
    etree.SubElement(f, "faultcode").text = f"soap:{code}"
    etree.SubElement(f, "faultstring").text = _NOT_XML_CHAR.sub("?", shorten(message, MAX_FAULT_TEXT))
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")
