"""The expression syntax of scenario files: ``${...}`` references, paths and conditions.

``${name}``
    a variable (``unit``, ``person``, ``today``, ``now``, ... and ``--var`` values), see
    ``docs/conformance.md``; ``${today+3}`` / ``${search_from-1}`` shift a date variable by days.
``${step.path}``
    a value from the response of an earlier step; ``${step.request.path}`` from the request it sent.

A path is a dot-separated list of element local names (namespaces are ignored, so a value can be
read even from a response in the wrong namespace; the namespace checks report that). Each name may be
followed by selectors: ``[0]`` (first), ``[-1]`` (last), ``[*]`` (all), ``[sub.path=text]`` /
``[sub.path!=text]`` (keep the elements whose sub-path has / has not that text). xs:boolean values
compare as booleans (``1`` equals ``true``).

A string that is exactly one ``${...}`` keeps the value's type (text, table, list, or nothing:
an element whose value is nothing is left out of the request). ``$$`` writes a literal ``$``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from lxml import etree

REF = re.compile(r"\$\{([^{}]*)\}")
NAME = re.compile(r"[A-Za-z_@][A-Za-z0-9_\-]*")
SHIFT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)([+-]\d+)$")
DATE_VARS = frozenset({"today", "search_from", "search_to"})


class ExpressionError(ValueError):
    """A syntax error or an unknown name in a scenario file."""


class Unresolved(Exception):
    """A step reference that has no value (the earlier response did not contain it)."""

    def __init__(self, ref: str, reason: str = "") -> None:
        super().__init__(f"${{{ref}}} has no value{': ' + reason if reason else ''}")
        self.ref = ref


class StepUnavailable(Exception):
    """A reference to a step that did not run (not applicable, blocked, or not yet run)."""

    def __init__(self, step: str, status: str, reason: str) -> None:
        super().__init__(f"step {step!r} {reason}")
        self.step = step
        self.status = status
        self.reason = reason


# -- paths -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selector:
    kind: str  # "index", "all", "filter"
    index: int = 0
    path: tuple[Segment, ...] = ()
    negate: bool = False
    literal: str = ""


@dataclass(frozen=True)
class Segment:
    name: str
    selectors: tuple[Selector, ...] = ()

    @property
    def has_all(self) -> bool:
        return any(s.kind == "all" for s in self.selectors)


def parse_path(text: str) -> tuple[Segment, ...]:
    """Parse ``a.b[0].c[x.y=1][*]`` into segments; raises ExpressionError."""
    text = text.strip()
    if not text:
        raise ExpressionError("empty path")
    segments: list[Segment] = []
    pos = 0
    while True:
        m = NAME.match(text, pos)
        if not m:
            raise ExpressionError(f"path {text!r}: expected an element name at position {pos}")
        name = m.group(0)
        pos = m.end()
        selectors: list[Selector] = []
        while pos < len(text) and text[pos] == "[":
            end = text.find("]", pos)
            if end < 0:
                raise ExpressionError(f"path {text!r}: '[' without ']'")
            selectors.append(_selector(text, text[pos + 1 : end]))
            pos = end + 1
        segments.append(Segment(name, tuple(selectors)))
        if pos == len(text):
            return tuple(segments)
        if text[pos] != ".":
            raise ExpressionError(f"path {text!r}: unexpected {text[pos]!r} at position {pos}")
        pos += 1


def _selector(path: str, inner: str) -> Selector:
    inner = inner.strip()
    if inner == "*":
        return Selector("all")
    if re.fullmatch(r"-?\d+", inner):
        return Selector("index", index=int(inner))
    m = re.fullmatch(r"([^!=]+?)\s*(!=|=)\s*(.*)", inner)
    if not m:
        raise ExpressionError(f"path {path!r}: selector [{inner}] is not an index, * or sub.path=text")
    if "[" in m.group(1):
        raise ExpressionError(f"path {path!r}: a filter path cannot have selectors")
    return Selector("filter", path=parse_path(m.group(1)), negate=m.group(2) == "!=",
                    literal=m.group(3).strip())


def _elements(nodes: Iterable[etree._Element]) -> Iterable[etree._Element]:
    for node in nodes:
        for child in node:
            if isinstance(child.tag, str):
                yield child


def select(root: etree._Element | None, segments: tuple[Segment, ...]) -> list[etree._Element]:
    """Elements under ``root`` (exclusive) that the path selects, in document order."""
    if root is None:
        return []
    nodes = [root]
    for seg in segments:
        found = [c for c in _elements(nodes) if etree.QName(c).localname == seg.name]
        for sel in seg.selectors:
            if sel.kind == "index":
                i = sel.index
                found = [found[i]] if -len(found) <= i < len(found) else []
            elif sel.kind == "filter":
                found = [n for n in found if _filter(n, sel)]
        nodes = found
    return nodes


def _filter(node: etree._Element, sel: Selector) -> bool:
    texts = [text_of(n) for n in select(node, sel.path)]
    hit = any(same(t, sel.literal) for t in texts)
    return not hit if sel.negate else hit


def text_of(node: etree._Element) -> str:
    return (node.text or "").strip()


def to_value(node: etree._Element) -> Any:
    """Element -> text (leaf) or a table of child local names (repeated children -> list)."""
    children = [c for c in node if isinstance(c.tag, str)]
    if not children:
        return text_of(node)
    out: dict[str, Any] = {}
    for child in children:
        key = etree.QName(child).localname
        value = to_value(child)
        if key in out:
            if not isinstance(out[key], list):
                out[key] = [out[key]]
            out[key].append(value)
        else:
            out[key] = value
    return out


def same(actual: Any, expected: Any, ignore_case: bool = False) -> bool:
    """Equality for checks: text, xs:boolean aware (1 == true), optionally case-insensitive."""
    a, e = _text(actual), _text(expected)
    booleans = {"true": "true", "1": "true", "false": "false", "0": "false"}
    if e in ("true", "false") and a in booleans:
        return booleans[a] == e
    if ignore_case:
        return a.casefold() == e.casefold()
    return a == e


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def select_data(data: Any, segments: tuple[Segment, ...]) -> list[Any]:
    """The same paths over plain data (a request as sent: tables and lists)."""
    nodes = [data]
    for seg in segments:
        found: list[Any] = []
        for node in nodes:
            value = node.get(seg.name) if isinstance(node, dict) else None
            if isinstance(value, list):
                found.extend(value)
            elif value is not None:
                found.append(value)
        for sel in seg.selectors:
            if sel.kind == "index":
                i = sel.index
                found = [found[i]] if -len(found) <= i < len(found) else []
            elif sel.kind == "filter":
                found = [n for n in found if any(same(v, sel.literal) for v in select_data(n, sel.path))
                         ] if not sel.negate else [
                    n for n in found if not any(same(v, sel.literal) for v in select_data(n, sel.path))]
        nodes = found
    return nodes


# -- references --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """One parsed ``${...}``."""

    text: str
    name: str  # variable, step id or bound name
    kind: str  # "var", "step" or "bind"
    shift: int = 0  # days, for date variables
    request: bool = False  # step.request.path
    path: tuple[Segment, ...] = ()

    @property
    def many(self) -> bool:
        return any(s.has_all for s in self.path)


def parse_reference(text: str, steps: Iterable[str], variables: Iterable[str],
                    binds: Iterable[str] = ()) -> Reference:
    """Parse the inside of ``${...}``; ``steps``, ``variables`` and ``binds`` are the names that may be used."""
    inner = text.strip()
    steps, variables, binds = set(steps), set(variables), set(binds)
    m = SHIFT.match(inner)
    if m and m.group(1) in variables:
        name, shift = m.group(1), int(m.group(2))
        if name not in DATE_VARS:
            raise ExpressionError(f"${{{inner}}}: only {', '.join(sorted(DATE_VARS))} can be shifted by days")
        return Reference(inner, name, "var", shift=shift)
    m = NAME.match(inner)
    if not m:
        raise ExpressionError(f"${{{inner}}}: expected a variable, bound or step name")
    name = m.group(0)
    rest = inner[m.end():]
    if rest and not rest.startswith("."):
        raise ExpressionError(f"${{{inner}}}: expected '.' after {name!r}")
    path = parse_path(rest[1:]) if rest else ()
    if name in variables:
        return Reference(inner, name, "var", path=path)
    if name in binds:
        return Reference(inner, name, "bind", path=path)
    if name in steps:
        if not path:
            raise ExpressionError(f"${{{inner}}}: give a path into the step's response, e.g. ${{{name}.resultCode}}")
        if path[0].name == "request" and not path[0].selectors:
            if len(path) == 1:
                raise ExpressionError(f"${{{inner}}}: give a path into the request")
            return Reference(inner, name, "step", request=True, path=path[1:])
        return Reference(inner, name, "step", path=path)
    raise ExpressionError(
        f"${{{inner}}}: unknown name {name!r} (not a variable, not a value bound or a step earlier in the file; "
        "declare scenario variables in [scenario] requires_vars / uses_vars)"
    )


def references(template: Any) -> list[str]:
    """The texts of all ``${...}`` in a template (strings, tables, lists)."""
    out: list[str] = []
    if isinstance(template, str):
        out.extend(m.group(1) for m in REF.finditer(template.replace("$$", "")))
    elif isinstance(template, dict):
        for v in template.values():
            out.extend(references(v))
    elif isinstance(template, list):
        for v in template:
            out.extend(references(v))
    return out


# -- evaluation --------------------------------------------------------------------------


@dataclass
class StepState:
    """What later expressions can see of a step."""

    status: str  # "done", "n/a", "blocked"
    reason: str = ""
    request: Any = None
    payload: etree._Element | None = None


@dataclass
class Context:
    """Variables and the states of the steps run so far."""

    variables: dict[str, Any]
    dynamic: dict[str, Callable[[], Any]] = field(default_factory=dict)
    steps: dict[str, StepState] = field(default_factory=dict)
    step_names: set[str] = field(default_factory=set)
    bind_owner: dict[str, str] = field(default_factory=dict)  # bound name -> step id
    bound: dict[str, tuple[etree._Element | None, str]] = field(default_factory=dict)  # name -> (element, path)
    lanes: dict[str, list[StepState]] = field(default_factory=dict)  # concurrent step -> one state per person

    @property
    def variable_names(self) -> set[str]:
        return set(self.variables) | set(self.dynamic)

    def parse(self, text: str) -> Reference:
        return parse_reference(text, self.step_names, self.variable_names, self.bind_owner)

    def bind(self, name: str, payload: etree._Element | None, path: str) -> None:
        """Remember the first element ``path`` selects in a step's response under ``name``."""
        found = select(payload, parse_path(path))
        self.bound[name] = (found[0] if found else None, path)

    def lookup(self, text: str) -> Any:
        """The value of one ``${...}``: None when a variable is not set.

        Raises Unresolved when a step reference has no value, StepUnavailable when the step did not run.
        """
        ref = self.parse(text)
        if ref.kind == "var":
            value = self.dynamic[ref.name]() if ref.name in self.dynamic else self.variables.get(ref.name)
            if ref.shift and value is not None:
                day = datetime.strptime(str(value), "%Y%m%d").date() + timedelta(days=ref.shift)
                value = day.strftime("%Y%m%d")
            if ref.path and value is not None:
                found = select_data(value, ref.path)
                return found if ref.many else (found[0] if found else None)
            return value
        owner = self.bind_owner[ref.name] if ref.kind == "bind" else ref.name
        state = self.steps.get(owner)
        if state is None:
            raise StepUnavailable(owner, "blocked", "has not run yet")
        if state.status != "done":
            raise StepUnavailable(owner, state.status, state.reason)
        if ref.kind == "bind":
            element, path = self.bound.get(ref.name, (None, "?"))
            if element is None:
                raise Unresolved(text, f"{ref.name} = {path!r} selected nothing in the response of step {owner!r}")
            values = [to_value(n) for n in select(element, ref.path)] if ref.path else [to_value(element)]
            where = f"{ref.name} (bound in step {owner!r})"
        elif ref.request:
            values = select_data(state.request, ref.path)
            where = f"the request of step {ref.name!r}"
        else:
            values = [to_value(n) for n in select(state.payload, ref.path)]
            where = f"the response of step {ref.name!r}"
        if ref.many:
            return values
        if not values:
            raise Unresolved(text, f"no such element in {where}")
        return values[0] if len(values) == 1 else values

    def substitute(self, template: Any) -> Any:
        """Fill in every ``${...}``; table entries and list items whose value is nothing are dropped."""
        if isinstance(template, str):
            m = REF.fullmatch(template)
            if m and "$$" not in template:
                return self.lookup(m.group(1))
            return self.interpolate(template)
        if isinstance(template, dict):
            out = {}
            for key, value in template.items():
                v = self.substitute(value)
                if v is not None:
                    out[key] = v
            return out
        if isinstance(template, list):
            return [v for v in (self.substitute(t) for t in template) if v is not None]
        return template

    def interpolate(self, template: str, escape: Callable[[str], str] | None = None) -> str:
        """Fill the ``${...}`` of a text; ``escape`` is applied to each value (XML bodies)."""
        parts = template.split("$$")
        out = []
        for part in parts:
            def repl(m: re.Match[str]) -> str:
                value = self.lookup(m.group(1))
                if value is None:
                    raise Unresolved(m.group(1), "the variable is not set")
                if isinstance(value, (dict, list)):
                    raise ExpressionError(f"${{{m.group(1)}}} is a structure and cannot be part of a text")
                return escape(_text(value)) if escape else _text(value)

            out.append(REF.sub(repl, part))
        return "$".join(out)

    def value(self, template: Any) -> Any:
        """Like substitute, but a reference without value (or to a step that did not run) gives None."""
        try:
            return self.substitute(template)
        except (Unresolved, StepUnavailable):
            return None

    def _operand(self, template: str, strict: bool) -> Any:
        # A missing element is "nothing", but (strict) a step that did not run is not: the condition
        # cannot be decided, and the caller reports blocked (or not applicable), never "condition not met".
        if not strict:
            return self.value(template)
        try:
            return self.substitute(template)
        except Unresolved:
            return None

    def condition(self, text: str, strict: bool = True) -> bool:
        """``A``, ``not A``, ``A == B`` or ``A != B``; operands are ``${...}`` or plain text.

        Raises StepUnavailable when an operand names a step that did not run, unless not ``strict``
        (cleanup: what did not run counts as nothing, so whatever was booked is still undone)."""
        left, op, right, negate = split_condition(text)
        a = self._operand(left, strict)
        if op is None:
            result = truthy(a)
            return not result if negate else result
        b = self._operand(right, strict)
        if a is None or b is None:
            equal = a is None and b is None
        else:
            equal = same(a, b)
        return equal if op == "==" else not equal


def split_condition(text: str) -> tuple[str, str | None, str, bool]:
    """Split a condition at its ``==``/``!=`` operator, ignoring operators inside ``${...}``."""
    masked = REF.sub(lambda m: "x" * len(m.group(0)), text)
    negate = False
    stripped = masked.lstrip()
    offset = len(masked) - len(stripped)
    if stripped.startswith("not "):
        negate = True
        text = text[offset + 4:]
        masked = masked[offset + 4:]
    for op in ("==", "!="):
        i = masked.find(op)
        if i >= 0:
            if negate:
                raise ExpressionError(f"condition {text!r}: 'not' only before a single value")
            return text[:i].strip(), op, text[i + 2:].strip(), False
    return text.strip(), None, "", negate


def truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (list, dict)):
        return bool(value)
    return _text(value) not in ("", "false", "0")


def stockholm_today() -> date:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/Stockholm")).date()


def stockholm_now_ts() -> str:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/Stockholm")).strftime("%Y%m%d%H%M%S")
