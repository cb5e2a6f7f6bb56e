"""UpdateAppointment and CancelAppointment are all-or-nothing in the real store."""

from __future__ import annotations

import pytest
from store_world import CITIZEN, NORR, TOLVAN, add_slot, at

from riv_scheduling.domain import AppointmentState, ClinicSetup, Scheduling
from riv_scheduling.store import Store
from riv_scheduling.store.repositories import AppointmentRepo


class Boom(RuntimeError):
    pass


def snapshot(store: Store) -> tuple:
    with store.engine.connect() as conn:
        slots = conn.exec_driver_sql("SELECT id, booked FROM timeslot ORDER BY id").all()
        appointments = conn.exec_driver_sql("SELECT id, state, replaced_by FROM appointment ORDER BY id").all()
    return slots, appointments


def test_failure_mid_update_changes_nothing(
    store: Store, setup: ClinicSetup, scheduling: Scheduling, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_slot = add_slot(setup, at(3, 10))
    new_slot = add_slot(setup, at(4, 10))
    original = scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, old_slot.id)
    before = snapshot(store)

    def fail(self: AppointmentRepo, appointment: object) -> None:
        raise Boom("disk full")

    # save() runs last: after the new slot is reserved, the old released and the new row inserted.
    monkeypatch.setattr(AppointmentRepo, "save", fail)
    with pytest.raises(Boom):
        scheduling.rebooking.update_appointment(NORR, CITIZEN, TOLVAN, original.id, new_slot.id)
    monkeypatch.undo()

    assert snapshot(store) == before
    with store.uow() as uow:
        assert uow.timeslots.get(old_slot.id).booked == 1  # type: ignore[union-attr]
        assert uow.timeslots.get(new_slot.id).booked == 0  # type: ignore[union-attr]
        assert uow.appointments.get(original.id).state is AppointmentState.ACTIVE  # type: ignore[union-attr]
    # and the rebooking still works afterwards
    rebooked = scheduling.rebooking.update_appointment(NORR, CITIZEN, TOLVAN, original.id, new_slot.id)
    assert rebooked.timeslot_id == new_slot.id


def test_failure_mid_cancel_keeps_the_booking(
    store: Store, setup: ClinicSetup, scheduling: Scheduling, monkeypatch: pytest.MonkeyPatch
) -> None:
    slot = add_slot(setup, at(3, 10))
    appointment = scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id)
    before = snapshot(store)
    monkeypatch.setattr(AppointmentRepo, "save", lambda self, a: (_ for _ in ()).throw(Boom()))
    with pytest.raises(Boom):
        scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, appointment.id)
    assert snapshot(store) == before


def test_failure_after_reserving_in_make_leaves_the_slot_free(
    store: Store, setup: ClinicSetup, scheduling: Scheduling, monkeypatch: pytest.MonkeyPatch
) -> None:
    slot = add_slot(setup, at(3, 10))
    monkeypatch.setattr(AppointmentRepo, "add", lambda self, a: (_ for _ in ()).throw(Boom()))
    with pytest.raises(Boom):
        scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id)
    with store.uow() as uow:
        assert uow.timeslots.get(slot.id).booked == 0  # type: ignore[union-attr]
