"""BookingLimits.once_per_days: a time type booked at most once per person per N days (e.g. a vaccination)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from domain_world import CITIZEN, NORR, OTHER, SODER, TOLVAN, World

from riv_scheduling.domain import BookingLimits, DomainError, ResultCode, TimeType

ZERO = timedelta(0)
VACCIN = TimeType("VACCIN", "Vaccination", True, True, ZERO, ZERO, ZERO, limits=BookingLimits(once_per_days=30))


@pytest.fixture
def vaccin(world: World) -> World:
    for unit in (NORR, SODER):
        world.setup.add_time_type(unit, VACCIN)
    return world


def refusal(call: Callable[[], object]) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    return info.value


def test_make_within_the_days_is_not_allowed(vaccin: World) -> None:
    vaccin.book(vaccin.slot(vaccin.at(1, 10), "VACCIN"))
    later = vaccin.slot(vaccin.at(30, 9), "VACCIN")  # 29 days and 23 hours after
    error = refusal(lambda: vaccin.book(later))
    assert error.code is ResultCode.APPOINTMENT_IS_NOT_ALLOWED
    assert "Vaccination kan bara bokas en gång per 30 dagar" in error.text
    assert vaccin.stored_slot(later.id).booked == 0
    earlier = vaccin.slot(vaccin.at(0, 11), "VACCIN")  # before counts too
    assert refusal(lambda: vaccin.book(earlier)).code is ResultCode.APPOINTMENT_IS_NOT_ALLOWED


def test_make_after_the_days_and_other_types_people_and_units_are_free(vaccin: World) -> None:
    vaccin.book(vaccin.slot(vaccin.at(1, 10), "VACCIN"))
    vaccin.book(vaccin.slot(vaccin.at(31, 10), "VACCIN"))  # exactly 30 days later
    vaccin.book(vaccin.slot(vaccin.at(2, 10), "SSKBESOK"))
    vaccin.book(vaccin.slot(vaccin.at(3, 10), "VACCIN"), person=OTHER)
    vaccin.book(vaccin.slot(vaccin.at(4, 10), "VACCIN", facility=SODER), facility=SODER)


def test_a_cancelled_appointment_does_not_count(vaccin: World) -> None:
    first = vaccin.book(vaccin.slot(vaccin.at(1, 10), "VACCIN"))
    vaccin.scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, first.id)
    vaccin.book(vaccin.slot(vaccin.at(5, 10), "VACCIN"))


def test_rebooking_into_the_days_of_another_appointment_is_an_error(vaccin: World) -> None:
    vaccin.book(vaccin.slot(vaccin.at(1, 10), "VACCIN"))
    second = vaccin.book(vaccin.slot(vaccin.at(40, 10), "VACCIN"))
    target = vaccin.slot(vaccin.at(20, 10), "VACCIN")
    error = refusal(
        lambda: vaccin.scheduling.rebooking.update_appointment(NORR, CITIZEN, TOLVAN, second.id, target.id)
    )
    assert error.code is ResultCode.ERROR  # UpdateAppointment has no APPOINTMENT_IS_NOT_ALLOWED
    assert "en gång per 30 dagar" in error.text
    assert vaccin.stored(second.id).is_active and vaccin.stored_slot(target.id).booked == 0


def test_rebooking_does_not_count_the_appointment_it_moves(vaccin: World) -> None:
    first = vaccin.book(vaccin.slot(vaccin.at(1, 10), "VACCIN"))
    target = vaccin.slot(vaccin.at(5, 10), "VACCIN")
    new = vaccin.scheduling.rebooking.update_appointment(NORR, CITIZEN, TOLVAN, first.id, target.id)
    assert new.timeslot_id == target.id


def test_the_clinic_cannot_propose_within_the_days_either(vaccin: World) -> None:
    vaccin.book(vaccin.slot(vaccin.at(1, 10), "VACCIN"))
    proposed = vaccin.slot(vaccin.at(10, 10), "VACCIN")
    error = refusal(lambda: vaccin.setup.propose_appointment(NORR, TOLVAN, proposed.id))
    assert error.code is ResultCode.APPOINTMENT_IS_NOT_ALLOWED
    assert vaccin.stored_slot(proposed.id).booked == 0  # the reservation rolled back
    vaccin.setup.propose_appointment(NORR, TOLVAN, vaccin.slot(vaccin.at(32, 10), "VACCIN").id)


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="once_per_days"):
        BookingLimits(once_per_days=0)
