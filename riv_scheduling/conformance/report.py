"""Reports of a run: terminal summary, JUnit XML, and one self-contained HTML file.

Every report text goes through ``riv_scheduling.logs.mask`` as a whole, so no personal identity
number (personnummer or samordningsnummer, 12 digits) leaves the kit unmasked.
"""

from __future__ import annotations

import html
import json
import re
import socket
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from riv_scheduling import __version__
from riv_scheduling.conformance.client import Exchange
from riv_scheduling.conformance.runner import BLOCKED, FAIL, NA, PASS, CheckResult, RunResult, StepResult
from riv_scheduling.logs import mask

LABEL = {PASS: "PASS", FAIL: "FAIL", NA: "N/A", BLOCKED: "BLOCKED"}
# Characters of one pretty-printed envelope in the HTML report: enough for the evidence of a
# failure, while a run with whole weeks of slots stays well under 1 MB.
MAX_ENVELOPE = 16_000
MAX_ENVELOPE_PASSED = 2_000  # a step whose checks all passed
MAX_EXCERPT = 1_500  # terminal and JUnit: request and response of a failure
SOURCE = re.compile(r"(?:TKB 2\.0|SOAP 1\.1|WSDL 1\.1) §[\d.]+(?:,? ?§[\d.]+)*"
                    r"|\b\w+_\d\.\d(?:_RIVTABP21)?\.(?:xsd|wsdl)\b")


def source_of(rule: str) -> str:
    """The public sources a rule cites ("TKB 2.0 §3.7.4", "SOAP 1.1 §4.2.3", a schema file)."""
    return "; ".join(dict.fromkeys(m.group(0) for m in SOURCE.finditer(rule))) or "(no section cited)"


@dataclass
class Finding:
    """A failure with its step, or blocked checks collapsed to one cause."""

    first: CheckResult
    step: StepResult | None
    count: int = 1
    names: list[str] = field(default_factory=list)


_STOPPED = re.compile(r"the producer stopped answering at (\S+)")


def findings(result: RunResult) -> tuple[list[Finding], list[Finding]]:
    """(failures, blocked causes): every failure with its step, in run order; blocked checks grouped
    by their cause (a producer that stopped answering blocks everything after it under one cause)."""
    failures: list[Finding] = []
    causes: dict[str, Finding] = {}
    for sr in result.scenarios:
        for step in sr.steps:
            for r in step.checks:
                if r.status == FAIL:
                    failures.append(Finding(r, step, names=[r.name]))
                elif r.status == BLOCKED:
                    stopped = _STOPPED.search(r.message)
                    key = stopped.group(1) if stopped else f"{r.scenario}/{r.step}: {r.message}"
                    if key in causes:
                        causes[key].count += 1
                        causes[key].names.append(r.name)
                    else:
                        causes[key] = Finding(r, step, names=[r.name])
    return failures, list(causes.values())


def progress_line(r: CheckResult) -> str:
    """One line per check, for stderr while the run goes on."""
    return mask(f"{LABEL[r.status]:<7} {r.name}  {_one_line(r.message, 160)}")


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def totals_line(result: RunResult) -> str:
    t = result.totals
    return (f"{sum(t.values())} checks: {t[PASS]} pass, {t[FAIL]} fail, {t[NA]} not applicable"
            + (f", {t[BLOCKED]} blocked" if t[BLOCKED] else ""))


# -- terminal ----------------------------------------------------------------------------


