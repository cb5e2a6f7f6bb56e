"""The checks themselves: the automatic ones every exchange gets, and the scenario assertions."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from riv_scheduling.conformance import contracts, rules
from riv_scheduling.conformance.client import Exchange
from riv_scheduling.conformance.expressions import parse_path, same, select, text_of
from riv_scheduling.conformance.scenario import Check
from riv_scheduling.contract import CORE_NS
from riv_scheduling.contract.schemas import SCHEMA_DIR

PASS, FAIL = "pass", "fail"
MAX_LISTED = 5


@dataclass(frozen=True)
class Verdict:
    status: str  # "pass" or "fail"
    message: str


def ok(message: str) -> Verdict:
    return Verdict(PASS, message)


def bad(message: str) -> Verdict:
    return Verdict(FAIL, message)


# -- schemas -----------------------------------------------------------------------------

_local = threading.local()


def schema(interaction: str) -> etree.XMLSchema:
    """The Responder XSD of an interaction from OUR schemas/ (one instance per thread)."""
    cache: dict[str, etree.XMLSchema] = _local.__dict__.setdefault("schemas", {})
    key = contracts.interaction(interaction).xsd.as_posix()  # GetAvailableDates is in both generations
    if key not in cache:
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        doc = etree.parse(str(SCHEMA_DIR / key), parser)
        cache[key] = etree.XMLSchema(doc)
    return cache[key]


def schema_errors(interaction: str, element: etree._Element) -> list[etree._LogEntry]:
    s = schema(interaction)
    if s.validate(element):
        return []
    return list(s.error_log)


def _no_answer(ex: Exchange) -> Verdict | None:
    if not ex.answered:
        return bad(ex.error or "no answer")
    return None


def _describe_fault(ex: Exchange) -> str:
    fault = ex.fault()
    if fault is None:
        return ""
    return f"SOAP Fault {fault[0]}: {fault[1]}"


def _not_a_response(ex: Exchange, interaction: str) -> Verdict | None:
    """Why there is no response element to check, or None."""
    problem = _no_answer(ex)
    if problem:
        return problem
    fault = _describe_fault(ex)
    if fault:
        return bad(f"HTTP {ex.status} with a {fault}, not a {interaction}Response")
    root = ex.envelope()
    if root is None:
        return bad(f"HTTP {ex.status}, {ex.content_type or 'no content type'}: the answer is not XML")
    if root.tag != f"{{{rules.SOAP11_NS}}}Envelope":
        return bad(f"the answer's root element is {root.tag}, not a SOAP 1.1 Envelope ({{{rules.SOAP11_NS}}}Envelope)")
    if ex.body_element() is None:
        return bad("the SOAP Body does not hold exactly one element")
    return None


def schema_valid(interaction: str, ex: Exchange) -> Verdict:
    """HTTP 200, a SOAP 1.1 envelope, one {tns}<I>Response body element, valid against our XSD."""
    problem = _not_a_response(ex, interaction)
    if problem:
        return problem
    i = contracts.interaction(interaction)
    payload = ex.body_element()
    assert payload is not None
    problems = []
    if ex.status != 200:
        problems.append(f"HTTP status {ex.status}, expected 200 for a normal response")
    if payload.tag != i.response_tag:
        problems.append(f"the body element is {payload.tag}, expected {i.response_tag}")
    else:
        for e in schema_errors(interaction, payload)[:MAX_LISTED]:
            problems.append(f"line {e.line}: {e.path}: {e.message}")
    if problems:
        return bad("; ".join(problems))
    return ok(f"valid {i.xsd.name} response ({len(ex.response)} bytes)")


def namespaces(interaction: str, ex: Exchange) -> Verdict:
    """SOAP 1.1 envelope; response element and its children in tns; domain-type content in core."""
    problem = _not_a_response(ex, interaction)
    if problem:
        return problem
    i = contracts.interaction(interaction)
    payload = ex.body_element()
    assert payload is not None
    problems: list[str] = []
    qn = etree.QName(payload)
    if qn.namespace != i.responder_ns:
        problems.append(f"{qn.localname} is in namespace {qn.namespace or '(none)'}, expected {i.responder_ns}")
    for child in payload:
        if not isinstance(child.tag, str):
            continue
        cq = etree.QName(child)
        if cq.namespace == i.responder_ns:
            _core_content(child, problems)
        elif not cq.namespace or rules.is_contract_namespace(cq.namespace):
            problems.append(
                f"line {child.sourceline}: {cq.localname} is in namespace {cq.namespace or '(none)'}, "
                f"expected {i.responder_ns}"
            )
        # any other namespace: an xs:any extension, which a consumer ignores
    if problems:
        more = f" (+{len(problems) - MAX_LISTED} more)" if len(problems) > MAX_LISTED else ""
        return bad("; ".join(problems[:MAX_LISTED]) + more)
    return ok(f"{i.response_tag} with its content in the contract namespaces")


def _core_content(element: etree._Element, problems: list[str]) -> None:
    for child in element:
        if not isinstance(child.tag, str):
            continue
        cq = etree.QName(child)
        if cq.namespace == CORE_NS:
            _core_content(child, problems)
        elif not cq.namespace or rules.is_contract_namespace(cq.namespace):
            problems.append(
                f"line {child.sourceline}: {etree.QName(element).localname}/{cq.localname} is in namespace "
                f"{cq.namespace or '(none)'}, expected {CORE_NS}"
            )


def result_code(interaction: str, ex: Exchange) -> Verdict:
    """resultCode present (once) and one the contract allows for this interaction."""
    problem = _not_a_response(ex, interaction)
    if problem:
        return problem
    payload = ex.body_element()
    if payload is None:
        return bad(f"no {interaction} response element")
    allowed = rules.allowed_result_codes(interaction) or ()
    codes = [text_of(c) for c in payload if isinstance(c.tag, str) and etree.QName(c).localname == "resultCode"]
    if not codes:
        return bad(f"no resultCode in the {interaction} response")
    if len(codes) > 1:
        return bad(f"{len(codes)} resultCode elements in the {interaction} response")
    if codes[0] not in allowed:
        return bad(f"resultCode {codes[0]} is not allowed in {interaction} (allowed: {', '.join(allowed)})")
    text = payload.find("{*}resultText")
    extra = f", resultText {text_of(text)!r}" if text is not None and text_of(text) else ""
    return ok(f"resultCode {codes[0]}{extra}")


def wsdl_matches(interaction: str, ex: Exchange) -> Verdict:
    """The served ?wsdl describes this interaction as the contract does."""
    problem = _no_answer(ex)
    if problem:
        return problem
    if ex.status != 200:
        return bad(f"GET {ex.url}: HTTP {ex.status}")
    root = ex.envelope()
    if root is None or root.tag != f"{{{rules.WSDL_NS}}}definitions":
        return bad(f"GET {ex.url}: not a WSDL 1.1 document")
    i = contracts.interaction(interaction)
    w, s = rules.WSDL_NS, rules.WSDL_SOAP_NS
    problems = []
    if root.get("targetNamespace") != i.wsdl_ns:
        problems.append(f"targetNamespace {root.get('targetNamespace')!r}, expected {i.wsdl_ns!r}")
    ops = [op.get("name") for op in root.iterfind(f"{{{w}}}portType/{{{w}}}operation")]
    if ops != [i.name]:
        problems.append(f"portType operations {ops}, expected [{i.name!r}]")
    actions = [op.get("soapAction") for op in root.iterfind(f"{{{w}}}binding/{{{w}}}operation/{{{s}}}operation")]
    if actions != [i.soap_action]:
        problems.append(f"soapAction {actions}, expected [{i.soap_action!r}]")
    headers = list(root.iterfind(f"{{{w}}}binding/{{{w}}}operation/{{{w}}}input/{{{s}}}header"))
    if [h.get("part") for h in headers] != ["LogicalAddress"]:
        problems.append("the input has no LogicalAddress soap:header")
    parts = {}
    for part in root.iterfind(f"{{{w}}}message/{{{w}}}part"):
        element = part.get("element") or ""
        prefix, _, local = element.rpartition(":")
        parts[(part.getparent().get("name"), part.get("name"))] = (part.nsmap.get(prefix or None), local)
    expected = {
        (f"{i.name}Request", "LogicalAddress"): (rules.LOGICAL_ADDRESS_NS, "LogicalAddress"),
        (f"{i.name}Request", "parameters"): (i.responder_ns, i.name),
        (f"{i.name}Response", "parameters"): (i.responder_ns, f"{i.name}Response"),
    }
    for key, want in expected.items():
        if parts.get(key) != want:
            problems.append(f"message {key[0]} part {key[1]}: element {parts.get(key)}, expected {want}")
    if problems:
        return bad("; ".join(problems))
    return ok(f"WSDL {i.wsdl_ns}: operation {i.name}, soapAction {i.soap_action}")


def wsdl_address(interaction: str, ex: Exchange) -> Verdict:
    """The served WSDL's soap:address is the endpoint the kit called (a consumer that builds its
    client from the producer's WSDL posts there)."""
    problem = _no_answer(ex)
    if problem:
        return problem
    root = ex.envelope()
    if ex.status != 200 or root is None or root.tag != f"{{{rules.WSDL_NS}}}definitions":
        return bad(f"GET {ex.url}: no WSDL to read the address from (HTTP {ex.status})")
    called = ex.url.split("?", 1)[0]
    found = [a.get("location") or "" for a in root.iter(f"{{{rules.WSDL_SOAP_NS}}}address")]
    if not found:
        return bad("the WSDL has no soap:address")
    wrong = [loc for loc in found if not same_endpoint(loc, called)]
    if wrong:
        return bad(f"soap:address location {_show(wrong)}, expected the endpoint called, {called!r}")
    return ok(f"soap:address {found[0]!r} is the endpoint called")


