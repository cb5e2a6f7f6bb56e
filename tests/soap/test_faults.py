"""Requests the producer cannot serve get a SOAP Fault, and the server keeps serving."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import zeep.exceptions
from lxml import etree
from soapwire import DEMO_UNIT, TOLVAN, Wire, actor, person

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
MA = "urn:riv:supportprocess:logistics:scheduling:MakeAppointmentResponder:2"
GA = "urn:riv:supportprocess:logistics:scheduling:GetAppointmentsResponder:2"
CORE = "urn:riv:supportprocess:logistics:scheduling:2"
PATH = "/GetAppointments/2/rivtabp21"


def envelope(body: str, header: str | None = f"<itr:LogicalAddress>{DEMO_UNIT}</itr:LogicalAddress>") -> bytes:
    head = f"<soapenv:Header>{header}</soapenv:Header>" if header is not None else ""
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:itr="urn:riv:itintegration:registry:1"'
        f' xmlns:ga="{GA}" xmlns:core="{CORE}">{head}<soapenv:Body>{body}</soapenv:Body>'
        "</soapenv:Envelope>"
    ).encode()


GET_APPOINTMENTS = (
    "<ga:GetAppointments><ga:actor><core:actorId><core:root>1.2.752.129.2.1.3.1</core:root>"
    f"<core:extension>{TOLVAN}</core:extension></core:actorId><core:actorType>"
    "<core:code>116154003</core:code><core:codeSystem>1.2.752.116.2.1.1</core:codeSystem>"
    "</core:actorType></ga:actor><ga:personId><core:root>1.2.752.129.2.1.3.1</core:root>"
    f"<core:extension>{TOLVAN}</core:extension></ga:personId>{{extra}}</ga:GetAppointments>"
)


def fault_of(status: int, data: bytes) -> tuple[str, str]:
    assert status == 500, (status, data[:300])
    root = etree.fromstring(data)
    fault = root.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    assert fault is not None, data[:300]
    return fault.findtext("faultcode"), fault.findtext("faultstring")


def still_serving(wire: Wire) -> None:
    status, data = wire.post(PATH, envelope(GET_APPOINTMENTS.format(extra="")))
    assert status == 200, data[:300]
    assert etree.fromstring(data).find(f"{{{SOAP}}}Body/{{{GA}}}GetAppointmentsResponse") is not None


def test_a_raw_request_without_soapaction_is_served(wire: Wire) -> None:
    still_serving(wire)


def test_extension_elements_from_other_namespaces_are_ignored(wire: Wire) -> None:
    extra = '<x:extra xmlns:x="urn:example:ext"><x:personId>1</x:personId></x:extra>'
    status, data = wire.post(PATH, envelope(GET_APPOINTMENTS.format(extra=extra)))
    assert status == 200, data[:300]


def test_missing_logical_address_is_a_client_fault(wire: Wire) -> None:
    code, text = fault_of(*wire.post(PATH, envelope(GET_APPOINTMENTS.format(extra=""), header=None)))
    assert code == "soap:Client" and "LogicalAddress" in text
    still_serving(wire)


def test_unknown_logical_address_is_a_client_fault_naming_it(wire: Wire) -> None:
    with pytest.raises(zeep.exceptions.Fault) as caught:
        wire.call("GetAppointments", "SE2321000016-NOPE", actor=actor(), personId=person())
    assert "SE2321000016-NOPE" in caught.value.message
    assert caught.value.code.endswith("Client")
    still_serving(wire)


def test_schema_invalid_request_is_a_client_fault_with_the_validator_message(wire: Wire) -> None:
    body = GET_APPOINTMENTS.format(extra="").replace(
        "<ga:personId><core:root>1.2.752.129.2.1.3.1", "<ga:personId><core:root>9.9.9"
    )
    code, text = fault_of(*wire.post(PATH, envelope(body)))
    assert code == "soap:Client"
    assert "Schema validation failed" in text and "root" in text and "9.9.9" in text
    still_serving(wire)


def test_bad_uuid_is_a_client_fault(wire: Wire) -> None:
    with pytest.raises(zeep.exceptions.Fault) as caught:
        wire.call("GetAppointment", DEMO_UNIT, actor=actor(), appointmentId="not-a-uuid",
                  personId=person())
    assert "pattern" in caught.value.message
    assert caught.value.code.endswith("Client")


def test_malformed_xml_is_a_client_fault(wire: Wire) -> None:
    code, text = fault_of(*wire.post(PATH, b"<soapenv:Envelope><unclosed>"))
    assert code == "soap:Client" and "Malformed XML" in text
    still_serving(wire)


def test_empty_body_is_a_client_fault(wire: Wire) -> None:
    code, _ = fault_of(*wire.post(PATH, b""))
    assert code == "soap:Client"
    still_serving(wire)


def test_a_dtd_is_refused_and_no_entity_is_expanded(wire: Wire) -> None:
    doc = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
           b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' + envelope("&b;"))
    code, text = fault_of(*wire.post(PATH, doc))
    assert code == "soap:Client" and "aaaaaaaaaa" not in text
    still_serving(wire)


def test_body_over_the_size_limit_is_refused(wire: Wire) -> None:
    big = envelope(GET_APPOINTMENTS.format(extra=f"<x:pad xmlns:x='urn:x'>{'a' * 1_100_000}</x:pad>"))
    code, text = fault_of(*wire.post(PATH, big))
    assert code == "soap:Client" and "larger than" in text
    still_serving(wire)


def test_soap12_is_a_version_mismatch_fault(wire: Wire) -> None:
    code, _ = fault_of(*wire.post(PATH, envelope(GET_APPOINTMENTS.format(extra="")),
                                  content_type="application/soap+xml; charset=utf-8"))
    assert code == "soap:VersionMismatch"


def test_a_body_element_of_another_interaction_is_a_client_fault(wire: Wire) -> None:
    body = f'<ma:MakeAppointment xmlns:ma="{MA}"/>'
    code, text = fault_of(*wire.post(PATH, envelope(body)))
    assert code == "soap:Client" and "MakeAppointment" in text


def test_get_on_an_endpoint_without_wsdl_is_405_and_unknown_paths_404(wire: Wire) -> None:
    assert wire.get(PATH)[0] == 405
    assert wire.get("/NoSuchInteraction/2/rivtabp21")[0] == 404
    assert wire.get("/schemas/../pyproject.toml")[0] == 404


def test_technical_error_is_a_server_fault_without_stack_trace(tmp_path) -> None:  # noqa: ANN001
    """A producer whose database lost its tables answers with a bare Server Fault."""
    import sqlite3
    import threading
    import urllib.request

    from riv_scheduling.demo import load_demo
    from riv_scheduling.domain import Scheduling
    from riv_scheduling.server import make_server
    from riv_scheduling.soap.app import Producer
    from riv_scheduling.store import open_store

    db = tmp_path / "broken.db"
    store = open_store(f"sqlite:///{db}")
    store.create_schema()
    load_demo(store)
    server = make_server(Producer(Scheduling(store.uow)), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sqlite3.connect(db) as con:
            con.execute("DROP TABLE appointment")
        host, port = server.server_address[:2]
        url = f"http://{host}:{port}{PATH}"
        request = urllib.request.Request(url, data=envelope(GET_APPOINTMENTS.format(extra="")),
                                         headers={"Content-Type": "text/xml"})
        try:
            urllib.request.urlopen(request, timeout=30)
            raise AssertionError("expected HTTP 500")
        except urllib.error.HTTPError as exc:
            code, text = fault_of(exc.code, exc.read())
        assert code.endswith("Server")
        assert "Traceback" not in text and "appointment" not in text.lower().replace(
            "technical error in the producer", "")
        assert "reference" in text
    finally:
        server.shutdown()
        server.server_close()
        store.dispose()


def test_search_window_dates_must_be_real_dates(wire: Wire) -> None:
    today = date.today()
    with pytest.raises(zeep.exceptions.Fault) as caught:
        wire.call("GetAvailableTimeslots", DEMO_UNIT, startDateInclusive="20260231",
                  endDateInclusive=(today + timedelta(days=1)).strftime("%Y%m%d"))
    assert "startDateInclusive" in caught.value.message


def test_a_json_body_is_a_client_fault_naming_the_content_type(wire: Wire) -> None:
    code, text = fault_of(*wire.post(PATH, b'{"GetAppointments": {}}', content_type="application/json"))
    assert code == "soap:Client" and "Content-Type" in text
    still_serving(wire)


def test_a_latin1_body_declared_as_utf8_is_a_client_fault(wire: Wire) -> None:
    extra = "<x:note xmlns:x='urn:x'>Tr\u00e4d</x:note>"
    data = envelope(GET_APPOINTMENTS.format(extra=extra)).decode().encode("latin-1")
    code, text = fault_of(*wire.post(PATH, data))
    assert code == "soap:Client" and "UTF-8" in text
    still_serving(wire)


def test_ten_thousand_header_elements_are_a_client_fault(wire: Wire) -> None:
    header = f"<itr:LogicalAddress>{DEMO_UNIT}</itr:LogicalAddress>" + "<h:h xmlns:h='urn:h'/>" * 10_000
    code, _ = fault_of(*wire.post(PATH, envelope(GET_APPOINTMENTS.format(extra=""), header=header)))
    assert code == "soap:Client"
    still_serving(wire)


@pytest.mark.parametrize("must, served", [('soapenv:mustUnderstand="1"', False), ('soapenv:mustUnderstand="0"', True),
                                          ("", True),
                                          ('soapenv:mustUnderstand="1" soapenv:actor="urn:example:other"', True)])
def test_an_unknown_header_that_must_be_understood_is_a_must_understand_fault(wire: Wire, must: str,
                                                                              served: bool) -> None:
    # SOAP 1.1 §4.2.3: only LogicalAddress is understood; a header for another actor is not ours (§4.2.2).
    header = (f'<itr:LogicalAddress soapenv:mustUnderstand="1">{DEMO_UNIT}</itr:LogicalAddress>'
              f'<x:Security xmlns:x="urn:example:security" {must}>token</x:Security>')
    status, data = wire.post(PATH, envelope(GET_APPOINTMENTS.format(extra=""), header))
    if served:
        assert status == 200, data[:300]
    else:
        code, text = fault_of(status, data)
        assert code == "soap:MustUnderstand" and "Security" in text
    still_serving(wire)


def test_parse_refuses_only_headers_it_must_but_cannot_understand() -> None:
    from riv_scheduling.soap.envelope import EnvelopeError, parse

    body = GET_APPOINTMENTS.format(extra="")
    ok = parse(envelope(body, f'<itr:LogicalAddress soapenv:mustUnderstand="1">{DEMO_UNIT}</itr:LogicalAddress>'))
    assert ok.logical_address == DEMO_UNIT
    with pytest.raises(EnvelopeError) as info:
        parse(envelope(body, '<y:Trace xmlns:y="urn:example:y" soapenv:mustUnderstand="true"/>'))
    assert info.value.code == "MustUnderstand"


@pytest.mark.parametrize("root", ["1.2.3.4", "1.2.752.129.2.1.4.1"], ids=["unknown root", "HSA-id for a patient"])
def test_an_actor_id_root_that_does_not_fit_the_actor_type_is_a_client_fault(wire: Wire, root: str) -> None:
    body = GET_APPOINTMENTS.format(extra="").replace(
        "<ga:actor><core:actorId><core:root>1.2.752.129.2.1.3.1", f"<ga:actor><core:actorId><core:root>{root}")
    code, text = fault_of(*wire.post(PATH, envelope(body)))
    assert code == "soap:Client" and "actorId root" in text and root in text
    still_serving(wire)


def test_a_booking_with_an_unknown_actor_id_root_is_refused(wire: Wire, slots) -> None:  # noqa: ANN001
    bad = {**actor(), "actorId": {"root": "1.2.3.4", "extension": TOLVAN}}
    with pytest.raises(zeep.exceptions.Fault) as caught:
        wire.call("MakeAppointment", actor=bad, personId=person(), timeslotId=slots.make())
    assert "actorId root" in caught.value.message and caught.value.code == "soap:Client"


def test_a_search_window_over_the_maximum_is_answered_with_error_naming_it(wire: Wire) -> None:
    today = date.today()
    for interaction in ("GetAvailableTimeslots", "GetAvailableDates"):
        r = wire.call(interaction, DEMO_UNIT, startDateInclusive=today.strftime("%Y%m%d"),
                      endDateInclusive=(today + timedelta(days=3650)).strftime("%Y%m%d"))
        assert r.resultCode == "ERROR" and "92" in r.resultText, (interaction, r.resultText)
    r = wire.call("GetAvailableTimeslots", DEMO_UNIT, startDateInclusive=today.strftime("%Y%m%d"),
                  endDateInclusive=(today + timedelta(days=91)).strftime("%Y%m%d"))
    assert r.resultCode == "OK"
