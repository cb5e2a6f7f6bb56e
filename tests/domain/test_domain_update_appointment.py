"""UpdateAppointment rules: one test per rule and per ResultCode (TKB 2.0 §7.12, §3.7.3)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from domain_world import CITIZEN, NORR, NOW, OTHER, SODER, TOLVAN, World

from riv_scheduling.domain import (
    Appointment,
    AppointmentState,
    AppointmentStatus,
    Code,
    DomainError,
    PersonId,
    ResultCode,
    UnknownHealthcareFacility,
)


def rebook(
    world: World,
    original: Appointment,
    slot_id: uuid.UUID,
    person: PersonId = TOLVAN,
    logical_address: str = NORR,
) -> Appointment:
    return world.scheduling.rebooking.update_appointment(
        logical_address, CITIZEN, person, original.id, slot_id, "Krock", Code("U1", "1.2.3", "Annat")
    )


def refused(world: World, original: Appointment, slot_id: uuid.UUID, **kw: object) -> ResultCode:
    before = (dict(world.db.data.timeslots), dict(world.db.data.appointments))
    with pytest.raises(DomainError) as info:
        rebook(world, original, slot_id, **kw)  # type: ignore[arg-type]
    assert (world.db.data.timeslots, world.db.data.appointments) == before, "nothing may change"
    return info.value.code


@pytest.fixture
def booked(world: World) -> Appointment:
    return world.scheduling.booking.make_appointment(
        NORR, CITIZEN, TOLVAN, world.slot(world.at(3, 10)).id, "Hosta", Code("R1", "1.2.3", "Hosta")
    )


def test_rebooking_moves_to_a_new_appointment_and_frees_the_old_slot(world: World, booked: Appointment) -> None:
    target = world.slot(world.at(4, 10))
    new = rebook(world, booked, target.id)
    assert new.id != booked.id
    assert (new.timeslot_id, new.state, new.replaces) == (target.id, AppointmentState.ACTIVE, booked.id)
    assert (new.new_reason_text, new.new_reason_code) == (booked.new_reason_text, booked.new_reason_code)
    assert (new.update_reason_text, new.update_reason_code) == ("Krock", Code("U1", "1.2.3", "Annat"))
    assert new.status is booked.status
    old = world.stored(booked.id)
    assert (old.state, old.replaced_by, old.updated_at) == (AppointmentState.REPLACED, new.id, NOW)
    assert world.stored_slot(booked.timeslot_id).booked == 0
    assert world.stored_slot(target.id).booked == 1
    assert world.stored(new.id) == new


def test_rebooking_keeps_a_preliminary_status(world: World) -> None:
    proposal = world.setup.propose_appointment(NORR, TOLVAN, world.slot(world.at(3, 10)).id)
    new = rebook(world, proposal, world.slot(world.at(4, 10)).id)
    assert new.status is AppointmentStatus.PRELIMINARY


def test_unknown_logical_address_is_unknown_facility(world: World, booked: Appointment) -> None:
    target = world.slot(world.at(4, 10))
    with pytest.raises(UnknownHealthcareFacility):
        rebook(world, booked, target.id, logical_address="SE2321000016-XXXX")


def test_unknown_original_does_not_exist(world: World, booked: Appointment) -> None:
    ghost = Appointment(**{**booked.__dict__, "id": uuid.uuid4()})
    code = refused(world, ghost, world.slot(world.at(4, 10)).id)
    assert code is ResultCode.APPOINTMENT_DOES_NOT_EXIST


def test_another_persons_appointment_does_not_exist(world: World, booked: Appointment) -> None:
    code = refused(world, booked, world.slot(world.at(4, 10)).id, person=OTHER)
    assert code is ResultCode.APPOINTMENT_DOES_NOT_EXIST


def test_appointment_at_another_unit_does_not_exist(world: World, booked: Appointment) -> None:
    target = world.slot(world.at(4, 10), facility=SODER)
    code = refused(world, booked, target.id, logical_address=SODER)
    assert code is ResultCode.APPOINTMENT_DOES_NOT_EXIST


def test_cancelled_original_is_already_canceled(world: World, booked: Appointment) -> None:
    world.scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, booked.id)
    code = refused(world, booked, world.slot(world.at(4, 10)).id)
    assert code is ResultCode.APPOINTMENT_IS_ALREADY_CANCELED


def test_replaced_original_is_already_updated(world: World, booked: Appointment) -> None:
    rebook(world, booked, world.slot(world.at(4, 10)).id)
    code = refused(world, booked, world.slot(world.at(5, 10)).id)
    assert code is ResultCode.APPOINTMENT_IS_ALREADY_UPDATED


def test_time_type_without_update_is_update_not_allowed(world: World) -> None:
    original = world.book(world.slot(world.at(3, 10), code="PROVTAGNING"))
    code = refused(world, original, world.slot(world.at(4, 10), code="PROVTAGNING").id)
    assert code is ResultCode.UPDATE_APPOINTMENT_IS_NOT_ALLOWED


def test_within_the_update_notice_is_too_late_to_update(world: World) -> None:
    original = world.book(world.slot(NOW + timedelta(hours=23)))  # LAKARBESOK: 24 h notice
    code = refused(world, original, world.slot(world.at(4, 10)).id)
    assert code is ResultCode.TOO_LATE_TO_UPDATE_APPOINTMENT


def test_started_original_is_too_late_to_update(world: World) -> None:
    original = world.book(world.slot(world.at(0, 10, 0), code="SSKBESOK"))  # no notice
    world.now = world.at(0, 10, 5)
    code = refused(world, original, world.slot(world.at(4, 10), code="SSKBESOK").id)
    assert code is ResultCode.TOO_LATE_TO_UPDATE_APPOINTMENT


def test_rebooking_to_the_same_slot_is_error(world: World, booked: Appointment) -> None:
    assert refused(world, booked, booked.timeslot_id) is ResultCode.ERROR


def test_unknown_target_slot_is_error(world: World, booked: Appointment) -> None:
    assert refused(world, booked, uuid.uuid4()) is ResultCode.ERROR


def test_target_slot_of_another_unit_is_error(world: World, booked: Appointment) -> None:
    assert refused(world, booked, world.slot(world.at(4, 10), facility=SODER).id) is ResultCode.ERROR


def test_withdrawn_target_is_no_longer_available(world: World, booked: Appointment) -> None:
    target = world.slot(world.at(4, 10), withdrawn=True)
    assert refused(world, booked, target.id) is ResultCode.REQUESTED_TIME_IS_NO_LONGER_AVAILABLE


def test_past_target_has_already_passed(world: World, booked: Appointment) -> None:
    target = world.slot(world.at(-1, 10))
    assert refused(world, booked, target.id) is ResultCode.REQUESTED_TIME_HAS_ALREADY_PASSED


def test_target_within_the_booking_notice_is_no_longer_available(world: World, booked: Appointment) -> None:
    target = world.slot(NOW + timedelta(minutes=30))  # LAKARBESOK: 1 h booking notice
    assert refused(world, booked, target.id) is ResultCode.REQUESTED_TIME_IS_NO_LONGER_AVAILABLE


def test_target_of_another_time_type_is_error(world: World, booked: Appointment) -> None:
    target = world.slot(world.at(4, 10), code="SSKBESOK")
    assert refused(world, booked, target.id) is ResultCode.ERROR


def test_target_overlapping_another_appointment_is_user_already_occupied(world: World, booked: Appointment) -> None:
    world.book(world.slot(world.at(4, 10), code="SSKBESOK"))
    target = world.slot(world.at(4, 10, 5))
    assert refused(world, booked, target.id) is ResultCode.USER_IS_ALREADY_OCCUPIED


def test_target_overlapping_only_the_original_is_allowed(world: World, booked: Appointment) -> None:
    target = world.slot(world.at(3, 10, 10))
    assert rebook(world, booked, target.id).timeslot_id == target.id


def test_full_target_is_already_reserved(world: World, booked: Appointment) -> None:
    target = world.slot(world.at(4, 10))
    world.book(target, person=OTHER)
    assert refused(world, booked, target.id) is ResultCode.REQUESTED_TIME_IS_ALREADY_RESERVED
    assert world.stored(booked.id).is_active
