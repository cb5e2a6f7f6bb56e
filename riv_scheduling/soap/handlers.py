"""One function per interaction: request binding -> one domain call -> rendered response.

Handlers decide nothing: the domain raises ``DomainError`` with its ResultCode and
``riv_scheduling.soap.services`` turns that into the response's resultCode. Requests arrive as
bindings (Spyne); responses are written by the generated writers (``soap/render.py``), the same
XML that binding objects (``soap/mapping.py``) would give.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from riv_scheduling.domain import ResultCode, Scheduling, TimeslotQuery, booking_result
from riv_scheduling.soap import mapping as m
from riv_scheduling.soap import render as r
from riv_scheduling.soap.codec import Rendered


@dataclass(frozen=True)
class Call:
    """What a handler gets besides the request: the domain, the addressed unit and, for the
    audit trail, the calling system's HSA-id (None in development mode)."""

    scheduling: Scheduling
    logical_address: str
    consumer_hsa_id: str | None = None


def _optional_uuid(value: str | None, element: str) -> uuid.UUID | None:
    return m.to_uuid(value, element) if value else None


def _optional_person(value: Any) -> Any:
    return m.to_person_id(value) if value else None


def _timeslot_query(req: Any) -> TimeslotQuery:
    """The search filters shared by GetAvailableDates and GetAvailableTimeslots (the domain's
    Search refuses a window or an answer over its limits)."""
    contact = req.careContactCode  # 0..1 in GetAvailableDates, 0..* in GetAvailableTimeslots
    contacts = contact if isinstance(contact, list) else [contact] if contact else []
    return TimeslotQuery(
        start_date=m.to_date(req.startDateInclusive, "startDateInclusive"),
        end_date=m.to_date(req.endDateInclusive, "endDateInclusive"),
        time_type_code=req.timeTypeCode,
        practitioner_hsa_id=m.to_hsa_id(req.practitionerId),
        original_appointment_id=_optional_uuid(req.originalAppointmentId, "originalAppointmentId"),
        person_id=_optional_person(req.personId),
        healthcare_service_code=req.healthcareServiceCode,
        priority=req.priority,
        care_contact_codes=tuple(code for c in contacts if (code := m.to_code(c)) is not None),
    )


def get_available_timeslots(call: Call, req: Any) -> Rendered:
    slots = call.scheduling.search.available_timeslots(call.logical_address, _timeslot_query(req))
    return r.response("GetAvailableTimeslots", timeslot=[r.timeslot(v) for v in slots], resultCode=ResultCode.OK.value)


def get_available_dates(call: Call, req: Any) -> Rendered:
    dates = call.scheduling.search.available_dates(call.logical_address, _timeslot_query(req))
    return r.response(
        "GetAvailableDates", availableDate=[r.available_date(d) for d in dates], resultCode=ResultCode.OK.value
    )


def get_healthcare_facility(call: Call, req: Any) -> Rendered:
    facility = call.scheduling.reading.facility_details(call.logical_address)
    return r.response(
        "GetHealthcareFacility", healthcareFacility=r.org_unit(facility), resultCode=ResultCode.OK.value
    )


def get_healthcare_facilities(call: Call, req: Any) -> Rendered:
    facilities = call.scheduling.search.facilities_for(
        call.logical_address,
        original_appointment_id=_optional_uuid(req.originalAppointmentId, "originalAppointmentId"),
        person_id=_optional_person(req.personId),
        time_type_code=req.timeTypeCode,
        healthcare_service_code=req.healthcareServiceCode,
    )
    return r.response(
        "GetHealthcareFacilities",
        healthcareFacility=[r.org_unit(f) for f in facilities],
        resultCode=ResultCode.OK.value,
    )


def get_time_types(call: Call, req: Any) -> Rendered:
    time_types = call.scheduling.search.time_types(
        call.logical_address,
        healthcare_service_code=req.healthcareServiceCode,
        practitioner_hsa_id=m.to_hsa_id(req.practitionerId),
        person_id=_optional_person(req.personId),
    )
    return r.response("GetTimeTypes", timeType=[r.time_type(t) for t in time_types], resultCode=ResultCode.OK.value)


