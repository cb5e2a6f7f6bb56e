"""``riv-scheduling validate``: recorded SOAP messages against the scheduling 2.0 schemas.

A file holds one message: a whole SOAP 1.1 envelope or a bare body element, a request or a
response of any of the twelve interactions. The interaction is recognised by the namespace and
name of the body element. Every problem is reported with file, line, element path and the
validator's message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from riv_scheduling.conformance import rules
from riv_scheduling.conformance.checks import schema_errors
from riv_scheduling.contract import INTERACTIONS, SCHEDULING_DOMAIN
from riv_scheduling.logs import mask


@dataclass
class Problem:
    line: int | None
    path: str
    message: str


@dataclass
class FileReport:
    path: Path
    valid: bool
    summary: str
    problems: list[Problem] = field(default_factory=list)
    interaction: str | None = None
    direction: str | None = None  # "request" or "response"
    scheduling2: bool = True  # False: not a scheduling 2.0 message at all

    def lines(self) -> list[str]:
        label = "valid" if self.valid else "INVALID" if self.scheduling2 else "NOT A SCHEDULING 2.0 MESSAGE"
        head = f"{self.path}: {label}: {self.summary}"
        out = [head]
        for p in self.problems:
            where = f"{self.path}:{p.line}" if p.line else str(self.path)
            out.append(f"{where}: {p.path}: {p.message}" if p.path else f"{where}: {p.message}")
        return [mask(line) for line in out]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
                           remove_comments=False)


def _path(el: etree._Element) -> str:
    """``/Envelope/Body/MakeAppointment/personId/root``: local names, ``[n]`` among same-named siblings."""
    parts = []
    node: etree._Element | None = el
    while node is not None:
        name = etree.QName(node).localname
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if isinstance(c.tag, str) and c.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/" + "/".join(reversed(parts))


def _error_path(payload: etree._Element, path: str | None) -> str:
    """The validator's XPath as a readable local-name path from the document root.

    The validator gives the path from the validated element (the body element) with the document's
    prefixes, or ``*`` for elements in a default namespace.
    """
    if not path:
        return ""
    namespaces = {k: v for el in payload.getroottree().iter() if isinstance(el.tag, str)
                  for k, v in el.nsmap.items() if k}
    steps = path.lstrip("/").split("/", 1)
    try:
        found = payload.xpath("./" + steps[1], namespaces=namespaces) if len(steps) == 2 else [payload]
    except etree.XPathError:
        return path
    if isinstance(found, list) and len(found) == 1 and isinstance(found[0], etree._Element):
        return _path(found[0])
    return path


def identify(el: etree._Element) -> tuple[str, str] | str:
    """(interaction, "request"/"response") of a body element, or why it is not a 2.0 message."""
    qn = etree.QName(el)
    ns, local = qn.namespace or "", qn.localname
    for i in INTERACTIONS.values():
        if ns == i.responder_ns:
            if local == i.name:
                return i.name, "request"
            if local == f"{i.name}Response":
                return i.name, "response"
            return (f"{local} is not an element of {i.name} {i.version} (expected {i.name} or {i.name}Response "
                    f"in {ns})")
    if ns.startswith(rules.V1_DOMAIN):
        base = local[: -len("Response")] if local.endswith("Response") else local
        successor = rules.V1_TO_V2.get(base)
        hint = (f"; its 2.0 successor is {successor} ({INTERACTIONS[successor].responder_ns})" if successor
                else "; it has no 2.0 successor" if base in rules.V1_TO_V2 else "")
        return (f"{local} in {ns} is a riv.crm.scheduling version 1 message, not "
                f"riv.supportprocess.logistics.scheduling 2.0 (every 2.0 contract is incompatible with v1){hint}")
    if ns.startswith(f"{SCHEDULING_DOMAIN}:"):
        return (f"{local} in {ns} is in the scheduling domain but is no interaction and version of 2.0 "
                "(see TKB 2.0 §7 for the interactions and their versions)")
    return f"the body element {local} in {ns} is not a scheduling 2.0 element" if ns else (
        f"the body element {local} has no namespace; "
        f"scheduling 2.0 elements are in {SCHEDULING_DOMAIN}:<I>Responder:<major>")


def validate_file(path: Path) -> FileReport:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return FileReport(path, False, f"cannot read the file: {exc.strerror or exc}", scheduling2=False)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        return FileReport(path, False, "not well-formed XML",
                          [Problem(exc.lineno, "", exc.msg)], scheduling2=False)
    if root.getroottree().docinfo.internalDTD is not None:
        return FileReport(path, False, "a DTD is not allowed in a SOAP message",
                          [Problem(1, "", "document type declaration")], scheduling2=False)

    envelope = False
    payload = root
    header = None
    if root.tag == f"{{{rules.SOAP12_NS}}}Envelope":
        return FileReport(path, False, "a SOAP 1.2 envelope; RIVTABP21 uses SOAP 1.1",
                          [Problem(root.sourceline, _path(root), f"namespace {rules.SOAP12_NS}")])
    if root.tag == f"{{{rules.SOAP11_NS}}}Envelope":
        envelope = True
        problems: list[Problem] = []
        body = None
        for child in root:
            if not isinstance(child.tag, str):
                continue
            if child.tag == f"{{{rules.SOAP11_NS}}}Header" and header is None and body is None:
                header = child
            elif child.tag == f"{{{rules.SOAP11_NS}}}Body" and body is None:
                body = child
            else:
                problems.append(Problem(child.sourceline, _path(child), "unexpected element in the SOAP Envelope"))
        if body is None:
            return FileReport(path, False, "a SOAP 1.1 Envelope without a Body",
                              problems + [Problem(root.sourceline, _path(root), "no soap:Body")])
        elements = [c for c in body if isinstance(c.tag, str)]
        if len(elements) != 1:
            return FileReport(path, False, "the SOAP Body must hold exactly one element",
                              problems + [Problem(body.sourceline, _path(body), f"{len(elements)} elements")])
        payload = elements[0]
        if payload.tag == f"{{{rules.SOAP11_NS}}}Fault":
            code = (payload.findtext("faultcode") or "").strip()
            text = (payload.findtext("faultstring") or "").strip()
            return FileReport(path, False, f"a SOAP 1.1 Fault ({code}: {text}), not a request or response of a "
                              "scheduling 2.0 interaction", scheduling2=False)
        if problems:
            return FileReport(path, False, "not a well-formed SOAP 1.1 envelope", problems)

    found = identify(payload)
    if isinstance(found, str):
        qn = etree.QName(payload)
        return FileReport(path, False, found,
                          [Problem(payload.sourceline, _path(payload), f"namespace {qn.namespace or '(none)'}")],
                          scheduling2=False)
    name, direction = found
    i = INTERACTIONS[name]
    what = f"{name} {i.version} {direction}" + (" (SOAP envelope)" if envelope else " (body only)")
    problems = [Problem(e.line, _error_path(payload, e.path), e.message) for e in schema_errors(name, payload)]
    if envelope and direction == "request":
        problems += _logical_address(root, header)
    problems.sort(key=lambda p: p.line or 0)
    report = FileReport(path, not problems, what, problems, name, direction)
    if problems:
        report.summary = f"{what}: {len(problems)} problem{'s' if len(problems) != 1 else ''}"
    return report


def _logical_address(root: etree._Element, header: etree._Element | None) -> list[Problem]:
    """RIVTABP21: the request carries the care unit's HSA-id in the LogicalAddress SOAP header."""
    tag = f"{{{rules.LOGICAL_ADDRESS_NS}}}LogicalAddress"
    found = [] if header is None else [c for c in header if c.tag == tag]
    where = header if header is not None else root
    if not found:
        wsa = [] if header is None else [c for c in header if etree.QName(c).localname == "To"]
        hint = " (this looks like RIVTABP20 addressing with wsa:To)" if wsa else ""
        return [Problem(where.sourceline, _path(where),
                        f"the LogicalAddress SOAP header ({tag}) is required by the WSDL (soap:header){hint}")]
    if len(found) > 1:
        return [Problem(found[1].sourceline, _path(found[1]), "more than one LogicalAddress header")]
    if not (found[0].text or "").strip():
        return [Problem(found[0].sourceline, _path(found[0]), "LogicalAddress is empty (the care unit's HSA-id)")]
    return []


def validate_files(paths: list[Path]) -> list[FileReport]:
    return [validate_file(p) for p in paths]
