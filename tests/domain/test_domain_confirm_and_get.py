"""ConfirmAppointment (TKB 2.0 §7.2), GetAppointment (§7.3) and GetAppointments (§7.4)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from domain_world import CITIZEN, DOCTOR, NORR, NOW, OTHER, SODER, TOLVAN, World

from riv_scheduling.domain import (
    AppointmentStatus,
    DomainError,
    PersonId,
    ResultCode,
    UnknownHealthcareFacility,
)


def confirm_refused(world: World, appointment_id: uuid.UUID, person: PersonId = TOLVAN) -> ResultCode:
    with pytest.raises(DomainError) as info:
        world.scheduling.confirmation.confirm_appointment(NORR, CITIZEN, person, appointment_id)
    return info.value.code


def test_confirming_a_preliminary_appointment_makes_it_confirmed(world: World) -> None:
    proposal = world.setup.propose_appointment(NORR, TOLVAN, world.slot(world.at(2, 10)).id)
    assert proposal.status is AppointmentStatus.PRELIMINARY
    world.now = NOW + timedelta(hours=1)
    confirmed = world.scheduling.confirmation.confirm_appointment(NORR, CITIZEN, TOLVAN, proposal.id)
    assert (confirmed.status, confirmed.updated_at) == (AppointmentStatus.CONFIRMED, world.now)
    assert world.stored(proposal.id).status is AppointmentStatus.CONFIRMED


def test_confirmed_appointment_is_already_confirmed(world: World) -> None:
    appointment = world.book(world.slot(world.at(2, 10)))
    assert confirm_refused(world, appointment.id) is ResultCode.APPOINTMENT_IS_ALREADY_CONFIRMED


@pytest.mark.parametrize("whose", ["nobody", "other"])
def test_unknown_or_foreign_appointment_does_not_exist_for_confirm(world: World, whose: str) -> None:
    proposal = world.setup.propose_appointment(NORR, TOLVAN, world.slot(world.at(2, 10)).id)
    if whose == "nobody":
        code = confirm_refused(world, uuid.uuid4())
    else:
        code = confirm_refused(world, proposal.id, person=OTHER)
    assert code is ResultCode.APPOINTMENT_DOES_NOT_EXIST


def test_started_appointment_is_too_late_to_confirm(world: World) -> None:
    proposal = world.setup.propose_appointment(NORR, TOLVAN, world.slot(world.at(0, 10)).id)
    world.now = world.at(0, 10, 1)
    assert confirm_refused(world, proposal.id) is ResultCode.TOO_LATE_TO_CONFIRM_APPOINTMENT


def test_cancelled_appointment_cannot_be_confirmed(world: World) -> None:
    proposal = world.setup.propose_appointment(NORR, TOLVAN, world.slot(world.at(2, 10)).id)
    world.scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, proposal.id)
    assert confirm_refused(world, proposal.id) is ResultCode.CONFIRM_IS_NOT_ALLOWED


# -- GetAppointment ------------------------------------------------------------------------


def test_get_appointment_returns_the_appointment_with_its_slot(world: World) -> None:
    slot = world.slot(world.at(2, 10), practitioners=(DOCTOR,))
    appointment = world.book(slot)
    view = world.scheduling.reading.get_appointment(NORR.lower(), TOLVAN, appointment.id)
    assert view is not None
    assert view.appointment == appointment
    assert view.slot.timeslot.id == slot.id
    assert view.slot.time_type.code == "LAKARBESOK"
    assert view.slot.facility.hsa_id == NORR
    assert [p.hsa_id for p in view.slot.practitioners] == [DOCTOR]


def test_get_appointment_hides_other_persons_appointments(world: World) -> None:
    appointment = world.book(world.slot(world.at(2, 10)))
    assert world.scheduling.reading.get_appointment(NORR, OTHER, appointment.id) is None


def test_get_appointment_hides_other_units_appointments(world: World) -> None:
    appointment = world.book(world.slot(world.at(2, 10)))
    assert world.scheduling.reading.get_appointment(SODER, TOLVAN, appointment.id) is None


def test_get_appointment_of_unknown_id_is_none(world: World) -> None:
    assert world.scheduling.reading.get_appointment(NORR, TOLVAN, uuid.uuid4()) is None


def test_cancelled_and_replaced_appointments_are_not_shown(world: World) -> None:
    cancelled = world.book(world.slot(world.at(2, 10)))
    world.scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, cancelled.id)
    replaced = world.book(world.slot(world.at(3, 10)))
    target = world.slot(world.at(4, 10))
    new = world.scheduling.rebooking.update_appointment(NORR, CITIZEN, TOLVAN, replaced.id, target.id)
    assert world.scheduling.reading.get_appointment(NORR, TOLVAN, cancelled.id) is None
    assert world.scheduling.reading.get_appointment(NORR, TOLVAN, replaced.id) is None
    assert world.scheduling.reading.get_appointment(NORR, TOLVAN, new.id) is not None


def test_get_appointment_at_unknown_unit_is_unknown_facility(world: World) -> None:
    with pytest.raises(UnknownHealthcareFacility):
        world.scheduling.reading.get_appointment("SE2321000016-XXXX", TOLVAN, uuid.uuid4())


# -- GetAppointments -----------------------------------------------------------------------


def test_appointments_lists_the_persons_active_ones_ordered_by_start(world: World) -> None:
    late = world.book(world.slot(world.at(5, 10)))
    early = world.book(world.slot(world.at(2, 10)))
    cancelled = world.book(world.slot(world.at(3, 10)))
    world.scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, cancelled.id)
    world.book(world.slot(world.at(4, 10)), person=OTHER)
    world.book(world.slot(world.at(4, 10), facility=SODER), facility=SODER)
    ids = [v.appointment.id for v in world.scheduling.reading.appointments(NORR, TOLVAN)]
    assert ids == [early.id, late.id]


def test_appointments_date_range_is_inclusive_swedish_dates(world: World) -> None:
    world.book(world.slot(world.at(2, 10)))
    midnight = world.book(world.slot(world.at(3, 0, 30), code="SSKBESOK"))
    evening = world.book(world.slot(world.at(3, 23, 30), code="SSKBESOK"))
    world.book(world.slot(world.at(4, 10)))
    day = NOW.date() + timedelta(days=3)
    views = world.scheduling.reading.appointments(NORR, TOLVAN, from_date=day, to_date=day)
    assert [v.appointment.id for v in views] == [midnight.id, evening.id]


def test_appointments_filter_on_time_type(world: World) -> None:
    world.book(world.slot(world.at(2, 10)))
    nurse = world.book(world.slot(world.at(3, 10), code="SSKBESOK"))
    views = world.scheduling.reading.appointments(NORR, TOLVAN, time_type_code="SSKBESOK")
    assert [v.appointment.id for v in views] == [nurse.id]


def test_appointments_filter_on_healthcare_service(world: World) -> None:
    # TKB 2.0 §7.4.4: healthcareServiceCode keeps the appointments whose time type performs that care service.
    from riv_scheduling.domain import Code, HealthcareService, TimeType

    service = HealthcareService(Code("82078001", "1.2.752.116.2.1.1", "Blodprov"))
    world.setup.add_healthcare_service(service)
    world.setup.add_time_type(NORR, TimeType("BLODPROV", "Blodprov", True, True, timedelta(0), timedelta(0),
                                             timedelta(0), healthcare_services=(service,)))
    world.book(world.slot(world.at(2, 10)))
    sample = world.book(world.slot(world.at(3, 10), code="BLODPROV"))
    views = world.scheduling.reading.appointments(NORR, TOLVAN, healthcare_service_code="82078001")
    assert [v.appointment.id for v in views] == [sample.id]
    assert world.scheduling.reading.appointments(NORR, TOLVAN, healthcare_service_code="390906007") == []
    both = world.scheduling.reading.appointments(NORR, TOLVAN, time_type_code="SSKBESOK",
                                                 healthcare_service_code="82078001")
    assert both == []  # the filters apply together
    assert len(world.scheduling.reading.appointments(NORR, TOLVAN)) == 2