def same_endpoint(a: str, b: str) -> bool:
    """Same scheme, host (any letter case), port and path; a default port may be left out."""
    pa, pb = urlsplit(a), urlsplit(b)
    default = {"http": 80, "https": 443}

    def port(p: Any) -> int | None:
        try:
            return p.port or default.get(p.scheme.lower())
        except ValueError:
            return None

    return (pa.scheme.lower() == pb.scheme.lower() and (pa.hostname or "") == (pb.hostname or "")
            and port(pa) == port(pb) and pa.path.rstrip("/") == pb.path.rstrip("/"))


# -- scenario assertions -----------------------------------------------------------------


def actual_values(check: Check, ex: Exchange, payload: etree._Element | None) -> list[str]:
    """The texts the check's value = selects (a path in the response, or a pseudo value)."""
    if check.value == "@status":
        return [str(ex.status)] if ex.answered else []
    if check.value == "@content_type":
        return [ex.content_type] if ex.answered else []
    if check.value in ("@faultcode", "@faultstring"):
        fault = ex.fault()
        if fault is None:
            return []
        return [fault[0] if check.value == "@faultcode" else fault[1]]
    return [text_of(n) for n in select(payload, parse_path(check.value))]


def _timestamp(text: str) -> int | None:
    text = text.strip()
    if not text.isdigit() or len(text) not in (8, 14):
        return None
    return int(text.ljust(14, "0"))


