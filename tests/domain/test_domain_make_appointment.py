"""MakeAppointment rules: one test per rule and per ResultCode (TKB 2.0 §7.11, §3.7.2)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from domain_world import CITIZEN, NORR, NOW, OTHER, SODER, TOLVAN, World

from riv_scheduling.domain import (
    PERSONNUMMER_OID,
    RETRY_WINDOW,
    STOCKHOLM,
    AppointmentState,
    AppointmentStatus,
    Code,
    DomainError,
    PersonId,
    ResultCode,
    UnknownHealthcareFacility,
)


def refused(world: World, slot_id: object, person: PersonId = TOLVAN) -> ResultCode:
    with pytest.raises(DomainError) as info:
        world.scheduling.booking.make_appointment(NORR, CITIZEN, person, slot_id, None, None)  # type: ignore[arg-type]
    assert "191212121212" not in info.value.text and "198112289874" not in info.value.text
    return info.value.code


def test_booking_a_free_slot_creates_a_confirmed_active_appointment(world: World) -> None:
    slot = world.slot(world.at(1, 10))
    reason = Code("R1", "1.2.752.129.2.2.3.1", "Förkylning")
    appointment = world.scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id, "Hosta", reason)
    assert appointment.status is AppointmentStatus.CONFIRMED
    assert appointment.state is AppointmentState.ACTIVE
    assert (appointment.timeslot_id, appointment.facility_hsa_id) == (slot.id, NORR)
    assert (appointment.new_reason_text, appointment.new_reason_code) == ("Hosta", reason)
    assert appointment.created_at == appointment.updated_at == NOW
    assert world.stored(appointment.id) == appointment
    assert world.stored_slot(slot.id).booked == 1


def test_logical_address_is_matched_case_insensitively(world: World) -> None:
    slot = world.slot(world.at(1, 10))
    appointment = world.scheduling.booking.make_appointment(NORR.lower(), CITIZEN, TOLVAN, slot.id)
    assert appointment.facility_hsa_id == NORR


def test_unknown_logical_address_is_unknown_facility(world: World) -> None:
    slot = world.slot(world.at(1, 10))
    with pytest.raises(UnknownHealthcareFacility):
        world.scheduling.booking.make_appointment("SE2321000016-XXXX", CITIZEN, TOLVAN, slot.id)


def test_unknown_timeslot_is_error(world: World) -> None:
    assert refused(world, uuid.uuid4()) is ResultCode.ERROR


def test_timeslot_of_another_unit_is_error(world: World) -> None:
    slot = world.slot(world.at(1, 10), facility=SODER)
    assert refused(world, slot.id) is ResultCode.ERROR
    assert world.stored_slot(slot.id).booked == 0


def test_withdrawn_slot_is_no_longer_available(world: World) -> None:
    slot = world.slot(world.at(1, 10), withdrawn=True)
    assert refused(world, slot.id) is ResultCode.REQUESTED_TIME_IS_NO_LONGER_AVAILABLE


@pytest.mark.parametrize("start_offset", [timedelta(0), -timedelta(minutes=5), -timedelta(days=1)])
def test_slot_starting_now_or_earlier_has_already_passed(world: World, start_offset: timedelta) -> None:
    slot = world.slot(NOW + start_offset, code="SSKBESOK")
    assert refused(world, slot.id) is ResultCode.REQUESTED_TIME_HAS_ALREADY_PASSED


def test_slot_within_the_booking_notice_is_too_late_to_make(world: World) -> None:
    slot = world.slot(NOW + timedelta(minutes=59))  # LAKARBESOK: 1 h notice
    assert refused(world, slot.id) is ResultCode.TOO_LATE_TO_MAKE_APPOINTMENT


def test_slot_exactly_at_the_booking_notice_can_be_booked(world: World) -> None:
    slot = world.slot(NOW + timedelta(hours=1))
    assert world.book(slot).is_active


def test_booking_notice_counts_real_time_across_dst(world: World) -> None:
    # Saturday 12:00 CET -> Sunday 12:00 CEST is 23 real hours, not 24.
    world.now = datetime(2025, 3, 29, 12, 0, tzinfo=STOCKHOLM)
    slot = world.slot(datetime(2025, 3, 30, 12, 0, tzinfo=STOCKHOLM))
    appointment = world.book(slot)
    world.now = datetime(2025, 3, 29, 12, 30, tzinfo=STOCKHOLM)
    with pytest.raises(DomainError) as info:  # 22.5 real hours < 24 h cancel notice
        world.scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, appointment.id)
    assert info.value.code is ResultCode.TOO_LATE_TO_CANCEL_APPOINTMENT


@pytest.mark.parametrize("code", ["SKYDDAD", "STOPPAD"])
def test_hidden_or_closed_time_type_is_not_allowed(world: World, code: str) -> None:
    slot = world.slot(world.at(1, 10), code=code)
    assert refused(world, slot.id) is ResultCode.APPOINTMENT_IS_NOT_ALLOWED


def test_overlapping_appointment_at_the_unit_means_user_is_already_occupied(world: World) -> None:
    world.book(world.slot(world.at(1, 10)))
    clash = world.slot(world.at(1, 10, 10), code="SSKBESOK")
    assert refused(world, clash.id) is ResultCode.USER_IS_ALREADY_OCCUPIED
    assert world.stored_slot(clash.id).booked == 0


def test_booking_the_same_slot_twice_means_user_is_already_occupied(world: World) -> None:
    slot = world.slot(world.at(1, 10), capacity=2)
    world.book(slot)
    world.now += RETRY_WINDOW + timedelta(seconds=1)  # within the window it is a repeat (test_domain_retry)
    assert refused(world, slot.id) is ResultCode.USER_IS_ALREADY_OCCUPIED


def test_adjacent_slots_do_not_overlap(world: World) -> None:
    world.book(world.slot(world.at(1, 10)))
    assert world.book(world.slot(world.at(1, 10, 20))).is_active


def test_appointment_at_another_unit_does_not_occupy(world: World) -> None:
    world.book(world.slot(world.at(1, 10), facility=SODER), facility=SODER)
    assert world.book(world.slot(world.at(1, 10))).is_active


def test_cancelled_appointment_does_not_occupy(world: World) -> None:
    first = world.book(world.slot(world.at(1, 10)))
    world.scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, first.id)
    assert world.book(world.slot(world.at(1, 10, 10), code="SSKBESOK")).is_active


def test_full_slot_is_already_reserved(world: World) -> None:
    slot = world.slot(world.at(1, 10))
    world.book(slot, person=OTHER)
    assert refused(world, slot.id) is ResultCode.REQUESTED_TIME_IS_ALREADY_RESERVED
    assert world.stored_slot(slot.id).booked == 1


def test_invalid_person_id_is_error(world: World) -> None:
    slot = world.slot(world.at(1, 10))
    assert refused(world, slot.id, PersonId(PERSONNUMMER_OID, "19121212-1212")) is ResultCode.ERROR
    assert world.stored_slot(slot.id).booked == 0


def test_refusal_leaves_nothing_behind(world: World) -> None:
    slot = world.slot(world.at(1, 10))
    world.book(slot, person=OTHER)
    before = (dict(world.db.data.timeslots), dict(world.db.data.appointments))
    refused(world, slot.id)
    assert (world.db.data.timeslots, world.db.data.appointments) == before
