"""The scenario format: the shipped files, the checks a loader makes, the expression syntax, and a
region's own scenario file run next to the kit's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from kit_helpers import PERSON, PERSON2, UNIT, WINDOW
from lxml import etree

from riv_scheduling.conformance import rules
from riv_scheduling.conformance.__main__ import main
from riv_scheduling.conformance.expressions import Context, ExpressionError, StepState, Unresolved, parse_path
from riv_scheduling.conformance.scenario import ScenarioError, default_contracts_dir, load, load_file

FLOWS = {"service-discovery", "soap-faults", "queries", "new-booking", "concurrent-booking", "rebooking",
         "cancellation", "confirmation", "invitation"}


def test_the_shipped_scenarios() -> None:
    scenarios = load([default_contracts_dir()])
    assert {s.id for s in scenarios} == FLOWS
    assert [s.id for s in scenarios][:3] == ["service-discovery", "soap-faults", "queries"]
    read_only = {s.id for s in scenarios if not s.changes_data}
    assert read_only == {"service-discovery", "soap-faults", "queries"}
    names = [n for s in scenarios for n in s.all_check_names]
    assert len(names) == len(set(names)) > 200
    for s in scenarios:
        assert s.flow and s.title
        assert PUBLIC_SOURCE.match(s.flow), s.flow
        for step in s.steps:
            for check in step.checks:
                assert PUBLIC_SOURCE.match(check.rule), check


# A citation anyone can look up: a TKB 2.0 section, the SOAP 1.1 specification, or a schema file.
PUBLIC_SOURCE = re.compile(r"(TKB 2\.0 §\d|SOAP 1\.1 §\d|\w+_\d\.\d(_RIVTABP21)?\.(xsd|wsdl)\b)")


def test_the_automatic_checks_cite_the_tkb() -> None:
    assert rules.schema_rule("MakeAppointment").startswith("TKB 2.0 §7.11.6, MakeAppointmentInteraction_2.0")
    assert rules.result_code_rule("CancelAppointment").startswith("TKB 2.0 §3.7: ")
    assert rules.result_code_rule("GetTimeTypes").startswith("TKB 2.0 §3.7, §7.5.4 (OK, INFO, ERROR only): ")
    assert rules.wsdl_rule("GetAvailableDates").startswith("TKB 2.0 §7.6, GetAvailableDatesInteraction_2.0")
    assert rules.mandatory_rule("GetAppointment") == "TKB 2.0 §3.1: every producer must serve GetAppointment"
    assert rules.namespace_rule("GetAppointment").startswith("GetAppointmentResponder_2.0.xsd ")


def write(tmp_path: Path, text: str, name: str = "case.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEAD = '[scenario]\ntitle = "t"\nchanges_data = false\n'
STEP = '[[step]]\nid = "a"\ncall = "GetAppointments"\n[step.request]\nactor = "${actor}"\npersonId = "${person_id}"\n'


@pytest.mark.parametrize("text, message", [
    (HEAD + '[[step]]\nid = "a"\ncall = "GetAppointments"\ncolour = "red"\n', "unknown key(s) colour"),
    (HEAD + STEP + 'colour = "red"\n', "unknown element(s) colour in the GetAppointments request"),
    ('[scenario]\ntitle = "t"\n' + STEP, "changes_data = true/false is required"),
    (HEAD + '[[step]]\nid = "a"\ncall = "GetAppointmentz"\n', "unknown interaction 'GetAppointmentz'"),
    (HEAD + STEP + '[[step.check]]\nid = "c"\nvalue = "resultCode"\nequals = "OK"\n', "rule = is required"),
    (HEAD + STEP + '[[step.check]]\nid = "c"\nrule = "r"\nvalue = "x"\nequals = "OK"\nexists = true\n',
     "exactly one assertion"),
    (HEAD + STEP.replace("${actor}", "${b.actor}") + '[[step]]\nid = "b"\ncall = "GetAppointments"\n',
     "unknown name 'b'"),
    (HEAD + STEP.replace("${actor}", "${actorr}"), "unknown name 'actorr'"),
    (HEAD + STEP + '[[step.check]]\nid = "c"\nrule = "r"\nvalue = "appointment[x"\nexists = true\n',
     "'[' without ']'"),
    (HEAD + STEP.replace('id = "a"', 'id = "today"'), "also the name of a variable"),
    (HEAD + STEP + '[step.bind]\nslot = "appointment[0]"\n[[step]]\nid = "b"\ncall = "GetAppointment"\n'
     '[step.request]\nappointmentId = "${slot.appointmentId}"\n[step.bind]\nslot = "x"\n', "already a variable"),
    (HEAD + STEP.replace("${actor}", "${today+1.x}"), "expected"),
    (HEAD + STEP.replace("${actor}", "${unit+1}"), "can be shifted"),
])
def test_mistakes_in_a_scenario_file_are_reported(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_file(path)
    assert str(path) in str(caught.value) and message in str(caught.value), str(caught.value)


RESPONSE = etree.fromstring(
    b'<r:R xmlns:r="urn:r" xmlns:c="urn:c"><c:timeslot><c:timeslotId>1</c:timeslotId><c:hidden>1</c:hidden>'
    b'<c:startTime>20300101080000</c:startTime></c:timeslot><c:timeslot><c:timeslotId>2</c:timeslotId>'
    b'<c:hidden>false</c:hidden><c:startTime>20300101090000</c:startTime><c:p><c:x>a</c:x><c:x>b</c:x></c:p>'
    b"</c:timeslot><c:resultCode>OK</c:resultCode></r:R>"
)


def context() -> Context:
    variables = {"today": "20300101", "unit": "SE1", "time_type": None, "person_id": {"root": "1.2", "extension": "9"}}
    ctx = Context(variables, step_names={"s"}, bind_owner={"slot": "s"})
    ctx.steps["s"] = StepState("done", request={"timeslotId": "T", "actor": {"actorId": {"root": "R"}}},
                               payload=RESPONSE)
    ctx.bind("slot", RESPONSE, "timeslot[hidden!=true][0]")
    return ctx


def test_the_expression_syntax() -> None:
    ctx = context()
    assert ctx.substitute("${s.timeslot[0].timeslotId}") == "1"
    assert ctx.substitute("${s.timeslot[-1].timeslotId}") == "2"
    assert ctx.substitute("${s.timeslot[*].timeslotId}") == ["1", "2"]
    assert ctx.substitute("${s.timeslot[hidden=true].timeslotId}") == "1"  # xs:boolean 1 == true
    assert ctx.substitute("${slot.startTime}") == "20300101090000"
    assert ctx.substitute("${slot.p}") == {"x": ["a", "b"]}
    assert ctx.substitute("${s.request.actor.actorId.root}") == "R"
    assert ctx.substitute("${today+31}") == "20300201" and ctx.substitute("${today-1}") == "20291231"
    assert ctx.substitute("${person_id.root}") == "1.2"
    assert ctx.substitute("id ${s.resultCode} costs $$5") == "id OK costs $5"
    assert ctx.substitute({"a": "${time_type}", "b": ["${unit}", "${time_type}"]}) == {"b": ["SE1"]}
    with pytest.raises(Unresolved):
        ctx.substitute("${s.timeslot[5].timeslotId}")
    assert ctx.condition("${s.resultCode} == OK") and ctx.condition("${s.resultCode} != ERROR")
    assert ctx.condition("not ${s.appointmentId}") and not ctx.condition("${s.appointmentId}")
    assert ctx.condition("${s.timeslot[timeslotId!=1].timeslotId} == 2")
    with pytest.raises(ExpressionError):
        parse_path("a..b")


REGION_CASE = """
# A region's own case: GetAppointments filters on dates.
[scenario]
id = "region-date-filter"
title = "GetAppointments fromDate/toDate"
flow = "TKB 2.0 §7.4"
changes_data = true
requires = ["GetAvailableTimeslots", "MakeAppointment", "GetAppointments", "CancelAppointment"]
uses_vars = ["region_reason"]

