"""Scenario files (``contracts/*.toml``): loading and checking them before anything is sent.

The format is described in ``docs/conformance.md``. Every mistake in a file (an unknown key, an
unknown interaction, a reference to a later step, a check with two assertions, ...) is reported
with the file name and the step before the producer is called.
"""

from __future__ import annotations

import functools
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from riv_scheduling.conformance import contracts, rules
from riv_scheduling.conformance.expressions import (
    ExpressionError,
    parse_path,
    parse_reference,
    references,
    split_condition,
)
from riv_scheduling.contract import Interaction
from riv_scheduling.contract.schemas import RESOURCES, SCHEMA_DIR

# Variables every run defines (docs/conformance.md, "Variables").
BUILTIN_VARIABLES = frozenset({
    "unit", "person", "person2", "person_id", "person2_id", "actor", "actor2", "crm_actor", "crm_actor2",
    "today", "now", "search_from", "search_to", "time_type", "unknown_id", "reason_text",
    "unit_other_case", "concurrency", "concurrency_others",
})

# Assertions a check can make (exactly one per check); docs/conformance.md, "Checks".
ASSERTIONS = frozenset({
    "equals", "not_equals", "one_of", "not_one_of", "exists", "contains", "not_contains",
    "all_equal", "all_after", "all_from", "count_at_least", "matches", "soap_fault", "http_status",
    "count", "same_as",
})
PSEUDO_VALUES = frozenset({"@status", "@content_type", "@faultcode", "@faultstring"})


class ScenarioError(ValueError):
    """A scenario file that cannot be used."""


def default_contracts_dir() -> Path:
    env = os.environ.get("RIV_SCHEDULING_CONTRACTS")
    if env:
        return Path(env)
    return (RESOURCES / "contracts").resolve()


@dataclass(frozen=True)
class Check:
    id: str
    rule: str
    assertion: str
    expected: Any
    value: str = ""  # path in the step's response, a pseudo value (@status, ...) or ""
    ignore_case: bool = False
    when: str | None = None
    title: str = ""


@dataclass(frozen=True)
class Step:
    id: str
    kind: str  # "call", "raw", "wsdl"
    interaction: str
    title: str = ""
    request: dict[str, Any] = field(default_factory=dict)
    body: str | None = None  # raw: the body element (XML text)
    data: str | None = None  # raw: the whole HTTP body
    content_type: str = "text/xml; charset=utf-8"
    logical_address: Any = "${unit}"  # False: no LogicalAddress header
    when: str | None = None
    auto_checks: bool = True
    mandatory: bool = False  # wsdl: not served is a failure, not "not applicable"
    checks: tuple[Check, ...] = ()
    cleanup: bool = False
    bind: dict[str, str] = field(default_factory=dict)  # name -> path in the response
    header: str | None = None  # raw: more SOAP header entries (XML text) after the LogicalAddress
    concurrent: bool = False  # call: sent at once by each of the concurrent persons


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    path: Path
    flow: str = ""
    description: str = ""
    changes_data: bool = False
    requires: tuple[str, ...] = ()
    requires_vars: tuple[str, ...] = ()
    uses_vars: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()
    cleanup: tuple[Step, ...] = ()
    order: int = 100

    @property
    def binds(self) -> dict[str, str]:
        """Bound name -> id of the step that binds it."""
        return {name: step.id for step in self.steps + self.cleanup for name in step.bind}

    def check_names(self, step: Step) -> list[str]:
        """The full names of the checks of a step, in report order."""
        return [f"{self.id}/{step.id}/{c}" for c in auto_check_ids(step)] + [
            f"{self.id}/{step.id}/{c.id}" for c in step.checks
        ]

    @property
    def all_check_names(self) -> list[str]:
        return [name for step in self.steps for name in self.check_names(step)]


def auto_check_ids(step: Step) -> list[str]:
    if step.kind == "wsdl":
        return ["wsdl-matches-contract", "wsdl-address"]
    if step.kind != "call" or not step.auto_checks:
        return []
    if contracts.current() != contracts.SCHEDULING_2_0:
        return ["schema-valid"]  # the namespace and result-code checks know 2.0's rules only
    ids = ["schema-valid", "namespaces"]
    if rules.allowed_result_codes(step.interaction) is not None:
        ids.append("result-code")
    return ids


SCENARIO_KEYS = {"id", "title", "flow", "description", "changes_data", "requires", "requires_vars", "uses_vars",
                 "order"}
STEP_KEYS = {"id", "title", "call", "raw", "wsdl", "request", "body", "data", "content_type",
             "logical_address", "when", "auto_checks", "mandatory", "check", "bind", "header", "concurrent"}
