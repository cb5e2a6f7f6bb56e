"""Engagemangsindex transactions each flow records (RULES: TKB 2.0 §3.5.2-§3.5.10), on the fake.

Every change records, in its own unit of work, the EI transactions it implies; a refusal records
nothing; a unit that does not report records nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from domain_world import CITIZEN, NORR, OTHER, SODER, TOLVAN, World

from riv_scheduling.domain import DomainError, SetupError
from riv_scheduling.domain.engagement_index import EngagementKey, EngagementTransaction, IndexReporting
from riv_scheduling.domain.index_maintenance import IndexMaintenance

SOURCE = "SE2321000016-84GX"
CONTROLLER = "SE232100-0016"
REPORTING = IndexReporting(SOURCE, CONTROLLER)


@pytest.fixture
def world() -> World:
    w = World()
    IndexMaintenance(w.db.uow, clock=w.clock).set_reporting(NORR, REPORTING)
    return w


def outbox(world: World) -> list[EngagementTransaction]:
    return world.db.data.ei_outbox


def key(appointment_id: object, person: str = TOLVAN.extension, unit: str = NORR,
        controller: str = CONTROLLER) -> EngagementKey:
    return EngagementKey(person, unit, str(appointment_id), SOURCE, controller)


def test_make_records_an_add_with_the_full_key_and_now_as_most_recent_content(world: World) -> None:
    appointment = world.book(world.slot(world.at(1, 10)))
    assert outbox(world) == [EngagementTransaction(appointment.id, key(appointment.id), False, world.now)]
    assert world.db.data.ei_posts[appointment.id].key == key(appointment.id)


def test_a_refused_make_records_nothing(world: World) -> None:
    slot = world.slot(world.at(1, 10))
    world.book(slot)
    before = list(outbox(world))
    with pytest.raises(DomainError):
        world.book(slot, person=OTHER)
    assert outbox(world) == before


def test_a_repeated_make_records_nothing_more(world: World) -> None:
    slot = world.slot(world.at(1, 10))
    world.book(slot)
    world.book(slot)
    assert len(outbox(world)) == 1


def test_a_unit_that_does_not_report_records_nothing(world: World) -> None:
    world.book(world.slot(world.at(1, 10), facility=SODER), facility=SODER)
    assert outbox(world) == []
    assert world.db.data.ei_posts == {}


def test_rebooking_deletes_the_old_key_and_adds_the_new_booking_id(world: World) -> None:
    original = world.book(world.slot(world.at(2, 10)))
    world.now += timedelta(minutes=5)
    target = world.slot(world.at(3, 9))
    new = world.scheduling.rebooking.update_appointment(NORR, CITIZEN, TOLVAN, original.id, target.id)
    assert outbox(world)[1:] == [
        EngagementTransaction(original.id, key(original.id), True, None),
        EngagementTransaction(new.id, key(new.id), False, world.now),
    ]
    assert set(world.db.data.ei_posts) == {new.id}


def test_cancel_deletes_the_post_without_most_recent_content(world: World) -> None:
    appointment = world.book(world.slot(world.at(2, 10)))
    world.scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, appointment.id)
    assert outbox(world)[-1] == EngagementTransaction(appointment.id, key(appointment.id), True, None)
    assert world.db.data.ei_posts == {}


def test_a_refused_cancel_records_nothing(world: World) -> None:
    appointment = world.book(world.slot(world.at(2, 10), code="EJAVBOKNING"))
    before = list(outbox(world))
    with pytest.raises(DomainError):
        world.scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, appointment.id)
    assert outbox(world) == before


def test_propose_adds_and_confirm_updates_in_place(world: World) -> None:
    slot = world.slot(world.at(2, 10))
    proposed = world.setup.propose_appointment(NORR, TOLVAN, slot.id)
    world.now += timedelta(minutes=7)
    world.scheduling.confirmation.confirm_appointment(NORR, CITIZEN, TOLVAN, proposed.id)
    assert outbox(world) == [
        EngagementTransaction(proposed.id, key(proposed.id), False, world.now - timedelta(minutes=7)),
        EngagementTransaction(proposed.id, key(proposed.id), False, world.now),
    ]


def test_a_refused_confirm_records_nothing(world: World) -> None:
    appointment = world.book(world.slot(world.at(2, 10)))  # confirmed already
    with pytest.raises(DomainError):
        world.scheduling.confirmation.confirm_appointment(NORR, CITIZEN, TOLVAN, appointment.id)
    assert len(outbox(world)) == 1


def test_a_refused_proposal_records_nothing(world: World) -> None:
    slot = world.slot(world.at(2, 10))
    world.book(slot)
    with pytest.raises((SetupError, DomainError)):
        world.setup.propose_appointment(NORR, OTHER, slot.id)
    assert len(outbox(world)) == 1


def test_withdrawing_a_booked_slot_leaves_its_post(world: World) -> None:
    slot = world.slot(world.at(2, 10))
    appointment = world.book(slot)
    world.setup.withdraw_timeslot(slot.id)
    world.setup.withdraw_timeslot(world.slot(world.at(2, 11)).id)
    assert len(outbox(world)) == 1
    assert set(world.db.data.ei_posts) == {appointment.id}


def test_the_sweep_deletes_posts_whose_start_has_passed(world: World) -> None:
    early = world.book(world.slot(world.at(1, 10)))
    late = world.book(world.slot(world.at(3, 10)))
    world.now = world.at(1, 10)  # the visit begins
    assert IndexMaintenance(world.db.uow, clock=world.clock).sweep_passed() == 1
    assert outbox(world)[-1] == EngagementTransaction(early.id, key(early.id), True, None)
    assert set(world.db.data.ei_posts) == {late.id}
    assert IndexMaintenance(world.db.uow, clock=world.clock).sweep_passed() == 0


def test_a_new_data_controller_rekeys_the_units_posts(world: World) -> None:
    appointment = world.book(world.slot(world.at(2, 10)))
    changed = IndexMaintenance(world.db.uow, clock=world.clock).set_reporting(NORR, IndexReporting(SOURCE, "SE1"))
    assert changed == 1
    assert outbox(world)[1:] == [
        EngagementTransaction(appointment.id, key(appointment.id), True, None),
        EngagementTransaction(appointment.id, key(appointment.id, controller="SE1"), False, world.now),
    ]


def test_a_unit_that_stops_reporting_deletes_its_posts(world: World) -> None:
    appointment = world.book(world.slot(world.at(2, 10)))
    IndexMaintenance(world.db.uow, clock=world.clock).set_reporting(NORR, None)
    assert outbox(world)[-1] == EngagementTransaction(appointment.id, key(appointment.id), True, None)
    world.book(world.slot(world.at(3, 10)))
    assert len(outbox(world)) == 2


def test_a_delete_never_carries_most_recent_content(world: World) -> None:
    with pytest.raises(ValueError):
        EngagementTransaction(uuid.uuid4(), key("x"), True, world.now)
    with pytest.raises(ValueError):
        EngagementTransaction(uuid.uuid4(), key("x"), False, None)
