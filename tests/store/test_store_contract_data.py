"""Round trips of the contract data added for all twelve interactions, and group capacity races."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import event, text
from store_world import CITIZEN, NORR, NOW, SODER, TOLVAN, add_slot, at, fixed_clock, person_no

from riv_scheduling.domain import (
    SNOMED_CT_OID,
    AppointmentRule,
    Assignment,
    ClinicSetup,
    Code,
    DomainError,
    HealthcareFacility,
    HealthcareService,
    Information,
    Process,
    ReasonRequired,
    Resource,
    Scheduling,
    Timeslot,
    TimeslotQuery,
    TimeType,
)
from riv_scheduling.store import Store

ZERO = timedelta(0)
SERVICE = HealthcareService(
    Code("11429006", SNOMED_CT_OID, "Konsultation"),
    information=(Information("Om konsultation", "Text", "https://example.invalid/k"),),
    conditions_to_confirm=(Information("Jag intygar"),),
)
FULL = TimeType(
    "FULL", "Allt ifyllt", True, False, timedelta(hours=1), timedelta(hours=2), timedelta(hours=3),
    hidden=True,
    care_contact_code=Code("VIDEO", "demo:kontakttyp", "Video"),
    healthcare_services=(SERVICE,),
    healthcare_team=True,
    patient_group=False,
    appointment_rules=(
        AppointmentRule(
            Process.NYBOKNING, ReasonRequired.MANDATORY, ReasonRequired.OPTIONAL,
            (Code("A", "demo:orsak", "Orsak A"), Code("B", "demo:orsak")),
            (Information("Info"),), (Information("Villkor", None, "https://example.invalid/v"),),
        ),
        AppointmentRule(Process.AVBOKNING, ReasonRequired.REASON_NOT_SUPPORTED, ReasonRequired.REASON_NOT_SUPPORTED),
    ),
    confirm_allowed=False,
    confirm_notice=timedelta(hours=5),
    appointment_information=(Information("Kom fastande"),),
    video_meeting_url="https://video.example.invalid/",
)
GROUP = TimeType("GRUPP", "Grupp", True, True, ZERO, ZERO, ZERO, patient_group=True)


def test_facility_with_texts_guarantee_and_related_units_round_trips(store: Store, setup: ClinicSetup) -> None:
    with store.uow().writing() as uow:
        stored = uow.facilities.get(NORR)
        assert stored is not None
        full = HealthcareFacility(
            stored.hsa_id, "Ny", "Annan adress", (Information("I", "d", "https://example.invalid"),),
            (Information("Villkor"),), 3, (SODER,),
        )
        uow.facilities.save(full)
        uow.commit()
    scheduling = Scheduling(store.uow, clock=fixed_clock)
    assert scheduling.reading.facility_details(NORR.lower()) == full


def test_time_type_with_services_rules_and_codes_round_trips_and_saves(store: Store, setup: ClinicSetup) -> None:
    setup.add_time_type(NORR, FULL)
    with store.uow() as uow:
        assert uow.time_types.get(NORR, "FULL") == FULL
        assert uow.healthcare_services.get("11429006") == SERVICE
    changed = TimeType(
        "FULL", "Ändrad", False, True, ZERO, ZERO, ZERO,
        appointment_rules=(AppointmentRule(Process.OMBOKNING),),
    )
    with store.uow().writing() as uow:
        uow.time_types.save(NORR, changed)
        uow.commit()
    with store.uow() as uow:
        assert uow.time_types.get(NORR, "FULL") == changed
        assert [t.code for t in uow.time_types.list(NORR)] == ["FULL", "LAKARBESOK", "SSKBESOK"]


def test_timeslot_priority_resources_and_location_round_trip(store: Store, setup: ClinicSetup) -> None:
    resource = Resource(Code("272181003", SNOMED_CT_OID, "Utrustning"), Code("X", "demo:attr"), "Rum 1")
    start = at(1, 10)
    slot = setup.add_timeslot(
        Timeslot(uuid.uuid4(), NORR, "LAKARBESOK", start, start + timedelta(minutes=20),
                 priority=2, resources=(resource,), alternative_location="Labbet")
    )
    with store.uow() as uow:
        assert uow.timeslots.get(slot.id) == slot
        found = uow.timeslots.find_free(NORR, start, start + timedelta(hours=1), priority=2)
        assert [s.id for s in found] == [slot.id]
        assert uow.timeslots.find_free(NORR, start, start + timedelta(hours=1)) == []
        assert uow.timeslots.find_free(NORR, start, start + timedelta(hours=1), priority=3) == []


def test_appointment_details_round_trip(store: Store, setup: ClinicSetup) -> None:
    setup.add_time_type(NORR, replace_hidden(FULL))
    slot = add_slot(setup, at(1, 10), code="FULL")
    related = uuid.uuid4()
    proposal = setup.propose_appointment(NORR, TOLVAN, slot.id, related_appointment_ids=(related,))
    assert proposal.information == (Information("Kom fastande"),)
    assert proposal.references[0].link.startswith("https://video.example.invalid/")  # type: ignore[union-attr]
    with store.uow() as uow:
        assert uow.appointments.get(proposal.id) == proposal


def replace_hidden(t: TimeType) -> TimeType:
    from dataclasses import replace

    return replace(t, hidden=False)


def test_assignment_round_trips_and_is_replaced(store: Store, setup: ClinicSetup) -> None:
    first = setup.assign_time_type(NORR, TOLVAN, "LAKARBESOK", priority=2, valid_until=date(2025, 4, 1))
    with store.uow() as uow:
        assert uow.assignments.list(NORR, TOLVAN) == [first]
    setup.assign_time_type(NORR, TOLVAN, "LAKARBESOK", priority=1)
    with store.uow() as uow:
        assert uow.assignments.list(NORR, TOLVAN) == [Assignment(NORR, TOLVAN, "LAKARBESOK", 1, None)]


def test_free_codes_and_practitioners_and_unbooked_updates(store: Store, setup: ClinicSetup) -> None:
    from store_world import DOCTOR

    a = add_slot(setup, at(1, 10), practitioners=(DOCTOR,))
    b = add_slot(setup, at(1, 11), code="SSKBESOK")
    with store.uow().writing() as uow:
        assert uow.timeslots.free_time_type_codes(NORR, NOW) == {"LAKARBESOK", "SSKBESOK"}
        assert uow.timeslots.free_time_type_codes(NORR, NOW, DOCTOR) == {"LAKARBESOK"}
        assert uow.timeslots.free_practitioner_ids(NORR, NOW, {"LAKARBESOK"}) == {DOCTOR}
        assert uow.timeslots.reserve(b.id)
        from dataclasses import replace

        assert uow.timeslots.update_unbooked(replace(a, capacity=3, priority=1)) is True
        assert uow.timeslots.update_unbooked(replace(b, capacity=3)) is False  # booked: never altered
        assert uow.timeslots.remove_unbooked(b.id) is False
        assert uow.timeslots.remove_unbooked(a.id) is True
        assert uow.timeslots.get(a.id) is None
        uow.commit()


def test_search_is_still_few_queries_with_everything_loaded(store: Store, setup: ClinicSetup) -> None:
    setup.add_time_type(NORR, replace_hidden(FULL))
    for hour in range(8, 12):
        add_slot(setup, at(1, hour), code="FULL")
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    views = Scheduling(store.uow, clock=fixed_clock).search.available_timeslots(
        NORR, TimeslotQuery(NOW.date(), NOW.date() + timedelta(days=3))
    )
    assert len(views) == 4 and views[0].time_type == replace_hidden(FULL)
    timeslot_selects = [s for s in statements if "FROM timeslot" in s]
    assert len(timeslot_selects) == 1


def test_group_slot_racers_get_exactly_capacity_bookings(store: Store, setup: ClinicSetup) -> None:
    capacity = 6
    setup.add_time_type(NORR, GROUP)
    slot = add_slot(setup, at(1, 10), code="GRUPP", capacity=capacity)
    scheduling = Scheduling(store.uow, clock=fixed_clock)
    racers = capacity + 5
    barrier = threading.Barrier(racers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            scheduling.booking.make_appointment(NORR, CITIZEN, person_no(n), slot.id)
            result = "OK"
        except DomainError as e:
            result = e.code.value
        except Exception as e:  # noqa: BLE001 - reported by the assertion
            result = f"{type(e).__name__}: {e}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert Counter(outcomes) == {"OK": capacity, "REQUESTED_TIME_IS_ALREADY_RESERVED": 5}
    with store.engine.connect() as conn:
        booked = conn.execute(text("SELECT booked FROM timeslot WHERE id = :id"), {"id": str(slot.id)}).scalar_one()
        rows = conn.execute(
            text("SELECT count(*) FROM appointment WHERE timeslot_id = :id"), {"id": str(slot.id)}
        ).scalar_one()
    assert (booked, rows) == (capacity, capacity)
