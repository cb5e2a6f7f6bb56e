"""The four 1177 flows of riv.crm.scheduling 1.1 (show, book, rebook, cancel; TKB crm:scheduling
1.1 §3.1.8) over the wire, with zeep clients built from the WSDLs the producer serves, on the demo
data; every response is validated against our 1.1 schemas."""

from __future__ import annotations

from datetime import timedelta

import pytest
from crmwire import DEMO_UNIT, TOLVAN, CrmWire, luhn_pnr
from zeep.exceptions import Fault

from riv_scheduling.domain import stockholm_now

PERSON = "191212121212"
OTHER = luhn_pnr("19121212100")


def dates() -> dict[str, str]:
    today = stockholm_now().date()
    return {"startDateInclusive": today.strftime("%Y%m%d"),
            "endDateInclusive": (today + timedelta(days=20)).strftime("%Y%m%d")}


def free(crm: CrmWire, time_type: str, pnr: str = PERSON, **extra: object) -> list:
    answer = crm.call("GetAvailableTimeslots", pnr=pnr, healthcare_facility=DEMO_UNIT, timeTypeID=time_type,
                      subject_of_care=pnr, **dates(), **extra)
    return list(answer.timeslotDetail or [])


def book(crm: CrmWire, slot: object, pnr: str = PERSON, reason: str | None = "Ont i halsen") -> object:
    slot.subject_of_care = pnr  # type: ignore[attr-defined]
    slot.reason = reason  # type: ignore[attr-defined]
    return crm.call("MakeBooking", pnr=pnr, healthcare_facility_med=DEMO_UNIT, requestedTimeslot=slot,
                    subject_of_care_info={"firstName": "Tolvan", "lastName": "Tolvansson"})


def schedule(crm: CrmWire, pnr: str = PERSON) -> list:
    answer = crm.call("GetSubjectOfCareSchedule", pnr=pnr, healthcare_facility=DEMO_UNIT, subject_of_care=pnr)
    return list(answer.timeslotDetail or [])


def test_new_booking_flow(crm: CrmWire) -> None:
    pnr = "191212121212"
    types = crm.call("GetAllTimeTypes", pnr=pnr, healthcare_facility=DEMO_UNIT, subject_of_care=pnr)
    codes = {t.timeTypeId for t in types.ListOfTimeTypes}
    assert "SSKBESOK" in codes
    days = crm.call("GetAvailableDates", pnr=pnr, healthcare_facility=DEMO_UNIT, timeTypeID="SSKBESOK",
                    subject_of_care=pnr, **dates())
    days = days.performerAvailabilityByDate
    assert days and all(d.timeTypeID == "SSKBESOK" for d in days)
    slots = free(crm, "SSKBESOK", pnr)
    assert slots and all(s.startTimeInclusive[:8] in {d.date for d in days} for s in slots)
    answer = book(crm, slots[0], pnr)
    assert answer.resultCode in ("OK", "INFO") and answer.bookingId
    booked = [s for s in schedule(crm, pnr) if s.bookingId == answer.bookingId]
    assert len(booked) == 1
    assert booked[0].startTimeInclusive == slots[0].startTimeInclusive
    assert booked[0].subject_of_care == pnr and booked[0].isInvitation is False
    # the same slot for somebody else: taken, an ERROR with a text the citizen can act on, never a fault
    again = book(crm, slots[0], OTHER)
    assert again.resultCode == "ERROR" and again.bookingId is None and again.resultText


def test_show_and_cancel_flow(crm: CrmWire) -> None:
    pnr = "191212121212"
    made = book(crm, free(crm, "SSKBESOK", pnr)[1], pnr)
    shown = [s for s in schedule(crm, pnr) if s.bookingId == made.bookingId][0]
    details = crm.call("GetBookingDetails", pnr=pnr, healthcare_facility=DEMO_UNIT, bookingId=shown.bookingId)
    details = details.timeslotDetail
    assert details.cancel_booking_allowed is True and details.rebooking_allowed is True
    assert details.message_allowed is True
    cancelled = crm.call("CancelBooking", pnr=pnr, healthcare_facility=DEMO_UNIT, bookingId=made.bookingId,
                         message="Jag kan inte komma")
    assert cancelled.resultCode == "OK"
    assert made.bookingId not in {s.bookingId for s in schedule(crm, pnr)}
    assert details.startTimeInclusive in {s.startTimeInclusive for s in free(crm, "SSKBESOK", pnr)}
    twice = crm.call("CancelBooking", pnr=pnr, healthcare_facility=DEMO_UNIT, bookingId=made.bookingId)
    assert twice.resultCode in ("OK", "ERROR")  # a repeat within the retry window answers OK again


