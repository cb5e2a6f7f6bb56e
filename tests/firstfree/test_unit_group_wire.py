"""Rebooking to another unit of a group, over the wire: a `riv-scheduling serve` process with a
clinic file whose `[[unit_group]]` joins two units, called with zeep from the served WSDLs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import zeep
from fleet import Running, Spec, start_all

from riv_scheduling.contract import INTERACTIONS

A, B = "SE2321000016-GRPA", "SE2321000016-GRPB"
PNR = "191212121212"  # Skatteverket test personnummer
PERSON = {"root": "1.2.752.129.2.1.3.1", "extension": PNR}
ACTOR = {"actorId": PERSON, "actorType": {"code": "116154003", "codeSystem": "1.2.752.116.2.1.1"}}

CLINIC = f"""
[[care_service]]
code = "33879002"
display_name = "Vaccination"

[[time_type]]
code = "VACCIN"
name = "Vaccination"
care_services = ["33879002"]
  [time_type.limits]
  rebook_to_other_unit = true

[[time_type]]
code = "SSKBESOK"
name = "Sjuksköterskebesök"

[[unit]]
hsa_id = "{A}"
name = "Vaccinationen Norr"
time_types = ["VACCIN", "SSKBESOK"]

[[unit]]
hsa_id = "{B}"
name = "Vaccinationen Söder"
time_types = ["VACCIN", "SSKBESOK"]

[[unit_group]]
name = "Vaccination i Demostad"
units = ["{A}", "{B}"]

[[opening_hours]]
unit = "{A}"
time_type = "VACCIN"
weekdays = "mon-sun"
from = "08:00"
to = "09:00"
slot_minutes = 15

[[opening_hours]]
unit = "{B}"
time_type = "VACCIN"
weekdays = "mon-sun"
from = "13:00"
to = "14:00"
slot_minutes = 15

[[opening_hours]]
unit = "{A}"
time_type = "SSKBESOK"
weekdays = "mon-sun"
from = "10:00"
to = "11:00"
slot_minutes = 30

[[opening_hours]]
unit = "{B}"
time_type = "SSKBESOK"
weekdays = "mon-sun"
from = "10:00"
to = "11:00"
slot_minutes = 30
"""


@pytest.fixture(scope="module")
def producer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with start_all(tmp_path_factory.mktemp("group"), [Spec("group", CLINIC)]) as [running]:
        yield running


def call(producer: Running, interaction: str, unit: str, **body: Any) -> Any:
    client = zeep.Client(f"{producer.url}{INTERACTIONS[interaction].path}?wsdl")
    return getattr(client.service, interaction)(_soapheaders={"LogicalAddress": unit}, **body)


def window(days: int = 6) -> dict[str, str]:
    start = date.today() + timedelta(days=2)
    return {"startDateInclusive": start.strftime("%Y%m%d"),
            "endDateInclusive": (start + timedelta(days=days)).strftime("%Y%m%d")}


def free_ids(producer: Running, unit: str, code: str) -> list[str]:
    found = call(producer, "GetAvailableTimeslots", unit, timeTypeCode=code, **window())
    assert found.resultCode == "OK", found.resultText
    return [s.timeslotId for s in found.timeslot]


def book(producer: Running, unit: str, code: str) -> tuple[str, str]:
    slot = free_ids(producer, unit, code)[0]
    made = call(producer, "MakeAppointment", unit, actor=ACTOR, personId=PERSON, timeslotId=slot)
    assert made.resultCode == "OK", made.resultText
    return made.appointmentId, slot


def audit_lines(producer: Running, appointment_id: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "riv_scheduling.cli", "audit", "--appointment", appointment_id, "--db", producer.db_url],
        capture_output=True, text=True, timeout=60, cwd=Path(producer.db_url.removeprefix("sqlite:///")).parent,
    )
    assert done.returncode == 0, done.stderr
    assert PNR not in done.stdout  # masked
    return done.stdout


def test_rebook_from_unit_a_to_unit_b_of_one_group(producer: Running) -> None:
    original, a_slot = book(producer, A, "VACCIN")

    listed = call(producer, "GetHealthcareFacilities", A, originalAppointmentId=original, personId=PERSON)
    assert listed.resultCode == "OK"
    assert [f.HSAId.extension for f in listed.healthcareFacility] == [A, B]  # TKB 2.0 §7.8, itself included

    offered = call(producer, "GetAvailableTimeslots", B, actor=ACTOR, personId=PERSON,
                   originalAppointmentId=original, **window())
    assert offered.resultCode == "OK" and offered.timeslot
    assert {s.healthcareFacilityHSAId.extension for s in offered.timeslot} == {B}
    b_slot = offered.timeslot[0].timeslotId

    moved = call(producer, "UpdateAppointment", B, actor=ACTOR, personId=PERSON,
                 originalAppointmentId=original, timeslotId=b_slot, reasonText="Närmare jobbet")
    assert moved.resultCode == "OK", moved.resultText
    assert moved.appointmentId != original

    assert a_slot in free_ids(producer, A, "VACCIN")  # A's slot is free again
    assert b_slot not in free_ids(producer, B, "VACCIN")  # B's is taken
    got = call(producer, "GetAppointment", B, actor=ACTOR, appointmentId=moved.appointmentId, personId=PERSON)
    assert got.resultCode == "OK" and got.appointment.timeslot.healthcareFacilityHSAId.extension == B
    gone = call(producer, "GetAppointment", A, actor=ACTOR, appointmentId=original, personId=PERSON)
    assert gone.appointment is None

    trail = audit_lines(producer, moved.appointmentId)
    assert "rebooked" in trail and f"moved from unit {A} to unit {B}" in trail
    assert f"appointment={original}" in trail and f"new_appointment={moved.appointmentId}" in trail


def test_a_time_type_that_forbids_the_move_answers_update_not_allowed(producer: Running) -> None:
    original, a_slot = book(producer, A, "SSKBESOK")
    listed = call(producer, "GetHealthcareFacilities", A, originalAppointmentId=original, personId=PERSON)
    assert [f.HSAId.extension for f in listed.healthcareFacility] == [A]
    offered = call(producer, "GetAvailableTimeslots", B, actor=ACTOR, personId=PERSON,
                   originalAppointmentId=original, **window())
    assert offered.resultCode == "OK" and not offered.timeslot
    b_slot = free_ids(producer, B, "SSKBESOK")[0]
    refused = call(producer, "UpdateAppointment", A, actor=ACTOR, personId=PERSON,
                   originalAppointmentId=original, timeslotId=b_slot)
    assert refused.resultCode == "UPDATE_APPOINTMENT_IS_NOT_ALLOWED"
    assert a_slot not in free_ids(producer, A, "SSKBESOK")  # nothing moved
    assert b_slot in free_ids(producer, B, "SSKBESOK")
    assert "UPDATE_APPOINTMENT_IS_NOT_ALLOWED" in audit_lines(producer, original)