def _show(values: list[str]) -> str:
    shown = ", ".join(repr(v) for v in values[:MAX_LISTED])
    return shown + (f" (+{len(values) - MAX_LISTED} more)" if len(values) > MAX_LISTED else "")


def assertion(check: Check, ex: Exchange, payload: etree._Element | None, expected: Any) -> Verdict:
    """Evaluate one scenario check against the step's exchange (``expected`` is substituted)."""
    a = check.assertion
    if a == "soap_fault":
        return _soap_fault(ex, bool(expected))
    if a == "http_status":
        if not ex.answered:
            return bad(ex.error or "no answer")
        if ex.status == expected:
            return ok(f"HTTP {ex.status}")
        return bad(f"HTTP {ex.status}, expected {expected}")
    if not ex.answered:
        return bad(ex.error or "no answer")
    values = actual_values(check, ex, payload)
    where = check.value
    if payload is None and not where.startswith("@"):
        return bad(f"{where}: nothing to read ({_describe_fault(ex) or f'HTTP {ex.status}, no response element'})")
    ic = check.ignore_case

    def eq(v: str, e: Any) -> bool:
        return same(v, e, ic)

    if a == "equals":
        if len(values) == 1 and eq(values[0], expected):
            return ok(f"{where} = {values[0]!r}")
        return bad(f"{where} = {_show(values) or '(absent)'}, expected {expected!r}")
    if a == "not_equals":
        hits = [v for v in values if eq(v, expected)]
        return bad(f"{where} = {hits[0]!r}, which it must not be") if hits else ok(
            f"{where} = {_show(values) or '(absent)'}, not {expected!r}")
    if a == "one_of":
        if len(values) == 1 and any(eq(values[0], e) for e in expected):
            return ok(f"{where} = {values[0]!r}")
        return bad(f"{where} = {_show(values) or '(absent)'}, expected one of {', '.join(map(str, expected))}")
    if a == "not_one_of":
        hits = [v for v in values if any(eq(v, e) for e in expected)]
        return bad(f"{where} = {hits[0]!r}, which it must not be") if hits else ok(
            f"{where} = {_show(values) or '(absent)'}")
    if a == "exists":
        if bool(values) == expected:
            return ok(f"{where}: {'present' if values else 'absent'}")
        return bad(f"{where} is {'present' if values else 'absent'}, expected {'present' if expected else 'absent'}"
                   + (f": {_show(values)}" if values and any(values) else ""))
    if a == "contains":
        if any(eq(v, expected) for v in values):
            return ok(f"{where} contains {expected!r} ({len(values)} values)")
        return bad(f"{where} does not contain {expected!r} ({len(values)} values)")
    if a == "not_contains":
        if any(eq(v, expected) for v in values):
            return bad(f"{where} contains {expected!r}")
        return ok(f"{where} does not contain {expected!r} ({len(values)} values)")
    if a == "all_equal":
        wrong = [v for v in values if not eq(v, expected)]
        return bad(f"{where}: {_show(wrong)} differ from {expected!r}") if wrong else ok(
            f"{where}: all {len(values)} equal {expected!r}")
    if a in ("all_after", "all_from"):
        limit = _timestamp(str(expected))
        if limit is None:
            return bad(f"{expected!r} is not a YYYYMMDD date or YYYYMMDDhhmmss timestamp")
        wrong = []
        for v in values:
            t = _timestamp(v)
            if t is None or (t <= limit if a == "all_after" else t < limit):
                wrong.append(v)
        word = "after" if a == "all_after" else "on or after"
        if wrong:
            return bad(f"{where}: {len(wrong)} of {len(values)} not {word} {expected}: {_show(wrong)}")
        return ok(f"{where}: all {len(values)} {word} {expected}")
    if a == "count":
        try:
            want = int(expected)
        except (TypeError, ValueError):
            return bad(f"count: {expected!r} is not a number")
        if len(values) == want:
            return ok(f"{where}: {len(values)} found, as expected")
        return bad(f"{where}: {len(values)} found ({_show(values) or 'none'}), expected exactly {want}")
    if a == "same_as":
        # expected: the values at the same path in the earlier step's response
        if sorted(values) == sorted(expected):
            return ok(f"{where}: the same {len(values)} values as before")
        gone = [v for v in expected if v not in values]
        new = [v for v in values if v not in expected]
        return bad(f"{where} differs from step {check.expected!r}: "
                   + "; ".join(part for part in (f"now also {_show(new)}" if new else "",
                                                 f"no longer {_show(gone)}" if gone else "") if part)
                   + f" ({len(expected)} before, {len(values)} now)")
    if a == "count_at_least":
        if len(values) >= expected:
            return ok(f"{where}: {len(values)} found")
        return bad(f"{where}: {len(values)} found, at least {expected} expected")
    if a == "matches":
        if len(values) == 1 and re.fullmatch(str(expected), values[0]):
            return ok(f"{where} = {values[0]!r} matches {expected!r}")
        return bad(f"{where} = {_show(values) or '(absent)'}, does not match {expected!r}")
    raise AssertionError(a)