def test_rebook_flow_keeps_the_booking_id(crm: CrmWire) -> None:
    pnr = "191212121212"
    slots = free(crm, "LAKARBESOK", pnr)
    made = book(crm, slots[len(slots) // 2], pnr)  # well outside the time type's rebooking notice
    assert made.resultCode in ("OK", "INFO"), made.resultText
    details = crm.call("GetBookingDetails", pnr=pnr, healthcare_facility=DEMO_UNIT,
                       bookingId=made.bookingId).timeslotDetail
    assert details.rebooking_allowed is True
    facilities = crm.call("GetAllHealthcareFacilities", pnr=pnr, healthcare_facility=DEMO_UNIT,
                          subject_of_care=pnr, bookingId=made.bookingId)
    assert [f.healthcare_facility for f in facilities.healthcareFacilityInfos] == [DEMO_UNIT]
    options = free(crm, "LAKARBESOK", pnr, bookingId=made.bookingId)
    assert options and details.startTimeInclusive not in {s.startTimeInclusive for s in options}
    target = options[-1]
    target.bookingId = made.bookingId
    target.subject_of_care = pnr
    moved = crm.call("UpdateBooking", pnr=pnr, requestedTimeslot=target)
    assert moved.resultCode in ("OK", "INFO"), moved.resultText
    after = crm.call("GetBookingDetails", pnr=pnr, healthcare_facility=DEMO_UNIT,
                     bookingId=made.bookingId).timeslotDetail
    assert after.bookingId == made.bookingId  # 1.1 keeps the id across UpdateBooking
    assert after.startTimeInclusive == target.startTimeInclusive
    assert details.startTimeInclusive in {s.startTimeInclusive for s in free(crm, "LAKARBESOK", pnr)}


def test_a_timeslot_that_matches_no_slot_is_an_error_not_a_fault(crm: CrmWire) -> None:
    slot = free(crm, "SSKBESOK")[2]
    slot.resourceID = None
    slot.startTimeInclusive = "20991231235900"
    slot.endTimeExclusive = "20991231235959"
    answer = book(crm, slot)
    assert answer.resultCode == "ERROR"
    assert answer.resultText == "Den valda tiden finns inte hos mottagningen."


def test_without_resource_id_the_times_find_the_slot(crm: CrmWire) -> None:
    """resourceID is an optimisation: a consumer that drops it still books the slot it saw."""
    pnr = "191212121212"
    slot = free(crm, "SSKBESOK", pnr)[3]
    start = slot.startTimeInclusive
    slot.resourceID = None
    made = book(crm, slot, pnr)
    assert made.resultCode in ("OK", "INFO")
    assert [s.startTimeInclusive for s in schedule(crm, pnr) if s.bookingId == made.bookingId] == [start]


def test_actor_header_is_mandatory(crm: CrmWire) -> None:
    op = crm.service("GetAllTimeTypes").GetAllTimeTypes
    with pytest.raises(Fault, match="Actor header"):
        op(_soapheaders={"LogicalAddress": DEMO_UNIT}, healthcare_facility=DEMO_UNIT, subject_of_care=PERSON)


def test_a_citizen_acts_only_for_themself(crm: CrmWire) -> None:
    with pytest.raises(Fault, match="TKB 3.5"):
        crm.call("GetSubjectOfCareSchedule", pnr=PERSON, healthcare_facility=DEMO_UNIT,
                 subject_of_care="191212121213")


def test_wsdl_is_served_with_both_headers(crm: CrmWire) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{crm.base_url}/MakeBooking/1/rivtabp21?wsdl") as response:
        wsdl = response.read().decode()
    assert 'element="ih:Actor"' in wsdl and "urn:riv:crm:scheduling:MakeBookingResponder:1:MakeBooking" in wsdl


@pytest.mark.parametrize("must", ['s:mustUnderstand="1"', ""])
def test_mustunderstand_on_the_actor_header_is_honoured(crm: CrmWire, must: str) -> None:
    """SOAP 1.1 §4.2.3: the 1.1 endpoints read the Actor header, so mustUnderstand="1" on it is no fault."""
    envelope = (
        f'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>'
        f'<LogicalAddress xmlns="urn:riv:itintegration:registry:1" {must}>{DEMO_UNIT}</LogicalAddress>'
        f'<Actor xmlns="urn:riv:interoperability:headers:1" {must}><actorId>{TOLVAN}</actorId>'
        "<actorType>subject_of_care</actorType></Actor>"
        "</s:Header><s:Body>"
        '<GetSubjectOfCareSchedule xmlns="urn:riv:crm:scheduling:GetSubjectOfCareScheduleResponder:1">'
        f"<healthcare_facility>{DEMO_UNIT}</healthcare_facility><subject_of_care>{TOLVAN}</subject_of_care>"
        "</GetSubjectOfCareSchedule></s:Body></s:Envelope>"
    ).encode()
    status, data = crm.post("/GetSubjectOfCareSchedule/1/rivtabp21", envelope)
    assert status == 200, data[:400]
    assert b"GetSubjectOfCareScheduleResponse" in data


def test_a_search_window_over_the_maximum_is_refused_for_1_1_consumers_too(crm: CrmWire) -> None:
    """The search limits are the domain's: a riv.crm.scheduling 1.1 search of ten years gets the same
    refusal, naming the maximum (a Client fault: the 1.1 search responses have no resultCode)."""
    today = stockholm_now().date()
    with pytest.raises(Fault) as caught:
        crm.call("GetAvailableTimeslots", pnr=PERSON, healthcare_facility=DEMO_UNIT, timeTypeID="SSKBESOK",
                 subject_of_care=PERSON, startDateInclusive=today.strftime("%Y%m%d"),
                 endDateInclusive=(today + timedelta(days=3650)).strftime("%Y%m%d"))
    assert "92" in caught.value.message
