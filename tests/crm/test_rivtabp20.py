"""riv.crm.scheduling 1.0 consumers at /<Interaction>/1/rivtabp20 (issue #10): the logical address in
the WS-Addressing To header, no Actor, the 1.0 request shapes; the same booking book as 1.1 and 2.0.
zeep clients are built from the 1.0 WSDLs the producer serves; every answer is validated against
our 1.0 schemas (crmwire.ValidateResponses)."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import zeep
from crmwire import DEMO_UNIT, SOAP, CrmWire, ValidateResponses, luhn_pnr
from lxml import etree
from zeep.exceptions import Fault

from riv_scheduling.access import CLIENT_HSA_ID_KEY, AccessPolicy
from riv_scheduling.contract.crm_scheduling import CRM_1_0_INTERACTIONS
from riv_scheduling.contract.schemas import SCHEMA_DIR
from riv_scheduling.crm_soap import endpoints
from riv_scheduling.crm_soap.actor import RIVTABP20_CONSUMER
from riv_scheduling.domain import AuditAction, AuditTrail, stockholm_now
from riv_scheduling.soap.app import Producer

PERSON = luhn_pnr("19121212400")  # not used by the other wire tests of this session
WSA = "http://www.w3.org/2005/08/addressing"


class Legacy:
    """zeep clients of the 1.0 endpoints (one per interaction, from the served WSDL)."""

    def __init__(self, crm: CrmWire) -> None:
        self.crm = crm
        self.clients: dict[str, Any] = {}

    def __call__(self, name: str, unit: str = DEMO_UNIT, **body: Any) -> Any:
        if name not in self.clients:
            i = CRM_1_0_INTERACTIONS[name]
            schema = etree.XMLSchema(etree.parse(str(SCHEMA_DIR / i.xsd)))
            self.clients[name] = zeep.Client(f"{self.crm.base_url}{i.path}?wsdl", plugins=[ValidateResponses(schema)])
        return getattr(self.clients[name].service, name)(_soapheaders={"LogicalAddress": unit}, **body)


@pytest.fixture
def legacy(crm: CrmWire) -> Legacy:
    return Legacy(crm)


def dates() -> dict[str, str]:
    today = stockholm_now().date()
    return {"startDateInclusive": today.strftime("%Y%m%d"),
            "endDateInclusive": (today + timedelta(days=20)).strftime("%Y%m%d")}


def test_the_1_0_wsdl_is_served_with_the_wsa_to_header(crm: CrmWire) -> None:
    client = zeep.Client(f"{crm.base_url}/MakeBooking/1/rivtabp20?wsdl")
    port = next(iter(next(iter(client.wsdl.services.values())).ports.values()))
    op = port.binding.get("MakeBooking")
    assert {e.qname.text for _, e in op.input.header.type.elements} == {f"{{{WSA}}}To"}
    assert port.binding_options["address"] == f"{crm.base_url}/MakeBooking/1/rivtabp20"


def test_a_1_0_consumer_books_rebooks_and_cancels_in_the_same_booking_book(crm: CrmWire, legacy: Legacy) -> None:
    types = legacy("GetAllTimeTypes", healthcare_facility=DEMO_UNIT)
    assert "SSKBESOK" in {t.timeTypeId for t in types.ListOfTimeTypes}
    days = legacy("GetAvailableDates", healthcare_facility=DEMO_UNIT, timeTypeID="SSKBESOK", **dates())
    assert days.performerAvailabilityByDate
    slots = legacy("GetAvailableTimeslots", healthcare_facility=DEMO_UNIT, timeTypeID="SSKBESOK", **dates())
    slots = slots.timeslotDetail
    first, later = slots[0], slots[-1]
    first.subject_of_care = PERSON
    made = legacy("MakeBooking", healthcare_facility_med=DEMO_UNIT, requestedTimeslot=first,
                  subject_of_care_info={"phone": "0701234567"})  # 1.0: no names
    assert made.resultCode in ("OK", "INFO") and made.bookingId
    shown = legacy("GetSubjectOfCareSchedule", healthcare_facility=DEMO_UNIT, subject_of_care=PERSON)
    assert [s.bookingId for s in shown.timeslotDetail] == [made.bookingId]
    # the same booking, through 1.1, with the id the 1.0 consumer holds
    details_1_1 = crm.call("GetBookingDetails", pnr=PERSON, healthcare_facility=DEMO_UNIT, bookingId=made.bookingId)
    assert details_1_1.timeslotDetail.startTimeInclusive == first.startTimeInclusive
    # rebook through 1.0: the bookingId stays
    later.bookingId, later.subject_of_care = made.bookingId, PERSON
    rebooked = legacy("UpdateBooking", requestedTimeslot=later)
    assert rebooked.resultCode in ("OK", "INFO"), rebooked.resultText
    details = legacy("GetBookingDetails", healthcare_facility=DEMO_UNIT, bookingId=made.bookingId)
    assert details.timeslotDetail.startTimeInclusive == later.startTimeInclusive
    assert details.timeslotDetail.subject_of_care == PERSON
    cancelled = legacy("CancelBooking", healthcare_facility=DEMO_UNIT, bookingId=made.bookingId, message="Frisk")
    assert cancelled.resultCode == "OK"
    assert not legacy("GetSubjectOfCareSchedule", healthcare_facility=DEMO_UNIT, subject_of_care=PERSON).timeslotDetail
    # the audit trail shows the chain, with the 1.0 consumer system as the actor (no Actor in 1.0)
    trail = AuditTrail(crm.store.uow).for_appointment(uuid.UUID(made.bookingId))
    assert [e.action for e in trail] == [AuditAction.MADE, AuditAction.REBOOKED, AuditAction.CANCELLED]
    assert {e.actor.type_code for e in trail if e.actor} == {RIVTABP20_CONSUMER}


def test_a_1_0_booking_must_name_the_citizen(legacy: Legacy) -> None:
    slot = legacy("GetAvailableTimeslots", healthcare_facility=DEMO_UNIT, timeTypeID="SSKBESOK",
                  **dates()).timeslotDetail[0]
    with pytest.raises(Fault, match="names no subject_of_care"):
        legacy("MakeBooking", healthcare_facility_med=DEMO_UNIT, requestedTimeslot=slot)


def test_unknown_booking_ids_are_not_revealed(legacy: Legacy) -> None:
    assert legacy("CancelBooking", healthcare_facility=DEMO_UNIT,
                  bookingId="00000000-0000-4000-8000-000000000000").resultCode == "ERROR"
    with pytest.raises(Fault, match="Bokningen finns inte"):
        legacy("GetBookingDetails", healthcare_facility=DEMO_UNIT, bookingId="1251")


def envelope(header: str, body: str) -> bytes:
    return (f'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>{header}</s:Header>'
            f"<s:Body>{body}</s:Body></s:Envelope>").encode()


GET_TYPES = ('<GetAllTimeTypes xmlns="urn:riv:crm:scheduling:GetAllTimeTypesResponder:1">'
             f"<healthcare_facility>{DEMO_UNIT}</healthcare_facility></GetAllTimeTypes>")


@pytest.mark.parametrize("header", [
    "",
    f'<LogicalAddress xmlns="urn:riv:itintegration:registry:1">{DEMO_UNIT}</LogicalAddress>',
    f'<a:To xmlns:a="{WSA}"> </a:To>',
])
def test_without_wsa_to_a_client_fault_names_the_header(crm: CrmWire, header: str) -> None:
    status, data = crm.post("/GetAllTimeTypes/1/rivtabp20", envelope(header, GET_TYPES))
    fault = etree.fromstring(data).find(f"{SOAP}Body/{SOAP}Fault")
    assert status == 500 and fault is not None
    assert "WS-Addressing To header" in fault.findtext("faultstring")


def test_wsa_to_is_compared_case_insensitively_and_trimmed(crm: CrmWire) -> None:
    header = f'<a:To xmlns:a="{WSA}">\n  {DEMO_UNIT.lower()}\n</a:To>'
    status, data = crm.post("/GetAllTimeTypes/1/rivtabp20", envelope(header, GET_TYPES),
                            {"SOAPAction": '"urn:riv:crm:scheduling:GetAllTimeTypesResponder:1:GetAllTimeTypes"'})
    assert status == 200, data
    assert etree.fromstring(data).find(f"{SOAP}Body")[0].tag.endswith("GetAllTimeTypesResponse")


@pytest.mark.parametrize("entry, understood", [
    (f'<a:To xmlns:a="{WSA}" s:mustUnderstand="1">{DEMO_UNIT}</a:To>', True),
    (f'<a:To xmlns:a="{WSA}">{DEMO_UNIT}</a:To><a:Action xmlns:a="{WSA}" s:mustUnderstand="1">'
     "urn:riv:crm:scheduling:GetAllTimeTypesResponder:1:GetAllTimeTypes</a:Action>", True),
    (f'<a:To xmlns:a="{WSA}">{DEMO_UNIT}</a:To><x:Trace xmlns:x="urn:example:x" s:mustUnderstand="1"/>', False),
])
def test_mustunderstand_is_honoured_for_the_ws_addressing_headers_1_0_reads(crm: CrmWire, entry: str,
                                                                            understood: bool) -> None:
    # SOAP 1.1 §4.2.3: RIVTABP20 consumers may mark the WS-Addressing headers mustUnderstand="1";
    # the producer reads To (and Action names the operation), anything else it does not understand.
    status, data = crm.post("/GetAllTimeTypes/1/rivtabp20", envelope(entry, GET_TYPES))
    if understood:
        assert status == 200, data[:400]
    else:
        fault = etree.fromstring(data).find(f"{SOAP}Body/{SOAP}Fault")
        assert status == 500 and fault is not None and fault.findtext("faultcode").endswith("MustUnderstand")


def test_a_1_1_request_at_the_1_0_endpoint_is_refused_by_the_1_0_schema(crm: CrmWire) -> None:
    body = ('<GetAllTimeTypes xmlns="urn:riv:crm:scheduling:GetAllTimeTypesResponder:1" '
            'xmlns:r="urn:riv:crm:scheduling:GetAllTimeTypesResponder:1.1">'
            f"<healthcare_facility>{DEMO_UNIT}</healthcare_facility><r:subject_of_care>191212121212</r:subject_of_care>"
            "</GetAllTimeTypes>")
    # the 1.1 addition sits in another namespace, which 1.0's extension point takes (TKB 1.1.5 §2.1.3)
    status, _ = crm.post("/GetAllTimeTypes/1/rivtabp20", envelope(f'<a:To xmlns:a="{WSA}">{DEMO_UNIT}</a:To>', body))
    assert status == 200


def test_an_allowlist_gives_the_1_0_endpoint_separately(crm: CrmWire, tmp_path: Path) -> None:
    """1.0 has no Actor: its consumer answers for the citizen, so the allowlist names its endpoints
    apart ("GetAllTimeTypes/rivtabp20"); "GetAllTimeTypes" is the 1.1 endpoint only."""
    access = tmp_path / "access.toml"
    access.write_text('[[consumer]]\nhsa_id = "SE2321000016-APP1"\nunits = ["*"]\n'
                      'interactions = ["GetAllTimeTypes"]\n', encoding="utf-8")
    app = Producer(crm.scheduling, access=AccessPolicy.load(access), adapters=[endpoints])
    one_one = envelope(
        f'<LogicalAddress xmlns="urn:riv:itintegration:registry:1">{DEMO_UNIT}</LogicalAddress>'
        f'<Actor xmlns="urn:riv:interoperability:headers:1"><actorId>{PERSON}</actorId>'
        "<actorType>subject_of_care</actorType></Actor>",
        GET_TYPES.replace("</GetAllTimeTypes>", '<s11:subject_of_care xmlns:s11="urn:riv:crm:scheduling:'
                          f'GetAllTimeTypesResponder:1.1">{PERSON}</s11:subject_of_care></GetAllTimeTypes>'))
    one_zero = envelope(f'<a:To xmlns:a="{WSA}">{DEMO_UNIT}</a:To>', GET_TYPES)
    status, data = wsgi(app, "/GetAllTimeTypes/1/rivtabp21", one_one)
    assert status.startswith("200"), data
    status, data = wsgi(app, "/GetAllTimeTypes/1/rivtabp20", one_zero)
    assert status.startswith("500") and b"not allowed to call GetAllTimeTypes/rivtabp20" in data
    access.write_text('[[consumer]]\nhsa_id = "SE2321000016-APP1"\nunits = ["*"]\n'
                      'interactions = ["GetAllTimeTypes/rivtabp20"]\n', encoding="utf-8")
    app = Producer(crm.scheduling, access=AccessPolicy.load(access), adapters=[endpoints])
    assert wsgi(app, "/GetAllTimeTypes/1/rivtabp20", one_zero)[0].startswith("200")
    assert wsgi(app, "/GetAllTimeTypes/1/rivtabp21", one_one)[0].startswith("500")


def wsgi(app: Producer, path: str, data: bytes) -> tuple[str, bytes]:
    """One request straight to the WSGI application, as the consumer SE2321000016-APP1 (TLS)."""
    got: dict[str, str] = {}
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "CONTENT_TYPE": "text/xml; charset=utf-8",
               "CONTENT_LENGTH": str(len(data)), "wsgi.input": io.BytesIO(data), "QUERY_STRING": "",
               "SERVER_NAME": "localhost", "SERVER_PORT": "80", "wsgi.url_scheme": "http",
               CLIENT_HSA_ID_KEY: "SE2321000016-APP1"}
    body = b"".join(app(environ, lambda status, headers, exc_info=None: got.setdefault("status", status)))
    return got["status"], body
