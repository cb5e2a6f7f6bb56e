"""Every one of the 46 real riv.crm.scheduling 1.x messages gets its documented outcome
(docs/crm-scheduling-1.1-samples.md lists them; this test keeps the list true).

Requests are sent to the 1.1 endpoint of their interaction (the RIVTABP20 ones to the 1.0 endpoint),
changed only in the logical address (samples.as_request), against a test clinic holding the units,
codes and slots they name. Response samples are matched by shape: every element they carry
(qualified name, so namespaces too) is in our answer to the corresponding request, except the ones
listed with the reason we leave them out.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import zeep
from crmwire import CrmWire
from lxml import etree
from samples import AGGREGATED_TO, BOOKED, NO_SHARED, REPO_ROOT, SAMPLES, as_request, endpoint, files, sample_clinic
from zeep.plugins import HistoryPlugin

from riv_scheduling.crm_soap import endpoints
from riv_scheduling.domain import ClinicSetup, Scheduling, stockholm_now
from riv_scheduling.server import make_server
from riv_scheduling.soap.app import Producer
from riv_scheduling.store import open_store

SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"
DOC = REPO_ROOT / "docs" / "crm-scheduling-1.1-samples.md"
# The platform test's placeholder address, sent to the test unit like the aggregated addresses.
RIVTA20 = "wsa:To RIVTA20REQUEST sent to HSA-ID-2"
NO_ACTOR = "Client Fault: the Actor header is required (TKB 3.5)"
SCHEMA = "Client Fault: schema"

# file -> documented outcome. "answer: N timeslotDetail" / "ERROR: <text>" / "Client Fault: <why>";
# response samples: "shape" (the elements our answer lacks are in MISSING).
OUTCOMES: dict[str, str] = {
    "CancelBooking_req_body_takecare.xml": "ERROR: Bokningen finns inte.",
    "CancelBooking_req_rivtabp20_takecare.xml":
        "ERROR: Bokningen finns inte. (1.0: addressed by wsa:To; TakeCare's booking id is not ours)",
    "CancelBooking_resp_body_takecare_OK.xml": "shape",
    "Fault_VP004_ntjp_no-route.xml": "shape",
    "Fault_VP011_ntjp-remote.xml": "shape",
    "GetAllTimeTypes_req_body_takecare_v1.0.xml": f"{SCHEMA}: 1.0 request without subject_of_care",
    "GetAllTimeTypes_req_rivtabp20_qa.xml":
        "answer: 2 ListOfTimeTypes (1.0: no subject_of_care, no Actor)",
    "GetAllTimeTypes_resp_body_takecare.xml": "shape",
    "GetAllTimeTypes_resp_body_takecare_empty-after-producer-error.xml": "shape",
    "GetAvailableDates_req_body_takecare_empty-elements.xml":
        f"{SCHEMA}: 1.0 request without subject_of_care (its empty elements are tolerated)",
    "GetAvailableDates_req_rivtabp20_takecare.xml":
        "answer: empty (1.0; dates in 2016: free times in the past are never offered)",
    "GetAvailableDates_resp_body_takecare.xml": "shape",
    "GetAvailableTimeslots_req_body_takecare_bad-dates.xml": f"{SCHEMA}: 14-digit startDateInclusive is not a date",
    "GetAvailableTimeslots_req_rivtabp20_takecare.xml":
        "answer: empty (1.0; the 2016 slot has passed)",
    "GetAvailableTimeslots_resp_body_takecare.xml": "shape",
    "GetBookingDetails_req_body_takecare.xml": "Client Fault: Bokningen finns inte.",
    "GetBookingDetails_req_rivtabp20_takecare.xml":
        "Client Fault: Bokningen finns inte. (1.0; TakeCare's booking id is not ours)",
    "GetBookingDetails_resp_body_takecare.xml": "shape",
    "GetSubjectOfCareSchedule_req_actorType-uppercase.xml":
        "answer: 1 timeslotDetail (actorType SUBJECT_OF_CARE tolerated)",
    "GetSubjectOfCareSchedule_req_aggregated_actorType-oid.xml":
        "answer: 1 timeslotDetail (actorType = personnummer OID tolerated; body healthcare_facility not used)",
    "GetSubjectOfCareSchedule_req_aggregated_cxf_missing-healthcare_facility.xml":
        f"{SCHEMA}: healthcare_facility missing",
    "GetSubjectOfCareSchedule_req_aggregated_inera-hsaid.xml": "Client Fault: actorType '?' (TKB 3.5)",
    "GetSubjectOfCareSchedule_req_aggregated_invalid-pnr_vp004-scenario.xml":
        f"{SCHEMA}: subject_of_care 1234567890 has 10 digits",
    "GetSubjectOfCareSchedule_req_body_takecare.xml": "Client Fault: Ogiltigt personId (month 14)",
    "GetSubjectOfCareSchedule_req_direct_hsa-vkk123.xml": "Client Fault: actorType '?' (TKB 3.5)",
    "GetSubjectOfCareSchedule_req_rivtabp20_ns-on-header_vp.xml":
        f"answer: empty (1.0; {RIVTA20})",
    "GetSubjectOfCareSchedule_req_rivtabp20_takecare.xml":
        "answer: empty (1.0; the citizen has no booking at the unit)",
    "GetSubjectOfCareSchedule_req_rivtabp20_wsa-To_vp.xml":
        f"answer: empty (1.0; {RIVTA20})",
    "GetSubjectOfCareSchedule_req_rivtabp21_cxf-marshalled_vp.xml": NO_ACTOR,
    "GetSubjectOfCareSchedule_req_rivtabp21_ns-on-header_vp.xml": NO_ACTOR,
    "GetSubjectOfCareSchedule_resp_aggregated_1000-timeslots_docbook.xml": "shape",
    "GetSubjectOfCareSchedule_resp_body_takecare.xml": "shape",
    "GetSubjectOfCareSchedule_resp_empty_mock.xml": "shape",
    "GetSubjectOfCareSchedule_resp_empty_selfclosing.xml": "shape",
    "MakeBooking_req_body_takecare_all-fields.xml": f"{SCHEMA}: 1.0 subject_of_care_info without firstName/lastName",
    "MakeBooking_req_body_takecare_minimal.xml": f"{SCHEMA}: 1.0 subject_of_care_info without firstName/lastName",
    "MakeBooking_req_rivtabp20_reason-too-long.xml":
        "ERROR: Den valda tiden finns inte hos mottagningen. (1.0; wsa:To HSA-ID-1 is not the timeslot's unit)",
    "MakeBooking_req_rivtabp21_mvk-style_takecare.xml":
        "ERROR: Tiden har redan passerat. (empty performer tolerated; the 2016 slot is found by its times)",
    "MakeBooking_req_rivtabp21_refapp-cxf.xml":
        "ERROR: Den valda tiden finns inte hos mottagningen. (the timeslot's unit is not the LogicalAddress)",
    "MakeBooking_resp_INFO_refapp.xml": "shape",
    "MakeBooking_resp_body_takecare_INFO-telephone.xml": "shape",
    "MakeBooking_resp_body_takecare_OK.xml": "shape",
    "UpdateBooking_req_body_takecare_with-healthcare_facility_med.xml":
        f"{SCHEMA}: healthcare_facility_med is not an UpdateBooking element",
    "UpdateBooking_req_rivtabp20_takecare.xml":
        f"{SCHEMA}: healthcare_facility_med is not an UpdateBooking element in 1.0 either",
    "UpdateBooking_resp_body_takecare_INFO-telephone.xml": "shape",
    "UpdateBooking_resp_body_takecare_OK.xml": "shape",
}

C = "{urn:riv:crm:scheduling:1}"
# Elements a response sample carries that our answer to the same request leaves out, and why.
MISSING: dict[str, set[str]] = {
    # OK needs no text (TKB 3.8: resultText may be absent); TakeCare says "CANCELLED"
    "CancelBooking_resp_body_takecare_OK.xml": {"{urn:riv:crm:scheduling:CancelBookingResponder:1}resultText"},
    # no resource name is kept for a slot (its resourceID is the slot's own id)
    "GetAvailableDates_resp_body_takecare.xml": {"{urn:riv:crm:scheduling:GetAvailableDatesResponder:1}resourceName"},
    "GetAvailableTimeslots_resp_body_takecare.xml": {f"{C}resourceName"},
    # purpose is an invitation's text (TKB 3.6); these bookings are the citizen's own
    "GetSubjectOfCareSchedule_resp_aggregated_1000-timeslots_docbook.xml": {f"{C}purpose"},
}


@pytest.fixture(scope="module")
def producer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrmWire]:
    if not SAMPLES.is_dir():
        pytest.skip(NO_SHARED)
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('samples') / 'p.db'}")
    store.create_schema()
    scheduling = Scheduling(store.uow)
    sample_clinic(ClinicSetup(store.uow), scheduling)
    server = make_server(Producer(scheduling, adapters=[endpoints]), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield CrmWire(f"http://127.0.0.1:{server.server_address[1]}", scheduling, store)
    finally:
        server.shutdown()
        server.server_close()
        store.dispose()


def outcome(status: int, data: bytes) -> str:
    body = etree.fromstring(data).find(f"{SOAP}Body")[0]
    if body.tag == f"{SOAP}Fault":
        assert status == 500
        return "Client Fault: " + (body.findtext("faultstring") or "")
    assert status == 200
    ns = etree.QName(body).namespace
    code = body.findtext(f"{{{ns}}}resultCode")
    if code is not None:
        return f"{code}: {body.findtext(f'{{{ns}}}resultText') or ''}"
    children = [etree.QName(c).localname for c in body if isinstance(c.tag, str)]
    if not children:
        return "answer: empty"
    return f"answer: {len(children)} {children[0]}"


def agrees(documented: str, actual: str) -> bool:
    """The documented outcome's kind and first words are what the producer said."""
    kind, _, detail = documented.partition(": ")
    if kind == "answer" or documented.startswith(("ERROR: ", "INFO: ", "OK")):
        return actual.startswith(documented.split(" (")[0])
    head = detail.split(" (")[0]
    checks = {
        NO_ACTOR: "The Actor header",
    }
    if documented in checks:
        return actual.startswith("Client Fault: ") and checks[documented] in actual
    if documented.startswith(SCHEMA):
        return actual.startswith("Client Fault: Schema validation failed")
    if "actorType '?'" in documented:
        return "actorType '?'" in actual
    return actual.startswith("Client Fault: ") and head.split(" ")[0] in actual


