"""Rebooking to another unit of the original's group (domain/unit_group.py, TKB 2.0 §7.8)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from domain_world import CITIZEN, NORR, OTHER, SODER, TOLVAN, World

from riv_scheduling.domain import (
    Appointment,
    AppointmentState,
    BookingLimits,
    DomainError,
    HealthcareFacility,
    ResultCode,
    TimeslotQuery,
    TimeType,
)

ZERO = timedelta(0)
VASTER = "SE2321000016-E5F6"  # a unit outside the group
MOVABLE = TimeType(
    "FLYTTBAR", "Flyttbar", True, True, ZERO, ZERO, ZERO, limits=BookingLimits(rebook_to_other_unit=True)
)


@pytest.fixture
def grouped(world: World) -> World:
    """NORR and SODER stand in for each other; VASTER has the same time types but is not related."""
    world.setup.add_facility(HealthcareFacility(VASTER, "Vårdcentralen Väster"))
    for hsa_id in (NORR, SODER, VASTER):
        world.setup.add_time_type(hsa_id, MOVABLE)
    with world.db.uow().writing() as uow:
        for hsa_id, other in ((NORR, SODER), (SODER, NORR)):
            uow.facilities.save(replace(uow.facilities.get(hsa_id), related_facilities=(other,)))  # type: ignore[arg-type]
        uow.commit()
    return world


def rebook(world: World, original: Appointment, slot_id: object, logical_address: str = NORR) -> Appointment:
    return world.scheduling.rebooking.update_appointment(
        logical_address, CITIZEN, TOLVAN, original.id, slot_id, None, None  # type: ignore[arg-type]
    )


def refused(world: World, original: Appointment, slot_id: object, logical_address: str = NORR) -> ResultCode:
    before = (dict(world.db.data.timeslots), dict(world.db.data.appointments))
    with pytest.raises(DomainError) as info:
        rebook(world, original, slot_id, logical_address)
    assert (world.db.data.timeslots, world.db.data.appointments) == before, "nothing may change"
    return info.value.code


@pytest.mark.parametrize("address", [NORR, SODER])
def test_rebooking_moves_to_a_slot_of_another_unit_of_the_group(grouped: World, address: str) -> None:
    original = grouped.book(grouped.slot(grouped.at(3, 10), "FLYTTBAR"))
    target = grouped.slot(grouped.at(4, 10), "FLYTTBAR", facility=SODER)
    new = rebook(grouped, original, target.id, address)
    assert (new.facility_hsa_id, new.timeslot_id, new.replaces) == (SODER, target.id, original.id)
    assert grouped.stored(original.id).state is AppointmentState.REPLACED
    assert grouped.stored_slot(original.timeslot_id).booked == 0
    assert grouped.stored_slot(target.id).booked == 1
    event = grouped.db.data.audit[-1]
    assert (event.action.value, event.facility_hsa_id, event.new_appointment_id) == ("rebooked", NORR, new.id)
    assert event.detail == f"moved from unit {NORR} to unit {SODER}"
    # The new appointment is the person's at SODER now: changed there, and no longer at NORR.
    view = grouped.scheduling.reading.get_appointment(SODER, TOLVAN, new.id)
    assert view is not None and view.slot.facility.hsa_id == SODER
    assert grouped.scheduling.reading.get_appointment(NORR, TOLVAN, new.id) is None
    back = grouped.slot(grouped.at(5, 10), "FLYTTBAR")
    assert rebook(grouped, new, back.id, SODER).facility_hsa_id == NORR


def test_a_time_type_that_does_not_allow_the_move_answers_update_not_allowed(grouped: World) -> None:
    original = grouped.book(grouped.slot(grouped.at(3, 10), "SSKBESOK"))
    target = grouped.slot(grouped.at(4, 10), "SSKBESOK", facility=SODER)
    assert refused(grouped, original, target.id) is ResultCode.UPDATE_APPOINTMENT_IS_NOT_ALLOWED
    assert refused(grouped, original, target.id, SODER) is ResultCode.UPDATE_APPOINTMENT_IS_NOT_ALLOWED
    assert grouped.db.data.audit[-1].result_code is ResultCode.UPDATE_APPOINTMENT_IS_NOT_ALLOWED
    within = grouped.slot(grouped.at(4, 11), "SSKBESOK")
    assert rebook(grouped, original, within.id).facility_hsa_id == NORR  # within the unit as before


def test_a_unit_outside_the_group_is_no_target(grouped: World) -> None:
    original = grouped.book(grouped.slot(grouped.at(3, 10), "FLYTTBAR"))
    outside = grouped.slot(grouped.at(4, 10), "FLYTTBAR", facility=VASTER)
    assert refused(grouped, original, outside.id) is ResultCode.ERROR
    with pytest.raises(DomainError) as info:  # and VASTER does not know the appointment
        rebook(grouped, original, outside.id, VASTER)
    assert info.value.code is ResultCode.APPOINTMENT_DOES_NOT_EXIST


def test_the_same_rules_as_within_a_unit_apply_at_the_target(grouped: World) -> None:
    original = grouped.book(grouped.slot(grouped.at(3, 10), "FLYTTBAR"))
    taken = grouped.slot(grouped.at(4, 10), "FLYTTBAR", facility=SODER)
    grouped.book(taken, OTHER, SODER)
    assert refused(grouped, original, taken.id) is ResultCode.REQUESTED_TIME_IS_ALREADY_RESERVED
    withdrawn = grouped.slot(grouped.at(4, 11), "FLYTTBAR", facility=SODER, withdrawn=True)
    assert refused(grouped, original, withdrawn.id) is ResultCode.REQUESTED_TIME_IS_NO_LONGER_AVAILABLE
    other_type = grouped.slot(grouped.at(4, 12), "SSKBESOK", facility=SODER)
    assert refused(grouped, original, other_type.id) is ResultCode.ERROR
    busy = grouped.book(grouped.slot(grouped.at(6, 10), "SSKBESOK", facility=SODER), TOLVAN, SODER)
    overlapping = grouped.slot(grouped.at(6, 10), "FLYTTBAR", facility=SODER)
    assert busy.facility_hsa_id == SODER
    assert refused(grouped, original, overlapping.id) is ResultCode.USER_IS_ALREADY_OCCUPIED
    with grouped.db.uow().writing() as uow:  # SODER stops booking the time type: not available there
        uow.time_types.save(SODER, replace(MOVABLE, booking_allowed=False))
        uow.commit()
    free = grouped.slot(grouped.at(7, 10), "FLYTTBAR", facility=SODER)
    assert refused(grouped, original, free.id) is ResultCode.REQUESTED_TIME_IS_NO_LONGER_AVAILABLE


def test_facilities_for_rebooking_list_the_group_when_the_time_type_allows_the_move(grouped: World) -> None:
    movable = grouped.book(grouped.slot(grouped.at(3, 10), "FLYTTBAR"))
    fixed = grouped.book(grouped.slot(grouped.at(3, 11), "SSKBESOK"))

    def hsa(address: str, original: Appointment) -> list[str]:
        found = grouped.scheduling.search.facilities_for(address, original_appointment_id=original.id, person_id=TOLVAN)
        return [f.hsa_id for f in found]

    assert hsa(NORR, movable) == [NORR, SODER]
    assert hsa(SODER, movable) == [SODER, NORR]  # asked at the other unit of the group
    assert hsa(NORR, fixed) == [NORR]
    with pytest.raises(DomainError):
        hsa(VASTER, movable)  # outside the group the appointment is unknown
    assert [f.hsa_id for f in grouped.scheduling.search.facilities_for(NORR, time_type_code="FLYTTBAR")] == [
        NORR, SODER,
    ]


def test_timeslots_for_rebooking_at_another_unit_of_the_group(grouped: World) -> None:
    doctor_slot = grouped.slot(grouped.at(3, 10), "FLYTTBAR", practitioners=("SE2321000016-N001",))
    movable = grouped.book(doctor_slot)
    fixed = grouped.book(grouped.slot(grouped.at(3, 11), "SSKBESOK"))
    there = grouped.slot(grouped.at(4, 10), "FLYTTBAR", facility=SODER)  # no practitioner: others staff SODER
    grouped.slot(grouped.at(4, 11), "SSKBESOK", facility=SODER)
    day = date(2025, 3, 14)

    def ids(address: str, original: Appointment) -> list[object]:
        query = TimeslotQuery(day - timedelta(days=1), day, original_appointment_id=original.id, person_id=TOLVAN)
        return [v.timeslot.id for v in grouped.scheduling.search.available_timeslots(address, query)]

    assert ids(SODER, movable) == [there.id]
    assert ids(SODER, fixed) == []
    assert ids(NORR, movable) == []  # no other NORR slot of its practitioner