CHECK_KEYS = {"id", "title", "rule", "value", "ignore_case", "when"} | ASSERTIONS


def load_file(path: Path) -> Scenario:
    try:
        with path.open("rb") as f:
            doc = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    try:
        return _scenario(path, doc)
    except (ExpressionError, ScenarioError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None


def load(paths: list[Path]) -> list[Scenario]:
    """Scenario files from files and folders (``*.toml``, sorted by name); ids must be unique."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(p.glob("*.toml")))
        elif p.is_file():
            files.append(p)
        else:
            raise ScenarioError(f"{p}: no such file or folder")
    scenarios = sorted((load_file(f) for f in files), key=lambda s: (s.order, s.path.name))
    seen: dict[str, Path] = {}
    for s in scenarios:
        if s.id in seen:
            raise ScenarioError(f"{s.path}: scenario id {s.id!r} is also used by {seen[s.id]}")
        seen[s.id] = s.path
    return scenarios


def _unknown(where: str, table: dict[str, Any], allowed: set[str] | frozenset[str]) -> None:
    extra = sorted(set(table) - set(allowed))
    if extra:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(extra)} (allowed: {', '.join(sorted(allowed))})")


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ScenarioError(f"{where}: expected a list of strings")
    return tuple(value)


def _id(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value or not all(c.isalnum() or c in "-_" for c in value):
        raise ScenarioError(f"{where}: id must be letters, digits, '-' or '_', got {value!r}")
    return value


def _scenario(path: Path, doc: dict[str, Any]) -> Scenario:
    _unknown("top level", doc, {"scenario", "step", "cleanup"})
    head = doc.get("scenario")
    if not isinstance(head, dict):
        raise ScenarioError("a [scenario] table is required")
    _unknown("[scenario]", head, SCENARIO_KEYS)
    sid = _id("[scenario] id", head.get("id", path.stem))
    title = head.get("title")
    if not isinstance(title, str) or not title:
        raise ScenarioError("[scenario] title is required")
    changes = head.get("changes_data")
    if not isinstance(changes, bool):
        raise ScenarioError("[scenario] changes_data = true/false is required (--read-only skips data-changing ones)")
    requires = _strings("[scenario] requires", head.get("requires", []))
    for name in requires:
        if name not in contracts.interactions():
            raise ScenarioError(f"[scenario] requires: unknown interaction {name!r}")
    requires_vars = _strings("[scenario] requires_vars", head.get("requires_vars", []))
    uses_vars = _strings("[scenario] uses_vars", head.get("uses_vars", []))
    for v in requires_vars + uses_vars:
        if v in BUILTIN_VARIABLES:
            raise ScenarioError(f"[scenario]: {v!r} is a built-in variable; do not declare it")
    variables = set(BUILTIN_VARIABLES) | set(requires_vars) | set(uses_vars)
    order = head.get("order", 100)
    if not isinstance(order, int) or isinstance(order, bool):
        raise ScenarioError("[scenario] order is a whole number (scenarios run in this order, then by file name)")

    raw_steps = doc.get("step", [])
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ScenarioError("at least one [[step]] is required")
    steps: list[Step] = []
    names: list[str] = []
    binds: dict[str, str] = {}
    for n, table in enumerate(raw_steps, 1):
        step = _step(f"step {n}", table, names, variables, binds, cleanup=False)
        names.append(step.id)
        steps.append(step)
    cleanup: list[Step] = []
    for n, table in enumerate(doc.get("cleanup", []), 1):
        step = _step(f"cleanup {n}", table, names, variables, binds, cleanup=True)
        names.append(step.id)
        cleanup.append(step)
    return Scenario(
        id=sid, title=title, path=path, flow=str(head.get("flow", "")),
        description=str(head.get("description", "")), changes_data=changes, requires=requires,
        requires_vars=requires_vars, uses_vars=uses_vars, steps=tuple(steps), cleanup=tuple(cleanup), order=order,
    )


def _step(where: str, table: Any, earlier: list[str], variables: set[str], binds: dict[str, str],
          cleanup: bool) -> Step:
    """One step; ``binds`` (bound name -> step id) grows with this step's bind table."""
    if not isinstance(table, dict):
        raise ScenarioError(f"{where}: expected a table")
    _unknown(where, table, STEP_KEYS)
    default_id = f"cleanup-{len(earlier) + 1}" if cleanup else None
    sid = _id(f"{where} id", table.get("id", default_id))
    where = f"step {sid!r}" if not cleanup else f"cleanup step {sid!r}"
    if sid in earlier:
        raise ScenarioError(f"{where}: the id is used twice")
    if sid in variables or sid in binds:
        raise ScenarioError(f"{where}: the id is also the name of a variable or a bound value")
    kinds = [k for k in ("call", "raw", "wsdl") if k in table]
    if len(kinds) != 1:
        raise ScenarioError(f"{where}: give exactly one of call = / raw = / wsdl = <Interaction>")
    kind = kinds[0]
    name = table[kind]
    if name not in contracts.interactions():
        raise ScenarioError(f"{where}: unknown interaction {name!r} "
                            f"(one of {', '.join(sorted(contracts.interactions()))})")
    if cleanup and kind != "call":
        raise ScenarioError(f"{where}: cleanup steps are calls")
    if cleanup and "check" in table:
        raise ScenarioError(f"{where}: cleanup steps have no checks")

    request = table.get("request", {})
    if not isinstance(request, dict):
        raise ScenarioError(f"{where}: request must be a table of element values")
    if request and kind != "call":
        raise ScenarioError(f"{where}: request = is for call steps; raw steps take body = or data =")
    known = request_elements(name)
    unknown = [k for k in request if k not in known]
    if unknown:
        raise ScenarioError(f"{where}: unknown element(s) {', '.join(unknown)} in the {name} request "
                            f"(its elements: {', '.join(known)})")
    body, data = table.get("body"), table.get("data")
    if kind == "raw":
        if (body is None) == (data is None):
            raise ScenarioError(f"{where}: a raw step needs exactly one of body = or data =")
    elif body is not None or data is not None:
        raise ScenarioError(f"{where}: body = / data = are for raw steps")
    logical_address = table.get("logical_address", "${unit}")
    if logical_address is not False and not isinstance(logical_address, str):
        raise ScenarioError(f"{where}: logical_address is a text or false")
    header = table.get("header")
    if header is not None and (kind != "raw" or body is None or not isinstance(header, str)):
        raise ScenarioError(f"{where}: header = is a text, for raw steps with body =")
    concurrent = table.get("concurrent", False)
    if not isinstance(concurrent, bool) or (concurrent and kind != "call"):
        raise ScenarioError(f"{where}: concurrent = true/false, for call steps")

    _references(where, [request, body, data, header, logical_address, table.get("when")], earlier, variables,
                binds)
    when = table.get("when")
    if when is not None:
        _condition(where, when)
    bind = table.get("bind", {})
    if not isinstance(bind, dict) or not all(isinstance(v, str) for v in bind.values()):
        raise ScenarioError(f"{where}: bind is a table of name = \"path in the response\"")
    if bind and kind != "call":
        raise ScenarioError(f"{where}: bind is for call steps")
    for bound, path in bind.items():
        _id(f"{where} bind {bound!r}", bound)
        if bound in variables or bound in binds or bound in earlier or bound == sid:
            raise ScenarioError(f"{where}: bind name {bound!r} is already a variable, step or bound name")
        try:
            parse_path(path)
        except ExpressionError as exc:
            raise ScenarioError(f"{where}: bind {bound!r}: {exc}") from None
        binds[bound] = sid

    checks: list[Check] = []
    seen = set(auto_check_ids(Step(sid, kind, name, auto_checks=table.get("auto_checks", True))))
    for n, ct in enumerate(table.get("check", []), 1):
        check = _check(f"{where} check {n}", ct, kind)
        if check.id in seen:
            raise ScenarioError(f"{where}: check id {check.id!r} is used twice (or is an automatic check)")
        seen.add(check.id)
        if check.assertion == "same_as":
            if check.expected not in earlier + [sid] or check.expected == sid:
                raise ScenarioError(f"{where} check {check.id!r}: same_as names an earlier step, "
                                    f"not {check.expected!r}")
        else:
            _references(f"{where} check {check.id!r}", [check.expected, check.when], earlier + [sid], variables,
                        binds)
        checks.append(check)
    auto = table.get("auto_checks", True)
    mandatory = table.get("mandatory", False)
    if not isinstance(auto, bool) or not isinstance(mandatory, bool):
        raise ScenarioError(f"{where}: auto_checks and mandatory are true/false")
    if mandatory and kind != "wsdl":
        raise ScenarioError(f"{where}: mandatory = is for wsdl steps")
    return Step(
        id=sid, kind=kind, interaction=name, title=str(table.get("title", "")), request=request,
        body=body, data=data, content_type=str(table.get("content_type", "text/xml; charset=utf-8")),
        logical_address=logical_address, when=when, auto_checks=auto, mandatory=mandatory,
        checks=tuple(checks), cleanup=cleanup, bind=dict(bind), header=header, concurrent=concurrent,
    )


def request_elements(interaction: str) -> tuple[str, ...]:
    """The child element names of an interaction's request, in schema order (from our XSD), and the
    SOAP header parts the contract lets a scenario give among them (contracts.header_parts)."""
    return _request_elements(contracts.interaction(interaction)) + contracts.header_parts()


@functools.cache
def _request_elements(i: Interaction) -> tuple[str, ...]:
    xs = "{http://www.w3.org/2001/XMLSchema}"
    doc = etree.parse(str(SCHEMA_DIR / i.xsd), etree.XMLParser(no_network=True, resolve_entities=False))
    element = doc.find(f"{xs}element[@name='{i.name}']")
    type_name = (element.get("type") or "").rpartition(":")[2] if element is not None else ""
    ctype = doc.find(f"{xs}complexType[@name='{type_name}']")
    if ctype is None:
        return ()
    # An element by reference (a 1.1 addition in its own namespace): its local name.
    return tuple(e.get("name") or (e.get("ref") or "").rpartition(":")[2]
                 for e in ctype.iter(f"{xs}element") if e.get("name") or e.get("ref"))


def _check(where: str, table: Any, kind: str) -> Check:
    if not isinstance(table, dict):
        raise ScenarioError(f"{where}: expected a table")
    _unknown(where, table, CHECK_KEYS)
    cid = _id(f"{where} id", table.get("id"))
    where = f"{where.rsplit(' check ', 1)[0]} check {cid!r}"
    rule = table.get("rule")
    if not isinstance(rule, str) or not rule.strip():
        raise ScenarioError(f"{where}: rule = is required (the contract rule the check verifies)")
    found = [a for a in ASSERTIONS if a in table]
    if len(found) != 1:
        raise ScenarioError(f"{where}: give exactly one assertion ({', '.join(sorted(ASSERTIONS))})")
    assertion = found[0]
    expected = table[assertion]
    value = table.get("value", "")
    if not isinstance(value, str):
        raise ScenarioError(f"{where}: value = is a path text")
    if assertion in ("soap_fault", "http_status"):
        if value:
            raise ScenarioError(f"{where}: {assertion} takes no value =")
    elif not value:
        raise ScenarioError(f"{where}: value = <path in the response> is required")
    elif value not in PSEUDO_VALUES:
        if value.startswith("@"):
            raise ScenarioError(f"{where}: unknown pseudo value {value!r} (one of {', '.join(sorted(PSEUDO_VALUES))})")
        parse_path(value)
    if assertion in ("one_of", "not_one_of") and not isinstance(expected, list):
        raise ScenarioError(f"{where}: {assertion} takes a list")
    if assertion in ("exists", "soap_fault") and not isinstance(expected, bool):
        raise ScenarioError(f"{where}: {assertion} takes true or false")
    if assertion in ("count_at_least", "http_status") and not isinstance(expected, int):
        raise ScenarioError(f"{where}: {assertion} takes a number")
    if assertion == "count" and not (isinstance(expected, int) or (isinstance(expected, str) and "${" in expected)):
        raise ScenarioError(f"{where}: count takes a number or a ${{variable}} that holds one")
    if assertion == "same_as" and (not isinstance(expected, str) or value.startswith("@")):
        raise ScenarioError(f"{where}: same_as takes the id of an earlier step and a path value =")
    if kind == "wsdl":
        raise ScenarioError(f"{where}: wsdl steps have only their automatic check")
    when = table.get("when")
    if when is not None:
        _condition(where, when)
    ignore_case = table.get("ignore_case", False)
    if not isinstance(ignore_case, bool):
        raise ScenarioError(f"{where}: ignore_case is true/false")
    return Check(id=cid, rule=rule.strip(), assertion=assertion, expected=expected, value=value,
                 ignore_case=ignore_case, when=when, title=str(table.get("title", "")))


def _references(where: str, templates: list[Any], steps: list[str], variables: set[str],
                binds: dict[str, str]) -> None:
    for template in templates:
        for ref in references(template):
            try:
                parse_reference(ref, steps, variables, binds)
            except ExpressionError as exc:
                raise ScenarioError(f"{where}: {exc}") from None


def _condition(where: str, text: Any) -> None:
    if not isinstance(text, str) or not text.strip():
        raise ScenarioError(f"{where}: when = is a condition text")
    try:
        split_condition(text)
    except ExpressionError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
