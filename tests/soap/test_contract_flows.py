"""The contract's flows end to end over the wire, in the call order of the TKB 2.0 flows (§3.2),
against the demo data set (examples/demo-clinic.toml)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from soapwire import DEMO_UNIT, PERSONNUMMER, Wire, actor, luhn_pnr, person

from riv_scheduling.domain import PersonId


def window(start_days: int = 3, days: int = 24) -> dict[str, str]:
    """From a few days ahead, so the demo's 24 h rebooking and cancellation notices never bite."""
    start = date.today() + timedelta(days=start_days)
    return {"startDateInclusive": start.strftime("%Y%m%d"),
            "endDateInclusive": (start + timedelta(days=days)).strftime("%Y%m%d")}


def citizen(n: int) -> str:
    return luhn_pnr(f"19121212{700 + n:03d}")


class Citizen:
    """A consumer session for one logged-in citizen at the demo unit."""

    def __init__(self, wire: Wire, pnr: str) -> None:
        self.wire, self.pnr, self.calls = wire, pnr, []  # type: ignore[var-annotated]

    def __call__(self, interaction: str, **body: Any) -> Any:
        self.calls.append(interaction)
        if interaction not in ("GetHealthcareFacility", "GetHealthcareFacilities"):
            body.setdefault("actor", actor(self.pnr))
        if interaction != "GetHealthcareFacility":
            body.setdefault("personId", person(self.pnr))
        result = self.wire.call(interaction, DEMO_UNIT, **body)
        if interaction != "GetAppointments":
            assert result.resultCode in ("OK", "INFO"), (interaction, result.resultCode, result.resultText)
        return result


def test_flow_1a_direct_booking(wire: Wire) -> None:
    c = Citizen(wire, citizen(1))
    unit = c("GetHealthcareFacility").healthcareFacility
    assert unit.conditionToConfirm, "the citizen accepts the unit's conditions first"
    types = [t for t in c("GetTimeTypes").timeType if not t.hidden]
    lakarbesok = next(t for t in types if t.code == "LAKARBESOK")
    rule = next(r for r in lakarbesok.appointmentRule if r.type == "NYBOKNING")
    doctors = c("GetPractitioners", timeTypeCode="LAKARBESOK").practitioner
    assert doctors
    dates = c("GetAvailableDates", timeTypeCode="LAKARBESOK", **window()).availableDate
    chosen = dates[0].date
    slots = c("GetAvailableTimeslots", timeTypeCode="LAKARBESOK",
              startDateInclusive=chosen, endDateInclusive=chosen).timeslot
    assert slots and all(s.startTime.startswith(chosen) for s in slots)
    reason = {"reasonText": "Ont i örat"} if rule.reasonTextRequired == "Mandatory" else {}
    made = c("MakeAppointment", timeslotId=slots[0].timeslotId, **reason)
    got = c("GetAppointment", appointmentId=made.appointmentId).appointment
    assert got.timeslot.timeslotId == slots[0].timeslotId and got.status == "confirmed"
    assert c.calls == ["GetHealthcareFacility", "GetTimeTypes", "GetPractitioners", "GetAvailableDates",
                       "GetAvailableTimeslots", "MakeAppointment", "GetAppointment"]


def test_flow_3_invitation_to_a_protected_time_type(wire: Wire) -> None:
    pnr = citizen(2)
    wire.setup.assign_time_type(DEMO_UNIT, PersonId(PERSONNUMMER, pnr), "ATERBESOK")  # the clinic's invitation
    c = Citizen(wire, pnr)
    c("GetHealthcareFacility")
    protected = [t for t in c("GetTimeTypes").timeType if t.code == "ATERBESOK"]
    assert protected and protected[0].hidden is True
    dates = c("GetAvailableDates", timeTypeCode="ATERBESOK", **window()).availableDate
    chosen = dates[0].date
    slots = c("GetAvailableTimeslots", timeTypeCode="ATERBESOK",
              startDateInclusive=chosen, endDateInclusive=chosen).timeslot
    made = c("MakeAppointment", timeslotId=slots[0].timeslotId)
    assert c("GetAppointment", appointmentId=made.appointmentId).appointment.timeslot.timeType.code == "ATERBESOK"
    uninvited = Citizen(wire, citizen(3))
    assert not [t for t in uninvited("GetTimeTypes").timeType if t.code == "ATERBESOK"]


