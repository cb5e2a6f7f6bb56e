"""GetAvailableTimeslots / GetAvailableDates rules (TKB 2.0 §7.6, §7.7: never a passed slot)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from domain_world import CITIZEN, DOCTOR, NORR, NOW, NURSE, OTHER, SODER, TOLVAN, World

from riv_scheduling.domain import (
    STOCKHOLM,
    DomainError,
    ResultCode,
    TimeslotQuery,
    UnknownHealthcareFacility,
)

TODAY = NOW.date()


def offered(world: World, logical_address: str = NORR, **filters: object) -> list:
    query = TimeslotQuery(
        start_date=filters.pop("start_date", TODAY),  # type: ignore[arg-type]
        end_date=filters.pop("end_date", TODAY + timedelta(days=14)),  # type: ignore[arg-type]
        **filters,  # type: ignore[arg-type]
    )
    return [v.timeslot.id for v in world.scheduling.search.available_timeslots(logical_address, query)]


def test_free_slots_are_offered_ordered_by_start(world: World) -> None:
    later = world.slot(world.at(2, 10))
    earlier = world.slot(world.at(1, 10))
    assert offered(world) == [earlier.id, later.id]


def test_view_carries_time_type_facility_and_practitioners(world: World) -> None:
    world.slot(world.at(1, 10), practitioners=(DOCTOR,))
    (view,) = world.scheduling.search.available_timeslots(NORR, TimeslotQuery(TODAY, TODAY + timedelta(3)))
    assert view.time_type.code == "LAKARBESOK"
    assert view.facility.hsa_id == NORR
    assert [p.hsa_id for p in view.practitioners] == [DOCTOR]
    assert view.timeslot.start.tzinfo is not None


def test_date_range_is_inclusive_in_swedish_local_dates(world: World) -> None:
    day = TODAY + timedelta(days=3)
    first = world.slot(datetime(day.year, day.month, day.day, 0, 10, tzinfo=STOCKHOLM))
    last = world.slot(datetime(day.year, day.month, day.day, 23, 30, tzinfo=STOCKHOLM))
    world.slot(world.at(4, 0, 10))
    world.slot(world.at(2, 23, 40))
    assert offered(world, start_date=day, end_date=day) == [first.id, last.id]


def test_past_slots_are_never_offered(world: World) -> None:
    world.slot(world.at(0, 8, 40), code="SSKBESOK")
    world.slot(NOW, code="SSKBESOK")  # starts exactly now
    future = world.slot(world.at(0, 9, 15), code="SSKBESOK")
    assert offered(world, start_date=TODAY - timedelta(days=7)) == [future.id]


def test_slots_within_the_booking_notice_are_not_offered(world: World) -> None:
    world.slot(NOW + timedelta(minutes=59))  # LAKARBESOK has 1 h booking notice
    on_time = world.slot(NOW + timedelta(hours=1))
    assert offered(world) == [on_time.id]


def test_booked_and_withdrawn_slots_are_not_offered(world: World) -> None:
    booked = world.slot(world.at(1, 10))
    world.book(booked)
    world.slot(world.at(1, 11), withdrawn=True)
    free = world.slot(world.at(1, 12))
    assert offered(world) == [free.id]


def test_slot_with_capacity_left_is_still_offered(world: World) -> None:
    group = world.slot(world.at(1, 10), capacity=2)
    world.book(group)
    assert offered(world) == [group.id]


def test_hidden_time_types_are_not_offered(world: World) -> None:
    world.slot(world.at(1, 10), code="SKYDDAD")
    assert offered(world) == []


def test_time_types_not_open_for_booking_are_not_offered(world: World) -> None:
    world.slot(world.at(1, 10), code="STOPPAD")
    assert offered(world) == []


def test_time_type_code_filter(world: World) -> None:
    world.slot(world.at(1, 10))
    nurse = world.slot(world.at(1, 11), code="SSKBESOK")
    assert offered(world, time_type_code="SSKBESOK") == [nurse.id]
    assert offered(world, time_type_code="OKAND") == []


def test_practitioner_filter_is_case_insensitive(world: World) -> None:
    doctor = world.slot(world.at(1, 10), practitioners=(DOCTOR,))
    world.slot(world.at(1, 11), code="SSKBESOK", practitioners=(NURSE,))
    world.slot(world.at(1, 12))
    assert offered(world, practitioner_hsa_id=DOCTOR.lower()) == [doctor.id]


def test_unknown_practitioner_gets_no_slots(world: World) -> None:
    world.slot(world.at(1, 10), practitioners=(DOCTOR,))
    assert offered(world, practitioner_hsa_id="SE2321000016-NONE") == []


def test_only_the_addressed_units_slots_are_offered(world: World) -> None:
    norr = world.slot(world.at(1, 10))
    soder = world.slot(world.at(1, 10), facility=SODER)
    assert offered(world) == [norr.id]
    assert offered(world, SODER) == [soder.id]


def test_logical_address_is_case_insensitive(world: World) -> None:
    slot = world.slot(world.at(1, 10))
    assert offered(world, NORR.lower()) == [slot.id]
    assert world.scheduling.reading.facility(f" {NORR.lower()} ").hsa_id == NORR


def test_unknown_logical_address_is_unknown_facility(world: World) -> None:
    with pytest.raises(UnknownHealthcareFacility) as info:
        offered(world, "SE2321000016-XXXX")
    assert info.value.logical_address == "SE2321000016-XXXX"


def test_end_date_before_start_date_is_error(world: World) -> None:
    with pytest.raises(DomainError) as info:
        offered(world, start_date=TODAY, end_date=TODAY - timedelta(days=1))
    assert info.value.code is ResultCode.ERROR


def test_slots_overlapping_the_citizens_own_appointments_are_not_offered(world: World) -> None:
    mine = world.slot(world.at(1, 10))
    world.book(mine)
    clash = world.slot(world.at(1, 10, 10), code="SSKBESOK")
    assert offered(world, person_id=TOLVAN) == []
    assert offered(world, person_id=OTHER) == [clash.id]


# -- rebooking (originalAppointmentId) ------------------------------------------------------


def test_rebooking_offers_the_same_time_type_and_practitioners_but_not_the_original(
    world: World,
) -> None:
    original_slot = world.slot(world.at(2, 10), practitioners=(DOCTOR,))
    original = world.book(original_slot)
    same = world.slot(world.at(3, 10), practitioners=(DOCTOR,))
    world.slot(world.at(3, 11))  # no practitioner
    world.slot(world.at(3, 12), code="SSKBESOK", practitioners=(DOCTOR,))
    result = offered(world, original_appointment_id=original.id, person_id=TOLVAN)
    assert result == [same.id]


def test_rebooking_never_offers_the_original_slot_even_with_places_left(world: World) -> None:
    group = world.slot(world.at(2, 10), capacity=3)
    original = world.book(group)
    assert offered(world) == [group.id]
    assert offered(world, original_appointment_id=original.id, person_id=TOLVAN) == []


def test_rebooking_without_practitioners_offers_any_slot_of_the_time_type(world: World) -> None:
    original = world.book(world.slot(world.at(2, 10)))
    a = world.slot(world.at(3, 10), practitioners=(DOCTOR,))
    b = world.slot(world.at(3, 11))
    result = offered(world, original_appointment_id=original.id, person_id=TOLVAN)
    assert result == [a.id, b.id]


def test_rebooking_a_protected_time_type_offers_its_slots(world: World) -> None:
    original = world.setup.propose_appointment(NORR, TOLVAN, world.slot(world.at(2, 10), code="SKYDDAD").id)
    other = world.slot(world.at(3, 10), code="SKYDDAD")
    result = offered(world, original_appointment_id=original.id, person_id=TOLVAN)
    assert result == [other.id]


def test_rebooking_offers_nothing_when_the_time_type_forbids_update(world: World) -> None:
    original = world.book(world.slot(world.at(2, 10), code="PROVTAGNING"))
    world.slot(world.at(3, 10), code="PROVTAGNING")
    assert offered(world, original_appointment_id=original.id, person_id=TOLVAN) == []


@pytest.mark.parametrize("who", [None, OTHER])
def test_rebooking_requires_the_citizens_own_appointment(world: World, who: object) -> None:
    original = world.book(world.slot(world.at(2, 10)))
    with pytest.raises(DomainError) as info:
        offered(world, original_appointment_id=original.id, person_id=who)
    assert info.value.code is ResultCode.ERROR


def test_rebooking_a_cancelled_appointment_is_error(world: World) -> None:
    original = world.book(world.slot(world.at(2, 10)))
    world.scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, original.id)
    with pytest.raises(DomainError) as info:
        offered(world, original_appointment_id=original.id, person_id=TOLVAN)
    assert info.value.code is ResultCode.ERROR


def test_rebooking_ignores_overlap_with_the_original_itself(world: World) -> None:
    original = world.book(world.slot(world.at(2, 10), minutes=30))
    overlapping = world.slot(world.at(2, 10, 20))
    result = offered(world, original_appointment_id=original.id, person_id=TOLVAN)
    assert result == [overlapping.id]


# -- GetAvailableDates --------------------------------------------------------------------


def test_available_dates_count_per_date_time_type_and_practitioners(world: World) -> None:
    world.slot(world.at(1, 10), practitioners=(DOCTOR,))
    world.slot(world.at(1, 11), practitioners=(DOCTOR,))
    world.slot(world.at(1, 12), code="SSKBESOK", practitioners=(NURSE,))
    world.slot(world.at(2, 10), practitioners=(DOCTOR,))
    dates = world.scheduling.search.available_dates(NORR, TimeslotQuery(TODAY, TODAY + timedelta(days=7)))
    summary = [(d.date, d.time_type.code, [p.hsa_id for p in d.practitioners], d.no_of_timeslots) for d in dates]
    assert summary == [
        (TODAY + timedelta(1), "LAKARBESOK", [DOCTOR], 2),
        (TODAY + timedelta(1), "SSKBESOK", [NURSE], 1),
        (TODAY + timedelta(2), "LAKARBESOK", [DOCTOR], 1),
    ]


def test_reads_do_not_take_the_write_lock(world: World) -> None:
    world.slot(world.at(1, 10))
    world.db.units.clear()
    offered(world)
    world.scheduling.reading.appointments(NORR, TOLVAN)
    assert world.db.units and not any(u.write for u in world.db.units)


def test_search_uses_one_unit_of_work(world: World) -> None:
    for hour in range(8, 16):
        world.slot(world.at(1, hour), practitioners=(DOCTOR,))
    world.db.units.clear()
    assert len(offered(world)) == 8
    assert len(world.db.units) == 1


def test_dates_are_swedish_dates(world: World) -> None:
    slot = world.slot(world.at(1, 0, 30))  # 23:30 UTC the day before
    (d,) = world.scheduling.search.available_dates(NORR, TimeslotQuery(TODAY, TODAY + timedelta(days=2)))
    assert d.date == TODAY + timedelta(days=1) == slot.start.date()
    assert isinstance(d.date, date)


def test_extreme_dates_from_the_wire_do_not_overflow(world: World) -> None:
    from riv_scheduling.domain import Scheduling, SearchLimits

    slot = world.slot(world.at(1, 10))
    # A search limit above every possible window (the default, 92 days, refuses it before any arithmetic).
    world.scheduling = Scheduling(world.db.uow, clock=world.clock, search_limits=SearchLimits(max_days=4_000_000))
    assert offered(world, start_date=date.min, end_date=date.max) == [slot.id]
    views = world.scheduling.reading.appointments(NORR, TOLVAN, from_date=date.min, to_date=date.max)
    assert views == []


def test_a_window_or_an_answer_over_the_search_limits_is_error_naming_the_limit(world: World) -> None:
    from riv_scheduling.domain import Scheduling, SearchLimits

    limited = Scheduling(world.db.uow, clock=world.clock, search_limits=SearchLimits(max_days=7, max_timeslots=2))
    for day in (1, 2, 3):
        world.slot(world.at(day, 10))
    week = TimeslotQuery(TODAY, TODAY + timedelta(days=6))  # 7 days, both counted: allowed
    with pytest.raises(DomainError) as caught:
        limited.search.available_timeslots(NORR, week)  # 3 slots > 2
    assert caught.value.code is ResultCode.ERROR and "fler än 2" in caught.value.text
    two_days = TimeslotQuery(TODAY, TODAY + timedelta(days=2))
    assert len(limited.search.available_timeslots(NORR, two_days)) == 2
    longer = TimeslotQuery(TODAY, TODAY + timedelta(days=7))  # 8 days
    for search in (limited.search.available_timeslots, limited.search.available_dates):
        with pytest.raises(DomainError) as caught:
            search(NORR, longer)
        assert caught.value.code is ResultCode.ERROR and "högst 7 dagar" in caught.value.text
    assert len(limited.search.available_dates(NORR, week)) == 3  # dates count days, not slots