def terminal(result: RunResult) -> str:
    o = result.options
    lines = [
        f"riv-scheduling conformance {__version__}: {o.base_url}  LogicalAddress {o.logical_address}",
        f"persons {o.person} and {o.person2}; {'read-only' if o.read_only else 'read-write'}; "
        f"{result.seconds:.1f} s",
        _served_line(result),
        "",
    ]
    failures, blocked = findings(result)
    if failures or blocked:
        lines.append(f"FAILURES FIRST: {len(failures)} failed"
                     + (f", {sum(b.count for b in blocked)} blocked ({len(blocked)} cause"
                        f"{'s' if len(blocked) != 1 else ''})" if blocked else ""))
        for n, f in enumerate(failures, 1):
            lines += [f"{n}. FAIL {f.first.name}",
                      f"   rule:     {f.first.rule}",
                      f"   source:   {source_of(f.first.rule)}",
                      f"   found:    {_one_line(f.first.message, 600)}"]
            for ex in (f.step.exchanges if f.step else [])[:1]:
                lines += [f"   request:  {ex.method} {ex.url}", _indent(_excerpt_text(ex.request, MAX_EXCERPT))]
                if ex.answered:
                    lines += [f"   response: HTTP {ex.status} {ex.content_type}",
                              _indent(_excerpt_text(ex.response, MAX_EXCERPT, _evidence([f.first])))]
                elif ex.error:
                    lines.append(f"   response: none ({_one_line(ex.error, 300)})")
        for b in blocked:
            lines += [f"BLOCKED {b.count} check{'s' if b.count != 1 else ''} by one cause: "
                      f"{_one_line(b.first.message, 400)}",
                      f"   first: {b.first.name}" + (f", last: {b.names[-1]}" if b.count > 1 else "")]
        lines.append("")
    for sr in result.scenarios:
        counts = Counter(r.status for r in sr.checks)
        head = ", ".join(f"{counts[s]} {LABEL[s].lower()}" for s in (PASS, FAIL, NA, BLOCKED) if counts[s])
        lines.append(f"{sr.scenario.id}: {sr.scenario.title} ({head or 'no checks'})")
        if sr.note:
            lines.append(f"  ({sr.note})")
        for r in sr.checks:
            if sr.note and r.status == NA:
                continue
            lines.append(f"  {LABEL[r.status]:<7} {r.name}  {_one_line(r.message, 140)}")
            if r.status in (FAIL, BLOCKED):
                lines.append(f"          rule: {r.rule}")
        lines.append("")
    lines.append(("PASSED" if result.ok else "FAILED") + ": " + totals_line(result))
    return mask("\n".join(lines)) + "\n"


def _indent(text: str) -> str:
    return "\n".join("     | " + line for line in text.splitlines()) if text else "     | (empty)"


def _excerpt_text(data: bytes, limit: int, keep: tuple[str, ...] = ()) -> str:
    return _cap(pretty(data), limit, keep)


def _served_line(result: RunResult) -> str:
    groups: dict[str, list[str]] = {"served": [], "not served": [], "unknown": []}
    for name, (served, _why) in sorted(result.served.items()):
        groups["served" if served else "not served" if served is False else "unknown"].append(name)
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in groups.items() if v) or "no interaction contacted"


# -- JUnit -------------------------------------------------------------------------------


def junit(result: RunResult) -> bytes:
    """JUnit XML: one testsuite per scenario, one testcase per check."""
    o = result.options
    root = etree.Element("testsuites", name="riv-scheduling conformance")
    t = result.totals
    root.set("tests", str(sum(t.values())))
    root.set("failures", str(t[FAIL]))
    root.set("errors", str(t[BLOCKED]))
    root.set("skipped", str(t[NA]))
    root.set("time", f"{result.seconds:.3f}")
    host = socket.gethostname()
    # Failures first: the scenarios with failures or blocked checks, then the others (each in run order).
    ordered = sorted(result.scenarios, key=lambda sr: not any(r.status in (FAIL, BLOCKED) for r in sr.checks))
    for sr in ordered:
        counts = Counter(r.status for r in sr.checks)
        suite = etree.SubElement(root, "testsuite", name=sr.scenario.id)
        suite.set("tests", str(len(sr.checks)))
        suite.set("failures", str(counts[FAIL]))
        suite.set("errors", str(counts[BLOCKED]))
        suite.set("skipped", str(counts[NA]))
        seconds = sum(s.exchange.seconds for s in sr.steps if s.exchange is not None)
        suite.set("time", f"{seconds:.3f}")
        suite.set("timestamp", result.started.replace(microsecond=0, tzinfo=None).isoformat())
        suite.set("hostname", host)
        props = etree.SubElement(suite, "properties")
        for name, value in (("title", sr.scenario.title), ("flow", sr.scenario.flow),
                            ("file", str(sr.scenario.path)), ("url", o.base_url),
                            ("logical-address", o.logical_address),
                            ("changes-data", str(sr.scenario.changes_data).lower())):
            etree.SubElement(props, "property", name=name, value=value)
        rank = {FAIL: 0, BLOCKED: 1}
        cases = sorted(((step, r) for step in sr.steps for r in step.checks), key=lambda c: rank.get(c[1].status, 2))
        for step, r in cases:
            case = etree.SubElement(suite, "testcase", classname=f"conformance.{sr.scenario.id}", name=r.name)
            case.set("time", f"{step.exchange.seconds if step.exchange else 0:.3f}")
            text = f"rule: {r.rule}\nsource: {source_of(r.rule)}\n{r.message}"
            if r.status == FAIL:
                el = etree.SubElement(case, "failure", message=_one_line(r.message, 500), type="conformance")
                el.text = text + _excerpt(step.exchange, keep=_evidence([r]))
            elif r.status == BLOCKED:
                el = etree.SubElement(case, "error", message=_one_line(r.message, 500), type="blocked")
                el.text = text
            elif r.status == NA:
                etree.SubElement(case, "skipped", message=_one_line(r.message, 500))
            out = etree.SubElement(case, "system-out")
            out.text = text
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return mask(data.decode("utf-8")).encode("utf-8")


