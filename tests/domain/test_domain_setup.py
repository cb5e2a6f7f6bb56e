"""Clinic-side setup: the configuration the booking rules rely on."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from domain_world import DOCTOR, NORR, TIME_TYPES, TOLVAN, World

from riv_scheduling.domain import (
    AppointmentStatus,
    DomainError,
    HealthcareFacility,
    Practitioner,
    ResultCode,
    SetupError,
    Timeslot,
)


def new_slot(world: World, **kw: object) -> Timeslot:
    start = world.at(1, 10)
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "facility_hsa_id": NORR,
        "time_type_code": "LAKARBESOK",
        "start": start,
        "end": start + timedelta(minutes=20),
    }
    fields.update(kw)
    return Timeslot(**fields)  # type: ignore[arg-type]


def test_facility_ids_are_unique_case_insensitively(world: World) -> None:
    with pytest.raises(SetupError):
        world.setup.add_facility(HealthcareFacility(NORR.lower(), "Dubblett"))
    assert world.setup.add_facility(HealthcareFacility(NORR.lower(), "X"), exist_ok=True).hsa_id == NORR


def test_facilities_are_listed(world: World) -> None:
    assert [f.hsa_id for f in world.scheduling.reading.facilities()] == [NORR, "SE2321000016-C3D4"]


def test_time_types_for_new_booking_include_protected_but_not_closed_ones(world: World) -> None:
    codes = {t.code for t in world.scheduling.search.time_types(NORR)}
    assert codes == {t.code for t in TIME_TYPES} - {"STOPPAD"}


def test_practitioners_of_the_unit_are_listed(world: World) -> None:
    assert [p.hsa_id for p in world.scheduling.search.practitioners(NORR)] == ["SE2321000016-N003", DOCTOR]
    assert world.scheduling.search.practitioners("SE2321000016-C3D4") == []


def test_practitioner_is_reused_by_case_insensitive_hsa_id(world: World) -> None:
    stored = world.setup.add_practitioner(NORR, Practitioner(DOCTOR.lower(), "A", "B"))
    assert stored.hsa_id == DOCTOR


def test_timeslot_ids_are_canonicalised(world: World) -> None:
    slot = world.setup.add_timeslot(new_slot(world, facility_hsa_id=NORR.lower(), practitioner_ids=(DOCTOR.lower(),)))
    assert (slot.facility_hsa_id, slot.practitioner_ids) == (NORR, (DOCTOR,))


@pytest.mark.parametrize(
    "bad",
    [
        {"time_type_code": "OKAND"},
        {"facility_hsa_id": "SE2321000016-XXXX"},
        {"practitioner_ids": ("SE2321000016-NONE",)},
        {"capacity": 0},
        {"booked": 2},
    ],
)
def test_invalid_timeslots_are_refused(world: World, bad: dict[str, object]) -> None:
    with pytest.raises(SetupError):
        world.setup.add_timeslot(new_slot(world, **bad))
    assert world.db.data.timeslots == {}


def test_existing_timeslots_are_refused_or_skipped(world: World) -> None:
    slot = world.setup.add_timeslot(new_slot(world))
    with pytest.raises(SetupError):
        world.setup.add_timeslot(slot)
    other = new_slot(world, start=world.at(2, 10), end=world.at(2, 11))
    assert world.setup.add_timeslots([slot, other], skip_existing=True) == [other]


def test_clinic_proposal_is_preliminary_and_takes_the_slot(world: World) -> None:
    slot = world.setup.add_timeslot(new_slot(world))
    proposal = world.setup.propose_appointment(NORR, TOLVAN, slot.id)
    assert proposal.status is AppointmentStatus.PRELIMINARY
    assert world.stored_slot(slot.id).booked == 1
    with pytest.raises(DomainError) as info:
        world.setup.propose_appointment(NORR, TOLVAN, slot.id)
    assert info.value.code is ResultCode.REQUESTED_TIME_IS_ALREADY_RESERVED
