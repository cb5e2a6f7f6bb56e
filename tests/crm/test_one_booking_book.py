"""Both generations book from one booking book: a slot is sold once whichever contract asks, and a
booking made through 1.1 stays reachable and changeable through 2.0 and back (TKB crm:scheduling 1.1
§4.6-4.8 beside TKB 2.0 §7.1, §7.11, §7.12)."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import timedelta

import zeep
from crmwire import DEMO_UNIT, CrmWire, actor, luhn_pnr

from riv_scheduling.contract import INTERACTIONS
from riv_scheduling.contract.crm_scheduling import CRM_INTERACTIONS
from riv_scheduling.domain import AuditAction, AuditTrail, ClinicSetup, Timeslot, stockholm_now

PERSONNUMMER = "1.2.752.129.2.1.3.1"
PERSONS = [luhn_pnr(f"19121212{n:03d}") for n in range(200, 230)]


def new_slot(crm: CrmWire, days: int, hour: int) -> Timeslot:
    start = (stockholm_now() + timedelta(days=days)).replace(hour=hour, minute=3, second=0, microsecond=0)
    slot = Timeslot(uuid.uuid4(), DEMO_UNIT, "SSKBESOK", start, start + timedelta(minutes=15))
    return ClinicSetup(crm.store.uow).add_timeslot(slot)


def requested(slot: Timeslot, pnr: str, with_id: bool = True) -> dict[str, object]:
    return {
        "startTimeInclusive": slot.start.strftime("%Y%m%d%H%M%S"),
        "endTimeExclusive": slot.end.strftime("%Y%m%d%H%M%S"),
        "healthcare_facility": DEMO_UNIT,
        "subject_of_care": pnr,
        "resourceID": str(slot.id) if with_id else None,
        "timeTypeID": slot.time_type_code,
    }


def v2(pnr: str) -> dict[str, object]:
    return {
        "actor": {"actorId": {"root": PERSONNUMMER, "extension": pnr},
                  "actorType": {"code": "116154003", "codeSystem": "1.2.752.116.2.1.1"}},
        "personId": {"root": PERSONNUMMER, "extension": pnr},
    }


def test_twenty_concurrent_bookings_half_per_generation_give_exactly_one_success(crm: CrmWire) -> None:
    slot = new_slot(crm, 6, 6)
    make_booking = zeep.Client(f"{crm.base_url}{CRM_INTERACTIONS['MakeBooking'].path}?wsdl")
    make_appointment = zeep.Client(f"{crm.base_url}{INTERACTIONS['MakeAppointment'].path}?wsdl")
    barrier = threading.Barrier(20)
    results: list[tuple[str, str]] = []
    errors: list[BaseException] = []

    def book(i: int) -> None:
        pnr = PERSONS[i]
        try:
            barrier.wait(timeout=30)
            if i % 2:
                r = make_booking.service.MakeBooking(
                    _soapheaders={"LogicalAddress": DEMO_UNIT, "actor": actor(pnr)},
                    healthcare_facility_med=DEMO_UNIT, requestedTimeslot=requested(slot, pnr, with_id=i % 4 == 1),
                    subject_of_care_info={"firstName": "Test", "lastName": "Testsson"},
                )
                results.append(("1.1", r.resultCode))
            else:
                r = make_appointment.service.MakeAppointment(
                    _soapheaders={"LogicalAddress": DEMO_UNIT}, timeslotId=str(slot.id), **v2(pnr)
                )
                results.append(("2.0", r.resultCode))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=book, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    successes = [r for r in results if r[1] == "OK"]
    assert len(results) == 20 and len(successes) == 1, Counter(results)
    assert Counter(code for gen, code in results if gen == "1.1" and code != "OK") == {
        "ERROR": 10 - sum(1 for gen, _ in successes if gen == "1.1")
    }


def test_make_booking_then_update_appointment_then_cancel_booking_by_the_first_id(crm: CrmWire) -> None:
    pnr = PERSONS[25]
    first_slot, second_slot = new_slot(crm, 7, 7), new_slot(crm, 7, 8)
    headers = {"LogicalAddress": DEMO_UNIT, "actor": actor(pnr)}
    made = zeep.Client(f"{crm.base_url}/MakeBooking/1/rivtabp21?wsdl").service.MakeBooking(
        _soapheaders=headers, healthcare_facility_med=DEMO_UNIT, requestedTimeslot=requested(first_slot, pnr),
        subject_of_care_info={"firstName": "Test", "lastName": "Testsson"},
    )
    assert made.resultCode == "OK"
    booking_id = made.bookingId

    # 2.0: the 1.1 booking is an appointment with that id; rebooking it gives a new 2.0 id
    v2_get = zeep.Client(f"{crm.base_url}/GetAppointment/2/rivtabp21?wsdl").service.GetAppointment
    got = v2_get(_soapheaders={"LogicalAddress": DEMO_UNIT}, appointmentId=booking_id,
                 personId=v2(pnr)["personId"], actor=v2(pnr)["actor"])
    assert got.appointment.appointmentId == booking_id
    moved = zeep.Client(f"{crm.base_url}/UpdateAppointment/2/rivtabp21?wsdl").service.UpdateAppointment(
        _soapheaders={"LogicalAddress": DEMO_UNIT}, originalAppointmentId=booking_id,
        timeslotId=str(second_slot.id), **v2(pnr),
    )
    assert moved.resultCode == "OK" and moved.appointmentId != booking_id

    # 1.1: the consumer still holds the first id; it shows the new time and cancels it
    details = crm.call("GetBookingDetails", pnr=pnr, healthcare_facility=DEMO_UNIT,
                       bookingId=booking_id).timeslotDetail
    assert details.bookingId == booking_id
    assert details.startTimeInclusive == second_slot.start.strftime("%Y%m%d%H%M%S")
    cancelled = crm.call("CancelBooking", pnr=pnr, healthcare_facility=DEMO_UNIT, bookingId=booking_id)
    assert cancelled.resultCode == "OK"

    with crm.store.uow() as uow:
        assert uow.timeslots.get(first_slot.id).is_free and uow.timeslots.get(second_slot.id).is_free
        assert not uow.appointments.get(uuid.UUID(moved.appointmentId)).is_active
    trail = AuditTrail(crm.store.uow).for_appointment(uuid.UUID(booking_id))
    assert [e.action for e in trail] == [AuditAction.MADE, AuditAction.REBOOKED, AuditAction.CANCELLED]
    assert trail[1].new_appointment_id == uuid.UUID(moved.appointmentId)
    assert trail[2].timeslot_id == second_slot.id
    schedule = crm.call("GetSubjectOfCareSchedule", pnr=pnr, healthcare_facility=DEMO_UNIT, subject_of_care=pnr)
    assert not schedule.timeslotDetail
