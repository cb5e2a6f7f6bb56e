"""A care unit configured with every rule of the contract, for the wire tests of the full contract."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from soapwire import PERSONNUMMER, TEST_UNIT, Wire

from riv_scheduling.domain import (
    AppointmentRule,
    Code,
    HealthcareFacility,
    HealthcareService,
    Information,
    PersonId,
    Practitioner,
    Process,
    ReasonRequired,
    Resource,
    Timeslot,
    TimeType,
    stockholm_now,
)

RICH = "SE2321000016-RICH"
SNOMED = "1.2.752.116.2.1.1"
KONSULTATION = "390906007"  # codes the demo data set does not use
BLODPROV = "82078001"
VIDEO = Code("VIDEO", "urn:test:kontakttyp", "Videomöte")
FYSISKT = Code("FYSISKT", "urn:test:kontakttyp", "Fysiskt besök")
ORSAK = "urn:test:orsak"
INFEKTION = Code("INFEKTION", ORSAK, "Infektion")
AVBOKAD = Code("FORHINDRAD", ORSAK, "Kan inte komma")
DOC = "SE2321000016-RDOC"
NURSE = "SE2321000016-RSSK"
H = timedelta(hours=1)
Z = timedelta(0)

FACILITY = HealthcareFacility(
    RICH,
    "Vårdcentralen Regelrik",
    alternative_location="Regelgatan 1, Teststad",
    information=(Information("Välkommen", "Vi har öppet vardagar.", "https://example.invalid/rik"),),
    condition_to_confirm=(Information("Jag förstår att uteblivet besök debiteras."),),
    care_guarantee_days=3,
    related_facilities=(TEST_UNIT,),
)

SERVICES = (
    HealthcareService(Code(KONSULTATION, SNOMED, "Konsultation"), information=(Information("Om konsultation"),)),
    HealthcareService(Code(BLODPROV, SNOMED, "Blodprov"),
                      conditions_to_confirm=(Information("Jag har fastat."),)),
)


def _rules(*rules: AppointmentRule) -> tuple[AppointmentRule, ...]:
    return rules


TIME_TYPES = (
    # Free booking, also offered by the related TEST_UNIT (for GetHealthcareFacilities).
    TimeType("FRI", "Fri tid", True, True, Z, Z, Z, care_contact_code=FYSISKT,
             healthcare_services=(SERVICES[0],)),
    # Reasons: NYBOKNING needs a text and a code from the list; AVBOKNING needs a code; OMBOKNING none allowed.
    TimeType("ORSAK", "Med orsak", True, True, Z, Z, Z, care_contact_code=FYSISKT,
             appointment_rules=_rules(
                 AppointmentRule(Process.NYBOKNING, ReasonRequired.MANDATORY, ReasonRequired.MANDATORY,
                                 reason_codes=(INFEKTION,),
                                 information=(Information("Beskriv dina besvär"),),
                                 condition_to_confirm=(Information("Jag har läst informationen"),)),
                 AppointmentRule(Process.OMBOKNING, ReasonRequired.REASON_NOT_SUPPORTED,
                                 ReasonRequired.REASON_NOT_SUPPORTED),
                 AppointmentRule(Process.AVBOKNING, ReasonRequired.OPTIONAL, ReasonRequired.MANDATORY,
                                 reason_codes=(AVBOKAD,)),
             )),
    # Video: contact mode VIDEO, every appointment carries an information text and a unique link.
    TimeType("VIDEO", "Videobesök", True, True, Z, Z, Z, care_contact_code=VIDEO,
             healthcare_services=(SERVICES[0],),
             appointment_information=(Information("Öppna länken fem minuter före"),),
             video_meeting_url="https://video.example.invalid/mote"),
    TimeType("GRUPP", "Gruppbesök", True, True, Z, Z, Z, patient_group=True),
    TimeType("TEAM", "Teambesök", True, False, Z, Z, Z, healthcare_team=True),
    TimeType("SKYDD", "Skyddad", True, True, Z, Z, Z, hidden=True, healthcare_services=(SERVICES[1],)),
    TimeType("BEKRAFTA", "Bekräftas", True, True, Z, Z, Z, confirm_notice=24 * H),
    TimeType("EJBEKRAFTA", "Bekräftas ej", True, True, Z, Z, Z, confirm_allowed=False),
)

_spread = itertools.count()


@dataclass
class Rich:
    """The configured unit and helpers to add slots and appointments to it."""

    wire: Wire

    def slot(self, code: str = "FRI", start_in: timedelta | None = None, minutes: int = 20,
             practitioners: tuple[str, ...] = (), capacity: int = 1, priority: int | None = None,
             resources: tuple[Resource, ...] = (), alternative_location: str | None = None) -> str:
        """A slot at its own time (from 1 day ahead, 25 minutes apart) unless start_in is given."""
        now = stockholm_now().replace(microsecond=0)
        start = now + (start_in if start_in is not None else timedelta(days=1, minutes=25 * next(_spread)))
        slot = Timeslot(uuid.uuid4(), RICH, code, start, start + timedelta(minutes=minutes),
                        practitioner_ids=practitioners, capacity=capacity, priority=priority,
                        resources=resources, alternative_location=alternative_location)
        return str(self.wire.setup.add_timeslot(slot).id)

    def window(self, days: int = 40) -> dict[str, str]:
        today = date.today()
        return {"startDateInclusive": today.strftime("%Y%m%d"),
                "endDateInclusive": (today + timedelta(days=days)).strftime("%Y%m%d")}

    def assign(self, pnr: str, code: str, priority: int | None = None) -> None:
        self.wire.setup.assign_time_type(RICH, PersonId(PERSONNUMMER, pnr), code, priority=priority)

    def propose(self, pnr: str, slot: str, related: tuple[str, ...] = ()) -> str:
        appointment = self.wire.setup.propose_appointment(
            RICH, PersonId(PERSONNUMMER, pnr), uuid.UUID(slot),
            related_appointment_ids=tuple(uuid.UUID(r) for r in related))
        return str(appointment.id)


def configure(wire: Wire) -> Rich:
    setup = wire.setup
    setup.add_facility(FACILITY, exist_ok=True)
    for service in SERVICES:
        setup.add_healthcare_service(service, exist_ok=True)
    for tt in TIME_TYPES:
        setup.add_time_type(RICH, tt, exist_ok=True)
    setup.add_practitioner(RICH, Practitioner(DOC, "Doris", "Doktor", "Leg. läkare"))
    setup.add_practitioner(RICH, Practitioner(NURSE, "Sune", "Syster", "Leg. sjuksköterska"))
    return Rich(wire)