[[step]]
id = "search"
call = "GetAvailableTimeslots"
[step.request]
actor = "${actor}"
personId = "${person_id}"
startDateInclusive = "${search_from}"
endDateInclusive = "${search_to}"
[step.bind]
slot = "timeslot[timeType.cancelAppointmentAllowed=true][timeType.patientGroup!=true][timeType.code=SSKBESOK][0]"

[[step]]
id = "make"
call = "MakeAppointment"
[step.request]
actor = "${actor}"
personId = "${person_id}"
timeslotId = "${slot.timeslotId}"
reasonText = "${region_reason}"

[[step]]
id = "until-yesterday"
call = "GetAppointments"
[step.request]
actor = "${actor}"
personId = "${person_id}"
toDate = "${today-1}"

[[step.check]]
id = "not-listed"
rule = "TKB 2.0 §7.4.4: toDate: appointments up to and including this date"
value = "appointment.appointmentId"
not_contains = "${make.appointmentId}"

[[step]]
id = "from-search-start"
call = "GetAppointments"
[step.request]
actor = "${actor}"
personId = "${person_id}"
fromDate = "${search_from}"

[[step.check]]
id = "listed"
rule = "TKB 2.0 §7.4.4: fromDate: appointments on or after this date"
value = "appointment.appointmentId"
contains = "${make.appointmentId}"

[[cleanup]]
call = "CancelAppointment"
when = "${make.appointmentId}"
[cleanup.request]
actor = "${actor}"
appointmentId = "${make.appointmentId}"
personId = "${person_id}"
"""


def test_a_region_adds_its_own_case(producer, tmp_path: Path, capsys) -> None:
    case = write(tmp_path, REGION_CASE, "region.toml")
    running = producer()
    code = main(["conformance", "--url", running.url, "--logical-address", UNIT, "--person", PERSON,
                 "--person2", PERSON2, "--days-ahead", str(WINDOW["days_ahead"]), "--days", str(WINDOW["days"]),
                 "--scenario", str(case), "--only", "region-date-filter", "--var", "region_reason=Kontroll"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "PASS    region-date-filter/from-search-start/listed" in out
    assert "PASS    region-date-filter/until-yesterday/not-listed" in out
    assert "PASSED: 12 checks: 12 pass, 0 fail, 0 not applicable" in out


def test_the_region_example_in_the_docs_loads(tmp_path: Path) -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "conformance.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in docs.split("```toml\n")[1:]]
    example = [b for b in blocks if 'id = "region-preliminary-confirmation"' in b]
    assert len(example) == 1
    scenario = load_file(write(tmp_path, example[0]))
    assert scenario.requires_vars == ("preliminary_id",)
    assert scenario.all_check_names[-1] == "region-preliminary-confirmation/after/status-confirmed"
