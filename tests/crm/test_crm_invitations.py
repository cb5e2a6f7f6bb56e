"""Invitations over the wire (TKB crm:scheduling 1.1 §3.6, CONTRACTS.md §6.4, flows 6 and 7), with
zeep clients from the served 1.1 WSDLs on the demo data; every answer is validated against our 1.1
schemas. A timed invitation is 2.0's preliminary appointment; an open invitation is an
OpenInvitation with the assignment of its protected time type (ATERBESOK in the demo data)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import zeep
from crmwire import DEMO_UNIT, SOAP, CrmWire, luhn_pnr
from lxml import etree
from zeep.exceptions import Fault

from riv_scheduling.domain import PERSONNUMMER_OID, ClinicSetup, PersonId, stockholm_now

DOCBOOK = "<para>Välkommen på <emphasis>återbesök</emphasis> &amp; provtagning.</para>"
HEADERS = "urn:riv:interoperability:headers:1"


def dates() -> dict[str, str]:
    today = stockholm_now().date()
    return {"startDateInclusive": today.strftime("%Y%m%d"),
            "endDateInclusive": (today + timedelta(days=20)).strftime("%Y%m%d")}


def schedule(crm: CrmWire, pnr: str) -> list:
    answer = crm.call("GetSubjectOfCareSchedule", pnr=pnr, healthcare_facility=DEMO_UNIT, subject_of_care=pnr)
    return list(answer.timeslotDetail or [])


def details(crm: CrmWire, pnr: str, booking_id: str) -> object:
    return crm.call("GetBookingDetails", pnr=pnr, healthcare_facility=DEMO_UNIT, bookingId=booking_id).timeslotDetail


def free(crm: CrmWire, pnr: str, **body: object) -> list:
    answer = crm.call("GetAvailableTimeslots", pnr=pnr, healthcare_facility=DEMO_UNIT, subject_of_care=pnr,
                      **dates(), **body)
    return list(answer.timeslotDetail or [])


def test_open_invitation_flow(crm: CrmWire) -> None:
    pnr = luhn_pnr("19121212500")
    invitation = ClinicSetup(crm.store.uow).invite(DEMO_UNIT, PersonId(PERSONNUMMER_OID, pnr), "ATERBESOK", DOCBOOK)
    # never in the schedule; found through GetBookingDetails by its id
    assert schedule(crm, pnr) == []
    shown = details(crm, pnr, str(invitation.id))
    assert shown.isInvitation is True and shown.bookingId == str(invitation.id)
    assert shown.startTimeInclusive is None and shown.endTimeExclusive is None
    assert shown.purpose == DOCBOOK  # DocBook markup travels as escaped text and comes back as given
    assert (shown.timeTypeID, shown.careTypeID) == ("ATERBESOK", "185389009")
    assert shown.subject_of_care == pnr and shown.healthcare_facility == DEMO_UNIT
    # where, when: the issuing unit, the free times of the invitation's (protected) time type
    units = crm.call("GetAllHealthcareFacilities", pnr=pnr, healthcare_facility=DEMO_UNIT, subject_of_care=pnr,
                     bookingId=str(invitation.id))
    assert [u.healthcare_facility for u in units.healthcareFacilityInfos] == [DEMO_UNIT]
    days = crm.call("GetAvailableDates", pnr=pnr, healthcare_facility=DEMO_UNIT, subject_of_care=pnr,
                    bookingId=str(invitation.id), **dates()).performerAvailabilityByDate
    assert days and {d.timeTypeID for d in days} == {"ATERBESOK"}
    slots = free(crm, pnr, bookingId=str(invitation.id))
    assert slots and {s.timeTypeID for s in slots} == {"ATERBESOK"}
    # booked with MakeBooking naming the invitation
    slot = slots[0]
    slot.bookingId, slot.subject_of_care = str(invitation.id), pnr
    made = crm.call("MakeBooking", pnr=pnr, healthcare_facility_med=DEMO_UNIT, requestedTimeslot=slot,
                    subject_of_care_info={"firstName": "Tolvan", "lastName": "Tolvansson"})
    assert made.resultCode in ("OK", "INFO") and made.bookingId
    booked = schedule(crm, pnr)
    assert [(b.bookingId, b.isInvitation, b.startTimeInclusive) for b in booked] == [
        (made.bookingId, False, slot.startTimeInclusive)]
    # the invitation's id now names the booking
    assert details(crm, pnr, str(invitation.id)).bookingId == made.bookingId
    # and it is used up
    again = slots[1]
    again.bookingId, again.subject_of_care = str(invitation.id), pnr
    refused = crm.call("MakeBooking", pnr=pnr, healthcare_facility_med=DEMO_UNIT, requestedTimeslot=again,
                       subject_of_care_info={"firstName": "Tolvan", "lastName": "Tolvansson"})
    assert (refused.resultCode, refused.resultText) == ("ERROR", "Kallelsen är redan bokad.")


def test_an_open_invitation_is_only_its_citizens(crm: CrmWire) -> None:
    pnr, other = luhn_pnr("19121212510"), luhn_pnr("19121212520")
    invitation = ClinicSetup(crm.store.uow).invite(DEMO_UNIT, PersonId(PERSONNUMMER_OID, pnr), "ATERBESOK", "Kallelse")
    with pytest.raises(Fault, match="Bokningen finns inte"):
        details(crm, other, str(invitation.id))
    with pytest.raises(Fault, match="bokningen finns inte"):  # as for any id that is not theirs
        free(crm, other, bookingId=str(invitation.id))
    slot = free(crm, pnr, bookingId=str(invitation.id))[0]
    slot.bookingId, slot.subject_of_care = str(invitation.id), other
    answer = crm.call("MakeBooking", pnr=other, healthcare_facility_med=DEMO_UNIT, requestedTimeslot=slot,
                      subject_of_care_info={"firstName": "Test", "lastName": "Testsson"})
    assert (answer.resultCode, answer.resultText) == ("ERROR", "Kallelsen finns inte hos mottagningen.")
    slot.bookingId = "1251"  # not an id this producer issues
    answer = crm.call("MakeBooking", pnr=other, healthcare_facility_med=DEMO_UNIT, requestedTimeslot=slot,
                      subject_of_care_info={"firstName": "Test", "lastName": "Testsson"})
    assert (answer.resultCode, answer.resultText) == ("ERROR", "Kallelsen finns inte hos mottagningen.")


def test_the_purpose_is_escaped_text_on_the_wire(crm: CrmWire) -> None:
    pnr = luhn_pnr("19121212530")
    invitation = ClinicSetup(crm.store.uow).invite(DEMO_UNIT, PersonId(PERSONNUMMER_OID, pnr), "ATERBESOK", DOCBOOK)
    envelope = (
        f'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>'
        f'<LogicalAddress xmlns="urn:riv:itintegration:registry:1">{DEMO_UNIT}</LogicalAddress>'
        f'<Actor xmlns="{HEADERS}"><actorId>{pnr}</actorId><actorType>subject_of_care</actorType></Actor>'
        f'</s:Header><s:Body><GetBookingDetails xmlns="urn:riv:crm:scheduling:GetBookingDetailsResponder:1">'
        f"<healthcare_facility>{DEMO_UNIT}</healthcare_facility><bookingId>{invitation.id}</bookingId>"
        f"</GetBookingDetails></s:Body></s:Envelope>"
    ).encode()
    status, data = crm.post("/GetBookingDetails/1/rivtabp21", envelope)
    assert status == 200
    assert b"&lt;para&gt;V" in data and b"<para>" not in data
    purpose = etree.fromstring(data).find(f"{SOAP}Body").find(".//{urn:riv:crm:scheduling:1}purpose")
    assert purpose.text == DOCBOOK and len(purpose) == 0


def test_a_1_0_consumer_is_told_an_open_invitation_needs_1_1(crm: CrmWire) -> None:
    pnr = luhn_pnr("19121212540")
    invitation = ClinicSetup(crm.store.uow).invite(DEMO_UNIT, PersonId(PERSONNUMMER_OID, pnr), "ATERBESOK", "Kallelse")
    envelope = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>'
        f'<a:To xmlns:a="http://www.w3.org/2005/08/addressing">{DEMO_UNIT}</a:To></s:Header><s:Body>'
        '<GetBookingDetails xmlns="urn:riv:crm:scheduling:GetBookingDetailsResponder:1">'
        f"<healthcare_facility>{DEMO_UNIT}</healthcare_facility><bookingId>{invitation.id}</bookingId>"
        "</GetBookingDetails></s:Body></s:Envelope>"
    ).encode()
    status, data = crm.post("/GetBookingDetails/1/rivtabp20", envelope)
    fault = etree.fromstring(data).find(f"{SOAP}Body/{SOAP}Fault")
    assert status == 500 and fault.findtext("faultcode").endswith("Client")
    assert "open invitation" in fault.findtext("faultstring")


def test_a_2_0_booking_of_the_invited_time_type_answers_the_open_invitation(crm: CrmWire) -> None:
    """One booking book: the invitation a 1.1 consumer holds is answered by a 2.0 MakeAppointment."""
    pnr = luhn_pnr("19121212560")
    person = PersonId(PERSONNUMMER_OID, pnr)
    invitation = ClinicSetup(crm.store.uow).invite(DEMO_UNIT, person, "ATERBESOK", "Kallelse")
    slot = free(crm, pnr, bookingId=str(invitation.id))[0]
    two = zeep.Client(f"{crm.base_url}/MakeAppointment/2/rivtabp21?wsdl")
    actor = {"actorId": {"root": PERSONNUMMER_OID, "extension": pnr},
             "actorType": {"code": "116154003", "codeSystem": "1.2.752.116.2.1.1"}}
    made = two.service.MakeAppointment(_soapheaders={"LogicalAddress": DEMO_UNIT}, actor=actor,
                                       personId={"root": PERSONNUMMER_OID, "extension": pnr},
                                       timeslotId=slot.resourceID)
    assert made.resultCode in ("OK", "INFO"), made.resultText
    shown = details(crm, pnr, str(invitation.id))
    assert shown.isInvitation is False and shown.startTimeInclusive == slot.startTimeInclusive


def test_timed_invitation_flow(crm: CrmWire) -> None:
    pnr = luhn_pnr("19121212550")
    person = PersonId(PERSONNUMMER_OID, pnr)
    slots = free(crm, pnr, timeTypeID="SSKBESOK")
    proposed = ClinicSetup(crm.store.uow).propose_appointment(DEMO_UNIT, person, uuid.UUID(slots[0].resourceID))
    shown = schedule(crm, pnr)
    assert [(s.bookingId, s.isInvitation) for s in shown] == [(str(proposed.id), True)]
    assert shown[0].purpose and shown[0].rebooking_allowed is True
    # the citizen rebooks the invitation with UpdateBooking: it becomes their booking, same bookingId
    target = slots[-1]
    target.bookingId, target.subject_of_care = str(proposed.id), pnr
    answer = crm.call("UpdateBooking", pnr=pnr, requestedTimeslot=target,
                      subject_of_care_info={"firstName": "Tolvan", "lastName": "Tolvansson"})
    assert answer.resultCode in ("OK", "INFO"), answer.resultText
    shown = schedule(crm, pnr)
    assert [(s.bookingId, s.isInvitation, s.startTimeInclusive) for s in shown] == [
        (str(proposed.id), False, target.startTimeInclusive)]
    assert details(crm, pnr, str(proposed.id)).isInvitation is False
