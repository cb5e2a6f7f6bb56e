"""Every result code the booking-core interactions return, provoked over the wire.

Interactions and the codes the contract assigns them (TKB 2.0 §3.7.2-3.7.5):
MakeAppointment, UpdateAppointment, CancelAppointment; the queries only OK/INFO/ERROR.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import zeep.exceptions
from soapwire import PERSONS, Slots, Wire, actor, hours, person

P = iter(PERSONS[10:])  # a fresh person per test keeps the tests independent


def make(wire: Wire, pnr: str, slot: str) -> object:
    return wire.call("MakeAppointment", actor=actor(pnr), personId=person(pnr), timeslotId=slot)


def booked(wire: Wire, pnr: str, slot: str) -> str:
    result = make(wire, pnr, slot)
    assert result.resultCode == "OK", result.resultText
    return result.appointmentId


def update(wire: Wire, pnr: str, original: str, slot: str) -> object:
    return wire.call("UpdateAppointment", actor=actor(pnr), originalAppointmentId=original,
                     timeslotId=slot, personId=person(pnr))


def cancel(wire: Wire, pnr: str, appointment: str) -> object:
    return wire.call("CancelAppointment", actor=actor(pnr), appointmentId=appointment,
                     personId=person(pnr))


def assert_refused(result: object, code: str) -> None:
    assert result.resultCode == code, (result.resultCode, result.resultText)
    assert result.resultText, "a refusal carries a resultText for the citizen"


# -- MakeAppointment ---------------------------------------------------------------------


def test_make_ok(wire: Wire, slots: Slots) -> None:
    result = make(wire, next(P), slots.make())
    assert result.resultCode == "OK"
    assert uuid.UUID(result.appointmentId)


def test_make_unknown_timeslot_is_error(wire: Wire) -> None:
    result = make(wire, next(P), str(uuid.uuid4()))
    assert_refused(result, "ERROR")
    assert result.appointmentId is None


def test_make_repeated_by_the_same_person_returns_the_same_appointment(wire: Wire, slots: Slots) -> None:
    pnr, slot = next(P), slots.make()
    first = booked(wire, pnr, slot)
    again = make(wire, pnr, slot)
    assert (again.resultCode, again.appointmentId) == ("OK", first)
    listed = wire.call("GetAppointments", actor=actor(pnr), personId=person(pnr))
    assert [a.appointmentId for a in listed.appointment].count(first) == 1


def test_update_repeated_returns_the_same_new_appointment(wire: Wire, slots: Slots) -> None:
    pnr, target = next(P), slots.make()
    original = booked(wire, pnr, slots.make())
    first = update(wire, pnr, original, target)
    again = update(wire, pnr, original, target)
    assert first.resultCode == again.resultCode == "OK"
    assert again.appointmentId == first.appointmentId


def test_make_already_reserved(wire: Wire, slots: Slots) -> None:
    slot = slots.make()
    booked(wire, next(P), slot)
    assert_refused(make(wire, next(P), slot), "REQUESTED_TIME_IS_ALREADY_RESERVED")


def test_make_time_has_passed(wire: Wire, slots: Slots) -> None:
    slot = slots.make(start_in=-hours(1))
    assert_refused(make(wire, next(P), slot), "REQUESTED_TIME_HAS_ALREADY_PASSED")


def test_make_withdrawn_slot_is_no_longer_available(wire: Wire, slots: Slots) -> None:
    slot = slots.make()
    wire.setup.withdraw_timeslot(uuid.UUID(slot))
    assert_refused(make(wire, next(P), slot), "REQUESTED_TIME_IS_NO_LONGER_AVAILABLE")


def test_make_inside_the_booking_notice_is_too_late(wire: Wire, slots: Slots) -> None:
    slot = slots.make("FRAMFOR", start_in=hours(1))  # FRAMFOR: 2 h booking notice
    assert_refused(make(wire, next(P), slot), "TOO_LATE_TO_MAKE_APPOINTMENT")


def test_make_overlapping_own_appointment_is_user_already_occupied(
    wire: Wire, slots: Slots
) -> None:
    pnr = next(P)
    booked(wire, pnr, slots.make(start_in=timedelta(days=5, hours=3)))
    overlapping = slots.make(start_in=timedelta(days=5, hours=3, minutes=10))
    assert_refused(make(wire, pnr, overlapping), "USER_IS_ALREADY_OCCUPIED")


def test_make_on_a_time_type_closed_for_booking_is_not_allowed(
    wire: Wire, slots: Slots
) -> None:
    assert_refused(make(wire, next(P), slots.make("STANGD")), "APPOINTMENT_IS_NOT_ALLOWED")


# -- UpdateAppointment -------------------------------------------------------------------


def test_update_ok_issues_a_new_id_and_releases_the_old_slot(wire: Wire, slots: Slots) -> None:
    pnr, old_slot = next(P), slots.make()
    original = booked(wire, pnr, old_slot)
    result = update(wire, pnr, original, slots.make())
    assert result.resultCode == "OK"
    assert result.appointmentId != original
    booked(wire, next(P), old_slot)  # bookable again


def test_update_of_a_cancelled_appointment(wire: Wire, slots: Slots) -> None:
    pnr = next(P)
    original = booked(wire, pnr, slots.make())
    assert cancel(wire, pnr, original).resultCode == "OK"
    assert_refused(update(wire, pnr, original, slots.make()), "APPOINTMENT_IS_ALREADY_CANCELED")


def test_update_of_an_already_rebooked_appointment(wire: Wire, slots: Slots) -> None:
    pnr = next(P)
    original = booked(wire, pnr, slots.make())
    assert update(wire, pnr, original, slots.make()).resultCode == "OK"
    assert_refused(update(wire, pnr, original, slots.make()), "APPOINTMENT_IS_ALREADY_UPDATED")


def test_update_inside_the_update_notice_is_too_late(wire: Wire, slots: Slots) -> None:
    pnr = next(P)
    original = booked(wire, pnr, slots.make("DYGN", start_in=hours(5)))  # 24 h notice
    assert_refused(update(wire, pnr, original, slots.make("DYGN")),
                   "TOO_LATE_TO_UPDATE_APPOINTMENT")


def test_update_of_an_unknown_appointment(wire: Wire, slots: Slots) -> None:
    assert_refused(update(wire, next(P), str(uuid.uuid4()), slots.make()),
                   "APPOINTMENT_DOES_NOT_EXIST")


def test_update_of_another_persons_appointment_looks_unknown(wire: Wire, slots: Slots) -> None:
    original = booked(wire, next(P), slots.make())
    assert_refused(update(wire, next(P), original, slots.make()), "APPOINTMENT_DOES_NOT_EXIST")


def test_update_where_the_time_type_forbids_it(wire: Wire, slots: Slots) -> None:
    pnr = next(P)
    original = booked(wire, pnr, slots.make("LAST"))
    assert_refused(update(wire, pnr, original, slots.make("LAST")),
                   "UPDATE_APPOINTMENT_IS_NOT_ALLOWED")


def test_update_to_a_reserved_slot_changes_nothing(wire: Wire, slots: Slots) -> None:
    pnr, old_slot, taken = next(P), slots.make(), slots.make()
    original = booked(wire, pnr, old_slot)
    booked(wire, next(P), taken)
    assert_refused(update(wire, pnr, original, taken), "REQUESTED_TIME_IS_ALREADY_RESERVED")
    still = wire.call("GetAppointment", actor=actor(pnr), appointmentId=original,
                      personId=person(pnr))
    assert still.appointment.timeslot.timeslotId == old_slot, "failed update changed the booking"
    assert_refused(make(wire, next(P), old_slot), "REQUESTED_TIME_IS_ALREADY_RESERVED")


def test_update_to_a_past_slot(wire: Wire, slots: Slots) -> None:
    pnr = next(P)
    original = booked(wire, pnr, slots.make())
    assert_refused(update(wire, pnr, original, slots.make(start_in=-hours(2))),
                   "REQUESTED_TIME_HAS_ALREADY_PASSED")


def test_update_to_a_withdrawn_slot(wire: Wire, slots: Slots) -> None:
    pnr, target = next(P), slots.make()
    original = booked(wire, pnr, slots.make())
    wire.setup.withdraw_timeslot(uuid.UUID(target))
    assert_refused(update(wire, pnr, original, target), "REQUESTED_TIME_IS_NO_LONGER_AVAILABLE")


def test_update_into_an_overlap_with_another_own_appointment(wire: Wire, slots: Slots) -> None:
    pnr = next(P)
    original = booked(wire, pnr, slots.make())
    booked(wire, pnr, slots.make(start_in=timedelta(days=6, hours=2)))
    overlapping = slots.make(start_in=timedelta(days=6, hours=2, minutes=5))
    assert_refused(update(wire, pnr, original, overlapping), "USER_IS_ALREADY_OCCUPIED")


def test_update_to_another_time_type_is_error(wire: Wire, slots: Slots) -> None:
    pnr = next(P)
    original = booked(wire, pnr, slots.make("FRI"))
    assert_refused(update(wire, pnr, original, slots.make("DYGN")), "ERROR")


# -- CancelAppointment -------------------------------------------------------------------


def test_cancel_repeated_is_already_canceled_at_once_and_releases_nothing(wire: Wire, slots: Slots) -> None:
    # TKB 2.0 §3.7.4: a repeated cancellation answers APPOINTMENT_IS_ALREADY_CANCELED, also the platform's retry.
    pnr, other, slot = next(P), next(P), slots.make()
    appointment = booked(wire, pnr, slot)
    assert cancel(wire, pnr, appointment).resultCode == "OK"
    assert_refused(cancel(wire, pnr, appointment), "APPOINTMENT_IS_ALREADY_CANCELED")
    taken = booked(wire, other, slot)  # the slot was freed once, and is now someone else's
    assert_refused(cancel(wire, pnr, appointment), "APPOINTMENT_IS_ALREADY_CANCELED")
    shown = wire.call("GetAppointment", actor=actor(other), appointmentId=taken, personId=person(other))
    assert shown.appointment is not None and shown.appointment.appointmentId == taken
    assert_refused(make(wire, next(P), slot), "REQUESTED_TIME_IS_ALREADY_RESERVED")  # not released twice
    still = wire.call("GetAppointments", actor=actor(pnr), personId=person(pnr))
    assert appointment not in [a.appointmentId for a in still.appointment]


def test_cancel_of_a_rebooked_appointment(wire: Wire, slots: Slots) -> None:
    pnr = next(P)
    original = booked(wire, pnr, slots.make())
    assert update(wire, pnr, original, slots.make()).resultCode == "OK"
    assert_refused(cancel(wire, pnr, original), "APPOINTMENT_IS_ALREADY_UPDATED")


def test_cancel_inside_the_cancel_notice_is_too_late(wire: Wire, slots: Slots) -> None:
    pnr = next(P)
    appointment = booked(wire, pnr, slots.make("DYGN", start_in=hours(3)))
    assert_refused(cancel(wire, pnr, appointment), "TOO_LATE_TO_CANCEL_APPOINTMENT")


def test_cancel_of_an_unknown_appointment(wire: Wire) -> None:
    assert_refused(cancel(wire, next(P), str(uuid.uuid4())), "APPOINTMENT_DOES_NOT_EXIST")


def test_cancel_of_another_persons_appointment_looks_unknown(wire: Wire, slots: Slots) -> None:
    appointment = booked(wire, next(P), slots.make())
    assert_refused(cancel(wire, next(P), appointment), "APPOINTMENT_DOES_NOT_EXIST")


def test_cancel_where_the_time_type_forbids_it(wire: Wire, slots: Slots) -> None:
    pnr = next(P)
    appointment = booked(wire, pnr, slots.make("LAST"))
    assert_refused(cancel(wire, pnr, appointment), "CANCEL_IS_NOT_ALLOWED")


# -- queries -----------------------------------------------------------------------------


def test_get_appointment_of_another_person_is_ok_without_an_appointment(
    wire: Wire, slots: Slots
) -> None:
    owner, other = next(P), next(P)
    appointment = booked(wire, owner, slots.make())
    mine = wire.call("GetAppointment", actor=actor(owner), appointmentId=appointment,
                     personId=person(owner))
    assert mine.resultCode == "OK" and mine.appointment.appointmentId == appointment
    theirs = wire.call("GetAppointment", actor=actor(other), appointmentId=appointment,
                       personId=person(other))
    unknown = wire.call("GetAppointment", actor=actor(other), appointmentId=str(uuid.uuid4()),
                        personId=person(other))
    assert theirs.appointment is None and unknown.appointment is None
    assert (theirs.resultCode, theirs.resultText) == (unknown.resultCode, unknown.resultText)


def test_search_with_end_before_start_is_error(wire: Wire) -> None:
    today = date.today()
    result = wire.call("GetAvailableTimeslots",
                       startDateInclusive=(today + timedelta(days=3)).strftime("%Y%m%d"),
                       endDateInclusive=today.strftime("%Y%m%d"))
    assert_refused(result, "ERROR")
    assert result.timeslot == []


def test_search_never_offers_past_closed_or_protected_slots(wire: Wire, slots: Slots) -> None:
    past = slots.make(start_in=-hours(1))
    closed = slots.make("STANGD")
    protected = slots.make("SKYDDAD")
    open_ = slots.make("FRI")
    today = date.today()
    found = wire.call("GetAvailableTimeslots",
                      startDateInclusive=(today - timedelta(days=1)).strftime("%Y%m%d"),
                      endDateInclusive=(today + timedelta(days=40)).strftime("%Y%m%d"))
    ids = {s.timeslotId for s in found.timeslot}
    assert open_ in ids
    assert not {past, closed, protected} & ids



def test_search_with_both_time_type_and_care_service_is_error(wire: Wire) -> None:
    today = date.today()
    result = wire.call("GetAvailableTimeslots",
                       startDateInclusive=today.strftime("%Y%m%d"),
                       endDateInclusive=(today + timedelta(days=3)).strftime("%Y%m%d"),
                       timeTypeCode="FRI", healthcareServiceCode="1234567")
    assert_refused(result, "ERROR")


def test_an_invalid_personnummer_is_refused_with_a_clear_reason(wire: Wire, slots: Slots) -> None:
    bad = "191212121213"  # wrong check digit
    result = make(wire, bad, slots.make())
    assert_refused(result, "ERROR")
    assert "check digit" in result.resultText and bad not in result.resultText
    with pytest.raises(zeep.exceptions.Fault) as caught:
        wire.call("GetAppointments", actor=actor(bad), personId=person(bad))
    assert "check digit" in caught.value.message
