"""CancelAppointment rules: one test per rule and per ResultCode (TKB 2.0 §7.1, §3.7.4)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from domain_world import CITIZEN, NORR, NOW, OTHER, SODER, TOLVAN, World

from riv_scheduling.domain import (
    Appointment,
    AppointmentState,
    Code,
    DomainError,
    PersonId,
    ResultCode,
    TimeslotQuery,
)


def cancel(
    world: World, appointment_id: uuid.UUID, person: PersonId = TOLVAN, logical_address: str = NORR
) -> Appointment:
    return world.scheduling.cancellation.cancel_appointment(
        logical_address, CITIZEN, person, appointment_id, "Frisk", Code("A1", "1.2.3", "Frisk")
    )


def refused(world: World, appointment_id: uuid.UUID, **kw: object) -> ResultCode:
    before = (dict(world.db.data.timeslots), dict(world.db.data.appointments))
    with pytest.raises(DomainError) as info:
        cancel(world, appointment_id, **kw)  # type: ignore[arg-type]
    assert (world.db.data.timeslots, world.db.data.appointments) == before
    return info.value.code


def test_cancelling_frees_the_slot_at_once(world: World) -> None:
    slot = world.slot(world.at(3, 10))
    appointment = world.book(slot)
    cancelled = cancel(world, appointment.id)
    assert cancelled.state is AppointmentState.CANCELLED
    assert (cancelled.cancel_reason_text, cancelled.updated_at) == ("Frisk", NOW)
    assert world.stored(appointment.id).state is AppointmentState.CANCELLED
    assert world.stored_slot(slot.id).booked == 0
    query = TimeslotQuery(NOW.date(), NOW.date() + timedelta(days=7))
    assert [v.timeslot.id for v in world.scheduling.search.available_timeslots(NORR, query)] == [slot.id]
    assert world.book(slot, person=OTHER).is_active


def test_unknown_appointment_does_not_exist(world: World) -> None:
    assert refused(world, uuid.uuid4()) is ResultCode.APPOINTMENT_DOES_NOT_EXIST


def test_another_persons_appointment_does_not_exist(world: World) -> None:
    appointment = world.book(world.slot(world.at(3, 10)))
    assert refused(world, appointment.id, person=OTHER) is ResultCode.APPOINTMENT_DOES_NOT_EXIST


def test_appointment_at_another_unit_does_not_exist(world: World) -> None:
    appointment = world.book(world.slot(world.at(3, 10)))
    code = refused(world, appointment.id, logical_address=SODER)
    assert code is ResultCode.APPOINTMENT_DOES_NOT_EXIST


def test_cancelled_appointment_is_already_canceled(world: World) -> None:
    appointment = world.book(world.slot(world.at(3, 10)))
    cancel(world, appointment.id)
    assert refused(world, appointment.id) is ResultCode.APPOINTMENT_IS_ALREADY_CANCELED  # at once: no retry window


def test_replaced_appointment_is_already_updated(world: World) -> None:
    appointment = world.book(world.slot(world.at(3, 10)))
    world.scheduling.rebooking.update_appointment(NORR, CITIZEN, TOLVAN, appointment.id, world.slot(world.at(4, 10)).id)
    assert refused(world, appointment.id) is ResultCode.APPOINTMENT_IS_ALREADY_UPDATED


def test_time_type_without_cancel_is_cancel_not_allowed(world: World) -> None:
    appointment = world.book(world.slot(world.at(3, 10), code="EJAVBOKNING"))
    assert refused(world, appointment.id) is ResultCode.CANCEL_IS_NOT_ALLOWED


def test_within_the_cancel_notice_is_too_late_to_cancel(world: World) -> None:
    appointment = world.book(world.slot(NOW + timedelta(hours=23, minutes=59)))  # 24 h notice
    assert refused(world, appointment.id) is ResultCode.TOO_LATE_TO_CANCEL_APPOINTMENT


def test_exactly_at_the_cancel_notice_may_cancel(world: World) -> None:
    appointment = world.book(world.slot(NOW + timedelta(hours=24)))
    assert cancel(world, appointment.id).state is AppointmentState.CANCELLED


def test_started_appointment_is_too_late_to_cancel(world: World) -> None:
    appointment = world.book(world.slot(world.at(0, 10), code="SSKBESOK"))  # no notice
    world.now = world.at(0, 10)
    assert refused(world, appointment.id) is ResultCode.TOO_LATE_TO_CANCEL_APPOINTMENT
