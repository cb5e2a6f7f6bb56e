"""(d) ``validate``: recorded messages against the 2.0 schemas, with file, line, path and message."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from kit_helpers import run_kit
from lxml import etree

from riv_scheduling.conformance.__main__ import main
from riv_scheduling.conformance.validate import validate_file

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("RIV_SHARED_DIR") or REPO.parent / "shared")
V1_SAMPLES = SHARED / "spec" / "crm-scheduling-1" / "samples"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"

MAKE_APPOINTMENT = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:itr="urn:riv:itintegration:registry:1"
    xmlns:ma="urn:riv:supportprocess:logistics:scheduling:MakeAppointmentResponder:2"
    xmlns:core="urn:riv:supportprocess:logistics:scheduling:2">
  <soapenv:Header><itr:LogicalAddress>SE2321000016-A65H</itr:LogicalAddress></soapenv:Header>
  <soapenv:Body>
    <ma:MakeAppointment>
      <ma:actor>
        <core:actorId><core:root>1.2.752.129.2.1.3.1</core:root><core:extension>191212121212</core:extension></core:actorId>
        <core:actorType><core:code>116154003</core:code><core:codeSystem>1.2.752.116.2.1.1</core:codeSystem></core:actorType>
      </ma:actor>
      <ma:personId><core:root>1.2.752.129.2.1.3.1</core:root><core:extension>191212121212</core:extension></ma:personId>
      <ma:timeslotId>1b4e28ba-2fa1-11d2-883f-0016d3cca427</ma:timeslotId>
      <ma:reasonText>Ont i halsen</ma:reasonText>
    </ma:MakeAppointment>
  </soapenv:Body>
</soapenv:Envelope>
"""

GET_APPOINTMENTS_RESPONSE = """<ga:GetAppointmentsResponse
    xmlns:ga="urn:riv:supportprocess:logistics:scheduling:GetAppointmentsResponder:2"
    xmlns="urn:riv:supportprocess:logistics:scheduling:2">
  <ga:appointment>
    <appointmentId>1b4e28ba-2fa1-11d2-883f-0016d3cca427</appointmentId>
    <healthcareFacilityId>
      <root>1.2.752.129.2.1.4.1</root>
      <extension>SE2321000016-A65H</extension>
    </healthcareFacilityId>
  </ga:appointment>
</ga:GetAppointmentsResponse>
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_valid_messages(tmp_path: Path, capsys) -> None:
    files = [write(tmp_path, "make.xml", MAKE_APPOINTMENT), write(tmp_path, "list.xml", GET_APPOINTMENTS_RESPONSE)]
    reports = [validate_file(f) for f in files]
    assert [r.valid for r in reports] == [True, True]
    assert (reports[0].interaction, reports[0].direction) == ("MakeAppointment", "request")
    assert (reports[1].interaction, reports[1].direction) == ("GetAppointments", "response")
    assert main(["validate", *map(str, files)]) == 0
    out = capsys.readouterr().out
    assert "make.xml: valid: MakeAppointment 2.0 request (SOAP envelope)" in out
    assert "list.xml: valid: GetAppointments 2.0 response (body only)" in out
    assert "191212121212" not in out


def test_every_message_of_a_conformance_run_is_valid(producer, tmp_path: Path) -> None:
    """Requests built by zeep from our WSDLs and our producer's responses, as envelopes and bare bodies."""
    result = run_kit(producer(), only=["queries", "new-booking", "rebooking", "cancellation", "confirmation"])
    files = []
    for sr in result.scenarios:
        for st in sr.steps:
            ex = st.exchange
            if ex is None or ex.kind != "call" or ex.status != 200:
                continue
            stem = f"{sr.scenario.id}-{st.step.id}"
            files += [write(tmp_path, f"{stem}-request.xml", ex.request),
                      write(tmp_path, f"{stem}-response.xml", ex.response)]
            body = etree.fromstring(ex.response).find(f"{{{SOAP}}}Body")[0]
            files.append(write(tmp_path, f"{stem}-response-body.xml", etree.tostring(body)))
    reports = [validate_file(f) for f in files]
    assert len({(r.interaction, r.direction) for r in reports}) >= 12  # six served interactions at least
    assert [f"{r.path.name}: {r.problems}" for r in reports if not r.valid] == []


