"""The repository contract (riv_scheduling/domain/ports.py), run on three backends: the in-memory fake
the domain tests use (tests/domain/domain_fakes.py), the SQLite store and the PostgreSQL store.

The store is what production runs, so where the fake and the store disagreed the fake was changed.
Every test here passes on all three, so the fast domain tests run against the same behaviour.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from domain_fakes import FakeDatabase
from sqlalchemy.exc import IntegrityError
from store_pg import database_url
from store_world import DOCTOR, LAKARBESOK, NORR, OTHER, SODER, SSKBESOK, TOLVAN, at

from riv_scheduling.domain import (
    SNOMED_CT_OID,
    STOCKHOLM,
    Actor,
    Appointment,
    AppointmentRule,
    AppointmentState,
    AppointmentStatus,
    Assignment,
    AuditAction,
    AuditEvent,
    Code,
    HealthcareFacility,
    HealthcareService,
    Information,
    OpenInvitation,
    PersonId,
    Practitioner,
    Process,
    ReasonRequired,
    Reference,
    Resource,
    ResultCode,
    Timeslot,
    TimeType,
)
from riv_scheduling.domain.ports import UnitOfWork
from riv_scheduling.store import open_store
from riv_scheduling.store.engine import ReadingUnitOfWorkWrites

T = TypeVar("T")
KINDS = ("fake", "sqlite", "postgresql")
NURSE = "SE2321000016-N003"
THERAPIST = "SE2321000016-N007"
# A refused insert: the store's constraint (IntegrityError), the fake's assertion.
REFUSED = (IntegrityError, AssertionError)
CITIZEN = Actor(TOLVAN.root, TOLVAN.extension, "116154003")
VACCIN = HealthcareService(Code("33879002", SNOMED_CT_OID, "Vaccination"), (Information("Ta med kort"),))
PROVTAGNING = HealthcareService(Code("396550006", SNOMED_CT_OID, "Blodprov"))


@dataclass
class Backend:
    kind: str
    uow: Callable[[], UnitOfWork]

    def write(self, action: Callable[[UnitOfWork], T]) -> T:
        """`action` in a writing unit of work that commits."""
        with self.uow().writing() as uow:
            result = action(uow)
            uow.commit()
            return result

    def read(self, action: Callable[[UnitOfWork], T]) -> T:
        with self.uow() as uow:
            return action(uow)


@pytest.fixture(params=KINDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """An empty database of each backend, with the schema."""
    kind = str(request.param)
    if kind == "fake":
        yield Backend(kind, FakeDatabase().uow)
        return
    with database_url(kind, tmp_path, request) as url:
        store = open_store(url)
        try:
            store.create_schema()
            yield Backend(kind, store.uow)
        finally:
            store.dispose()


def _seed(uow: UnitOfWork) -> None:
    for hsa_id, name in ((NORR, "Vårdcentralen Norr"), (SODER, "Vårdcentralen Söder")):
        uow.facilities.add(HealthcareFacility(hsa_id, name))
    for service in (VACCIN, PROVTAGNING):
        uow.healthcare_services.add(service)
    for hsa_id in (NORR, SODER):
        uow.time_types.add(hsa_id, LAKARBESOK)
        uow.time_types.add(hsa_id, SSKBESOK)
    for p in (
        Practitioner(DOCTOR, "Anna", "Lindqvist", "Leg. läkare"),
        Practitioner(NURSE, "Maria", "Holm"),
        Practitioner(THERAPIST, "Maria", "Holm", "Fysioterapeut"),
    ):
        uow.practitioners.add(p)
        uow.practitioners.link(NORR, p.hsa_id)


@pytest.fixture
def clinic(db: Backend) -> Backend:
    """Two units with two time types each, two care services, three practitioners at NORR."""
    db.write(_seed)
    return db


def slot(
    start: datetime,
    code: str = "LAKARBESOK",
    minutes: int = 20,
    facility: str = NORR,
    practitioners: tuple[str, ...] = (),
    capacity: int = 1,
    **kw: Any,
) -> Timeslot:
    return Timeslot(uuid.uuid4(), facility, code, start, start + timedelta(minutes=minutes), practitioners,
                    capacity, **kw)


def add_slots(db: Backend, *slots: Timeslot) -> None:
    db.write(lambda uow: uow.timeslots.add_many(slots))


def appointment(s: Timeslot, person: PersonId = TOLVAN, **kw: Any) -> Appointment:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "timeslot_id": s.id,
        "facility_hsa_id": s.facility_hsa_id,
        "person_id": person,
        "status": AppointmentStatus.CONFIRMED,
        "state": AppointmentState.ACTIVE,
        "new_reason_text": None,
        "new_reason_code": None,
        "update_reason_text": None,
        "update_reason_code": None,
        "replaces": None,
        "replaced_by": None,
        "created_at": at(0, 9),
        "updated_at": at(0, 9),
    }
    return Appointment(**{**values, **kw})


def book(db: Backend, s: Timeslot, person: PersonId = TOLVAN, **kw: Any) -> Appointment:
    a = appointment(s, person, **kw)

    def run(uow: UnitOfWork) -> None:
        if a.state is AppointmentState.ACTIVE:
            assert uow.timeslots.reserve(s.id)
        uow.appointments.add(a)

    db.write(run)
    return a


def ids(items: list[Any]) -> list[uuid.UUID]:
    return [i.id for i in items]


# -- facilities ---------------------------------------------------------------------------------


def test_a_facility_round_trips_and_is_found_by_its_id_in_any_case(db: Backend) -> None:
    unit = HealthcareFacility(
        NORR,
        "Vårdcentralen Norr",
        "Storgatan 1",
        information=(Information("Parkering", "Bakom huset", "https://example.org/p"),),
        condition_to_confirm=(Information("Villkor"),),
        care_guarantee_days=90,
        related_facilities=(SODER,),
    )
    db.write(lambda uow: uow.facilities.add(unit))
    assert db.read(lambda uow: uow.facilities.get(NORR)) == unit
    found = db.read(lambda uow: uow.facilities.get(NORR.lower()))
    assert found == unit and found is not None and found.hsa_id == NORR  # the canonical spelling
    assert db.read(lambda uow: uow.facilities.get("SE2321000016-FFFF")) is None


def test_facilities_are_listed_in_order_of_their_lower_case_id(db: Backend) -> None:
    for hsa_id in ("SE-b", "se-A", "SE-c"):
        db.write(lambda uow, h=hsa_id: uow.facilities.add(HealthcareFacility(h, f"Enhet {h}")))
    assert [f.hsa_id for f in db.read(lambda uow: uow.facilities.list())] == ["se-A", "SE-b", "SE-c"]


def test_saving_a_facility_overwrites_the_unit_with_its_canonical_id(db: Backend) -> None:
    unit = HealthcareFacility(NORR, "Norr", information=(Information("Gammal"),))
    db.write(lambda uow: uow.facilities.add(unit))
    changed = dataclasses.replace(unit, name="Norr, ny", alternative_location="Torget", care_guarantee_days=7,
                                  information=(), related_facilities=(SODER,))
    db.write(lambda uow: uow.facilities.save(changed))
    assert db.read(lambda uow: uow.facilities.get(NORR)) == changed
    # Another spelling is not the canonical id: nothing matches, nothing changes.
    db.write(lambda uow: uow.facilities.save(dataclasses.replace(changed, hsa_id=NORR.lower(), name="Fel")))
    db.write(lambda uow: uow.facilities.save(HealthcareFacility(SODER, "Söder")))  # not stored: no-op
    assert db.read(lambda uow: uow.facilities.list()) == [changed]


def test_a_second_facility_with_the_same_id_in_another_case_is_refused(db: Backend) -> None:
    db.write(lambda uow: uow.facilities.add(HealthcareFacility(NORR, "Norr")))
    with pytest.raises(REFUSED):
        db.write(lambda uow: uow.facilities.add(HealthcareFacility(NORR.lower(), "Dubblett")))
    assert db.read(lambda uow: uow.facilities.list()) == [HealthcareFacility(NORR, "Norr")]


# -- care services and time types -------------------------------------------------------------


def test_care_services_round_trip_in_order_of_code_and_save_overwrites_only_stored_ones(db: Backend) -> None:
    db.write(lambda uow: (uow.healthcare_services.add(VACCIN), uow.healthcare_services.add(PROVTAGNING)))
    assert db.read(lambda uow: uow.healthcare_services.list()) == [VACCIN, PROVTAGNING]  # "33879002" < "396550006"
    assert db.read(lambda uow: uow.healthcare_services.get(VACCIN.code.code)) == VACCIN
    assert db.read(lambda uow: uow.healthcare_services.get("0000")) is None
    renamed = HealthcareService(Code(VACCIN.code.code, SNOMED_CT_OID, "Vaccin"), (), (Information("Villkor"),))
    db.write(lambda uow: uow.healthcare_services.save(renamed))
    unknown = HealthcareService(Code("1234", SNOMED_CT_OID, "Okänd"))
    db.write(lambda uow: uow.healthcare_services.save(unknown))  # not stored: save does not add
    assert db.read(lambda uow: uow.healthcare_services.list()) == [renamed, PROVTAGNING]


def _full_time_type() -> TimeType:
    return TimeType(
        "VACCINATION",
        "Vaccination",
        cancel_allowed=False,
        update_allowed=True,
        booking_notice=timedelta(hours=2),
        update_notice=timedelta(hours=24),
        cancel_notice=timedelta(minutes=30),
        hidden=True,
        booking_allowed=False,
        care_contact_code=Code("1", "1.2.752.129.5.1.4", "Besök"),
        healthcare_services=(VACCIN, PROVTAGNING),  # not in code order: the given order is kept
        healthcare_team=True,
        patient_group=False,
        appointment_rules=(
            AppointmentRule(Process.NYBOKNING, ReasonRequired.MANDATORY, ReasonRequired.REASON_NOT_SUPPORTED,
                            (Code("R1", "1.2.3", "Orsak"),), (Information("Info"),), (Information("Villkor"),)),
            AppointmentRule(Process.AVBOKNING),
        ),
        confirm_allowed=False,
        confirm_notice=timedelta(hours=1),
        appointment_information=(Information("Kom i tid", link="https://example.org"),),
        video_meeting_url="https://video.example.org/rum",
    )


def test_a_time_type_round_trips_with_rules_and_care_services_in_their_order(clinic: Backend) -> None:
    full = _full_time_type()
    clinic.write(lambda uow: uow.time_types.add(NORR, full))
    assert clinic.read(lambda uow: uow.time_types.get(NORR, "VACCINATION")) == full
    assert [t.code for t in clinic.read(lambda uow: uow.time_types.list(NORR))] == [
        "LAKARBESOK", "SSKBESOK", "VACCINATION"]
    assert clinic.read(lambda uow: uow.time_types.get(SODER, "VACCINATION")) is None
    assert clinic.read(lambda uow: uow.time_types.get(NORR, "OKAND")) is None
    assert clinic.read(lambda uow: uow.time_types.list("SE2321000016-FFFF")) == []


def test_a_time_types_care_services_are_read_as_the_services_are_stored(clinic: Backend) -> None:
    stale = HealthcareService(Code(VACCIN.code.code, SNOMED_CT_OID, "Gammalt namn"))
    clinic.write(lambda uow: uow.time_types.add(NORR, dataclasses.replace(LAKARBESOK, code="VACC",
                                                                           healthcare_services=(stale,))))
    assert clinic.read(lambda uow: uow.time_types.get(NORR, "VACC").healthcare_services) == (VACCIN,)  # type: ignore[union-attr]
    renamed = HealthcareService(Code(VACCIN.code.code, SNOMED_CT_OID, "Nytt namn"))
    clinic.write(lambda uow: uow.healthcare_services.save(renamed))
    assert clinic.read(lambda uow: uow.time_types.get(NORR, "VACC").healthcare_services) == (renamed,)  # type: ignore[union-attr]


def test_saving_a_time_type_overwrites_it_and_its_care_services(clinic: Backend) -> None:
    full = _full_time_type()
    clinic.write(lambda uow: uow.time_types.add(NORR, full))
    changed = dataclasses.replace(full, name="Ny", hidden=False, healthcare_services=(PROVTAGNING,),
                                  appointment_rules=(), care_contact_code=None, video_meeting_url=None)
    clinic.write(lambda uow: uow.time_types.save(NORR, changed))
    assert clinic.read(lambda uow: uow.time_types.get(NORR, full.code)) == changed
    assert clinic.read(lambda uow: uow.time_types.get(NORR, LAKARBESOK.code)) == LAKARBESOK


def test_a_time_type_code_is_added_once_per_unit(clinic: Backend) -> None:
    with pytest.raises(REFUSED):
        clinic.write(lambda uow: uow.time_types.add(NORR, dataclasses.replace(LAKARBESOK, name="Dubblett")))
    assert clinic.read(lambda uow: uow.time_types.get(NORR, LAKARBESOK.code)) == LAKARBESOK


# -- assignments --------------------------------------------------------------------------------


def test_assignments_are_the_persons_at_the_unit_in_order_of_time_type_and_save_replaces(clinic: Backend) -> None:
    later = Assignment(NORR, TOLVAN, "SSKBESOK", priority=2, valid_until=date(2025, 6, 30))
    first = Assignment(NORR, TOLVAN, "LAKARBESOK")
    for a in (later, first, Assignment(SODER, TOLVAN, "LAKARBESOK"), Assignment(NORR, OTHER, "LAKARBESOK", 1)):
        clinic.write(lambda uow, a=a: uow.assignments.save(a))
    assert clinic.read(lambda uow: uow.assignments.list(NORR, TOLVAN)) == [first, later]
    replaced = dataclasses.replace(first, priority=1, valid_until=date(2025, 4, 1))
    clinic.write(lambda uow: uow.assignments.save(replaced))
    assert clinic.read(lambda uow: uow.assignments.list(NORR, TOLVAN)) == [replaced, later]
    assert clinic.read(lambda uow: uow.assignments.list(SODER, OTHER)) == []


# -- open invitations ---------------------------------------------------------------------------


def invitation(**kw: Any) -> OpenInvitation:
    values: dict[str, Any] = {
        "id": uuid.uuid4(), "facility_hsa_id": NORR, "person_id": TOLVAN, "time_type_code": "LAKARBESOK",
        "purpose": "<para>Välkommen på <emphasis>hälsosamtal</emphasis></para>", "created_at": at(0, 9),
        "valid_until": date(2025, 6, 30),
    }
    values.update(kw)
    return OpenInvitation(**values)


def test_an_open_invitation_reads_back_as_written_and_save_keeps_only_its_appointment(clinic: Backend) -> None:
    i = invitation()
    clinic.write(lambda uow: uow.invitations.add(i))
    assert clinic.read(lambda uow: uow.invitations.get(i.id)) == i
    assert clinic.read(lambda uow: uow.invitations.get(uuid.uuid4())) is None
    s = slot(at(1, 9))
    add_slots(clinic, s)
    a = book(clinic, s)
    changed = dataclasses.replace(i, appointment_id=a.id, purpose="Ändrad", time_type_code="SSKBESOK")
    clinic.write(lambda uow: uow.invitations.save(changed))
    assert clinic.read(lambda uow: uow.invitations.get(i.id)) == dataclasses.replace(i, appointment_id=a.id)
    clinic.write(lambda uow: uow.invitations.save(invitation()))  # not stored: changes nothing
    assert clinic.read(lambda uow: uow.invitations.open_for(NORR, TOLVAN, "LAKARBESOK")) == []


def test_open_for_lists_the_persons_unbooked_invitations_to_the_time_type_oldest_first(clinic: Backend) -> None:
    later = invitation(created_at=at(0, 10))
    first = invitation(created_at=at(0, 9))
    others = [invitation(person_id=OTHER), invitation(facility_hsa_id=SODER), invitation(time_type_code="SSKBESOK")]
    for i in (later, first, *others):
        clinic.write(lambda uow, i=i: uow.invitations.add(i))
    assert clinic.read(lambda uow: uow.invitations.open_for(NORR, TOLVAN, "LAKARBESOK")) == [first, later]
    s = slot(at(1, 9))
    add_slots(clinic, s)
    a = book(clinic, s)
    clinic.write(lambda uow: uow.invitations.save(dataclasses.replace(first, appointment_id=a.id)))
    assert clinic.read(lambda uow: uow.invitations.open_for(NORR, TOLVAN, "LAKARBESOK")) == [later]
    with pytest.raises(REFUSED):
        clinic.write(lambda uow: uow.invitations.add(i))  # the same id twice


# -- practitioners ------------------------------------------------------------------------------


def test_a_practitioner_is_found_by_id_in_any_case_and_get_many_takes_canonical_ids(clinic: Backend) -> None:
    doctor = Practitioner(DOCTOR, "Anna", "Lindqvist", "Leg. läkare")
    assert clinic.read(lambda uow: uow.practitioners.get(DOCTOR.lower())) == doctor
    assert clinic.read(lambda uow: uow.practitioners.get("SE2321000016-XXXX")) is None
    found = clinic.read(lambda uow: uow.practitioners.get_many([DOCTOR, NURSE, "SE2321000016-XXXX", THERAPIST.lower()]))
    assert found == {DOCTOR: doctor, NURSE: Practitioner(NURSE, "Maria", "Holm")}
    assert clinic.read(lambda uow: uow.practitioners.get_many([])) == {}


def test_practitioners_of_a_unit_are_the_linked_ones_by_name_then_id(clinic: Backend) -> None:
    clinic.write(lambda uow: uow.practitioners.add(Practitioner("SE2321000016-N009", "Bo", "Ek")))
    clinic.write(lambda uow: uow.practitioners.link(NORR, DOCTOR))  # again: idempotent
    assert [p.hsa_id for p in clinic.read(lambda uow: uow.practitioners.list(NORR))] == [NURSE, THERAPIST, DOCTOR]
    assert clinic.read(lambda uow: uow.practitioners.list(SODER)) == []
    clinic.write(lambda uow: uow.practitioners.link(SODER, "SE2321000016-N009"))
    assert clinic.read(lambda uow: uow.practitioners.list(SODER)) == [Practitioner("SE2321000016-N009", "Bo", "Ek")]


def test_saving_a_practitioner_overwrites_a_stored_one_only(clinic: Backend) -> None:
    clinic.write(lambda uow: uow.practitioners.save(Practitioner(NURSE, "Maria", "Holm-Ek", "Sjuksköterska")))
    clinic.write(lambda uow: uow.practitioners.save(Practitioner("SE2321000016-N404", "Ny", "Person")))
    assert clinic.read(lambda uow: uow.practitioners.get(NURSE)) == Practitioner(NURSE, "Maria", "Holm-Ek",
                                                                                  "Sjuksköterska")
    assert clinic.read(lambda uow: uow.practitioners.get("SE2321000016-N404")) is None


def test_a_second_practitioner_with_the_same_id_in_another_case_is_refused(clinic: Backend) -> None:
    with pytest.raises(REFUSED):
        clinic.write(lambda uow: uow.practitioners.add(Practitioner(DOCTOR.lower(), "Annan", "Person")))
    assert clinic.read(lambda uow: uow.practitioners.get(DOCTOR)) == Practitioner(DOCTOR, "Anna", "Lindqvist",
                                                                                   "Leg. läkare")


# -- timeslots ----------------------------------------------------------------------------------


def test_a_timeslot_round_trips_with_its_times_in_swedish_time(clinic: Backend) -> None:
    start = datetime(2025, 3, 11, 9, 0, tzinfo=UTC)
    s = Timeslot(uuid.uuid4(), NORR, "LAKARBESOK", start, start + timedelta(minutes=45), (NURSE, DOCTOR),
                 capacity=3, booked=1, priority=2,
                 resources=(Resource(Code("R", "1.2.3", "Rum"), None, "Rum 4"), Resource(description="EKG")),
                 alternative_location="Filialen")
    add_slots(clinic, s)
    found = clinic.read(lambda uow: uow.timeslots.get(s.id))
    assert found == s
    assert found is not None and found.start.tzinfo == STOCKHOLM and found.end.tzinfo == STOCKHOLM
    assert found.start.hour == 10  # 09:00 UTC is 10:00 in Stockholm in March
    assert clinic.read(lambda uow: uow.timeslots.get(uuid.uuid4())) is None
    assert clinic.read(lambda uow: uow.timeslots.existing_ids([s.id, uuid.uuid4()])) == {s.id}
    assert clinic.read(lambda uow: uow.timeslots.existing_ids([])) == set()
    clinic.write(lambda uow: uow.timeslots.add_many([]))


def test_find_free_takes_the_range_half_open_and_orders_by_start_then_id(clinic: Backend) -> None:
    a, b = slot(at(1, 10)), slot(at(1, 10))
    early, late, edge = slot(at(1, 9, 59)), slot(at(1, 11)), slot(at(1, 12))
    elsewhere = slot(at(1, 10, 30), facility=SODER)
    add_slots(clinic, late, edge, b, elsewhere, a, early)
    found = clinic.read(lambda uow: uow.timeslots.find_free(NORR, at(1, 10), at(1, 12)))
    assert ids(found) == sorted([a.id, b.id], key=str) + [late.id]
    assert ids(clinic.read(lambda uow: uow.timeslots.find_free(SODER, at(1, 0), at(2, 0)))) == [elsewhere.id]
    # Bounds given in another time zone mean the same instants.
    assert ids(clinic.read(lambda uow: uow.timeslots.find_free(
        NORR, at(1, 10).astimezone(UTC), at(1, 12).astimezone(UTC)))) == ids(found)


def test_find_free_bounds_are_exact_to_the_microsecond(clinic: Backend) -> None:
    # The store's own statements bind datetimes as SQLAlchemy does (text on SQLite): an instant with
    # microseconds is inside a range that starts at it and outside one that ends at it.
    start = at(1, 10) + timedelta(microseconds=250_001)
    odd = slot(start)
    add_slots(clinic, odd)
    assert ids(clinic.read(lambda uow: uow.timeslots.find_free(NORR, start, at(2, 0)))) == [odd.id]
    assert clinic.read(lambda uow: uow.timeslots.find_free(NORR, at(1, 0), start)) == []
    assert clinic.read(lambda uow: uow.timeslots.find_free(NORR, start + timedelta(microseconds=1), at(2, 0))) == []
    found = clinic.read(lambda uow: uow.timeslots.find_free(NORR, at(1, 0), at(2, 0)))
    assert found == [odd] and found[0].start == start


def test_find_free_leaves_out_full_and_withdrawn_slots_but_not_a_group_slot_with_room(clinic: Backend) -> None:
    full, group, withdrawn, free = slot(at(1, 8)), slot(at(1, 9), capacity=3), slot(at(1, 10)), slot(at(1, 11))
    add_slots(clinic, full, group, withdrawn, free)
    book(clinic, full)
    book(clinic, group)
    book(clinic, group, OTHER)
    clinic.write(lambda uow: uow.timeslots.withdraw(withdrawn.id))
    found = clinic.read(lambda uow: uow.timeslots.find_free(NORR, at(1, 0), at(2, 0)))
    assert ids(found) == [group.id, free.id]
    assert found[0].booked == 2


def test_find_free_filters_by_time_type_practitioner_and_priority(clinic: Backend) -> None:
    doctor = slot(at(1, 8), practitioners=(DOCTOR,))
    team = slot(at(1, 9), "SSKBESOK", practitioners=(NURSE, DOCTOR))
    nurse = slot(at(1, 10), "SSKBESOK", practitioners=(NURSE,))
    urgent, held, anyone = slot(at(1, 11), priority=1), slot(at(1, 12), priority=3), slot(at(1, 13))
    add_slots(clinic, doctor, team, nurse, urgent, held, anyone)

    def find(**kw: Any) -> list[uuid.UUID]:
        return ids(clinic.read(lambda uow: uow.timeslots.find_free(NORR, at(1, 0), at(2, 0), **kw)))

    assert find() == [doctor.id, team.id, nurse.id, anyone.id]  # held slots are not offered without priority
    assert find(time_type_codes=["SSKBESOK"]) == [team.id, nurse.id]
    assert find(time_type_codes=set()) == []
    assert find(time_type_codes=["LAKARBESOK", "SSKBESOK"]) == find()
    assert find(practitioner_hsa_id=DOCTOR) == [doctor.id, team.id]
    assert find(practitioner_hsa_id=NURSE, time_type_codes=["SSKBESOK"]) == [team.id, nurse.id]
    assert find(priority=1) == [doctor.id, team.id, nurse.id, urgent.id, held.id, anyone.id]
    assert find(priority=2) == [doctor.id, team.id, nurse.id, held.id, anyone.id]
    assert find(priority=4) == [doctor.id, team.id, nurse.id, anyone.id]


def test_free_time_types_and_practitioners_from_a_start(clinic: Backend) -> None:
    past = slot(at(1, 7), "SSKBESOK", practitioners=(THERAPIST,))
    doctor = slot(at(1, 8), practitioners=(DOCTOR,))
    team = slot(at(1, 9), "SSKBESOK", practitioners=(NURSE, DOCTOR))
    booked = slot(at(1, 10), "SSKBESOK", practitioners=(THERAPIST,))
    held = slot(at(1, 11), "SSKBESOK", practitioners=(NURSE,), priority=1)  # priority does not matter here
    add_slots(clinic, past, doctor, team, booked, held, slot(at(1, 9), facility=SODER, practitioners=(DOCTOR,)))
    book(clinic, booked)

    def codes(start: datetime, practitioner: str | None = None) -> set[str]:
        return clinic.read(lambda uow: uow.timeslots.free_time_type_codes(NORR, start, practitioner))

    def practitioners(start: datetime, wanted: list[str]) -> set[str]:
        return clinic.read(lambda uow: uow.timeslots.free_practitioner_ids(NORR, start, wanted))

    assert codes(at(1, 8)) == {"LAKARBESOK", "SSKBESOK"}
    assert codes(at(1, 8, 1)) == {"SSKBESOK"}
    assert codes(at(1, 0), DOCTOR) == {"LAKARBESOK", "SSKBESOK"}
    assert codes(at(1, 8), THERAPIST) == set()  # the therapist's slot after 08:00 is booked
    assert codes(at(1, 12)) == set()
    assert practitioners(at(1, 8), ["SSKBESOK"]) == {NURSE, DOCTOR}
    assert practitioners(at(1, 0), ["SSKBESOK"]) == {NURSE, DOCTOR, THERAPIST}
    assert practitioners(at(1, 0), ["LAKARBESOK"]) == {DOCTOR}
    assert practitioners(at(1, 0), []) == set()


def test_list_from_gives_every_slot_of_the_time_types_in_order(clinic: Backend) -> None:
    before, booked, withdrawn, other_type = slot(at(1, 7)), slot(at(1, 9)), slot(at(1, 8)), slot(at(1, 10), "SSKBESOK")
    add_slots(clinic, before, booked, withdrawn, other_type, slot(at(1, 9), facility=SODER))
    book(clinic, booked)
    clinic.write(lambda uow: uow.timeslots.withdraw(withdrawn.id))
    found = clinic.read(lambda uow: uow.timeslots.list_from(NORR, at(1, 8), ["LAKARBESOK"]))
    assert ids(found) == [withdrawn.id, booked.id]
    assert (found[0].withdrawn, found[1].booked) == (True, 1)
    assert ids(clinic.read(lambda uow: uow.timeslots.list_from(NORR, at(1, 0), ["LAKARBESOK", "SSKBESOK"]))) == [
        before.id, withdrawn.id, booked.id, other_type.id]


def test_update_unbooked_overwrites_what_may_change_of_a_slot_nobody_booked(clinic: Backend) -> None:
    s, taken = slot(at(1, 9), practitioners=(DOCTOR,)), slot(at(1, 10), capacity=2)
    add_slots(clinic, s, taken)
    book(clinic, taken)
    changed = dataclasses.replace(s, start=at(1, 8), end=at(1, 10), time_type_code="SSKBESOK",
                                  practitioner_ids=(NURSE,), capacity=4, priority=2,
                                  resources=(Resource(description="Rum 2"),), alternative_location="Filialen")
    assert clinic.write(lambda uow: uow.timeslots.update_unbooked(changed)) is True
    expected = dataclasses.replace(s, end=at(1, 10), capacity=4, priority=2, resources=(Resource(description="Rum 2"),),
                                   alternative_location="Filialen")  # start, time type and practitioners stay
    assert clinic.read(lambda uow: uow.timeslots.get(s.id)) == expected
    assert clinic.write(lambda uow: uow.timeslots.update_unbooked(dataclasses.replace(taken, capacity=5))) is False
    assert clinic.read(lambda uow: uow.timeslots.get(taken.id)) == dataclasses.replace(taken, booked=1)
    assert clinic.write(lambda uow: uow.timeslots.update_unbooked(slot(at(1, 11)))) is False  # not stored
    assert clinic.read(lambda uow: uow.timeslots.list_from(NORR, at(1, 11), ["LAKARBESOK"])) == []


def test_remove_unbooked_deletes_a_slot_or_withdraws_one_that_old_appointments_name(clinic: Backend) -> None:
    lone, named, taken = slot(at(1, 8), practitioners=(DOCTOR,)), slot(at(1, 9)), slot(at(1, 10))
    add_slots(clinic, lone, named, taken)
    book(clinic, named, state=AppointmentState.CANCELLED)  # an old appointment: the slot stays unbooked
    book(clinic, taken)
    assert clinic.write(lambda uow: uow.timeslots.remove_unbooked(lone.id)) is True
    assert clinic.read(lambda uow: uow.timeslots.get(lone.id)) is None
    assert clinic.read(lambda uow: uow.timeslots.existing_ids([lone.id])) == set()
    assert clinic.write(lambda uow: uow.timeslots.remove_unbooked(named.id)) is True
    assert clinic.read(lambda uow: uow.timeslots.get(named.id)) == dataclasses.replace(named, withdrawn=True)
    assert clinic.write(lambda uow: uow.timeslots.remove_unbooked(named.id)) is False  # already withdrawn
    assert clinic.write(lambda uow: uow.timeslots.remove_unbooked(taken.id)) is False  # booked
    assert clinic.read(lambda uow: uow.timeslots.get(taken.id)) == dataclasses.replace(taken, booked=1)
    assert clinic.write(lambda uow: uow.timeslots.remove_unbooked(uuid.uuid4())) is False  # not stored


def test_remove_unbooked_deletes_a_withdrawn_slot_nobody_ever_booked(clinic: Backend) -> None:
    """A withdrawn slot that no appointment names is a slot like any other: removing it deletes it."""
    s = slot(at(1, 8))
    add_slots(clinic, s)
    clinic.write(lambda uow: uow.timeslots.withdraw(s.id))
    assert clinic.write(lambda uow: uow.timeslots.remove_unbooked(s.id)) is True
    assert clinic.read(lambda uow: uow.timeslots.get(s.id)) is None


def test_reserve_takes_places_up_to_capacity_and_release_gives_them_back(clinic: Backend) -> None:
    group, single = slot(at(1, 9), capacity=2), slot(at(1, 10))
    add_slots(clinic, group, single)

    def reserve(s: Timeslot) -> bool:
        return clinic.write(lambda uow: uow.timeslots.reserve(s.id))

    def booked(s: Timeslot) -> int:
        found = clinic.read(lambda uow: uow.timeslots.get(s.id))
        assert found is not None
        return found.booked

    assert [reserve(group), reserve(group), reserve(group)] == [True, True, False]
    assert booked(group) == 2
    clinic.write(lambda uow: uow.timeslots.release(group.id))
    assert (booked(group), reserve(group), booked(group)) == (1, True, 2)
    clinic.write(lambda uow: uow.timeslots.release(single.id))  # nothing to release: stays 0
    assert booked(single) == 0
    clinic.write(lambda uow: uow.timeslots.withdraw(single.id))
    assert reserve(single) is False  # withdrawn
    clinic.write(lambda uow: (uow.timeslots.release(group.id), uow.timeslots.release(group.id)))
    assert booked(group) == 0


def test_reserve_release_and_withdraw_of_an_unknown_slot_change_nothing(clinic: Backend) -> None:
    unknown = uuid.uuid4()
    assert clinic.write(lambda uow: uow.timeslots.reserve(unknown)) is False
    clinic.write(lambda uow: (uow.timeslots.release(unknown), uow.timeslots.withdraw(unknown)))
    assert clinic.read(lambda uow: uow.timeslots.get(unknown)) is None


# -- appointments -------------------------------------------------------------------------------


def _full_appointment(s: Timeslot) -> Appointment:
    return appointment(
        s,
        status=AppointmentStatus.PRELIMINARY,
        new_reason_text="Ont i ryggen",
        new_reason_code=Code("N1", "1.2.3", "Ryggont"),
        update_reason_text="Krock",
        update_reason_code=Code("U1", "1.2.3"),
        replaces=None,
        created_at=datetime(2025, 3, 10, 8, 0, 0, 123000, tzinfo=UTC),
        updated_at=datetime(2025, 3, 10, 8, 5, tzinfo=UTC),
        cancel_reason_text=None,
        information=(Information("Fastande"),),
        alternative_location="Filialen",
        references=(Reference("Videomöte", "Länk", "https://video.example.org/x"),),
        related_appointment_ids=(uuid.uuid4(), uuid.uuid4()),
    )


def test_an_appointment_round_trips_with_its_times_in_swedish_time(clinic: Backend) -> None:
    s = slot(at(1, 9))
    add_slots(clinic, s)
    a = _full_appointment(s)
    clinic.write(lambda uow: uow.appointments.add(a))
    found = clinic.read(lambda uow: uow.appointments.get(a.id))
    assert found == a
    assert found is not None and found.created_at.tzinfo == STOCKHOLM and found.updated_at.tzinfo == STOCKHOLM
    assert clinic.read(lambda uow: uow.appointments.get(uuid.uuid4())) is None


def test_an_appointment_read_is_a_copy_only_save_changes_the_stored_one(clinic: Backend) -> None:
    s = slot(at(1, 9))
    add_slots(clinic, s)
    a = book(clinic, s)
    with clinic.uow().writing() as uow:
        mine = uow.appointments.get(a.id)
        assert mine is not None
        mine.state = AppointmentState.CANCELLED
        assert uow.appointments.get(a.id) == a
        uow.commit()
    assert clinic.read(lambda uow: uow.appointments.get(a.id)) == a


def test_save_persists_the_mutable_fields_only(clinic: Backend) -> None:
    s, other = slot(at(1, 9)), slot(at(1, 10))
    add_slots(clinic, s, other)
    a = _full_appointment(s)
    new = book(clinic, other)
    clinic.write(lambda uow: uow.appointments.add(a))
    changed = dataclasses.replace(
        a,
        status=AppointmentStatus.CONFIRMED,
        state=AppointmentState.REPLACED,
        new_reason_text=None,
        new_reason_code=None,
        update_reason_text="Ny tid",
        update_reason_code=Code("U2", "1.2.3", "Annan"),
        cancel_reason_text="Frisk",
        cancel_reason_code=Code("C1", "1.2.3"),
        replaced_by=new.id,
        updated_at=at(0, 10),
    )
    # Fixed when made: slot, unit, person, replaces, created_at, texts, location, references, related ids.
    clinic.write(lambda uow: uow.appointments.save(dataclasses.replace(
        changed, timeslot_id=other.id, facility_hsa_id=SODER, person_id=OTHER, replaces=new.id,
        created_at=at(0, 10), information=(), alternative_location=None, references=(), related_appointment_ids=())))
    assert clinic.read(lambda uow: uow.appointments.get(a.id)) == changed
    clinic.write(lambda uow: uow.appointments.save(appointment(s)))  # not stored: save does not add
    assert clinic.read(lambda uow: [x.id for x, _ in uow.appointments.list_active(NORR, TOLVAN)]) == [new.id]


def test_replaced_and_cancelled_appointments_round_trip(clinic: Backend) -> None:
    first, second = slot(at(1, 9)), slot(at(1, 10))
    add_slots(clinic, first, second)
    old = book(clinic, first)
    new = book(clinic, second, replaces=old.id)
    clinic.write(lambda uow: uow.appointments.save(dataclasses.replace(
        old, state=AppointmentState.REPLACED, replaced_by=new.id, updated_at=at(0, 10))))
    assert clinic.read(lambda uow: uow.appointments.get(old.id)) == dataclasses.replace(
        old, state=AppointmentState.REPLACED, replaced_by=new.id, updated_at=at(0, 10))
    assert clinic.read(lambda uow: uow.appointments.get(new.id)) == new
    cancelled = dataclasses.replace(new, state=AppointmentState.CANCELLED, cancel_reason_text="Frisk",
                                    updated_at=at(0, 11))
    clinic.write(lambda uow: uow.appointments.save(cancelled))
    assert clinic.read(lambda uow: uow.appointments.get(new.id)) == cancelled
    assert clinic.read(lambda uow: uow.appointments.list_active(NORR, TOLVAN)) == []


def test_list_active_is_the_persons_active_appointments_at_the_unit_by_start(clinic: Backend) -> None:
    s = [slot(at(1, h), capacity=2) for h in (12, 9, 10, 11)]
    south = slot(at(1, 8), facility=SODER)
    add_slots(clinic, *s, south)
    noon, nine, ten, eleven = (book(clinic, x) for x in s)
    clinic.write(lambda uow: uow.appointments.save(dataclasses.replace(ten, state=AppointmentState.CANCELLED)))
    book(clinic, s[1], OTHER)
    in_south = book(clinic, south)

    def active(**kw: Any) -> list[uuid.UUID]:
        rows = clinic.read(lambda uow: uow.appointments.list_active(NORR, TOLVAN, **kw))
        assert all(a.timeslot_id == t.id for a, t in rows)
        return [a.id for a, _ in rows]

    assert active() == [nine.id, eleven.id, noon.id]
    rows = clinic.read(lambda uow: uow.appointments.list_active(NORR, TOLVAN))
    assert rows[0] == (nine, dataclasses.replace(s[1], booked=2))
    assert active(start_from=at(1, 11)) == [eleven.id, noon.id]  # inclusive
    assert active(start_before=at(1, 11)) == [nine.id]  # exclusive
    assert active(start_from=at(1, 9, 1), start_before=at(1, 12, 1)) == [eleven.id, noon.id]
    assert [a.id for a, _ in clinic.read(lambda uow: uow.appointments.list_active(SODER, TOLVAN))] == [in_south.id]
    assert clinic.read(lambda uow: uow.appointments.list_active(SODER, OTHER)) == []


def test_overlapping_active_takes_periods_half_open(clinic: Backend) -> None:
    morning, later, cancelled = slot(at(1, 9), minutes=30), slot(at(1, 10), minutes=30), slot(at(1, 9, 15))
    south = slot(at(1, 9), facility=SODER)
    add_slots(clinic, morning, later, cancelled, south)
    a, b = book(clinic, morning), book(clinic, later)
    book(clinic, cancelled, state=AppointmentState.CANCELLED)
    book(clinic, south)

    def overlapping(start: datetime, end: datetime, person: PersonId = TOLVAN) -> set[uuid.UUID]:
        return {x.id for x in clinic.read(lambda uow: uow.appointments.overlapping_active(NORR, person, start, end))}

    assert overlapping(at(1, 9, 20), at(1, 9, 40)) == {a.id}
    assert overlapping(at(1, 9, 30), at(1, 10)) == set()  # touching ends do not overlap
    assert overlapping(at(1, 8), at(1, 9)) == set()
    assert overlapping(at(1, 9, 29), at(1, 10, 1)) == {a.id, b.id}
    assert overlapping(at(1, 8), at(1, 12), OTHER) == set()
    assert overlapping(at(1, 8).astimezone(UTC), at(1, 12).astimezone(UTC)) == {a.id, b.id}


def test_overlapping_active_asked_again_in_one_unit_of_work_sees_its_own_writes(clinic: Backend) -> None:
    """The store answers a repeated question from the rows it read (a booking asks twice): an
    appointment added or changed in between must still show, and a changed answer must not stick."""
    morning, later = slot(at(1, 9), minutes=30), slot(at(1, 10), minutes=30)
    add_slots(clinic, morning, later)
    held = book(clinic, morning)
    new = appointment(later)

    def run(uow: UnitOfWork) -> list[set[uuid.UUID]]:
        def overlapping() -> set[uuid.UUID]:
            return {x.id for x in uow.appointments.overlapping_active(NORR, TOLVAN, at(1, 8), at(1, 12))}

        seen = [overlapping()]
        first = uow.appointments.overlapping_active(NORR, TOLVAN, at(1, 8), at(1, 12))[0]
        first.state = AppointmentState.CANCELLED  # a caller changing what it got, without saving
        seen.append({x.id for x in uow.appointments.overlapping_active(NORR, TOLVAN, at(1, 8), at(1, 12))
                     if x.state is AppointmentState.ACTIVE})
        assert uow.timeslots.reserve(later.id)
        uow.appointments.add(new)
        seen.append(overlapping())
        uow.appointments.save(dataclasses.replace(held, state=AppointmentState.CANCELLED, updated_at=at(0, 10)))
        seen.append(overlapping())
        return seen

    assert clinic.write(run) == [{held.id}, {held.id}, {held.id, new.id}, {new.id}]
    assert {x.id for x in clinic.read(lambda uow: uow.appointments.overlapping_active(
        NORR, TOLVAN, at(1, 8), at(1, 12)))} == {new.id}


# -- audit --------------------------------------------------------------------------------------


def event(at_: datetime, action: AuditAction = AuditAction.MADE, person: PersonId | None = TOLVAN, **kw: Any
          ) -> AuditEvent:
    values: dict[str, Any] = {
        "at": at_,
        "interaction": "MakeAppointment",
        "action": action,
        "result_code": ResultCode.OK,
        "facility_hsa_id": NORR,
        "person_id": person,
        "actor": CITIZEN,
        "consumer_hsa_id": "SE2321000016-1177",
    }
    return AuditEvent(**{**values, **kw})


def _without_id(events: list[AuditEvent]) -> list[AuditEvent]:
    return [dataclasses.replace(e, id=None) for e in events]


def test_audit_events_are_read_in_time_order_then_in_order_of_appending(db: Backend) -> None:
    a1, a2 = uuid.uuid4(), uuid.uuid4()
    made = event(at(0, 9), appointment_id=a1, timeslot_id=uuid.uuid4())
    rebooked = event(at(0, 11), AuditAction.REBOOKED, interaction="UpdateAppointment", appointment_id=a1,
                     new_appointment_id=a2)
    refused = event(at(0, 10), AuditAction.REFUSED, actor=None, consumer_hsa_id=None,
                    result_code=ResultCode.APPOINTMENT_DOES_NOT_EXIST, appointment_id=a2, detail="Finns inte")
    same_time = event(at(0, 11), AuditAction.CANCELLED, person=OTHER, interaction="CancelAppointment",
                      appointment_id=a2)
    anonymous = event(at(0, 8), AuditAction.REFUSED, person=None, actor=None)
    db.write(lambda uow: [uow.audit.append(e) for e in (made, rebooked, refused, same_time, anonymous)])
    events = db.read(lambda uow: uow.audit.for_appointments([a2]))
    assert _without_id(events) == [refused, rebooked, same_time]
    assert all(e.id is not None for e in events)
    assert [e.at.tzinfo for e in events] == [STOCKHOLM] * 3
    assert _without_id(db.read(lambda uow: uow.audit.for_appointments({a1, a2}))) == [made, refused, rebooked,
                                                                                       same_time]
    assert _without_id(db.read(lambda uow: uow.audit.for_person(TOLVAN))) == [made, refused, rebooked]
    assert _without_id(db.read(lambda uow: uow.audit.for_person(OTHER))) == [same_time]
    assert db.read(lambda uow: uow.audit.for_appointments([])) == []
    # Ids give the order of appending.
    by_id = sorted(db.read(lambda uow: uow.audit.for_appointments({a1, a2})), key=lambda e: e.id or 0)
    assert _without_id(by_id) == [made, rebooked, refused, same_time]


def test_audit_keeps_values_from_a_request_within_their_column(db: Backend) -> None:
    long = "1" * 100
    e = event(at(0, 9), AuditAction.REFUSED, person=PersonId("9" * 80, long),
              actor=Actor("8" * 70, long, "7" * 70), consumer_hsa_id="C" * 70, facility_hsa_id="F" * 70,
              detail="x" * 500)
    db.write(lambda uow: uow.audit.append(e))
    [stored] = db.read(lambda uow: uow.audit.for_person(PersonId("9" * 64, "1" * 64)))
    assert dataclasses.replace(stored, id=None) == dataclasses.replace(
        e, person_id=PersonId("9" * 64, "1" * 64), actor=Actor("8" * 64, "1" * 64, "7" * 64),
        consumer_hsa_id="C" * 64, facility_hsa_id="F" * 64)


# -- units of work ------------------------------------------------------------------------------


def test_nothing_is_kept_without_commit_and_an_exception_discards_the_work(clinic: Backend) -> None:
    s = slot(at(1, 9))
    with clinic.uow().writing() as uow:
        uow.timeslots.add_many([s])
        uow.facilities.add(HealthcareFacility("SE-NY", "Ny"))
    with pytest.raises(RuntimeError, match="boom"):
        with clinic.uow().writing() as uow:
            uow.timeslots.add_many([s])
            raise RuntimeError("boom")
    assert clinic.read(lambda uow: (uow.timeslots.get(s.id), uow.facilities.get("SE-NY"))) == (None, None)


def test_work_is_seen_by_other_units_of_work_only_once_committed(clinic: Backend) -> None:
    s = slot(at(1, 9))
    with clinic.uow().writing() as uow:
        uow.lock_person(TOLVAN)
        uow.timeslots.add_many([s])
        assert uow.timeslots.get(s.id) == s  # its own writes
        assert clinic.read(lambda other: other.timeslots.get(s.id)) is None
        uow.commit()
    assert clinic.read(lambda uow: uow.timeslots.get(s.id)) == s


def test_writes_after_commit_are_not_kept_without_another_commit(clinic: Backend) -> None:
    first, second = slot(at(1, 9)), slot(at(1, 10))
    with clinic.uow().writing() as uow:
        uow.timeslots.add_many([first])
        uow.commit()
        uow.timeslots.add_many([second])
    assert clinic.read(lambda uow: uow.timeslots.existing_ids([first.id, second.id])) == {first.id}


WRITES: dict[str, Callable[[UnitOfWork, Timeslot, Appointment], object]] = {
    "facilities.add": lambda uow, s, a: uow.facilities.add(HealthcareFacility("SE-NY", "Ny")),
    "facilities.save": lambda uow, s, a: uow.facilities.save(HealthcareFacility(NORR, "Ändrad")),
    "time_types.add": lambda uow, s, a: uow.time_types.add(NORR, dataclasses.replace(LAKARBESOK, code="NY")),
    "time_types.save": lambda uow, s, a: uow.time_types.save(NORR, dataclasses.replace(LAKARBESOK, name="Ändrad")),
    "healthcare_services.add": lambda uow, s, a: uow.healthcare_services.add(
        HealthcareService(Code("1", SNOMED_CT_OID))),
    "healthcare_services.save": lambda uow, s, a: uow.healthcare_services.save(VACCIN),
    "assignments.save": lambda uow, s, a: uow.assignments.save(Assignment(NORR, TOLVAN, "LAKARBESOK")),
    "invitations.add": lambda uow, s, a: uow.invitations.add(invitation()),
    "invitations.save": lambda uow, s, a: uow.invitations.save(invitation()),
    "practitioners.add": lambda uow, s, a: uow.practitioners.add(Practitioner("SE-NY", "Ny", "Person")),
    "practitioners.save": lambda uow, s, a: uow.practitioners.save(Practitioner(DOCTOR, "Ändrad", "Person")),
    "practitioners.link": lambda uow, s, a: uow.practitioners.link(SODER, DOCTOR),
    "timeslots.add_many": lambda uow, s, a: uow.timeslots.add_many([slot(at(2, 9))]),
    "timeslots.update_unbooked": lambda uow, s, a: uow.timeslots.update_unbooked(dataclasses.replace(s, capacity=3)),
    "timeslots.remove_unbooked": lambda uow, s, a: uow.timeslots.remove_unbooked(s.id),
    "timeslots.reserve": lambda uow, s, a: uow.timeslots.reserve(s.id),
    "timeslots.release": lambda uow, s, a: uow.timeslots.release(a.timeslot_id),
    "timeslots.withdraw": lambda uow, s, a: uow.timeslots.withdraw(s.id),
    "appointments.add": lambda uow, s, a: uow.appointments.add(appointment(s)),
    "appointments.save": lambda uow, s, a: uow.appointments.save(
        dataclasses.replace(a, state=AppointmentState.CANCELLED)),
    "audit.append": lambda uow, s, a: uow.audit.append(event(at(0, 9))),
    "lock_person": lambda uow, s, a: uow.lock_person(TOLVAN),
}


@pytest.mark.parametrize("write", WRITES)
def test_a_reading_unit_of_work_refuses_every_write(clinic: Backend, write: str) -> None:
    free, taken = slot(at(1, 9)), slot(at(1, 10))
    add_slots(clinic, free, taken)
    a = book(clinic, taken)
    before = clinic.read(lambda uow: (uow.facilities.list(), uow.time_types.list(NORR), uow.practitioners.list(SODER),
                                      uow.timeslots.list_from(NORR, at(0, 0), ["LAKARBESOK"]),
                                      uow.appointments.list_active(NORR, TOLVAN), uow.audit.for_person(TOLVAN)))
    with clinic.uow() as uow:
        with pytest.raises(ReadingUnitOfWorkWrites):
            WRITES[write](uow, free, a)
        uow.commit()  # allowed: there is nothing to keep
    after = clinic.read(lambda uow: (uow.facilities.list(), uow.time_types.list(NORR), uow.practitioners.list(SODER),
                                     uow.timeslots.list_from(NORR, at(0, 0), ["LAKARBESOK"]),
                                     uow.appointments.list_active(NORR, TOLVAN), uow.audit.for_person(TOLVAN)))
    assert after == before


# -- EngagementIndexRepository ------------------------------------------------------------------

def _ei_key(appointment_id: uuid.UUID, controller: str = "SE232100-0016") -> Any:
    from riv_scheduling.domain.engagement_index import EngagementKey

    return EngagementKey(TOLVAN.extension, NORR, str(appointment_id), "SE2321000016-84GX", controller)


def test_engagement_index_reporting_is_set_replaced_and_removed(clinic: Backend) -> None:
    from riv_scheduling.domain.engagement_index import IndexReporting

    assert clinic.read(lambda u: u.engagement_index.reporting(NORR)) is None
    clinic.write(lambda u: u.engagement_index.set_reporting(NORR, IndexReporting("S1", "D1")))
    clinic.write(lambda u: u.engagement_index.set_reporting(NORR, IndexReporting("S2", "D2")))
    assert clinic.read(lambda u: u.engagement_index.reporting(NORR)) == IndexReporting("S2", "D2")
    assert clinic.read(lambda u: u.engagement_index.reporting(SODER)) is None
    clinic.write(lambda u: u.engagement_index.set_reporting(NORR, None))
    assert clinic.read(lambda u: u.engagement_index.reporting(NORR)) is None


def test_engagement_index_posts_are_recorded_read_back_in_swedish_time_and_removed(clinic: Backend) -> None:
    from riv_scheduling.domain.engagement_index import EngagementPost, EngagementTransaction

    first, second = uuid.uuid4(), uuid.uuid4()
    early = EngagementPost(first, NORR, _ei_key(first), at(1, 9).astimezone(UTC))
    late = EngagementPost(second, NORR, _ei_key(second), at(2, 9))
    add = EngagementTransaction(first, early.key, False, at(0, 8))
    clinic.write(lambda u: u.engagement_index.record(first, [add], early))
    clinic.write(lambda u: u.engagement_index.record(second, [], late))
    post = clinic.read(lambda u: u.engagement_index.post(first))
    assert post == dataclasses.replace(early, start=at(1, 9)) and post.start.tzinfo == STOCKHOLM
    assert [p.appointment_id for p in clinic.read(lambda u: u.engagement_index.posts_of(NORR))] == [first, second]
    assert clinic.read(lambda u: u.engagement_index.posts_of(SODER)) == []
    assert [p.appointment_id for p in clinic.read(lambda u: u.engagement_index.passed(at(1, 9), 10))] == [first]
    assert clinic.read(lambda u: u.engagement_index.passed(at(3, 0), 1))[0].appointment_id == first
    rekeyed = dataclasses.replace(late, key=_ei_key(second, "SE1"))
    clinic.write(lambda u: u.engagement_index.record(second, [], rekeyed))
    assert clinic.read(lambda u: u.engagement_index.post(second)).key == rekeyed.key
    clinic.write(lambda u: u.engagement_index.record(first, [], None))
    assert clinic.read(lambda u: u.engagement_index.post(first)) is None


def test_engagement_index_record_is_part_of_the_unit_of_work(clinic: Backend) -> None:
    from riv_scheduling.domain.engagement_index import EngagementPost

    appointment_id = uuid.uuid4()
    post = EngagementPost(appointment_id, NORR, _ei_key(appointment_id), at(1, 9))
    with clinic.uow().writing() as uow:
        uow.engagement_index.record(appointment_id, [], post)  # no commit
    assert clinic.read(lambda u: u.engagement_index.post(appointment_id)) is None
    with pytest.raises(ReadingUnitOfWorkWrites), clinic.uow() as uow:
        uow.engagement_index.record(appointment_id, [], post)