def get_practitioners(call: Call, req: Any) -> Rendered:
    practitioners = call.scheduling.search.practitioners(
        call.logical_address,
        person_id=_optional_person(req.personId),
        original_appointment_id=_optional_uuid(req.originalAppointmentId, "originalAppointmentId"),
        time_type_code=req.timeTypeCode,
        healthcare_service_code=req.healthcareServiceCode,
    )
    return r.response(
        "GetPractitioners", practitioner=[r.practitioner(p) for p in practitioners], resultCode=ResultCode.OK.value
    )


def confirm_appointment(call: Call, req: Any) -> Rendered:
    call.scheduling.confirmation.confirm_appointment(
        call.logical_address,
        m.to_actor(req.actor),
        m.to_person_id(req.personId),
        m.to_uuid(req.appointmentId, "appointmentId"),
        consumer=call.consumer_hsa_id,
    )
    return r.response("ConfirmAppointment", resultCode=ResultCode.OK.value)


def make_appointment(call: Call, req: Any) -> Rendered:
    appointment = call.scheduling.booking.make_appointment(
        call.logical_address,
        m.to_actor(req.actor),
        m.to_person_id(req.personId),
        m.to_uuid(req.timeslotId, "timeslotId"),
        req.reasonText,
        m.to_code(req.reasonCode),
        consumer=call.consumer_hsa_id,
    )
    code, text = booking_result(appointment)
    return r.response("MakeAppointment", appointmentId=str(appointment.id), resultCode=code.value, resultText=text)


def update_appointment(call: Call, req: Any) -> Rendered:
    appointment = call.scheduling.rebooking.update_appointment(
        call.logical_address,
        m.to_actor(req.actor),
        m.to_person_id(req.personId),
        m.to_uuid(req.originalAppointmentId, "originalAppointmentId"),
        m.to_uuid(req.timeslotId, "timeslotId"),
        req.reasonText,
        m.to_code(req.reasonCode),
        consumer=call.consumer_hsa_id,
    )
    code, text = booking_result(appointment)
    return r.response("UpdateAppointment", appointmentId=str(appointment.id), resultCode=code.value, resultText=text)


def cancel_appointment(call: Call, req: Any) -> Rendered:
    call.scheduling.cancellation.cancel_appointment(
        call.logical_address,
        m.to_actor(req.actor),
        m.to_person_id(req.personId),
        m.to_uuid(req.appointmentId, "appointmentId"),
        req.reasonText,
        m.to_code(req.reasonCode),
        consumer=call.consumer_hsa_id,
    )
    return r.response("CancelAppointment", resultCode=ResultCode.OK.value)


def get_appointment(call: Call, req: Any) -> Rendered:
    view = call.scheduling.reading.get_appointment(
        call.logical_address,
        m.to_person_id(req.personId),
        m.to_uuid(req.appointmentId, "appointmentId"),
    )
    if view is None:
        # OK without an appointment (TKB 2.0 §7.3.4: it may be left out when the id and the
        # personnummer match no booking); never reveal whether the id exists for somebody else.
        return r.response(
            "GetAppointment",
            resultCode=ResultCode.OK.value,
            resultText="Det finns ingen sådan bokning för personen.",
        )
    return r.response("GetAppointment", appointment=r.appointment(view), resultCode=ResultCode.OK.value)


def get_appointments(call: Call, req: Any) -> Rendered:
    views = call.scheduling.reading.appointments(
        call.logical_address,
        m.to_person_id(req.personId),
        from_date=m.to_date(req.fromDate, "fromDate") if req.fromDate else None,
        to_date=m.to_date(req.toDate, "toDate") if req.toDate else None,
        time_type_code=req.timeTypeCode,
        healthcare_service_code=req.healthcareServiceCode,  # TKB 2.0 §7.4.4
    )
    return r.response("GetAppointments", appointment=[r.appointment_per_facility(v) for v in views])


HANDLERS: dict[str, Callable[[Call, Any], Rendered]] = {
    "GetHealthcareFacility": get_healthcare_facility,
    "GetHealthcareFacilities": get_healthcare_facilities,
    "GetTimeTypes": get_time_types,
    "GetPractitioners": get_practitioners,
    "GetAvailableDates": get_available_dates,
    "ConfirmAppointment": confirm_appointment,
    "GetAvailableTimeslots": get_available_timeslots,
    "MakeAppointment": make_appointment,
    "UpdateAppointment": update_appointment,
    "CancelAppointment": cancel_appointment,
    "GetAppointment": get_appointment,
    "GetAppointments": get_appointments,
}