def test_broken_messages_say_where(tmp_path: Path, capsys) -> None:
    bad_root = write(tmp_path, "bad-root.xml", MAKE_APPOINTMENT.replace(
        "<ma:personId><core:root>1.2.752.129.2.1.3.1", "<ma:personId><core:root>9.9.9"))
    order = write(tmp_path, "order.xml", MAKE_APPOINTMENT.replace(
        "<ma:timeslotId>1b4e28ba-2fa1-11d2-883f-0016d3cca427</ma:timeslotId>\n", "").replace(
        "</ma:reasonText>", "</ma:reasonText><ma:timeslotId>1b4e28ba-2fa1-11d2-883f-0016d3cca427</ma:timeslotId>"))
    no_header = write(tmp_path, "no-header.xml", MAKE_APPOINTMENT.replace(
        "<soapenv:Header><itr:LogicalAddress>SE2321000016-A65H</itr:LogicalAddress></soapenv:Header>", ""))
    missing = write(tmp_path, "missing.xml", GET_APPOINTMENTS_RESPONSE.replace(
        "<extension>SE2321000016-A65H</extension>", ""))
    malformed = write(tmp_path, "malformed.xml", MAKE_APPOINTMENT.replace("</ma:reasonText>", ""))

    r = validate_file(bad_root)
    assert not r.valid and r.scheduling2 and len(r.problems) == 1
    p = r.problems[0]
    assert (p.line, p.path) == (13, "/Envelope/Body/MakeAppointment/personId/root")
    assert "9.9.9" in p.message and "enumeration" in p.message

    r = validate_file(order)
    assert not r.valid and r.problems[0].path == "/Envelope/Body/MakeAppointment/reasonText"
    assert "Expected is ( {urn:riv:supportprocess:logistics:scheduling:MakeAppointmentResponder:2}timeslotId" in (
        r.problems[0].message)

    r = validate_file(no_header)
    assert [p.message for p in r.problems] == [
        "the LogicalAddress SOAP header ({urn:riv:itintegration:registry:1}LogicalAddress) is required by the WSDL "
        "(soap:header)"]

    r = validate_file(missing)
    assert (r.problems[0].line, r.problems[0].path) == (6, "/GetAppointmentsResponse/appointment/healthcareFacilityId")
    assert "Missing child element" in r.problems[0].message

    r = validate_file(malformed)
    assert not r.valid and r.summary == "not well-formed XML" and r.problems[0].line == 16
    assert "reasonText line 15" in r.problems[0].message

    assert main(["validate", str(bad_root), str(missing), str(malformed)]) == 1
    out = capsys.readouterr().out
    assert f"{bad_root}:13: /Envelope/Body/MakeAppointment/personId/root: Element" in out
    assert f"{missing}:6: /GetAppointmentsResponse/appointment/healthcareFacilityId:" in out
    assert "3 files: 0 valid, 3 invalid" in out


def test_what_is_not_a_scheduling_2_message(tmp_path: Path) -> None:
    soap12 = write(tmp_path, "soap12.xml", MAKE_APPOINTMENT.replace(
        "http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope"))
    wrong_version = write(tmp_path, "v1ns.xml", GET_APPOINTMENTS_RESPONSE.replace("GetAppointmentsResponder:2",
                                                                                  "GetAppointmentsResponder:1"))
    other = write(tmp_path, "other.xml", "<html><body>Not found</body></html>")
    assert "SOAP 1.2" in validate_file(soap12).summary
    r = validate_file(wrong_version)
    assert not r.valid and not r.scheduling2 and "no interaction and version of 2.0" in r.summary
    r = validate_file(other)
    assert not r.valid and "no namespace" in r.summary


@pytest.mark.skipif(not V1_SAMPLES.is_dir(), reason="../shared not present: the recorded v1 messages are not there")
def test_recorded_v1_messages_are_not_scheduling_2(capsys) -> None:
    files = sorted(V1_SAMPLES.glob("*.xml"))
    assert len(files) >= 40
    for f in files:
        r = validate_file(f)
        assert not r.valid and not r.scheduling2, f
        if f.name.startswith("Fault_"):
            assert r.summary.startswith("a SOAP 1.1 Fault"), r.summary
        else:
            assert "is a riv.crm.scheduling version 1 message, not riv.supportprocess.logistics.scheduling 2.0" in (
                r.summary), (f, r.summary)
            assert "urn:riv:crm:scheduling:" in r.summary and r.problems[0].line
    booking = validate_file(V1_SAMPLES / "MakeBooking_req_rivtabp21_refapp-cxf.xml")
    assert "its 2.0 successor is MakeAppointment" in booking.summary
    assert booking.problems[0].path == "/Envelope/Body/MakeBooking"
    assert main(["validate", str(V1_SAMPLES)]) == 1
    out = capsys.readouterr().out
    assert f"{len(files)} files: 0 valid, {len(files)} invalid ({len(files)} not scheduling 2.0 messages)" in out
    assert "NOT A SCHEDULING 2.0 MESSAGE" in out
    assert "201202162742" not in out  # masked like every report
