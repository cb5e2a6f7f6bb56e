"""Retries answered as the first call was (docs/operations.md), and the audit trail of every change."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from domain_world import CITIZEN, NORR, NOW, OTHER, SODER, TOLVAN, World

from riv_scheduling.domain import (
    PERSONNUMMER_OID,
    RETRY_WINDOW,
    Actor,
    AppointmentState,
    AuditAction,
    AuditTrail,
    DomainError,
    ResultCode,
    UnknownHealthcareFacility,
)

CONSUMER = "SE2321000016-1177"
GUARDIAN = Actor(PERSONNUMMER_OID, "198112289874", "116154003")


def make(world: World, slot_id: uuid.UUID, person=TOLVAN):  # type: ignore[no-untyped-def]
    return world.scheduling.booking.make_appointment(NORR, CITIZEN, person, slot_id, consumer=CONSUMER)


def update(world: World, original: uuid.UUID, slot_id: uuid.UUID, person=TOLVAN):  # type: ignore[no-untyped-def]
    return world.scheduling.rebooking.update_appointment(NORR, CITIZEN, person, original, slot_id, consumer=CONSUMER)


def cancel(world: World, appointment_id: uuid.UUID, person=TOLVAN):  # type: ignore[no-untyped-def]
    return world.scheduling.cancellation.cancel_appointment(NORR, CITIZEN, person, appointment_id, consumer=CONSUMER)


def code_of(call) -> ResultCode:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as info:
        call()
    return info.value.code


def actions(world: World) -> list[tuple[str, str]]:
    return [(e.action.value, e.result_code.value) for e in world.db.data.audit]


# -- retries ---------------------------------------------------------------------------------


def test_a_repeated_make_returns_the_existing_appointment(world: World) -> None:
    slot = world.slot(world.at(1, 10), capacity=3)
    first = make(world, slot.id)
    world.now += timedelta(seconds=29)  # the national platform's retry
    again = make(world, slot.id)
    assert again.id == first.id and again.is_active
    assert world.stored_slot(slot.id).booked == 1
    assert len(world.db.data.appointments) == 1
    assert actions(world) == [("made", "OK"), ("repeated", "OK")]


def test_a_repeated_make_is_ok_even_when_the_booking_notice_has_run_out_meanwhile(world: World) -> None:
    slot = world.slot(world.at(0, 10, 10))  # LAKARBESOK: 1 h booking notice; NOW is 09:00
    first = make(world, slot.id)
    world.now += timedelta(minutes=9, seconds=30)
    assert make(world, slot.id).id == first.id


def test_make_after_the_retry_window_is_user_is_already_occupied(world: World) -> None:
    slot = world.slot(world.at(1, 10), capacity=3)
    make(world, slot.id)
    world.now += RETRY_WINDOW + timedelta(seconds=1)
    assert code_of(lambda: make(world, slot.id)) is ResultCode.USER_IS_ALREADY_OCCUPIED


def test_another_person_booking_the_same_slot_is_no_repeat(world: World) -> None:
    slot = world.slot(world.at(1, 10))
    make(world, slot.id)
    assert code_of(lambda: make(world, slot.id, OTHER)) is ResultCode.REQUESTED_TIME_IS_ALREADY_RESERVED


def test_a_slot_held_through_a_rebooking_is_no_repeat_of_make(world: World) -> None:
    original = make(world, world.slot(world.at(3, 10)).id)
    target = world.slot(world.at(4, 10), capacity=2)
    update(world, original.id, target.id)
    assert code_of(lambda: make(world, target.id)) is ResultCode.USER_IS_ALREADY_OCCUPIED


def test_a_repeated_update_returns_the_new_appointment(world: World) -> None:
    old, new = world.slot(world.at(3, 10)), world.slot(world.at(4, 10))
    original = make(world, old.id)
    first = update(world, original.id, new.id)
    world.now += timedelta(seconds=29)
    again = update(world, original.id, new.id)
    assert again.id == first.id
    assert (world.stored_slot(old.id).booked, world.stored_slot(new.id).booked) == (0, 1)
    assert actions(world) == [("made", "OK"), ("rebooked", "OK"), ("repeated", "OK")]


def test_an_update_to_another_slot_or_after_the_window_is_already_updated(world: World) -> None:
    original = make(world, world.slot(world.at(3, 10)).id)
    new = world.slot(world.at(4, 10))
    update(world, original.id, new.id)
    other = world.slot(world.at(5, 10))
    assert code_of(lambda: update(world, original.id, other.id)) is ResultCode.APPOINTMENT_IS_ALREADY_UPDATED
    world.now += RETRY_WINDOW + timedelta(seconds=1)
    assert code_of(lambda: update(world, original.id, new.id)) is ResultCode.APPOINTMENT_IS_ALREADY_UPDATED


def test_a_repeated_update_after_the_new_appointment_was_cancelled_is_already_updated(world: World) -> None:
    original = make(world, world.slot(world.at(3, 10)).id)
    new_slot = world.slot(world.at(4, 10))
    new = update(world, original.id, new_slot.id)
    cancel(world, new.id)
    assert code_of(lambda: update(world, original.id, new_slot.id)) is ResultCode.APPOINTMENT_IS_ALREADY_UPDATED


def test_a_repeated_cancel_is_already_canceled_every_time_and_releases_nothing(world: World) -> None:
    # TKB 2.0 §3.7.4: unlike Make/Update, a repeat of a cancellation has its own code, at once and later.
    slot = world.slot(world.at(3, 10), capacity=3)
    appointment = make(world, slot.id)
    make(world, slot.id, OTHER)  # someone else holds a place in the same slot
    cancel(world, appointment.id)
    assert world.stored_slot(slot.id).booked == 1
    for wait in (timedelta(seconds=29), RETRY_WINDOW + timedelta(seconds=1)):
        world.now += wait
        assert code_of(lambda: cancel(world, appointment.id)) is ResultCode.APPOINTMENT_IS_ALREADY_CANCELED
        assert world.stored_slot(slot.id).booked == 1  # the other person's place is not released
    assert world.db.data.appointments[appointment.id].state is AppointmentState.CANCELLED
    assert actions(world) == [("made", "OK"), ("made", "OK"), ("cancelled", "OK"),
                              ("refused", "APPOINTMENT_IS_ALREADY_CANCELED"),
                              ("refused", "APPOINTMENT_IS_ALREADY_CANCELED")]


def test_a_repeated_cancel_by_another_person_does_not_reveal_the_appointment(world: World) -> None:
    appointment = make(world, world.slot(world.at(3, 10)).id)
    cancel(world, appointment.id)
    assert code_of(lambda: cancel(world, appointment.id, OTHER)) is ResultCode.APPOINTMENT_DOES_NOT_EXIST


def test_every_change_takes_the_persons_lock_first(world: World) -> None:
    slot = world.slot(world.at(3, 10))
    world.db.units.clear()
    make(world, slot.id)
    assert [u.locked for u in world.db.units if u.committed] == [[TOLVAN]]


# -- the audit trail -------------------------------------------------------------------------


def test_a_change_is_recorded_with_consumer_actor_unit_ids_and_time(world: World) -> None:
    slot = world.slot(world.at(3, 10))
    appointment = world.scheduling.booking.make_appointment(NORR, GUARDIAN, TOLVAN, slot.id, consumer=CONSUMER)
    [event] = world.db.data.audit
    assert (event.at, event.interaction, event.action, event.result_code) == (
        NOW, "MakeAppointment", AuditAction.MADE, ResultCode.OK
    )
    assert (event.facility_hsa_id, event.person_id, event.actor, event.consumer_hsa_id) == (
        NORR, TOLVAN, GUARDIAN, CONSUMER
    )
    assert (event.appointment_id, event.new_appointment_id, event.timeslot_id) == (appointment.id, None, slot.id)


def test_development_mode_records_no_consumer(world: World) -> None:
    world.book(world.slot(world.at(3, 10)))
    assert world.db.data.audit[0].consumer_hsa_id is None


def test_a_refusal_is_recorded_with_its_code_and_changes_nothing_else(world: World) -> None:
    slot = world.slot(world.at(3, 10))
    make(world, slot.id, OTHER)
    before = (dict(world.db.data.timeslots), dict(world.db.data.appointments))
    assert code_of(lambda: make(world, slot.id)) is ResultCode.REQUESTED_TIME_IS_ALREADY_RESERVED
    assert (world.db.data.timeslots, world.db.data.appointments) == before
    refusal = world.db.data.audit[-1]
    assert (refusal.action, refusal.result_code, refusal.person_id, refusal.timeslot_id) == (
        AuditAction.REFUSED, ResultCode.REQUESTED_TIME_IS_ALREADY_RESERVED, TOLVAN, slot.id
    )
    assert refusal.appointment_id is None and refusal.detail == "Tiden är redan bokad. Välj en annan tid."


def test_refusals_of_update_cancel_and_confirm_are_recorded(world: World) -> None:
    unknown = uuid.uuid4()
    target = world.slot(world.at(4, 10)).id
    assert code_of(lambda: update(world, unknown, target)) is ResultCode.APPOINTMENT_DOES_NOT_EXIST
    assert code_of(lambda: cancel(world, unknown)) is ResultCode.APPOINTMENT_DOES_NOT_EXIST
    assert code_of(lambda: world.scheduling.confirmation.confirm_appointment(NORR, CITIZEN, TOLVAN, unknown)) is (
        ResultCode.APPOINTMENT_DOES_NOT_EXIST
    )
    assert [(e.interaction, e.action.value, e.appointment_id) for e in world.db.data.audit] == [
        ("UpdateAppointment", "refused", unknown),
        ("CancelAppointment", "refused", unknown),
        ("ConfirmAppointment", "refused", unknown),
    ]


def test_an_unknown_unit_is_a_fault_not_an_audit_event(world: World) -> None:
    with pytest.raises(UnknownHealthcareFacility):
        world.scheduling.booking.make_appointment("SE2321000016-NONE", CITIZEN, TOLVAN, uuid.uuid4())
    assert world.db.data.audit == []


def test_a_failed_change_records_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    slot = world.slot(world.at(3, 10))
    monkeypatch.setattr("domain_fakes.Appointments.add", lambda self, a: (_ for _ in ()).throw(RuntimeError()))
    with pytest.raises(RuntimeError):
        make(world, slot.id)
    assert world.db.data.audit == []  # technical errors are no refusals: the log has them


def test_the_trail_of_an_appointment_follows_rebookings_both_ways(world: World) -> None:
    a = make(world, world.slot(world.at(3, 10)).id)
    b = update(world, a.id, world.slot(world.at(4, 10)).id)
    c = update(world, b.id, world.slot(world.at(5, 10)).id)
    cancel(world, c.id)
    make(world, world.slot(world.at(6, 10)).id)  # another appointment of the same person
    trail = AuditTrail(world.db.uow)
    expected = [("made", a.id, None), ("rebooked", a.id, b.id), ("rebooked", b.id, c.id), ("cancelled", c.id, None)]
    for start in (a.id, b.id, c.id):
        events = trail.for_appointment(start)
        assert [(e.action.value, e.appointment_id, e.new_appointment_id) for e in events] == expected
    assert len(trail.for_person(TOLVAN)) == 5
    assert trail.for_person(OTHER) == []


def test_confirmation_is_recorded(world: World) -> None:
    appointment = make(world, world.slot(world.at(3, 10)).id)
    confirmation = world.scheduling.confirmation
    assert code_of(lambda: confirmation.confirm_appointment(NORR, CITIZEN, TOLVAN, appointment.id)) is (
        ResultCode.APPOINTMENT_IS_ALREADY_CONFIRMED
    )
    assert actions(world) == [("made", "OK"), ("refused", "APPOINTMENT_IS_ALREADY_CONFIRMED")]


def test_text_lines_mask_identity_numbers_unless_asked(world: World) -> None:
    world.scheduling.booking.make_appointment(SODER, GUARDIAN, TOLVAN, world.slot(world.at(3, 10), facility=SODER).id)
    event = world.db.data.audit[0]
    masked, shown = event.line(), event.line(show_identity=True)
    assert "191212121212" not in masked and "198112289874" not in masked
    assert "person=19121212****" in masked and "actor=19811228****/116154003" in masked
    assert "person=191212121212" in shown and "actor=198112289874/116154003" in shown
    assert masked.startswith("2025-03-10T09:00:00+01:00  MakeAppointment  made  OK  unit=" + SODER)
