"""A zeep client made from the served WSDLs searches, books, reads, rebooks and cancels."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from soapwire import DEMO_UNIT, PERSONS, Wire, actor, person

from riv_scheduling.domain import STOCKHOLM


def wire_date(day: date) -> str:
    return day.strftime("%Y%m%d")


def test_search_book_read_rebook_cancel_against_the_demo_data(wire: Wire) -> None:
    pnr = PERSONS[0]
    today = date.today()
    # From three days ahead: LAKARBESOK may be rebooked and cancelled up to 24 h before.
    window = {"startDateInclusive": wire_date(today + timedelta(days=3)),
              "endDateInclusive": wire_date(today + timedelta(days=27))}

    found = wire.call("GetAvailableTimeslots", DEMO_UNIT, actor=actor(pnr), personId=person(pnr),
                      timeTypeCode="LAKARBESOK", **window)
    assert found.resultCode == "OK"
    assert len(found.timeslot) > 10
    now = datetime.now(STOCKHOLM).replace(tzinfo=None)
    starts = [datetime.strptime(s.startTime, "%Y%m%d%H%M%S") for s in found.timeslot]
    assert min(starts) > now, "a search must never return a past slot"
    assert starts == sorted(starts)
    assert {s.timeType.code for s in found.timeslot} == {"LAKARBESOK"}
    assert {s.healthcareFacilityHSAId.extension for s in found.timeslot} == {DEMO_UNIT}
    first = found.timeslot[0]

    made = wire.call("MakeAppointment", DEMO_UNIT, actor=actor(pnr), personId=person(pnr),
                     timeslotId=first.timeslotId, reasonText="Ont i halsen")
    assert made.resultCode == "OK", made.resultText
    appointment_id = made.appointmentId

    got = wire.call("GetAppointment", DEMO_UNIT, actor=actor(pnr), appointmentId=appointment_id,
                    personId=person(pnr))
    assert got.resultCode == "OK"
    assert got.appointment.appointmentId == appointment_id
    assert got.appointment.timeslot.timeslotId == first.timeslotId
    assert got.appointment.timeslot.startTime == first.startTime
    assert got.appointment.status == "confirmed"
    assert got.appointment.newAppointmentReasonText == "Ont i halsen"
    assert got.appointment.personId.extension == pnr

    again = wire.call("GetAvailableTimeslots", DEMO_UNIT, timeTypeCode="LAKARBESOK", **window)
    assert first.timeslotId not in {s.timeslotId for s in again.timeslot}, "booked slot offered"

    listed = wire.call("GetAppointments", DEMO_UNIT, actor=actor(pnr), personId=person(pnr))
    assert [a.appointmentId for a in listed.appointment] == [appointment_id]
    assert listed.appointment[0].healthcareFacilityId.extension == DEMO_UNIT

    rebook = wire.call("GetAvailableTimeslots", DEMO_UNIT, actor=actor(pnr), personId=person(pnr),
                       originalAppointmentId=appointment_id, **window)
    assert rebook.resultCode == "OK" and rebook.timeslot
    # Rebooking keeps the time type and the resources (practitioners) of the original.
    staff = [p.HSAId.extension for p in first.practitioner]
    for s in rebook.timeslot:
        assert s.timeType.code == "LAKARBESOK"
        assert [p.HSAId.extension for p in s.practitioner] == staff
    assert first.timeslotId not in {s.timeslotId for s in rebook.timeslot}
    later = rebook.timeslot[-1]

    updated = wire.call("UpdateAppointment", DEMO_UNIT, actor=actor(pnr),
                        originalAppointmentId=appointment_id, timeslotId=later.timeslotId,
                        personId=person(pnr), reasonText="Kan inte komma")
    assert updated.resultCode == "OK", updated.resultText
    new_id = updated.appointmentId
    assert new_id != appointment_id

    got = wire.call("GetAppointment", DEMO_UNIT, actor=actor(pnr), appointmentId=new_id,
                    personId=person(pnr))
    assert got.appointment.timeslot.timeslotId == later.timeslotId
    assert got.appointment.updateAppointmentReasonText == "Kan inte komma"
    assert got.appointment.newAppointmentReasonText == "Ont i halsen"
    old = wire.call("GetAppointment", DEMO_UNIT, actor=actor(pnr), appointmentId=appointment_id,
                    personId=person(pnr))
    assert old.appointment is None
    freed = wire.call("GetAvailableTimeslots", DEMO_UNIT, timeTypeCode="LAKARBESOK", **window)
    assert first.timeslotId in {s.timeslotId for s in freed.timeslot}, "old slot not released"

    cancelled = wire.call("CancelAppointment", DEMO_UNIT, actor=actor(pnr), appointmentId=new_id,
                          personId=person(pnr), reasonText="Frisk igen")
    assert cancelled.resultCode == "OK"
    listed = wire.call("GetAppointments", DEMO_UNIT, actor=actor(pnr), personId=person(pnr))
    assert listed.appointment == []
    after = wire.call("GetAvailableTimeslots", DEMO_UNIT, timeTypeCode="LAKARBESOK", **window)
    assert later.timeslotId in {s.timeslotId for s in after.timeslot}, "cancelled slot not free"


def test_a_cancelled_slot_is_bookable_again_at_once(wire: Wire, slots) -> None:  # noqa: ANN001
    slot = slots.make()
    first, second = PERSONS[1], PERSONS[2]
    made = wire.call("MakeAppointment", actor=actor(first), personId=person(first), timeslotId=slot)
    assert made.resultCode == "OK"
    taken = wire.call("MakeAppointment", actor=actor(second), personId=person(second),
                      timeslotId=slot)
    assert taken.resultCode == "REQUESTED_TIME_IS_ALREADY_RESERVED"
    assert wire.call("CancelAppointment", actor=actor(first), appointmentId=made.appointmentId,
                     personId=person(first)).resultCode == "OK"
    rebooked = wire.call("MakeAppointment", actor=actor(second), personId=person(second),
                         timeslotId=slot)
    assert rebooked.resultCode == "OK"


def test_get_appointments_filters_by_date_and_time_type(wire: Wire, slots) -> None:  # noqa: ANN001
    pnr = PERSONS[3]
    ids = {}
    for code in ("FRI", "DYGN"):
        slot = slots.make(code)
        made = wire.call("MakeAppointment", actor=actor(pnr), personId=person(pnr),
                         timeslotId=slot)
        assert made.resultCode == "OK"
        ids[code] = made.appointmentId
    everything = wire.call("GetAppointments", actor=actor(pnr), personId=person(pnr))
    assert {a.appointmentId for a in everything.appointment} == set(ids.values())
    only = wire.call("GetAppointments", actor=actor(pnr), personId=person(pnr), timeTypeCode="DYGN")
    assert [a.appointmentId for a in only.appointment] == [ids["DYGN"]]
    past = wire.call("GetAppointments", actor=actor(pnr), personId=person(pnr),
                     fromDate="20000101", toDate="20000102")
    assert past.appointment == []
    other = wire.call("GetAppointments", DEMO_UNIT, actor=actor(pnr), personId=person(pnr))
    assert other.appointment == [], "appointments of another unit listed"


def test_the_logical_address_is_matched_case_insensitively(wire: Wire) -> None:
    pnr = PERSONS[4]
    result = wire.call("GetAppointments", DEMO_UNIT.lower(), actor=actor(pnr),
                       personId=person(pnr))
    assert result.appointment == []
    today = date.today()
    found = wire.call("GetAvailableTimeslots", DEMO_UNIT.lower(),
                      startDateInclusive=wire_date(today),
                      endDateInclusive=wire_date(today + timedelta(days=7)))
    assert found.resultCode == "OK" and found.timeslot


def test_search_filters_by_practitioner(wire: Wire, slots) -> None:  # noqa: ANN001
    mine = slots.make(practitioner="SE2321000016-DOC1")
    theirs = slots.make(practitioner="SE2321000016-DOC2")
    today = date.today()
    found = wire.call("GetAvailableTimeslots", startDateInclusive=wire_date(today),
                      endDateInclusive=wire_date(today + timedelta(days=30)),
                      practitionerId={"root": "1.2.752.129.2.1.4.1",
                                      "extension": "se2321000016-doc1"})
    ids = {s.timeslotId for s in found.timeslot}
    assert mine in ids and theirs not in ids
    slot = next(s for s in found.timeslot if s.timeslotId == mine)
    assert [p.HSAId.extension for p in slot.practitioner] == ["SE2321000016-DOC1"]