def _soap_fault(ex: Exchange, expected: bool) -> Verdict:
    """A SOAP 1.1 Fault with HTTP 500 (SOAP 1.1 §6.2, RIVTABP21; TKB 2.0 §4.3)."""
    if not ex.answered:
        return bad(ex.error or "no answer")
    fault = ex.fault()
    if not expected:
        return bad(f"HTTP {ex.status}: {_describe_fault(ex)}") if fault else ok(f"HTTP {ex.status}, no Fault")
    problems = []
    if fault is None:
        root = ex.envelope()
        if root is None:
            problems.append(f"the answer is not XML ({ex.content_type or 'no content type'})")
        elif root.tag != f"{{{rules.SOAP11_NS}}}Envelope":
            problems.append(f"the answer's root element is {root.tag}, not a SOAP 1.1 Envelope")
        else:
            body = ex.body_element()
            problems.append(f"no SOAP Fault; the body holds {body.tag if body is not None else 'nothing usable'}")
    else:
        if not fault[0]:
            problems.append("the Fault has no faultcode")
        if not fault[1]:
            problems.append("the Fault has no faultstring")
    if ex.status != 500:
        problems.append(f"HTTP {ex.status}, a SOAP 1.1 Fault is sent with HTTP 500")
    if "xml" not in ex.content_type.lower():
        problems.append(f"Content-Type {ex.content_type!r}, expected text/xml")
    if problems:
        return bad("; ".join(problems))
    assert fault is not None
    return ok(f"HTTP 500, SOAP Fault {fault[0]}: {fault[1][:200]}")
