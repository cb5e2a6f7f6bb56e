"""(c) The command, its progress lines, the JUnit XML and the self-contained HTML report."""

from __future__ import annotations

import argparse
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import defects
from kit_helpers import PERSON, PERSON2, UNIT, WINDOW

from riv_scheduling.conformance.__main__ import main
from riv_scheduling.conformance.commands import register
from riv_scheduling.logs import PERSON_ID

PNR_ANY = re.compile(r"(?<!\d)(?:18|19|20)\d{6}\d{4}(?!\d)")


def run_cli(url: str, tmp_path: Path, *extra: str) -> tuple[int, Path, Path]:
    junit, page = tmp_path / "conformance.xml", tmp_path / "conformance.html"
    code = main(["conformance", "--url", url, "--logical-address", UNIT, "--person", PERSON, "--person2", PERSON2,
                 "--days-ahead", str(WINDOW["days_ahead"]), "--days", str(WINDOW["days"]),
                 "--junit", str(junit), "--html", str(page), *extra])
    return code, junit, page


def junit_counts(path: Path) -> dict[str, int]:
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    cases = root.findall("testsuite/testcase")
    counts = {
        "tests": len(cases),
        "failures": sum(c.find("failure") is not None for c in cases),
        "errors": sum(c.find("error") is not None for c in cases),
        "skipped": sum(c.find("skipped") is not None for c in cases),
    }
    for key, value in counts.items():
        assert int(root.get(key)) == value, key
    for suite in root.findall("testsuite"):
        suite_cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(suite_cases)
        assert int(suite.get("failures")) == sum(c.find("failure") is not None for c in suite_cases)
        assert int(suite.get("skipped")) == sum(c.find("skipped") is not None for c in suite_cases)
    return counts


def test_the_command_against_our_producer(producer, tmp_path: Path, capsys) -> None:
    running = producer(defects.hidden(*defects.NOT_IN_CORE))
    code, junit, page = run_cli(running.url, tmp_path)
    out, err = capsys.readouterr()
    assert code == 0, out
    progress = [line for line in err.splitlines() if re.match(r"(PASS|FAIL|N/A|BLOCKED) ", line)]
    totals = re.search(r"PASSED: (\d+) checks: (\d+) pass, (\d+) fail, (\d+) not applicable", out)
    assert totals, out
    total, passed, failed, na = map(int, totals.groups())
    assert len(progress) == total, "one progress line per check on stderr"
    assert failed == 0 and passed > 150 and na > 0
    assert junit_counts(junit) == {"tests": total, "failures": 0, "errors": 0, "skipped": na}
    assert "new-booking/double-booking/already-reserved" in page.read_text(encoding="utf-8")


def test_reports_of_a_failing_run(producer, tmp_path: Path, capsys) -> None:
    running = producer(defects.double_booking_allowed())
    code, junit, page = run_cli(running.url, tmp_path, "--only", "new-booking", "--quiet")
    out, err = capsys.readouterr()
    assert code == 1
    assert "FAILED: " in out and "FAIL    new-booking/double-booking/already-reserved" in out
    assert "rule: TKB 2.0 §3.7.2: the refusal of an already booked slot is REQUESTED_TIME_IS_ALREADY_RESERVED" in out
    assert not re.search(r"^(PASS|FAIL) ", err, re.M), "--quiet: no progress lines"
    counts = junit_counts(junit)
    assert counts["failures"] == 3 and counts["errors"] == 0
    root = ET.parse(junit).getroot()
    failed = {c.get("name") for c in root.iter("testcase") if c.find("failure") is not None}
    assert failed == {"new-booking/double-booking/refused", "new-booking/double-booking/already-reserved",
                      "new-booking/double-booking/no-appointment-id"}
    text = [c for c in root.iter("testcase") if c.get("name") == "new-booking/double-booking/refused"][0]
    assert defects.FAKE_APPOINTMENT_ID in text.find("failure").text  # the response excerpt


def test_reports_mask_every_identity_number(producer, tmp_path: Path, capsys) -> None:
    running = producer()
    code, junit, page = run_cli(running.url, tmp_path, "--only", "new-booking", "--only", "soap-faults")
    out, err = capsys.readouterr()
    assert code == 0
    reports = (out, junit.read_text(encoding="utf-8"), page.read_text(encoding="utf-8"))
    for text in (err, *reports):
        assert PERSON not in text and PERSON2 not in text
        assert not PNR_ANY.search(text), PNR_ANY.search(text)
        assert not PERSON_ID.search(text)
    for text in reports:  # the numbers were there, masked
        assert "19121212****" in text
    assert "19811218****" in out and "19811218****" in reports[2]