REQUESTS = [p for p in files() if "_req_" in p.name]
RESPONSES = [p for p in files() if "_req_" not in p.name]


def test_all_46_samples_are_documented_and_tested() -> None:
    if not SAMPLES.is_dir():
        pytest.skip(NO_SHARED)
    assert sorted(p.name for p in files()) == sorted(OUTCOMES)
    assert len(OUTCOMES) == 46
    table = DOC.read_text(encoding="utf-8")
    for name, documented in OUTCOMES.items():
        assert f"| `{name}` | {documented} |" in table, f"docs table row for {name}"


@pytest.mark.parametrize("path", REQUESTS, ids=lambda p: p.name)
def test_request_sample_gets_its_documented_outcome(producer: CrmWire, path: Path) -> None:
    _, data = as_request(path)
    actual = outcome(*producer.post(endpoint(path), data))
    assert agrees(OUTCOMES[path.name], actual), actual


# -- response shapes -----------------------------------------------------------------------


def shape(element: etree._Element) -> set[str]:
    """Qualified names of the elements that carry something (empty ones count as absent, TKB 3.7)."""
    return {str(e.tag) for e in element.iter() if isinstance(e.tag, str)
            and (len(e) or (e.text or "").strip())}


class Ours:
    """Our answers, made with zeep clients from the served WSDLs, kept as received XML."""

    def __init__(self, crm: CrmWire) -> None:
        self.crm = crm

    def call(self, interaction: str, pnr: str = BOOKED[0], **body: Any) -> tuple[Any, etree._Element]:
        history = HistoryPlugin()
        client = zeep.Client(f"{self.crm.base_url}/{interaction}/1/rivtabp21?wsdl", plugins=[history])
        headers = {"LogicalAddress": AGGREGATED_TO, "actor": {"actorId": pnr, "actorType": "subject_of_care"}}
        result = getattr(client.service, interaction)(_soapheaders=headers, **body)
        return result, history.last_received["envelope"]

    def dates(self) -> dict[str, str]:
        today = stockholm_now().date()
        return {"startDateInclusive": today.strftime("%Y%m%d"),
                "endDateInclusive": (today + timedelta(days=10)).strftime("%Y%m%d")}

    def free(self, time_type: str) -> Any:
        answer, _ = self.call("GetAvailableTimeslots", healthcare_facility=AGGREGATED_TO, timeTypeID=time_type,
                              subject_of_care=BOOKED[0], **self.dates())
        return answer.timeslotDetail

    def booking_id(self, pnr: str = BOOKED[0]) -> str:
        answer, _ = self.call("GetSubjectOfCareSchedule", pnr=pnr, healthcare_facility=AGGREGATED_TO,
                              subject_of_care=pnr)
        return answer.timeslotDetail[0].bookingId

    def book(self, time_type: str, pnr: str) -> tuple[Any, etree._Element]:
        slot = self.free(time_type)[0]
        slot.subject_of_care = pnr
        return self.call("MakeBooking", pnr=pnr, healthcare_facility_med=AGGREGATED_TO, requestedTimeslot=slot,
                         subject_of_care_info={"firstName": "Test", "lastName": "Testsson"})

    def answer_to(self, sample: str) -> etree._Element:
        """Our envelope answering the request that the response sample answered."""
        interaction = sample.split("_")[0]
        if interaction == "Fault":
            _, data = self.crm.post("/GetSubjectOfCareSchedule/1/rivtabp21", b"<not-soap/>")
            return etree.fromstring(data)
        if interaction == "GetAllTimeTypes":
            return self.call(interaction, healthcare_facility=AGGREGATED_TO, subject_of_care=BOOKED[0])[1]
        if interaction in ("GetAvailableDates", "GetAvailableTimeslots"):
            return self.call(interaction, healthcare_facility=AGGREGATED_TO, subject_of_care=BOOKED[0],
                             **self.dates())[1]
        if interaction == "GetBookingDetails":
            return self.call(interaction, healthcare_facility=AGGREGATED_TO, bookingId=self.booking_id())[1]
        if interaction == "GetSubjectOfCareSchedule":
            pnr = "191212121212" if "empty" in sample else BOOKED[0]
            return self.call(interaction, pnr=pnr, healthcare_facility=AGGREGATED_TO, subject_of_care=pnr)[1]
        pnr = "19121212" + str(1000 + len(sample))[-4:-1]
        pnr += str(_luhn(pnr))
        time_type = "FASTANDE" if "INFO" in sample else "1"
        made, envelope = self.book(time_type, pnr)
        if interaction == "MakeBooking":
            return envelope
        if interaction == "CancelBooking":
            return self.call(interaction, pnr=pnr, healthcare_facility=AGGREGATED_TO, bookingId=made.bookingId)[1]
        target = self.free(time_type)[-1]
        target.bookingId, target.subject_of_care = made.bookingId, pnr
        return self.call("UpdateBooking", pnr=pnr, requestedTimeslot=target)[1]


def _luhn(prefix11: str) -> int:
    total = 0
    for i, ch in enumerate(prefix11[2:]):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


@pytest.mark.parametrize("path", RESPONSES, ids=lambda p: p.name)
def test_response_sample_shape_is_matched_by_ours(producer: CrmWire, path: Path) -> None:
    sample = etree.fromstring(path.read_bytes())
    ours = Ours(producer).answer_to(path.name)
    if sample.tag == f"{SOAP}Envelope":  # compare what both envelopes carry, headers included
        theirs, mine = shape(sample), shape(ours)
        theirs.discard(f"{SOAP}Header")
    else:  # a body-only fixture: our body element
        theirs, mine = shape(sample), shape(ours.find(f"{SOAP}Body")[0])
    if "aggregated" in path.name:  # ProcessingStatus is the aggregator's header; we are one unit
        theirs = {t for t in theirs if not t.startswith("{urn:riv:interoperability:headers:1}")}
    if path.name.startswith("Fault_"):  # the platform's detail texts are its own (VP codes)
        theirs = {t for t in theirs if not re.search(r"detail", t)}
    missing = theirs - mine
    assert missing == MISSING.get(path.name, set()), sorted(missing)