def _excerpt(ex: Exchange | None, limit: int = 3000, keep: tuple[str, ...] = ()) -> str:
    if ex is None:
        return ""
    out = f"\n\nrequest ({ex.method} {ex.url}):\n{_excerpt_text(ex.request, limit) or '(no body)'}"
    if ex.answered:
        out += f"\n\nresponse (HTTP {ex.status}):\n{_excerpt_text(ex.response, limit, keep)}"
    elif ex.error:
        out += f"\n\nresponse: none ({ex.error})"
    return out


# -- HTML --------------------------------------------------------------------------------


def pretty(data: bytes) -> str:
    """An envelope pretty-printed, or the bytes as text when they are not XML."""
    if not data:
        return ""
    try:
        parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True, load_dtd=False,
                                 huge_tree=True)
        root = etree.fromstring(data, parser)
        return etree.tostring(root, pretty_print=True, encoding="unicode")
    except (etree.XMLSyntaxError, ValueError):
        return data.decode("utf-8", "replace")


CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;
color:#1d1d1f;background:#fff}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:2px solid #ddd;padding-bottom:.2em}h3{margin:1.2em 0 .4em}
table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ddd;padding:.25em .5em;vertical-align:top;text-align:left}
th{background:#f4f4f6}.s{font-weight:700;white-space:nowrap;border-radius:3px;padding:0 .4em}
.pass{background:#d9f2dd;color:#14532d}.fail{background:#fde0e0;color:#7f1d1d}
.na{background:#ececef;color:#444}.blocked{background:#fdecc8;color:#7c4a03}
.step{border:1px solid #ddd;border-radius:6px;padding:.4em 1em;margin:.8em 0}
.step.bad{border-color:#e0a0a0}.rule{color:#555;font-size:.92em}
pre{background:#f7f7f9;border:1px solid #e3e3e8;padding:.6em;overflow:auto;max-height:40em;font-size:12.5px}
summary{cursor:pointer;font-weight:600}.meta td:first-child{width:14em;font-weight:600}.muted{color:#666}
code{font-size:.95em}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _badge(status: str) -> str:
    cls = {PASS: "pass", FAIL: "fail", NA: "na", BLOCKED: "blocked"}[status]
    return f'<span class="s {cls}">{LABEL[status]}</span>'


def _anchor(name: str) -> str:
    return "c-" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)


def html_report(result: RunResult) -> str:
    o = result.options
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Conformance report: {_e(o.base_url)}</title><style>{CSS}</style></head><body>",
        "<h1>riv.supportprocess.logistics.scheduling 2.0: conformance report</h1>",
        '<table class="meta">',
    ]
    meta = [
        ("Producer", o.base_url),
        ("LogicalAddress", o.logical_address),
        ("Persons", f"{o.person}, {o.person2}"),
        ("Mode", "read-only (scenarios that change data were skipped)" if o.read_only else "read-write"),
        ("Search window", f"{o.days} days from {o.days_ahead} days ahead"
         + (f", time type {o.time_type}" if o.time_type else "")),
        ("Started", result.started.isoformat(timespec="seconds")),
        ("Duration", f"{result.seconds:.1f} s"),
        ("Kit", f"riv-scheduling {__version__} (requests built from its own schemas/)"),
        ("Result", ("PASSED" if result.ok else "FAILED") + ": " + totals_line(result)),
    ]
    parts += [f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in meta]
    parts.append("</table>")

    failures, blocked = findings(result)
    if failures or blocked:
        parts.append(f'<h2 id="failures">Failures first: {len(failures)} failed, '
                     f"{sum(b.count for b in blocked)} blocked</h2>")
        for f in failures:
            parts.append(_finding_html(f))
        for b in blocked:
            parts.append(
                f'<div class="step bad"><p>{_badge(BLOCKED)} <strong>{b.count} check{"s" if b.count != 1 else ""}'
                f"</strong> blocked by one cause: {_e(b.first.message)}</p>"
                f'<p class="muted">First: <a href="#{_anchor(b.first.name)}"><code>{_e(b.first.name)}</code></a>'
                + (f", last: <code>{_e(b.names[-1])}</code>" if b.count > 1 else "") + "</p></div>")
    parts.append("<h2>Interactions</h2><table><tr><th>Interaction</th><th>Served</th><th>How the kit knows</th></tr>")
    for name, (served, why) in sorted(result.served.items()):
        word = "yes" if served else "no" if served is False else "unknown"
        parts.append(f"<tr><td>{_e(name)}</td><td>{word}</td><td>{_e(why)}</td></tr>")
    parts.append("</table>")

    parts.append("<h2>All checks</h2><table><tr><th>Result</th><th>Check</th><th>Rule</th><th>Message</th></tr>")
    for r in result.checks:
        parts.append(
            f'<tr><td>{_badge(r.status)}</td><td><a href="#{_anchor(r.name)}"><code>{_e(r.name)}</code></a></td>'
            f'<td class="rule">{_e(r.rule)}</td><td>{_e(r.message)}</td></tr>'
        )
    parts.append("</table>")

    for sr in result.scenarios:
        s = sr.scenario
        parts.append(f'<h2 id="s-{_e(s.id)}">{_e(s.id)}: {_e(s.title)}</h2>')
        info = [("Flow", s.flow), ("File", str(s.path)), ("Changes data", "yes" if s.changes_data else "no")]
        if s.requires:
            info.append(("Needs", ", ".join(s.requires)))
        parts.append("<p class=\"muted\">" + " · ".join(f"{_e(k)}: {_e(v)}" for k, v in info if v) + "</p>")
        if s.description:
            parts.append(f"<p>{_e(s.description)}</p>")
        if sr.note:
            parts.append(f"<p><strong>Not run:</strong> {_e(sr.note)}</p>")
        for step in sr.steps:
            parts.append(_step_html(s.id, step))
        if sr.cleanup:
            parts.append("<h3>Cleanup</h3>")
            for step in sr.cleanup:
                parts.append(_step_html(s.id, step))
    parts.append('<p class="muted">Personal identity numbers are masked (last four digits as ****).</p>')
    parts.append("</body></html>")
    return mask("\n".join(parts))


def _finding_html(f: Finding) -> str:
    r = f.first
    out = [f'<div class="step bad" id="f-{_anchor(r.name)}">',
           f'<p>{_badge(r.status)} <a href="#{_anchor(r.name)}"><code>{_e(r.name)}</code></a></p>',
           '<table class="meta">',
           f"<tr><td>Rule</td><td>{_e(r.rule)}</td></tr>",
           f"<tr><td>Source</td><td>{_e(source_of(r.rule))}</td></tr>",
           f"<tr><td>Found (expected vs actual)</td><td>{_e(r.message)}</td></tr></table>"]
    for ex in (f.step.exchanges if f.step else [])[:1]:
        out.append(_exchange_html(ex, True, MAX_ENVELOPE, _evidence([r])))
    out.append("</div>")
    return "\n".join(out)


def _exchange_html(ex: Exchange, opened: bool, limit: int, keep: tuple[str, ...] = ()) -> str:
    o = " open" if opened else ""
    headers = "".join(f"{k}: {v}\n" for k, v in ex.request_headers.items())
    req = pretty(ex.request) if ex.request else "(no body)"
    out = [f"<details{o}><summary>Request: {_e(ex.method)} {_e(ex.url)}</summary>"
           f"<pre>{_e(headers)}\n{_e(_cap(req, limit))}</pre></details>"]
    if ex.answered:
        resp = pretty(ex.response) or "(empty body)"
        out.append(f"<details{o}><summary>Response: HTTP {ex.status}, {_e(ex.content_type or 'no type')}, "
                   f"{ex.seconds * 1000:.0f} ms</summary><pre>{_e(_cap(resp, limit, keep))}</pre></details>")
    if ex.error:
        out.append(f"<p><strong>Transport:</strong> {_e(ex.error)}</p>")
    if ex.client_note:
        out.append(f"<p class=\"muted\">{_e(ex.client_note)}</p>")
    return "\n".join(out)


def step_anchor(scenario: str, step: str) -> str:
    return _anchor(f"step/{scenario}/{step}")


def _step_html(scenario: str, sr: StepResult) -> str:
    step = sr.step
    bad = any(r.status in (FAIL, BLOCKED) for r in sr.checks)
    kind = {"call": "call", "raw": "raw request", "wsdl": "WSDL"}[step.kind]
    out = [f'<div class="step{" bad" if bad else ""}" id="{step_anchor(scenario, step.id)}">',
           f"<h3>{_e(step.id)} <span class=\"muted\">({kind} {_e(step.interaction)})</span></h3>"]
    if step.title:
        out.append(f"<p>{_e(step.title)}</p>")
    if sr.reason:
        out.append(f"<p class=\"muted\">{_e(sr.reason)}</p>")
    for r in sr.checks:
        out.append(
            f'<p id="{_anchor(r.name)}">{_badge(r.status)} <code>{_e(r.name)}</code><br>'
            f'<span class="rule">Rule: {_e(r.rule)}</span><br>{_e(r.message)}</p>'
        )
    limit = MAX_ENVELOPE if bad else MAX_ENVELOPE_PASSED
    for n, ex in enumerate(sr.exchanges):
        if len(sr.exchanges) > 1:
            out.append(f"<p class=\"muted\">Person {n + 1} of {len(sr.exchanges)} (sent at the same moment)</p>")
        out.append(_exchange_html(ex, bad, limit, _evidence(sr.checks)))
        if n == 0 and sr.request is not None and step.kind == "call":
            out.append("<details><summary>Request values (from the scenario)</summary>"
                       f"<pre>{_e(_cap(json.dumps(sr.request, indent=2, ensure_ascii=False), limit))}</pre></details>")
    out.append("</div>")
    return "\n".join(out)


def _cap(text: str, limit: int = MAX_ENVELOPE, keep: tuple[str, ...] = ()) -> str:
    """The text, shortened to about ``limit`` characters with a note; the lines around the first
    occurrence of each ``keep`` value (what a failure message quotes) stay visible."""
    if len(text) <= limit:
        return text
    shown = [(0, limit)]
    for value in keep:
        at = text.find(value, limit)
        if at >= 0:
            shown.append((_parent_start(text, at), min(len(text), at + len(value) + 600)))
    out, end = [], 0
    for start, stop in sorted(shown):
        start = max(start, end)
        if start >= stop:
            continue
        if start > end:
            out.append(f"\n… ({start - end} characters not shown) …\n")
        out.append(text[start:stop])
        end = stop
    if end < len(text):
        out.append(f"\n… (shortened: {len(text) - end} more characters of {len(text)} not shown; "
                   "the checks read the whole message)")
    return "".join(out)


def _parent_start(text: str, at: int, reach: int = 6000) -> int:
    """Where the element around position ``at`` of pretty-printed XML begins (the nearest line
    above that is indented less), so the evidence is shown with the element it belongs to."""
    line = text.rfind("\n", 0, at) + 1
    indent = len(text[line:at]) - len(text[line:at].lstrip(" "))
    while line > 0 and at - line < reach:
        previous = text.rfind("\n", 0, line - 1) + 1
        content = text[previous:line]
        if len(content) - len(content.lstrip(" ")) < indent:
            return previous
        line = previous
    return line


_QUOTED = re.compile(r"'([^'\n]{4,200})'")


def _evidence(checks: list[CheckResult]) -> tuple[str, ...]:
    """The values failure messages quote: kept visible in shortened envelopes."""
    return tuple(dict.fromkeys(v for r in checks if r.status == FAIL for v in _QUOTED.findall(r.message)))
