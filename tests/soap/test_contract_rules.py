"""The contract's booking rules over the wire (TKB 2.0 chapters 3, 6 and 7), one rule per test."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta

from richunit import AVBOKAD, BLODPROV, DOC, INFEKTION, KONSULTATION, NURSE, RICH, VIDEO, Rich
from soapwire import TEST_UNIT, Slots, actor, person

from riv_scheduling.domain import stockholm_now


def fresh() -> str:
    """A person of their own for each test (Luhn-valid, 1912-12-12 test series)."""
    from soapwire import luhn_pnr

    fresh.n += 1  # type: ignore[attr-defined]
    return luhn_pnr(f"19121212{500 + fresh.n:03d}")  # type: ignore[attr-defined]


fresh.n = 0  # type: ignore[attr-defined]


def cv(code: object) -> dict[str, str]:
    return {"code": code.code, "codeSystem": code.code_system, "displayName": code.display_name}  # type: ignore[attr-defined]


def make(rich: Rich, pnr: str, slot: str, **reason: object) -> object:
    return rich.wire.call("MakeAppointment", RICH, actor=actor(pnr), personId=person(pnr), timeslotId=slot,
                          **reason)


def ids(slots: list) -> set[str]:  # type: ignore[type-arg]
    return {s.timeslotId for s in slots}


# -- GetHealthcareFacility / GetHealthcareFacilities ----------------------------------------


def test_get_healthcare_facility_returns_the_unit_with_texts_and_conditions(rich: Rich) -> None:
    result = rich.wire.call("GetHealthcareFacility", RICH.lower())
    assert result.resultCode == "OK"
    unit = result.healthcareFacility
    assert unit.HSAId.extension == RICH and unit.name == "Vårdcentralen Regelrik"
    assert unit.alternativeLocation == "Regelgatan 1, Teststad"
    assert [(i.header, i.description, i.link) for i in unit.information] == [
        ("Välkommen", "Vi har öppet vardagar.", "https://example.invalid/rik")]
    assert [c.header for c in unit.conditionToConfirm] == ["Jag förstår att uteblivet besök debiteras."]


def test_get_healthcare_facilities_lists_the_units_offering_the_time_type(rich: Rich) -> None:
    rich.slot("FRI")
    result = rich.wire.call("GetHealthcareFacilities", RICH, timeTypeCode="FRI")
    assert result.resultCode == "OK"
    assert {u.HSAId.extension for u in result.healthcareFacility} == {RICH, TEST_UNIT}
    only_video = rich.wire.call("GetHealthcareFacilities", RICH, timeTypeCode="VIDEO")
    assert [u.HSAId.extension for u in only_video.healthcareFacility] == [RICH]


def test_get_healthcare_facilities_with_time_type_and_care_service_is_error(rich: Rich) -> None:
    result = rich.wire.call("GetHealthcareFacilities", RICH, timeTypeCode="FRI",
                            healthcareServiceCode=KONSULTATION)
    assert result.resultCode == "ERROR" and result.resultText


# -- GetTimeTypes ------------------------------------------------------------------------------


def test_get_time_types_carries_rules_services_contact_mode_group_and_team(rich: Rich) -> None:
    result = rich.wire.call("GetTimeTypes", RICH)
    assert result.resultCode == "OK"
    types = {t.code: t for t in result.timeType}
    assert {"FRI", "ORSAK", "VIDEO", "GRUPP", "TEAM", "SKYDD"} <= set(types)
    assert types["SKYDD"].hidden is True and not types["FRI"].hidden
    rules = {r.type: r for r in types["ORSAK"].appointmentRule}
    assert set(rules) == {"NYBOKNING", "OMBOKNING", "AVBOKNING"}
    new = rules["NYBOKNING"]
    assert (new.reasonTextRequired, new.reasonCodeRequired) == ("Mandatory", "Mandatory")
    assert [c.code for c in new.reasonCodes] == [INFEKTION.code]
    assert [i.header for i in new.information] == ["Beskriv dina besvär"]
    assert [c.header for c in new.conditionToConfirm] == ["Jag har läst informationen"]
    assert rules["OMBOKNING"].reasonTextRequired == "ReasonNotSupported"
    assert types["VIDEO"].careContactCode.code == VIDEO.code
    assert [s.code.code for s in types["VIDEO"].healthcareService] == [KONSULTATION]
    assert types["VIDEO"].healthcareService[0].information[0].header == "Om konsultation"
    assert types["GRUPP"].patientGroup is True and types["TEAM"].healthcareTeam is True
    assert types["TEAM"].updateAppointmentAllowed is False


def test_get_time_types_filters_by_care_service(rich: Rich) -> None:
    result = rich.wire.call("GetTimeTypes", RICH, healthcareServiceCode=KONSULTATION)
    assert {t.code for t in result.timeType} == {"FRI", "VIDEO"}


def test_a_protected_time_type_is_listed_for_a_person_only_once_assigned(rich: Rich) -> None:
    pnr = fresh()
    before = rich.wire.call("GetTimeTypes", RICH, actor=actor(pnr), personId=person(pnr))
    assert "SKYDD" not in {t.code for t in before.timeType}
    rich.assign(pnr, "SKYDD")
    after = rich.wire.call("GetTimeTypes", RICH, actor=actor(pnr), personId=person(pnr))
    assert "SKYDD" in {t.code for t in after.timeType}


# -- GetPractitioners --------------------------------------------------------------------------


def test_get_practitioners_lists_those_with_free_slots_of_the_time_type(rich: Rich) -> None:
    rich.slot("TEAM", practitioners=(DOC, NURSE))
    rich.slot("GRUPP", practitioners=(NURSE,), capacity=2)
    everybody = rich.wire.call("GetPractitioners", RICH)
    assert everybody.resultCode == "OK"
    assert {p.HSAId.extension for p in everybody.practitioner} >= {DOC, NURSE}
    group = rich.wire.call("GetPractitioners", RICH, timeTypeCode="GRUPP")
    assert [p.HSAId.extension for p in group.practitioner] == [NURSE]
    assert group.practitioner[0].title == "Leg. sjuksköterska"


# -- searches ----------------------------------------------------------------------------------


def _midday_in(days: int) -> timedelta:
    """From now to 10:00 Stockholm time ``days`` ahead: slots a few hours apart then stay on one date
    whatever the hour the test runs (now + N days + 1 h crosses midnight in the evening)."""
    now = stockholm_now()
    return (now + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0) - now


def test_get_available_dates_counts_per_date_time_type_and_practitioner(rich: Rich) -> None:
    start = _midday_in(12)
    for i in range(3):
        rich.slot("GRUPP", start_in=start + timedelta(minutes=30 * i), practitioners=(DOC,), minutes=20)
    rich.slot("GRUPP", start_in=start + timedelta(hours=3), practitioners=(NURSE,), minutes=20)
    result = rich.wire.call("GetAvailableDates", RICH, timeTypeCode="GRUPP", **rich.window())
    assert result.resultCode == "OK"
    target = (stockholm_now() + start).strftime("%Y%m%d")
    on_day = [(d.practitioner.HSAId.extension, d.noOfTimeslots) for d in result.availableDate
              if d.date == target]
    assert sorted(on_day) == [(DOC, 3), (NURSE, 1)]
    assert all(d.timeType.code == "GRUPP" for d in result.availableDate)


def test_get_available_dates_repeats_a_date_per_time_type_when_the_request_leaves_it_open(rich: Rich) -> None:
    start = _midday_in(17)
    rich.slot("FRI", start_in=start, practitioners=(DOC,))
    rich.slot("FRI", start_in=start + timedelta(hours=1), practitioners=(DOC,))
    rich.slot("VIDEO", start_in=start + timedelta(hours=2), practitioners=(DOC,))
    result = rich.wire.call("GetAvailableDates", RICH, **rich.window())
    target = (stockholm_now() + start).strftime("%Y%m%d")
    on_day = sorted((d.timeType.code, d.practitioner.HSAId.extension, d.noOfTimeslots)
                    for d in result.availableDate if d.date == target)
    assert on_day == [("FRI", DOC, 2), ("VIDEO", DOC, 1)]


def test_care_contact_code_selects_the_contact_mode(rich: Rich) -> None:
    video, physical = rich.slot("VIDEO"), rich.slot("FRI")
    found = rich.wire.call("GetAvailableTimeslots", RICH, careContactCode=[cv(VIDEO)], **rich.window())
    assert video in ids(found.timeslot) and physical not in ids(found.timeslot)
    assert {s.timeType.careContactCode.code for s in found.timeslot} == {"VIDEO"}


def test_care_service_selects_the_mapped_time_types(rich: Rich) -> None:
    video, group = rich.slot("VIDEO"), rich.slot("GRUPP")
    found = rich.wire.call("GetAvailableTimeslots", RICH, healthcareServiceCode=KONSULTATION, **rich.window())
    assert video in ids(found.timeslot) and group not in ids(found.timeslot)


def test_slots_held_for_a_priority_are_offered_only_at_that_priority_or_higher(rich: Rich) -> None:
    held = rich.slot("FRI", priority=2)
    plain = rich.wire.call("GetAvailableTimeslots", RICH, timeTypeCode="FRI", **rich.window())
    assert held not in ids(plain.timeslot)
    for priority, offered in ((1, True), (2, True), (3, False)):
        found = rich.wire.call("GetAvailableTimeslots", RICH, timeTypeCode="FRI", priority=priority,
                               **rich.window())
        assert (held in ids(found.timeslot)) is offered, priority


def test_within_care_guarantee_is_computed_from_the_units_limit_at_search_time(rich: Rich) -> None:
    soon, late = rich.slot("FRI", start_in=timedelta(days=2)), rich.slot("FRI", start_in=timedelta(days=9))
    found = {s.timeslotId: s for s in rich.wire.call("GetAvailableTimeslots", RICH, timeTypeCode="FRI",
                                                     **rich.window()).timeslot}
    assert found[soon].withinCareGuarantee is True
    assert found[late].withinCareGuarantee is False
    Slots(rich.wire.setup).make("FRI")  # a slot at a unit without a care guarantee limit
    other = rich.wire.call("GetAvailableTimeslots", TEST_UNIT, timeTypeCode="FRI", **rich.window())
    assert other.timeslot and all(s.withinCareGuarantee is None for s in other.timeslot)


def test_a_slot_carries_its_alternative_location_and_resources(rich: Rich) -> None:
    from richunit import Resource

    from riv_scheduling.domain import Code

    room = Resource(Code("RUM", "urn:test:resurs", "Rum"), None, "Behandlingsrum 3")
    slot = rich.slot("FRI", alternative_location="Annexet, plan 2", resources=(room,))
    found = {s.timeslotId: s for s in rich.wire.call("GetAvailableTimeslots", RICH, timeTypeCode="FRI",
                                                     **rich.window()).timeslot}
    assert found[slot].alternativeLocation == "Annexet, plan 2"
    assert [(r.typeOfResource.code, r.description) for r in found[slot].resource] == [("RUM", "Behandlingsrum 3")]


# -- GetAppointments filters ----------------------------------------------------------------------


def test_get_appointments_filters_on_the_healthcare_service(rich: Rich) -> None:
    # TKB 2.0 §7.4.4: "Filtrering på tidbokningar som gäller en specifik vårdtjänst".
    pnr = fresh()
    consultation = make(rich, pnr, rich.slot("FRI"), reasonText="Konsultation")  # FRI performs KONSULTATION
    other = make(rich, pnr, rich.slot("BEKRAFTA"))  # no care service
    assert (consultation.resultCode, other.resultCode) == ("OK", "OK")
    listed = rich.wire.call("GetAppointments", RICH, actor=actor(pnr), personId=person(pnr),
                            healthcareServiceCode=KONSULTATION)
    assert [a.appointmentId for a in listed.appointment] == [consultation.appointmentId]
    none = rich.wire.call("GetAppointments", RICH, actor=actor(pnr), personId=person(pnr),
                          healthcareServiceCode=BLODPROV)
    assert none.appointment == []
    everything = rich.wire.call("GetAppointments", RICH, actor=actor(pnr), personId=person(pnr))
    assert {a.appointmentId for a in everything.appointment} == {consultation.appointmentId, other.appointmentId}


# -- protected time types (flow 3) -------------------------------------------------------------


def test_a_protected_time_type_is_bookable_only_by_an_assigned_person(rich: Rich) -> None:
    slot = rich.slot("SKYDD")
    stranger, invited = fresh(), fresh()
    search = rich.wire.call("GetAvailableTimeslots", RICH, actor=actor(stranger), personId=person(stranger),
                            **rich.window())
    assert slot not in ids(search.timeslot)
    refused = make(rich, stranger, slot)
    assert refused.resultCode == "APPOINTMENT_IS_NOT_ALLOWED" and refused.resultText
    rich.assign(invited, "SKYDD")
    offered = rich.wire.call("GetAvailableTimeslots", RICH, actor=actor(invited), personId=person(invited),
                             timeTypeCode="SKYDD", **rich.window())
    assert slot in ids(offered.timeslot)
    assert make(rich, invited, slot).resultCode == "OK"


# -- appointmentRule per flow -------------------------------------------------------------------


def test_a_missing_mandatory_reason_is_refused_with_a_clear_text(rich: Rich) -> None:
    pnr, slot = fresh(), rich.slot("ORSAK")
    result = make(rich, pnr, slot, reasonCode=cv(INFEKTION))
    assert result.resultCode == "ERROR" and "orsak" in result.resultText.lower()
    result = make(rich, pnr, slot, reasonText="Feber")
    assert result.resultCode == "ERROR" and result.resultText


def test_a_reason_code_outside_the_list_is_refused(rich: Rich) -> None:
    result = make(rich, fresh(), rich.slot("ORSAK"), reasonText="Feber",
                  reasonCode={"code": "PÅHITTAD", "codeSystem": "urn:test:orsak", "displayName": "x"})
    assert result.resultCode == "ERROR" and result.resultText


def test_reasons_by_the_rules_are_accepted_and_kept(rich: Rich) -> None:
    pnr = fresh()
    made = make(rich, pnr, rich.slot("ORSAK"), reasonText="Feber", reasonCode=cv(INFEKTION))
    assert made.resultCode == "OK"
    got = rich.wire.call("GetAppointment", RICH, actor=actor(pnr), appointmentId=made.appointmentId,
                         personId=person(pnr))
    assert got.appointment.newAppointmentReasonText == "Feber"
    assert got.appointment.newAppointmentReasonCode.code == INFEKTION.code


def test_cancel_needs_the_mandatory_reason_code_of_the_avbokning_rule(rich: Rich) -> None:
    pnr = fresh()
    made = make(rich, pnr, rich.slot("ORSAK"), reasonText="Feber", reasonCode=cv(INFEKTION))
    call = {"actor": actor(pnr), "appointmentId": made.appointmentId, "personId": person(pnr)}
    missing = rich.wire.call("CancelAppointment", RICH, **call)
    assert missing.resultCode == "ERROR" and missing.resultText
    assert rich.wire.call("CancelAppointment", RICH, reasonCode=cv(AVBOKAD), **call).resultCode == "OK"


# -- group and team bookings ---------------------------------------------------------------------


def test_a_group_slot_takes_as_many_patients_as_its_capacity(rich: Rich) -> None:
    slot = rich.slot("GRUPP", capacity=3)
    results = [make(rich, fresh(), slot).resultCode for _ in range(4)]
    assert Counter(results) == {"OK": 3, "REQUESTED_TIME_IS_ALREADY_RESERVED": 1}


def test_the_same_person_takes_one_place_in_a_group_slot(rich: Rich) -> None:
    pnr, slot = fresh(), rich.slot("GRUPP", capacity=2)
    first = make(rich, pnr, slot)
    again = make(rich, pnr, slot)  # a repeat answers with the same booking, not a second place
    assert (again.resultCode, again.appointmentId) == ("OK", first.appointmentId)
    assert make(rich, fresh(), slot).resultCode == "OK"
    assert make(rich, fresh(), slot).resultCode == "REQUESTED_TIME_IS_ALREADY_RESERVED"


def test_a_team_slot_lists_every_practitioner_of_the_team(rich: Rich) -> None:
    slot = rich.slot("TEAM", practitioners=(DOC, NURSE))
    found = {s.timeslotId: s for s in rich.wire.call("GetAvailableTimeslots", RICH, timeTypeCode="TEAM",
                                                     **rich.window()).timeslot}
    assert sorted(p.HSAId.extension for p in found[slot].practitioner) == sorted([DOC, NURSE])
    assert found[slot].timeType.healthcareTeam is True


# -- information, references, related appointments; INFO ---------------------------------------


def test_booking_an_appointment_with_information_answers_info_and_a_unique_video_link(rich: Rich) -> None:
    links = []
    for _ in range(2):
        pnr = fresh()
        made = make(rich, pnr, rich.slot("VIDEO"))
        assert made.resultCode == "INFO"
        assert "Öppna länken" in made.resultText
        got = rich.wire.call("GetAppointment", RICH, actor=actor(pnr), appointmentId=made.appointmentId,
                             personId=person(pnr))
        assert [i.header for i in got.appointment.information] == ["Öppna länken fem minuter före"]
        assert got.appointment.reference and got.appointment.reference[0].link.startswith(
            "https://video.example.invalid/mote/")
        links.append(got.appointment.reference[0].link)
    assert links[0] != links[1], "the video link must be unique per appointment"


def test_an_appointment_shows_its_related_appointments(rich: Rich) -> None:
    pnr = fresh()
    first = rich.propose(pnr, rich.slot("FRI"))
    second = rich.propose(pnr, rich.slot("FRI"), related=(first,))
    got = rich.wire.call("GetAppointment", RICH, actor=actor(pnr), appointmentId=second, personId=person(pnr))
    assert got.appointment.relatedAppointmentId == [first]


# -- ConfirmAppointment (flow 4) ------------------------------------------------------------------


def confirm(rich: Rich, pnr: str, appointment: str) -> object:
    return rich.wire.call("ConfirmAppointment", RICH, actor=actor(pnr), appointmentId=appointment,
                          personId=person(pnr))


def test_confirm_turns_a_preliminary_appointment_confirmed_once(rich: Rich) -> None:
    pnr = fresh()
    appointment = rich.propose(pnr, rich.slot("BEKRAFTA", start_in=timedelta(days=4)))
    got = rich.wire.call("GetAppointment", RICH, actor=actor(pnr), appointmentId=appointment, personId=person(pnr))
    assert got.appointment.status == "preliminary"
    assert confirm(rich, pnr, appointment).resultCode == "OK"
    got = rich.wire.call("GetAppointment", RICH, actor=actor(pnr), appointmentId=appointment, personId=person(pnr))
    assert got.appointment.status == "confirmed"
    again = confirm(rich, pnr, appointment)
    assert again.resultCode == "APPOINTMENT_IS_ALREADY_CONFIRMED" and again.resultText


def test_confirm_inside_the_confirm_notice_is_too_late(rich: Rich) -> None:
    pnr = fresh()
    appointment = rich.propose(pnr, rich.slot("BEKRAFTA", start_in=timedelta(hours=5)))
    assert confirm(rich, pnr, appointment).resultCode == "TOO_LATE_TO_CONFIRM_APPOINTMENT"


def test_confirm_where_the_time_type_does_not_allow_it(rich: Rich) -> None:
    pnr = fresh()
    appointment = rich.propose(pnr, rich.slot("EJBEKRAFTA"))
    assert confirm(rich, pnr, appointment).resultCode == "CONFIRM_IS_NOT_ALLOWED"


def test_confirm_of_an_unknown_or_someone_elses_appointment(rich: Rich) -> None:
    appointment = rich.propose(fresh(), rich.slot("BEKRAFTA"))
    assert confirm(rich, fresh(), appointment).resultCode == "APPOINTMENT_DOES_NOT_EXIST"
    assert confirm(rich, fresh(), str(uuid.uuid4())).resultCode == "APPOINTMENT_DOES_NOT_EXIST"


# -- rebooking keeps time type and resources ------------------------------------------------------


def test_rebooking_search_offers_the_original_time_type_and_practitioners_only(rich: Rich) -> None:
    pnr = fresh()
    mine = rich.slot("FRI", practitioners=(DOC,))
    same, other_staff, other_type = (rich.slot("FRI", practitioners=(DOC,)), rich.slot("FRI", practitioners=(NURSE,)),
                                     rich.slot("VIDEO", practitioners=(DOC,)))
    made = make(rich, pnr, mine)
    found = rich.wire.call("GetAvailableTimeslots", RICH, actor=actor(pnr), personId=person(pnr),
                           originalAppointmentId=made.appointmentId, **rich.window())
    offered = ids(found.timeslot)
    assert same in offered and not {other_staff, other_type, mine} & offered


def test_the_rebooking_rule_drops_an_unsupported_reason_and_rebooks(rich: Rich) -> None:
    pnr = fresh()
    made = make(rich, pnr, rich.slot("ORSAK"), reasonText="Feber", reasonCode=cv(INFEKTION))
    updated = rich.wire.call("UpdateAppointment", RICH, actor=actor(pnr), originalAppointmentId=made.appointmentId,
                             timeslotId=rich.slot("ORSAK"), personId=person(pnr), reasonText="Ej stödd")
    assert updated.resultCode == "OK"
    got = rich.wire.call("GetAppointment", RICH, actor=actor(pnr), appointmentId=updated.appointmentId,
                         personId=person(pnr))
    assert got.appointment.updateAppointmentReasonText is None


def test_a_blood_test_service_lists_its_condition_to_confirm(rich: Rich) -> None:
    result = rich.wire.call("GetTimeTypes", RICH, healthcareServiceCode=BLODPROV)
    services = [s for t in result.timeType for s in t.healthcareService if s.code.code == BLODPROV]
    assert services and services[0].conditionsToConfirm[0].header == "Jag har fastat."
