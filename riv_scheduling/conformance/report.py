"""Reports of a run: terminal summary, JUnit XML, and one self-contained HTML file.

Every report text goes through ``riv_scheduling.logs.mask`` as a whole, so no personal identity
number (personnummer or samordningsnummer, 12 digits) leaves the kit unmasked.
"""

from __future__ import annotations

import html
import json
import socket
from collections import Counter
from typing import Any

from lxml import etree

from riv_scheduling import __version__
from riv_scheduling.conformance.client import Exchange
from riv_scheduling.conformance.runner import BLOCKED, FAIL, NA, PASS, CheckResult, RunResult, StepResult
from riv_scheduling.logs import mask

LABEL = {PASS: "PASS", FAIL: "FAIL", NA: "N/A", BLOCKED: "BLOCKED"}
MAX_ENVELOPE = 2_000_000  # characters of one pretty-printed envelope in the HTML report


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
    for sr in result.scenarios:
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
        for step in sr.steps:
            for r in step.checks:
                case = etree.SubElement(suite, "testcase", classname=f"conformance.{sr.scenario.id}", name=r.name)
                case.set("time", f"{step.exchange.seconds if step.exchange else 0:.3f}")
                text = f"rule: {r.rule}\n{r.message}"
                if r.status == FAIL:
                    el = etree.SubElement(case, "failure", message=_one_line(r.message, 500), type="conformance")
                    el.text = text + _excerpt(step.exchange)
                elif r.status == BLOCKED:
                    el = etree.SubElement(case, "error", message=_one_line(r.message, 500), type="blocked")
                    el.text = text
                elif r.status == NA:
                    etree.SubElement(case, "skipped", message=_one_line(r.message, 500))
                out = etree.SubElement(case, "system-out")
                out.text = text
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return mask(data.decode("utf-8")).encode("utf-8")


def _excerpt(ex: Exchange | None, limit: int = 3000) -> str:
    if ex is None or not ex.answered:
        return ""
    body = pretty(ex.response)
    if len(body) > limit:
        body = body[:limit] + "\n… (truncated; the HTML report has the whole envelope)"
    return f"\n\nresponse (HTTP {ex.status}):\n{body}"


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
    ex = sr.exchange
    if ex is not None:
        opened = " open" if bad else ""
        headers = "".join(f"{k}: {v}\n" for k, v in ex.request_headers.items())
        req = pretty(ex.request) if ex.request else "(no body)"
        out.append(f"<details{opened}><summary>Request: {_e(ex.method)} {_e(ex.url)}</summary>"
                   f"<pre>{_e(headers)}\n{_e(_cap(req))}</pre></details>")
        if sr.request is not None and step.kind == "call":
            out.append("<details><summary>Request values (from the scenario)</summary>"
                       f"<pre>{_e(json.dumps(sr.request, indent=2, ensure_ascii=False))}</pre></details>")
        if ex.answered:
            resp = pretty(ex.response) or "(empty body)"
            out.append(f"<details{opened}><summary>Response: HTTP {ex.status}, {_e(ex.content_type or 'no type')}, "
                       f"{ex.seconds * 1000:.0f} ms</summary><pre>{_e(_cap(resp))}</pre></details>")
        if ex.error:
            out.append(f"<p><strong>Transport:</strong> {_e(ex.error)}</p>")
        if ex.client_note:
            out.append(f"<p class=\"muted\">{_e(ex.client_note)}</p>")
    out.append("</div>")
    return "\n".join(out)


def _cap(text: str) -> str:
    if len(text) <= MAX_ENVELOPE:
        return text
    return text[:MAX_ENVELOPE] + f"\n… ({len(text) - MAX_ENVELOPE} more characters not shown)"
