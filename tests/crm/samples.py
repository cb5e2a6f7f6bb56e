"""The 46 real riv.crm.scheduling 1.x messages (../shared/spec/crm-scheduling-1/samples) and the test
clinic that holds the units, time types and slots they name."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from lxml import etree

from riv_scheduling.domain import (
    PERSONNUMMER_OID,
    STOCKHOLM,
    Actor,
    ClinicSetup,
    HealthcareFacility,
    Information,
    PersonId,
    Practitioner,
    Scheduling,
    Timeslot,
    TimeType,
    stockholm_now,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("RIV_SHARED_DIR") or REPO_ROOT.parent / "shared")
SAMPLES = SHARED / "spec" / "crm-scheduling-1" / "samples"
NO_SHARED = "../shared not present: the 46 real riv.crm.scheduling samples are not replayed"

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
REGISTRY = "urn:riv:itintegration:registry:1"
HEADERS = "urn:riv:interoperability:headers:1"
WSA = "http://www.w3.org/2005/08/addressing"

# The units the samples name (LogicalAddress, healthcare_facility), as configured care units.
UNITS = ("HSA-VKK123", "SE2321000016-1HZ3", "SE2321000016-A1D4", "HSA-ID-2", "SE123456789012-1234")
# Where the aggregated samples (LogicalAddress 5565594230 = Inera, or "MEEE") are sent instead: this
# producer is a unit's timebook, not the national aggregator.
AGGREGATED_TO = "HSA-ID-2"
# Citizens of the samples with valid personnummer, who hold a booking at HSA-ID-2.
BOOKED = ("198611062384", "194911172296")
H = timedelta(hours=1)


def local(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=STOCKHOLM)


def sample_clinic(setup: ClinicSetup, scheduling: Scheduling) -> None:
    """Time type "1" at every unit, "18" at SE2321000016-1HZ3; the slots the booking samples echo
    (in 2012 and 2016, so passed), and a future booking for each citizen of BOOKED."""
    for unit in UNITS:
        setup.add_facility(HealthcareFacility(unit, f"Testenhet {unit}"))
        setup.add_time_type(unit, TimeType("1", "Besök", True, True, H, H, H))
    setup.add_time_type("SE2321000016-1HZ3", TimeType("18", "Mottagningsbesök", True, True, H, H, H))
    setup.add_practitioner("HSA-ID-2", Practitioner("SE2321000016-P001", "Doris", "Doktor", "Läkare"))
    # A time type whose bookings carry a text the citizen must read: booking it answers INFO.
    setup.add_time_type("HSA-ID-2", TimeType("FASTANDE", "Blodprov", True, True, H, H, H,
                                             appointment_information=(Information("Kom fastande."),)))
    past = [
        ("HSA-VKK123", "1", "20120615200000", "20120615210000"),
        ("SE2321000016-1HZ3", "18", "20160115140000", "20160115143000"),
    ]
    for unit, code, start, end in past:
        setup.add_timeslot(Timeslot(uuid.uuid4(), unit, code, local(start), local(end)))
    day = (stockholm_now() + timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    for hour in (7, 8, 13, 14, 15):  # free slots for the response-shape requests
        for code in ("1", "FASTANDE"):
            start = day.replace(hour=hour, minute=0 if code == "1" else 30)
            setup.add_timeslot(Timeslot(uuid.uuid4(), "HSA-ID-2", code, start, start + timedelta(minutes=20),
                                        practitioner_ids=("SE2321000016-P001",)))
    for i, pnr in enumerate(BOOKED):
        start = day.replace(hour=9 + i)
        slot = setup.add_timeslot(Timeslot(uuid.uuid4(), "HSA-ID-2", "1", start, start + timedelta(minutes=30),
                                           practitioner_ids=("SE2321000016-P001",)))
        person = PersonId(PERSONNUMMER_OID, pnr)
        scheduling.booking.make_appointment(
            "HSA-ID-2", Actor(PERSONNUMMER_OID, pnr, "116154003"), person, slot.id, "Kontroll"
        )


def files() -> list[Path]:
    return sorted(SAMPLES.glob("*.xml")) if SAMPLES.is_dir() else []


def endpoint(path: Path) -> str:
    """The endpoint a request sample goes to: RIVTABP20 (1.0, wsa:To) samples to /1/rivtabp20."""
    profile = "rivtabp20" if "_rivtabp20_" in path.name else "rivtabp21"
    return f"/{path.name.split('_')[0]}/1/{profile}"


def as_request(path: Path) -> tuple[str, bytes]:
    """(endpoint interaction, envelope bytes): an envelope sample with only its logical address
    rewritten (aggregated addresses, and the platform test's placeholder RIVTA20REQUEST, to
    AGGREGATED_TO); a body-only sample (an adapter's test fixture) in an envelope with the
    LogicalAddress of its healthcare_facility and the Actor of its subject_of_care (or Tolvan)."""
    root = etree.fromstring(path.read_bytes())
    if root.tag == f"{{{SOAP}}}Envelope":
        for tag in (f"{{{REGISTRY}}}LogicalAddress", f"{{{WSA}}}To"):
            for address in root.iter(tag):
                if (address.text or "").strip() in ("5565594230", "MEEE", "RIVTA20REQUEST"):
                    address.text = AGGREGATED_TO
        body = root.find(f"{{{SOAP}}}Body")[0]
        return etree.QName(body).localname, etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    name = etree.QName(root).localname
    unit = next((e.text or "").strip() for e in root.iter() if etree.QName(e).localname in
                ("healthcare_facility", "healthcare_facility_med"))
    citizen = next(((e.text or "").strip() for e in root.iter() if etree.QName(e).localname == "subject_of_care"),
                   "191212121212")
    env = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soapenv": SOAP})
    header = etree.SubElement(env, f"{{{SOAP}}}Header")
    etree.SubElement(header, f"{{{REGISTRY}}}LogicalAddress", nsmap={None: REGISTRY}).text = unit
    actor = etree.SubElement(header, f"{{{HEADERS}}}Actor", nsmap={None: HEADERS})
    etree.SubElement(actor, f"{{{HEADERS}}}actorId").text = citizen
    etree.SubElement(actor, f"{{{HEADERS}}}actorType").text = "subject_of_care"
    etree.SubElement(env, f"{{{SOAP}}}Body").append(root)
    return name, etree.tostring(env, xml_declaration=True, encoding="UTF-8")