def test_the_html_report_is_one_self_contained_file(producer, tmp_path: Path, capsys) -> None:
    running = producer()
    code, _junit, page = run_cli(running.url, tmp_path, "--only", "new-booking", "--only", "soap-faults")
    capsys.readouterr()
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<style>" in text
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(|\bsrc=", text, re.I)
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', text))
    # Every check is there with its request and response envelopes, escaped and pretty-printed.
    assert text.count('<span class="s pass">PASS</span> <code>new-booking/') == len(
        [line for line in text.splitlines() if 'href="#c-new-booking_' in line])
    section = text[text.index('id="c-new-booking_make_booked"'):]
    section = section[: section.index('<div class="step')]
    assert "Request: POST " in section and "Response: HTTP 200" in section
    assert "&lt;soap-env:Envelope" in section or "&lt;soapenv:Envelope" in section
    assert "MakeAppointmentResponse" in section and "\n  " in section
    assert "<soap" not in text.lower().replace("&lt;soap", "")


def test_register_adds_both_commands() -> None:
    parser = argparse.ArgumentParser(prog="riv-scheduling")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(["conformance", "--url", "http://x", "--logical-address", UNIT, "--read-only"])
    assert args.read_only and callable(args.func)
    args = parser.parse_args(["validate", "a.xml", "b.xml"])
    assert [p.name for p in args.files] == ["a.xml", "b.xml"] and callable(args.func)


def test_usage_errors(capsys) -> None:
    assert main(["conformance", "--logical-address", UNIT]) == 2
    assert main(["conformance", "--url", "http://127.0.0.1:9", "--logical-address", UNIT,
                 "--person", "191212121213"]) == 2
    assert main(["conformance", "--url", "http://127.0.0.1:9", "--logical-address", UNIT, "--only", "nope"]) == 2
    err = capsys.readouterr().err
    assert "--url is required" in err and "check digit" in err and "no scenario 'nope'" in err
    assert "191212121213" not in err


def test_list_shows_every_check_without_running(capsys) -> None:
    assert main(["conformance", "--list"]) == 0
    out = capsys.readouterr().out
    assert "new-booking  (changes data)" in out and "queries  (read-only)" in out
    assert "  new-booking/double-booking/already-reserved" in out


def test_an_unreachable_producer_fails_rather_than_not_applicable(tmp_path: Path, capsys) -> None:
    code = main(["conformance", "--url", "http://127.0.0.1:9", "--logical-address", UNIT, "--quiet",
                 "--only", "soap-faults", "--timeout", "5"])
    out = capsys.readouterr().out
    assert code == 1 and "FAILED" in out and "not applicable" in out
    assert "0 not applicable" in out


def test_one_injected_defect_is_at_the_top_of_every_report(producer, tmp_path: Path, capsys) -> None:
    # A whole run (every scenario) with one defect: a repeated cancellation answers OK and frees the slot again.
    running = producer(defects.RepeatedCancelOk(release=True))
    code, junit, page = run_cli(running.url, tmp_path, "--quiet")
    out, _err = capsys.readouterr()
    assert code == 1
    first = "cancellation/cancel-again/already-cancelled"
    # Terminal: the failures come before the listing per scenario, each with its evidence.
    head = out[: out.index("\nservice-discovery: ")]
    assert f"1. FAIL {first}" in head
    assert "source:   TKB 2.0 §3.7.4" in head
    assert "found:    resultCode = 'OK', expected 'APPOINTMENT_IS_ALREADY_CANCELED'" in head
    assert "request:  POST " in head and "<ns0:CancelAppointment" in head and "response: HTTP 200" in head
    assert "FAIL cancellation/search-after-cancel-again/picture-unchanged" in head
    # HTML: the failures section is the first after the run's settings, with request and response; < 1 MB.
    text = page.read_text(encoding="utf-8")
    assert len(text.encode()) < 1_000_000, len(text.encode())
    top = text[text.index('<h2 id="failures">'): text.index("<h2>Interactions</h2>")]
    assert text.index('<h2 id="failures">') < text.index("<h2>All checks</h2>")
    assert f"<code>{first}</code>" in top and "TKB 2.0 §3.7.4" in top
    assert "Request: POST " in top and "Response: HTTP 200" in top and "&lt;ns1:resultCode&gt;OK&lt;" in top
    assert "shortened:" in text  # the long search responses are cut, with a note
    # JUnit: the suite with failures comes first, its failures first, with the request and the response.
    root = ET.parse(junit).getroot()
    suite = root.find("testsuite")
    assert suite.get("name") == "cancellation"
    case = suite.find("testcase")
    assert case.get("name") == first and case.find("failure") is not None
    evidence = case.find("failure").text
    assert "source: TKB 2.0 §3.7.4" in evidence and "request (POST " in evidence and "response (HTTP 200)" in evidence


def test_a_crash_collapses_to_its_first_cause(producer, tmp_path: Path, capsys) -> None:
    running = producer(defects.DiesOnMalformedXml())
    code, junit, _page = run_cli(running.url, tmp_path, "--quiet", "--only", "soap-faults", "--only", "queries")
    out, _err = capsys.readouterr()
    assert code == 1
    blocked = int(re.search(r"(\d+) blocked", out.splitlines()[-1]).group(1))
    assert blocked > 50
    assert re.search(rf"BLOCKED {blocked} checks by one cause: not run: the producer stopped answering at "
                     r"soap-faults/still-serving-after-malformed", out)
    assert out.count("BLOCKED ") - out.count("\n  BLOCKED ") == 1  # one cause line, not one per check
    assert junit_counts(junit)["errors"] == blocked


def test_the_concurrent_persons_on_the_command_line(producer, tmp_path: Path, capsys) -> None:
    third, fourth = "191212120016", "191212120024"
    assert main(["conformance", "--url", "http://127.0.0.1:9", "--logical-address", UNIT,
                 "--concurrent-person", "191212120017"]) == 2  # a wrong check digit
    assert main(["conformance", "--url", "http://127.0.0.1:9", "--logical-address", UNIT, "--concurrency", "3"]) == 2
    assert "between 2 and the number of concurrent persons (2)" in capsys.readouterr().err
    running = producer()
    people = [a for pnr in (PERSON, PERSON2, third, fourth) for a in ("--concurrent-person", pnr)]
    code, _junit, page = run_cli(running.url, tmp_path, "--quiet", "--only", "concurrent-booking", *people,
                                 "--concurrency", "3")
    out, _err = capsys.readouterr()
    assert code == 0, out
    assert "PASS    concurrent-booking/race/others-already-reserved  " in out and ": 2 found, as expected" in out
    text = page.read_text(encoding="utf-8")
    assert text.count("Person 3 of 3 (sent at the same moment)") == 1  # the race (the cleanup has one person)
    assert third not in text and "19121212****" in text and fourth not in text
