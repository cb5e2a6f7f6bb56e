"""What riv.crm.scheduling 1.1 needs from the domain, for both generations: a slot named by its
times instead of its id (Search.timeslot_id), and a booking named by the id it was first made with
after any number of rebookings (Reading.latest_appointment_id, Reading.booking_ids)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from domain_world import CITIZEN, DOCTOR, NORR, NURSE, SODER, TOLVAN, World

from riv_scheduling.domain import DomainError, ResultCode, TimeslotDescription


def describe(slot, **changes) -> TimeslotDescription:  # noqa: ANN001
    values = {"start": slot.start, "end": slot.end, "time_type_code": slot.time_type_code}
    values.update(changes)
    return TimeslotDescription(**values)


def test_the_times_and_time_type_find_the_one_slot(world: World) -> None:
    wanted = world.slot(world.at(2, 10))
    world.slot(world.at(2, 10), code="SSKBESOK")  # same time, other time type
    world.slot(world.at(2, 11))
    assert world.scheduling.search.timeslot_id(NORR, describe(wanted)) == wanted.id


def test_the_practitioner_chooses_between_parallel_slots_case_insensitively(world: World) -> None:
    world.slot(world.at(2, 10), practitioners=(NURSE,))
    doctor = world.slot(world.at(2, 10), practitioners=(DOCTOR,))
    found = world.scheduling.search.timeslot_id(NORR, describe(doctor, practitioner_hsa_id=DOCTOR.lower()))
    assert found == doctor.id


def test_the_echoed_slot_id_decides_but_must_agree_with_the_times(world: World) -> None:
    a = world.slot(world.at(2, 10), practitioners=(NURSE,))
    b = world.slot(world.at(2, 10), practitioners=(DOCTOR,))
    assert world.scheduling.search.timeslot_id(NORR, describe(b, timeslot_id=b.id)) == b.id
    # a stale or foreign id falls back to the times: the free slot with the lowest id
    fallback = world.scheduling.search.timeslot_id(NORR, describe(a, start=a.start, timeslot_id=uuid.uuid4()))
    assert fallback == min((a.id, b.id), key=str)


def test_a_free_slot_is_preferred_and_a_taken_one_is_still_named(world: World) -> None:
    taken = world.slot(world.at(2, 10), practitioners=(NURSE,))
    world.book(taken)
    assert world.scheduling.search.timeslot_id(NORR, describe(taken)) == taken.id  # booking it says why not
    free = world.slot(world.at(2, 10), practitioners=(DOCTOR,))
    assert world.scheduling.search.timeslot_id(NORR, describe(taken)) == free.id


@pytest.mark.parametrize("change", [
    {"start": None},
    {"end": None, "start": "other"},
    {"time_type_code": "SSKBESOK"},
    {"practitioner_hsa_id": DOCTOR},
])
def test_a_description_that_matches_no_slot_is_an_error(world: World, change: dict) -> None:
    slot = world.slot(world.at(2, 10))
    if change.get("start") == "other":
        change = {"start": slot.start + timedelta(minutes=5)}
    with pytest.raises(DomainError) as info:
        world.scheduling.search.timeslot_id(NORR, describe(slot, **change))
    assert info.value.code is ResultCode.ERROR
    assert info.value.text == "Den valda tiden finns inte hos mottagningen."


def test_a_slot_of_another_unit_is_not_found(world: World) -> None:
    slot = world.slot(world.at(2, 10), facility=SODER)
    with pytest.raises(DomainError):
        world.scheduling.search.timeslot_id(NORR, describe(slot, timeslot_id=slot.id))


def test_a_booking_keeps_its_first_id_through_rebookings(world: World) -> None:
    first = world.book(world.slot(world.at(3, 10)))
    rebooking = world.scheduling.rebooking
    second = rebooking.update_appointment(NORR, CITIZEN, TOLVAN, first.id, world.slot(world.at(3, 11)).id)
    third = rebooking.update_appointment(NORR, CITIZEN, TOLVAN, second.id, world.slot(world.at(3, 12)).id)
    reading = world.scheduling.reading
    assert reading.latest_appointment_id(first.id) == third.id
    assert reading.latest_appointment_id(second.id) == third.id
    assert reading.latest_appointment_id(third.id) == third.id
    assert reading.booking_ids([third.id, first.id]) == {third.id: first.id, first.id: first.id}
    unknown = uuid.uuid4()
    assert reading.latest_appointment_id(unknown) == unknown
