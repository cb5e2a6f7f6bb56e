"""The contract's booking rules beyond the core: protected time types and assignments, priority,
appointment rules per flow, care services, contact modes, group and team bookings, confirmation,
the care guarantee, available dates, and the lookup interactions (time types, practitioners, units)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta

import pytest
from domain_world import CITIZEN, DOCTOR, NORR, NOW, NURSE, OTHER, SODER, TOLVAN, World

from riv_scheduling.domain import (
    RETRY_WINDOW,
    SNOMED_CT_OID,
    AppointmentRule,
    AppointmentStatus,
    Code,
    DomainError,
    HealthcareFacility,
    HealthcareService,
    Information,
    PersonId,
    Process,
    ReasonRequired,
    Resource,
    ResultCode,
    SetupError,
    Timeslot,
    TimeslotQuery,
    TimeType,
)

TODAY = NOW.date()
H = timedelta(hours=1)
ZERO = timedelta(0)
CONSULTATION = HealthcareService(Code("11429006", SNOMED_CT_OID, "Konsultation"), (Information("Om besöket"),))
VACCINATION = HealthcareService(Code("33879002", SNOMED_CT_OID, "Vaccination"))
CONTACT = "demo:kontakttyp"
VIDEO = Code("VIDEO", CONTACT, "Videomöte")
PHYSICAL = Code("FYSISKT", CONTACT, "Fysiskt besök")
REASON = Code("INFEKTION", "demo:orsak", "Infektion")
STRICT_RULES = (
    AppointmentRule(Process.NYBOKNING, ReasonRequired.MANDATORY, ReasonRequired.OPTIONAL, (REASON,)),
    AppointmentRule(Process.OMBOKNING, ReasonRequired.MANDATORY, ReasonRequired.REASON_NOT_SUPPORTED),
    AppointmentRule(Process.AVBOKNING, ReasonRequired.OPTIONAL, ReasonRequired.MANDATORY, (REASON,)),
)
EXTRA_TYPES = (
    TimeType("REGLER", "Besök med regler", True, True, ZERO, ZERO, ZERO, appointment_rules=STRICT_RULES),
    TimeType(
        "TYST", "Utan anledning", True, True, ZERO, ZERO, ZERO,
        appointment_rules=(
            AppointmentRule(
                Process.NYBOKNING, ReasonRequired.REASON_NOT_SUPPORTED, ReasonRequired.REASON_NOT_SUPPORTED
            ),
        ),
    ),
    TimeType(
        "VIDEO", "Videobesök", True, True, ZERO, ZERO, ZERO, care_contact_code=VIDEO,
        healthcare_services=(CONSULTATION,), video_meeting_url="https://video.example.invalid/m/",
        appointment_information=(Information("Öppna länken i tid"),),
    ),
    TimeType(
        "FYSISKT", "Mottagningsbesök", True, True, ZERO, ZERO, ZERO, care_contact_code=PHYSICAL,
        healthcare_services=(CONSULTATION, VACCINATION),
    ),
    TimeType("GRUPP", "Grupp", True, True, ZERO, ZERO, ZERO, patient_group=True),
    TimeType("TEAM", "Team", True, True, ZERO, ZERO, ZERO, healthcare_team=True),
    TimeType("EJBEKRAFTA", "Ej bekräftelse", True, True, ZERO, ZERO, ZERO, confirm_allowed=False),
    TimeType("BEKRAFTA24", "Bekräfta 24 h före", True, True, ZERO, ZERO, ZERO, confirm_notice=24 * H),
)


@pytest.fixture
def world() -> World:
    w = World()
    for t in EXTRA_TYPES:
        w.setup.add_time_type(NORR, t)
    w.setup.add_time_type(SODER, EXTRA_TYPES[3])  # FYSISKT
    return w


def add(world: World, start_days: int, hour: int, code: str = "LAKARBESOK", **extra: object) -> Timeslot:
    start = world.at(start_days, hour)
    return world.setup.add_timeslot(
        Timeslot(uuid.uuid4(), NORR, code, start, start + timedelta(minutes=20), **extra)  # type: ignore[arg-type]
    )


def offered(world: World, **query: object) -> list[uuid.UUID]:
    q = TimeslotQuery(TODAY, TODAY + timedelta(days=14), **query)  # type: ignore[arg-type]
    return [v.timeslot.id for v in world.scheduling.search.available_timeslots(NORR, q)]


def refused(call: object, *args: object, **kwargs: object) -> DomainError:
    with pytest.raises(DomainError) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    return info.value


# -- protected time types and assignments -------------------------------------------------------


def test_protected_time_type_is_not_offered_without_an_assignment(world: World) -> None:
    slot = add(world, 1, 10, "SKYDDAD")
    assert offered(world) == []
    assert offered(world, person_id=TOLVAN, time_type_code="SKYDDAD") == []
    assert slot.id not in offered(world, person_id=TOLVAN)


def test_assigned_protected_time_type_is_offered_to_that_person_only(world: World) -> None:
    slot = add(world, 1, 10, "SKYDDAD")
    world.setup.assign_time_type(NORR, TOLVAN, "SKYDDAD")
    assert offered(world, person_id=TOLVAN) == [slot.id]
    assert offered(world, person_id=TOLVAN, time_type_code="SKYDDAD") == [slot.id]
    assert offered(world, person_id=OTHER) == []
    assert offered(world) == []


def test_expired_assignment_does_not_count(world: World) -> None:
    add(world, 1, 10, "SKYDDAD")
    world.setup.assign_time_type(NORR, TOLVAN, "SKYDDAD", valid_until=TODAY - timedelta(days=1))
    assert offered(world, person_id=TOLVAN) == []


def test_booking_a_protected_time_type_without_assignment_is_not_allowed(world: World) -> None:
    slot = add(world, 1, 10, "SKYDDAD")
    error = refused(world.book, slot)
    assert error.code is ResultCode.APPOINTMENT_IS_NOT_ALLOWED


def test_assignment_allows_one_upcoming_appointment_of_its_time_type(world: World) -> None:
    first, second = add(world, 1, 10, "SKYDDAD"), add(world, 2, 10, "SKYDDAD")
    world.setup.assign_time_type(NORR, TOLVAN, "SKYDDAD")
    appointment = world.book(first)
    assert offered(world, person_id=TOLVAN, time_type_code="SKYDDAD") == []
    assert refused(world.book, second).code is ResultCode.APPOINTMENT_IS_NOT_ALLOWED
    # Rebooking the invited appointment is still possible (the original's time type decides).
    assert offered(world, person_id=TOLVAN, original_appointment_id=appointment.id) == [second.id]
    world.scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, appointment.id)
    assert world.book(second).status is AppointmentStatus.CONFIRMED


def test_assignment_needs_a_known_time_type_and_valid_person(world: World) -> None:
    with pytest.raises(SetupError):
        world.setup.assign_time_type(NORR, TOLVAN, "FINNSINTE")
    with pytest.raises(SetupError):
        world.setup.assign_time_type(NORR, PersonId("1.2.3", "1"), "SKYDDAD")


# -- priority -------------------------------------------------------------------------------------


def test_priority_slot_is_offered_only_to_the_same_or_a_more_urgent_priority(world: World) -> None:
    held = add(world, 1, 10, priority=2)
    open_slot = add(world, 1, 11)
    assert offered(world) == [open_slot.id]
    assert offered(world, priority=3) == [open_slot.id]
    assert offered(world, priority=2) == [held.id, open_slot.id]
    assert offered(world, priority=1) == [held.id, open_slot.id]


def test_assignment_priority_is_used_when_the_request_gives_none(world: World) -> None:
    held = add(world, 1, 10, "SKYDDAD", priority=1)
    world.setup.assign_time_type(NORR, TOLVAN, "SKYDDAD", priority=1)
    assert offered(world, person_id=TOLVAN) == [held.id]
    assert offered(world, person_id=TOLVAN, priority=3) == []  # the request's own priority wins


# -- appointment rules per flow -------------------------------------------------------------------


def test_mandatory_reason_text_missing_on_make_is_error_naming_it(world: World) -> None:
    slot = add(world, 1, 10, "REGLER")
    error = refused(world.scheduling.booking.make_appointment, NORR, CITIZEN, TOLVAN, slot.id, "  ", None)
    assert error.code is ResultCode.ERROR and "reasonText" in error.text
    assert world.stored_slot(slot.id).booked == 0


def test_reason_code_outside_the_rules_codes_is_error(world: World) -> None:
    slot = add(world, 1, 10, "REGLER")
    wrong = Code("ANNAT", "demo:orsak")
    error = refused(world.scheduling.booking.make_appointment, NORR, CITIZEN, TOLVAN, slot.id, "Ont", wrong)
    assert error.code is ResultCode.ERROR and "ANNAT" in error.text


def test_reason_code_matches_on_code_and_code_system_not_display_name(world: World) -> None:
    slot = add(world, 1, 10, "REGLER")
    code = Code(REASON.code, REASON.code_system)  # no displayName: 0..1 in core:CVType
    made = world.scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id, "Ont", code)
    assert made.new_reason_code == code


def test_mandatory_reason_on_update_and_cancel(world: World) -> None:
    slot, target = add(world, 1, 10, "REGLER"), add(world, 2, 10, "REGLER")
    made = world.scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id, "Ont", None)
    error = refused(world.scheduling.rebooking.update_appointment, NORR, CITIZEN, TOLVAN, made.id, target.id)
    assert error.code is ResultCode.ERROR and "reasonText" in error.text
    error = refused(world.scheduling.cancellation.cancel_appointment, NORR, CITIZEN, TOLVAN, made.id, "Frisk")
    assert error.code is ResultCode.ERROR and "reasonCode" in error.text
    cancelled = world.scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, made.id, None, REASON)
    assert cancelled.cancel_reason_code == REASON


def test_unsupported_reason_is_ignored(world: World) -> None:
    slot = add(world, 1, 10, "TYST")
    made = world.scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id, "Ont", REASON)
    assert (made.new_reason_text, made.new_reason_code) == (None, None)
    slot2, target = add(world, 2, 10, "REGLER"), add(world, 3, 10, "REGLER")
    made = world.scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, slot2.id, "Ont", None)
    new = world.scheduling.rebooking.update_appointment(NORR, CITIZEN, TOLVAN, made.id, target.id, "Flytt", REASON)
    assert (new.update_reason_text, new.update_reason_code) == ("Flytt", None)


def test_no_rule_for_the_flow_means_no_requirements(world: World) -> None:
    slot = add(world, 1, 10)
    booked = world.scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id, None, REASON)
    assert booked.new_reason_code == REASON


def test_time_type_allows_at_most_one_rule_per_process() -> None:
    with pytest.raises(ValueError):
        TimeType("X", "X", True, True, ZERO, ZERO, ZERO, appointment_rules=(STRICT_RULES[0], STRICT_RULES[0]))


# -- care services and contact modes --------------------------------------------------------------


def test_care_service_filter_selects_the_time_types_mapped_to_it(world: World) -> None:
    video, physical, other = add(world, 1, 10, "VIDEO"), add(world, 1, 11, "FYSISKT"), add(world, 1, 12)
    assert offered(world, healthcare_service_code="11429006") == [video.id, physical.id]
    assert offered(world, healthcare_service_code="33879002") == [physical.id]
    assert offered(world, healthcare_service_code="0") == []
    assert other.id in offered(world)


def test_time_type_and_care_service_together_is_error(world: World) -> None:
    error = refused(offered, world, time_type_code="VIDEO", healthcare_service_code="11429006")
    assert error.code is ResultCode.ERROR


def test_care_contact_code_filter_matches_code_and_code_system(world: World) -> None:
    video, physical = add(world, 1, 10, "VIDEO"), add(world, 1, 11, "FYSISKT")
    assert offered(world, care_contact_codes=(Code("VIDEO", CONTACT),)) == [video.id]
    assert offered(world, care_contact_codes=(VIDEO, PHYSICAL)) == [video.id, physical.id]
    assert offered(world, care_contact_codes=(Code("VIDEO", "other-system"),)) == []


def test_care_service_must_be_snomed_ct() -> None:
    with pytest.raises(ValueError):
        HealthcareService(Code("1", "not-snomed"))


# -- group and team bookings ----------------------------------------------------------------------


def test_group_slot_takes_as_many_appointments_as_its_capacity(world: World) -> None:
    slot = add(world, 1, 10, "GRUPP", capacity=2)
    world.book(slot, TOLVAN)
    assert offered(world, person_id=OTHER) == [slot.id]
    assert offered(world, person_id=TOLVAN) == []  # already in the group
    world.book(slot, OTHER)
    third = PersonId(TOLVAN.root, "199001012385")
    assert refused(world.book, slot, third).code is ResultCode.REQUESTED_TIME_IS_ALREADY_RESERVED


def test_same_person_twice_in_a_group_slot_is_already_occupied(world: World) -> None:
    slot = add(world, 1, 10, "GRUPP", capacity=5)
    world.book(slot)
    world.now += RETRY_WINDOW + timedelta(seconds=1)  # within the window it is a repeat (test_domain_retry)
    assert refused(world.book, slot).code is ResultCode.USER_IS_ALREADY_OCCUPIED
    assert world.stored_slot(slot.id).booked == 1


def test_team_slot_lists_all_its_practitioners(world: World) -> None:
    slot = add(world, 1, 10, "TEAM", practitioner_ids=(DOCTOR, NURSE))
    (view,) = world.scheduling.search.available_timeslots(NORR, TimeslotQuery(TODAY, TODAY + timedelta(days=3)))
    assert view.timeslot.id == slot.id
    assert [p.hsa_id for p in view.practitioners] == [DOCTOR, NURSE]
    assert view.time_type.healthcare_team is True
    assert offered(world, practitioner_hsa_id=NURSE) == [slot.id]


# -- confirmation ---------------------------------------------------------------------------------


def test_confirm_is_not_allowed_when_the_time_type_forbids_it(world: World) -> None:
    proposal = world.setup.propose_appointment(NORR, TOLVAN, add(world, 2, 10, "EJBEKRAFTA").id)
    error = refused(world.scheduling.confirmation.confirm_appointment, NORR, CITIZEN, TOLVAN, proposal.id)
    assert error.code is ResultCode.CONFIRM_IS_NOT_ALLOWED


def test_too_late_to_confirm_within_the_confirm_notice(world: World) -> None:
    late = world.setup.propose_appointment(NORR, TOLVAN, add(world, 0, 20, "BEKRAFTA24").id)
    error = refused(world.scheduling.confirmation.confirm_appointment, NORR, CITIZEN, TOLVAN, late.id)
    assert error.code is ResultCode.TOO_LATE_TO_CONFIRM_APPOINTMENT
    early = world.setup.propose_appointment(NORR, TOLVAN, add(world, 3, 10, "BEKRAFTA24").id)
    confirmed = world.scheduling.confirmation.confirm_appointment(NORR, CITIZEN, TOLVAN, early.id)
    assert confirmed.status is AppointmentStatus.CONFIRMED


def test_clinic_proposal_of_a_withdrawn_slot_is_no_longer_available(world: World) -> None:
    slot = add(world, 1, 10)
    world.setup.withdraw_timeslot(slot.id)
    error = refused(world.setup.propose_appointment, NORR, TOLVAN, slot.id)
    assert error.code is ResultCode.REQUESTED_TIME_IS_NO_LONGER_AVAILABLE


# -- what an appointment carries ------------------------------------------------------------------


def test_video_appointment_gets_a_unique_meeting_link_and_the_time_types_texts(world: World) -> None:
    a = world.book(add(world, 1, 10, "VIDEO"))
    b = world.book(add(world, 1, 11, "VIDEO"), OTHER)
    (ref_a,), (ref_b,) = a.references, b.references
    assert ref_a.link.startswith("https://video.example.invalid/m/") and ref_a.link != ref_b.link  # type: ignore[union-attr]
    assert a.information == (Information("Öppna länken i tid"),)
    view = world.scheduling.reading.get_appointment(NORR, TOLVAN, a.id)
    assert view is not None and view.appointment.references == a.references
    assert world.book(add(world, 2, 10)).references == ()


def test_appointment_carries_the_slots_alternative_location(world: World) -> None:
    a = world.book(add(world, 1, 10, alternative_location="Labbet, plan 2"))
    assert a.alternative_location == "Labbet, plan 2"


def test_rebooking_keeps_related_appointments_and_the_original_resources(world: World) -> None:
    room = Resource(description="Rum 1")
    slot = add(world, 1, 10, resources=(room,))
    same_room = add(world, 2, 10, resources=(room,))
    other_room = add(world, 2, 11, resources=(Resource(description="Rum 2"),))
    related = uuid.uuid4()
    proposal = world.setup.propose_appointment(NORR, TOLVAN, slot.id, related_appointment_ids=(related,))
    assert offered(world, person_id=TOLVAN, original_appointment_id=proposal.id) == [same_room.id]
    assert other_room.id in offered(world)
    world.now = NOW - timedelta(days=1)  # outside LAKARBESOK's 24 h update notice
    new = world.scheduling.rebooking.update_appointment(NORR, CITIZEN, TOLVAN, proposal.id, same_room.id)
    assert new.related_appointment_ids == (related,)


# -- care guarantee -------------------------------------------------------------------------------


def test_within_care_guarantee_is_judged_at_search_time(world: World) -> None:
    with world.db.uow().writing() as uow:
        uow.facilities.save(replace(uow.facilities.get(NORR), care_guarantee_days=3))  # type: ignore[arg-type]
        uow.commit()
    inside, outside = add(world, 3, 10), add(world, 4, 10)
    views = world.scheduling.search.available_timeslots(NORR, TimeslotQuery(TODAY, TODAY + timedelta(days=7)))
    assert {v.timeslot.id: v.within_care_guarantee for v in views} == {inside.id: True, outside.id: False}
    world.now = NOW + timedelta(days=1)
    views = world.scheduling.search.available_timeslots(NORR, TimeslotQuery(TODAY, TODAY + timedelta(days=7)))
    assert {v.within_care_guarantee for v in views} == {True}


def test_without_a_care_guarantee_the_flag_is_absent(world: World) -> None:
    add(world, 1, 10)
    (view,) = world.scheduling.search.available_timeslots(NORR, TimeslotQuery(TODAY, TODAY + timedelta(days=7)))
    assert view.within_care_guarantee is None


# -- GetAvailableDates ----------------------------------------------------------------------------


def test_available_dates_once_per_time_type_practitioner_and_resource(world: World) -> None:
    room = Resource(description="Rum 1")
    add(world, 1, 10, practitioner_ids=(DOCTOR,))
    add(world, 1, 11, practitioner_ids=(DOCTOR,))
    add(world, 1, 12, practitioner_ids=(NURSE,))
    add(world, 1, 13, "TEAM", practitioner_ids=(DOCTOR, NURSE))
    add(world, 1, 14, "PROVTAGNING", resources=(room,))
    dates = world.scheduling.search.available_dates(NORR, TimeslotQuery(TODAY, TODAY + timedelta(days=3)))
    day = TODAY + timedelta(days=1)
    assert [
        (d.date, d.time_type.code, d.practitioner.hsa_id if d.practitioner else None, d.resource, d.no_of_timeslots)
        for d in dates
    ] == [
        (day, "LAKARBESOK", DOCTOR, None, 2),
        (day, "LAKARBESOK", NURSE, None, 1),
        (day, "PROVTAGNING", None, room, 1),
        (day, "TEAM", None, None, 1),
    ]
    (team,) = world.scheduling.search.available_dates(
        NORR, TimeslotQuery(TODAY, TODAY + timedelta(days=3), time_type_code="TEAM", practitioner_hsa_id=NURSE)
    )
    assert team.practitioner is not None and team.practitioner.hsa_id == NURSE


# -- GetTimeTypes, GetPractitioners, GetHealthcareFacility(ies) ------------------------------------


def codes(types: list[TimeType]) -> list[str]:
    return [t.code for t in types]


def test_time_types_list_protected_ones_without_a_person_and_only_assigned_ones_with(world: World) -> None:
    everything = codes(world.scheduling.search.time_types(NORR))
    assert "SKYDDAD" in everything and "STOPPAD" not in everything
    assert "SKYDDAD" not in codes(world.scheduling.search.time_types(NORR, person_id=TOLVAN))
    world.setup.assign_time_type(NORR, TOLVAN, "SKYDDAD")
    assert "SKYDDAD" in codes(world.scheduling.search.time_types(NORR, person_id=TOLVAN))


def test_time_types_filtered_by_care_service_and_practitioner(world: World) -> None:
    assert codes(world.scheduling.search.time_types(NORR, healthcare_service_code="33879002")) == ["FYSISKT"]
    add(world, 1, 10, "SSKBESOK", practitioner_ids=(NURSE,))
    add(world, 1, 11, "TEAM", practitioner_ids=(DOCTOR, NURSE))
    assert codes(world.scheduling.search.time_types(NORR, practitioner_hsa_id=NURSE.lower())) == ["SSKBESOK", "TEAM"]
    assert world.scheduling.search.time_types(NORR, practitioner_hsa_id="SE-NOBODY") == []
    video = next(t for t in world.scheduling.search.time_types(NORR) if t.code == "VIDEO")
    assert video.healthcare_services == (CONSULTATION,) and video.care_contact_code == VIDEO


def test_practitioners_are_those_with_free_slots_of_the_time_type_or_service(world: World) -> None:
    assert {p.hsa_id for p in world.scheduling.search.practitioners(NORR)} == {DOCTOR, NURSE}
    add(world, 1, 10, "VIDEO", practitioner_ids=(DOCTOR,))
    add(world, 1, 11, "SSKBESOK", practitioner_ids=(NURSE,))
    assert [p.hsa_id for p in world.scheduling.search.practitioners(NORR, time_type_code="VIDEO")] == [DOCTOR]
    by_service = world.scheduling.search.practitioners(NORR, healthcare_service_code="11429006")
    assert [p.hsa_id for p in by_service] == [DOCTOR]
    assert world.scheduling.search.practitioners(NORR, time_type_code="SKYDDAD") == []
    error = refused(world.scheduling.search.practitioners, NORR, time_type_code="VIDEO", healthcare_service_code="1")
    assert error.code is ResultCode.ERROR


def test_practitioners_for_rebooking_are_the_originals(world: World) -> None:
    mine = add(world, 1, 10, "SSKBESOK", practitioner_ids=(NURSE,))
    add(world, 2, 10, "SSKBESOK", practitioner_ids=(NURSE,))
    add(world, 2, 11, "SSKBESOK", practitioner_ids=(DOCTOR,))
    appointment = world.book(mine)
    found = world.scheduling.search.practitioners(NORR, person_id=TOLVAN, original_appointment_id=appointment.id)
    assert [p.hsa_id for p in found] == [NURSE]


def test_facility_details_carry_texts_and_conditions(world: World) -> None:
    with world.db.uow().writing() as uow:
        facility = uow.facilities.get(NORR)
        texts = {"information": (Information("Välkommen"),), "condition_to_confirm": (Information("Jag intygar"),)}
        uow.facilities.save(replace(facility, **texts))  # type: ignore[arg-type]
        uow.commit()
    details = world.scheduling.reading.facility_details(NORR.lower())
    assert details.information == (Information("Välkommen"),)
    assert details.condition_to_confirm == (Information("Jag intygar"),)


def test_facilities_answer_for_related_units_that_offer_the_care(world: World) -> None:
    virtual = HealthcareFacility("SE2321000016-VIRT", "Virtuell vårdcentral", related_facilities=(NORR, SODER))
    world.setup.add_facility(virtual)

    def hsa(**kw: object) -> list[str]:
        return [f.hsa_id for f in world.scheduling.search.facilities_for("se2321000016-virt", **kw)]  # type: ignore[arg-type]

    assert hsa() == [NORR, SODER]  # the virtual unit offers nothing itself
    assert hsa(time_type_code="FYSISKT") == [NORR, SODER]
    assert hsa(time_type_code="VIDEO") == [NORR]
    assert hsa(healthcare_service_code="33879002") == [NORR, SODER]
    assert hsa(time_type_code="STOPPAD") == []
    assert [f.hsa_id for f in world.scheduling.search.facilities_for(NORR)] == [NORR]  # no related units
    error = refused(world.scheduling.search.facilities_for, NORR, time_type_code="VIDEO", healthcare_service_code="1")
    assert error.code is ResultCode.ERROR


def test_facilities_for_rebooking_offer_only_the_originals_unit_with_update_allowed(world: World) -> None:
    with world.db.uow().writing() as uow:
        uow.facilities.save(replace(uow.facilities.get(NORR), related_facilities=(SODER,)))  # type: ignore[arg-type]
        uow.commit()
    physical = world.book(add(world, 1, 10, "FYSISKT"))
    sample = world.book(add(world, 1, 11, "PROVTAGNING"))
    found = world.scheduling.search.facilities_for(NORR, original_appointment_id=physical.id, person_id=TOLVAN)
    assert [f.hsa_id for f in found] == [NORR]  # UpdateAppointment stays within the unit: SODER is not offered
    assert world.scheduling.search.facilities_for(NORR, original_appointment_id=sample.id, person_id=TOLVAN) == []
    error = refused(world.scheduling.search.facilities_for, NORR, original_appointment_id=physical.id)
    assert error.code is ResultCode.ERROR  # needs the person


def test_assignment_is_not_valid_after_its_last_day() -> None:
    from riv_scheduling.domain import Assignment

    a = Assignment(NORR, TOLVAN, "SKYDDAD", valid_until=date(2025, 3, 10))
    assert a.valid_on(date(2025, 3, 10)) and not a.valid_on(date(2025, 3, 11))
