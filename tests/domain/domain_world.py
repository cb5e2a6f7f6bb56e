"""A small clinic on the in-memory fake, with a clock the test controls."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from domain_fakes import FakeDatabase

from riv_scheduling.domain import (
    PERSONNUMMER_OID,
    STOCKHOLM,
    Actor,
    Appointment,
    ClinicSetup,
    HealthcareFacility,
    PersonId,
    Practitioner,
    Scheduling,
    Timeslot,
    TimeType,
)

NORR = "SE2321000016-A1B2"
SODER = "SE2321000016-C3D4"
# Skatteverket test personnummer.
TOLVAN = PersonId(PERSONNUMMER_OID, "191212121212")
OTHER = PersonId(PERSONNUMMER_OID, "198112289874")
CITIZEN = Actor(PERSONNUMMER_OID, "191212121212", "116154003")
DOCTOR = "SE2321000016-N001"
NURSE = "SE2321000016-N003"
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=STOCKHOLM)  # a Monday

H = timedelta(hours=1)
ZERO = timedelta(0)
TIME_TYPES = (
    TimeType("LAKARBESOK", "Läkarbesök", True, True, H, 24 * H, 24 * H),
    TimeType("SSKBESOK", "Sjuksköterskebesök", True, True, ZERO, ZERO, ZERO),
    TimeType("PROVTAGNING", "Provtagning", True, False, ZERO, ZERO, ZERO),
    TimeType("SKYDDAD", "Skyddad besökstyp", True, True, ZERO, ZERO, ZERO, hidden=True),
    TimeType("STOPPAD", "Stoppad besökstyp", True, True, ZERO, ZERO, ZERO, booking_allowed=False),
    TimeType("EJAVBOKNING", "Ej avbokningsbar", False, True, ZERO, ZERO, ZERO),
)


class World:
    def __init__(self) -> None:
        self.db = FakeDatabase()
        self.now = NOW
        self.setup = ClinicSetup(self.db.uow, clock=self.clock)
        self.scheduling = Scheduling(self.db.uow, clock=self.clock)
        for hsa_id, name in ((NORR, "Vårdcentralen Demo Norr"), (SODER, "Vårdcentralen Demo Söder")):
            self.setup.add_facility(HealthcareFacility(hsa_id, name))
            for t in TIME_TYPES:
                self.setup.add_time_type(hsa_id, t)
        self.setup.add_practitioner(NORR, Practitioner(DOCTOR, "Anna", "Lindqvist", "Leg. läkare"))
        self.setup.add_practitioner(NORR, Practitioner(NURSE, "Maria", "Holm"))

    def clock(self) -> datetime:
        return self.now

    @staticmethod
    def at(days: int, hour: int, minute: int = 0) -> datetime:
        """Stockholm wall-clock time `days` after NOW's date."""
        d = NOW.date() + timedelta(days=days)
        return datetime(d.year, d.month, d.day, hour, minute, tzinfo=STOCKHOLM)

    def slot(
        self,
        start: datetime,
        code: str = "LAKARBESOK",
        minutes: int = 20,
        facility: str = NORR,
        practitioners: tuple[str, ...] = (),
        capacity: int = 1,
        withdrawn: bool = False,
    ) -> Timeslot:
        slot = self.setup.add_timeslot(
            Timeslot(
                id=uuid.uuid4(),
                facility_hsa_id=facility,
                time_type_code=code,
                start=start,
                end=start + timedelta(minutes=minutes),
                practitioner_ids=practitioners,
                capacity=capacity,
            )
        )
        if withdrawn:
            self.setup.withdraw_timeslot(slot.id)
        return slot

    def book(self, slot: Timeslot, person: PersonId = TOLVAN, facility: str = NORR) -> Appointment:
        return self.scheduling.booking.make_appointment(facility, CITIZEN, person, slot.id, None, None)

    def stored_slot(self, slot_id: uuid.UUID) -> Timeslot:
        return self.db.data.timeslots[slot_id]

    def stored(self, appointment_id: uuid.UUID) -> Appointment:
        return self.db.data.appointments[appointment_id]