def test_flow_4_confirmation_of_a_clinic_booking(wire: Wire) -> None:
    pnr = citizen(4)
    c = Citizen(wire, pnr)
    slot = c("GetAvailableTimeslots", timeTypeCode="SSKBESOK", **window()).timeslot[0]
    proposed = wire.setup.propose_appointment(DEMO_UNIT, PersonId(PERSONNUMMER, pnr),
                                              uuid.UUID(slot.timeslotId))  # the clinic books
    appointment_id = str(proposed.id)  # reaches the citizen in the inbox link
    assert c("GetAppointment", appointmentId=appointment_id).appointment.status == "preliminary"
    c("ConfirmAppointment", appointmentId=appointment_id)
    assert c("GetAppointment", appointmentId=appointment_id).appointment.status == "confirmed"


def test_flow_8_rebooking(wire: Wire) -> None:
    c = Citizen(wire, citizen(5))
    first = c("GetAvailableTimeslots", timeTypeCode="LAKARBESOK", **window()).timeslot[0]
    original = c("MakeAppointment", timeslotId=first.timeslotId, reasonText="Hosta").appointmentId
    c.calls.clear()
    listed = c("GetAppointments").appointment
    assert original in [a.appointmentId for a in listed]
    details = c("GetAppointment", appointmentId=original).appointment
    assert details.timeslot.timeType.updateAppointmentAllowed is True
    units = c("GetHealthcareFacilities", originalAppointmentId=original, timeTypeCode="LAKARBESOK")
    assert DEMO_UNIT in [u.HSAId.extension for u in units.healthcareFacility]
    c("GetPractitioners", originalAppointmentId=original, timeTypeCode="LAKARBESOK")
    dates = c("GetAvailableDates", originalAppointmentId=original, **window()).availableDate
    chosen = dates[-1].date
    slots = c("GetAvailableTimeslots", originalAppointmentId=original,
              startDateInclusive=chosen, endDateInclusive=chosen).timeslot
    updated = c("UpdateAppointment", originalAppointmentId=original, timeslotId=slots[-1].timeslotId)
    assert updated.appointmentId != original
    assert c.calls == ["GetAppointments", "GetAppointment", "GetHealthcareFacilities", "GetPractitioners",
                       "GetAvailableDates", "GetAvailableTimeslots", "UpdateAppointment"]
    assert c("GetAppointment", appointmentId=updated.appointmentId).appointment.timeslot.timeslotId == \
        slots[-1].timeslotId


def test_flow_9_cancellation(wire: Wire) -> None:
    c = Citizen(wire, citizen(6))
    slot = c("GetAvailableTimeslots", timeTypeCode="LAKARBESOK", **window()).timeslot[0]
    appointment_id = c("MakeAppointment", timeslotId=slot.timeslotId, reasonText="Utslag").appointmentId
    c.calls.clear()
    assert appointment_id in [a.appointmentId for a in c("GetAppointments").appointment]
    details = c("GetAppointment", appointmentId=appointment_id).appointment
    assert details.timeslot.timeType.cancelAppointmentAllowed is True
    rule = next(r for r in details.timeslot.timeType.appointmentRule if r.type == "AVBOKNING")
    reason = rule.reasonCodes[0]
    c("CancelAppointment", appointmentId=appointment_id,
      reasonCode={"code": reason.code, "codeSystem": reason.codeSystem, "displayName": reason.displayName})
    assert c.calls == ["GetAppointments", "GetAppointment", "CancelAppointment"]
    assert appointment_id not in [a.appointmentId for a in c("GetAppointments").appointment]
    again = c("GetAvailableTimeslots", timeTypeCode="LAKARBESOK", **window())
    assert slot.timeslotId in [s.timeslotId for s in again.timeslot], "the cancelled slot is bookable again"
