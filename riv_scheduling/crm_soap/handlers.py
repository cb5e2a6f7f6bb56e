"""One function per riv.crm.scheduling 1.1 interaction: request binding -> the SAME domain use
cases the 2.0 adapter calls -> response binding (TKB crm:scheduling 1.1 §4).

Booking identity: a 1.1 bookingId is the id the booking was first made with. UpdateBooking keeps
it (its response has no new id) while the domain, like 2.0's UpdateAppointment, gives the rebooked
appointment a new id; the handlers resolve a bookingId to the newest appointment of its chain
(Reading.latest_appointment_id), and show every booking under its first id
(Reading.booking_ids). A 2.0 consumer keeps using the appointment ids 2.0 gave it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from riv_scheduling.contract.crm_scheduling import CRM_INTERACTIONS, CrmResultCode
from riv_scheduling.domain import (
    AppointmentStatus,
    DomainError,
    InvitationView,
    PersonId,
    ResultCode,
    Scheduling,
    TimeslotQuery,
    TimeslotView,
    booking_result,
)
from riv_scheduling.domain.invitations import NO_INVITATION
from riv_scheduling.soap import mapping as m
from riv_scheduling.soap.interactions import bindings, element
from riv_scheduling.soap.mapping import RequestError

from . import mapping as cm
from .actor import CrmActor, person_of, selection_person

NOT_A_BOOKING = "Bokningen finns inte."


@dataclass(frozen=True)
class CrmCall:
    scheduling: Scheduling
    logical_address: str
    actor: CrmActor
    consumer_hsa_id: str | None = None


def _response(name: str, **values: Any) -> Any:
    interaction = CRM_INTERACTIONS[name]
    return m.new(element(interaction, f"{name}Response"), **values)


def _module(name: str) -> Any:
    return bindings(CRM_INTERACTIONS[name])


def _values(values: list[str] | None) -> list[str | None]:
    """The non-empty values of a 0..* filter, or [None]: one unfiltered search."""
    found: list[str | None] = [v for v in (cm.text(x) for x in (values or [])) if v]
    return found or [None]


def _latest(call: CrmCall, booking_id: str | None) -> uuid.UUID | None:
    """The appointment a bookingId names now (a booked open invitation's id names the booking made
    from it); None when it is not one of ours."""
    first = cm.to_uuid(cm.text(booking_id))
    if first is None:
        return None
    invitation = call.scheduling.reading.open_invitation(call.logical_address, None, first)
    if invitation is not None and invitation.invitation.appointment_id is not None:
        first = invitation.invitation.appointment_id
    return call.scheduling.reading.latest_appointment_id(first)


def _open_invitation(call: CrmCall, booking_id: str | None, person: PersonId | None) -> InvitationView | None:
    """The person's open invitation (not booked yet) that a bookingId names, if it is one."""
    invitation_id = cm.to_uuid(cm.text(booking_id))
    if invitation_id is None or person is None:
        return None
    view = call.scheduling.reading.open_invitation(call.logical_address, person, invitation_id)
    return view if view is not None and view.invitation.is_open else None


def _same_unit(call: CrmCall, hsa_id: str | None) -> None:
    """A requested timeslot lies at the addressed unit (HSA-ids compare case-insensitively)."""
    if hsa_id and hsa_id.strip().lower() != call.logical_address.strip().lower():
        raise DomainError(ResultCode.ERROR, "Den valda tiden finns inte hos mottagningen.")


# -- queries ------------------------------------------------------------------------------


def get_subject_of_care_schedule(call: CrmCall, req: Any) -> Any:
    # The body's healthcare_facility is not used: the LogicalAddress names the unit (TKB §3.2), and
    # aggregators send their own id there (TKB §3.3).
    person = person_of(call.actor, cm.text(req.subject_of_care))
    views = call.scheduling.reading.appointments(call.logical_address, person)
    ids = call.scheduling.reading.booking_ids([v.appointment.id for v in views])
    return _response(
        "GetSubjectOfCareSchedule",
        timeslotDetail=[
            cm.timeslot(v.slot, booking_id=ids[v.appointment.id], appointment=v.appointment) for v in views
        ] or None,
    )


def _booking_person(call: CrmCall, latest: uuid.UUID | None) -> Any:
    """Who a request that names only a booking acts for: the Actor (1.1), or for a 1.0 consumer
    system (no Actor in RIVTABP20) the booking's own citizen; None when it is no booking here."""
    if not call.actor.system:
        return person_of(call.actor, None)
    if latest is None:
        return None
    owner = call.scheduling.reading.booking_owner(call.logical_address, latest)
    if owner is None:  # an open invitation not booked yet
        invitation = call.scheduling.reading.open_invitation(call.logical_address, None, latest)
        owner = invitation.invitation.person_id if invitation else None
    return owner


def get_booking_details(call: CrmCall, req: Any) -> Any:
    latest = _latest(call, req.bookingId)
    person = _booking_person(call, latest)
    view = call.scheduling.reading.get_appointment(call.logical_address, person, latest) if latest and person else None
    if view is None:
        invitation = _open_invitation(call, req.bookingId, person)
        if invitation is not None:  # an open invitation: found here, never in the schedule (TKB §3.6)
            return _response("GetBookingDetails", timeslotDetail=cm.invitation_timeslot(invitation))
        raise RequestError(NOT_A_BOOKING)  # never reveals whether the id is somebody else's
    first = call.scheduling.reading.booking_ids([view.appointment.id])[view.appointment.id]
    return _response(
        "GetBookingDetails", timeslotDetail=cm.timeslot(view.slot, booking_id=first, appointment=view.appointment)
    )


def get_all_time_types(call: CrmCall, req: Any) -> Any:
    person = selection_person(call.actor, cm.text(req.subject_of_care))
    care_types = _values(req.careTypeIDs)
    found: dict[str, Any] = {}
    for care_type in care_types:
        for t in call.scheduling.search.time_types(
            call.logical_address, healthcare_service_code=care_type, person_id=person
        ):
            found.setdefault(t.code, t)
    core = cm.core
    return _response(
        "GetAllTimeTypes",
        ListOfTimeTypes=[m.new(core.TimeTypeType, timeTypeName=t.name, timeTypeId=t.code) for t in found.values()]
        or None,
    )


def get_all_care_types(call: CrmCall, req: Any) -> Any:
    person = selection_person(call.actor, cm.text(req.subject_of_care))
    wanted = {c for c in (cm.text(x) for x in (req.timeTypeIDs or [])) if c}
    performers = _values(req.performer)
    care_types: dict[str, str] = {}
    for performer in performers:
        time_types = call.scheduling.search.time_types(
            call.logical_address, practitioner_hsa_id=performer, person_id=person
        )
        for t in time_types:
            if wanted and t.code not in wanted:
                continue
            for service in t.healthcare_services:
                care_types.setdefault(service.code.code, service.code.display_name or service.code.code)
    return _response(
        "GetAllCareTypes",
        careTypes=[m.new(cm.core.CareTypeType, careTypeName=name, careTypeId=code) for code, name in care_types.items()]
        or None,
    )


def get_all_performers(call: CrmCall, req: Any) -> Any:
    person = selection_person(call.actor, cm.text(req.subject_of_care))
    time_types = _values(req.timeTypeIDs)
    care_types = _values(req.careTypeIDs)
    found: dict[str, Any] = {}
    for time_type in time_types:
        for care_type in care_types:
            for p in call.scheduling.search.practitioners(
                call.logical_address, person_id=person, time_type_code=time_type, healthcare_service_code=care_type
            ):
                found.setdefault(p.hsa_id, p)
    return _response(
        "GetAllPerformers",
        performerInfos=[
            m.new(cm.core.PerformerInfoType, perfomer=p.hsa_id, firstName=p.first_name, lastName=p.last_name,
                  title=p.title)
            for p in found.values()
        ] or None,
    )


def get_all_healthcare_facilities(call: CrmCall, req: Any) -> Any:
    person = person_of(call.actor, cm.text(req.subject_of_care))
    booking = cm.text(req.bookingId)
    invitation = _open_invitation(call, booking, person)
    if invitation is not None:  # an open invitation is booked at the unit that issued it
        facility = invitation.facility
        return _response("GetAllHealthcareFacilities", healthcareFacilityInfos=[m.new(
            cm.core.HealthcareFacilityInfoType, healthcare_facility=facility.hsa_id,
            healthcare_facility_name=facility.name)])
    latest = _latest(call, booking)
    if booking and latest is None:  # "an unknown bookingId gives an empty list" (WSDL text)
        return _response("GetAllHealthcareFacilities")
    try:
        facilities = call.scheduling.search.facilities_for(
            call.logical_address, original_appointment_id=latest, person_id=person
        )
    except DomainError:
        if latest is None:
            raise
        return _response("GetAllHealthcareFacilities")
    return _response(
        "GetAllHealthcareFacilities",
        healthcareFacilityInfos=[
            m.new(cm.core.HealthcareFacilityInfoType, healthcare_facility=f.hsa_id, healthcare_facility_name=f.name)
            for f in facilities
        ] or None,
    )


def _free(call: CrmCall, req: Any) -> list[TimeslotView]:
    """GetAvailableDates/GetAvailableTimeslots: the domain's search, once per performer asked for."""
    person = selection_person(call.actor, cm.text(req.subject_of_care))
    booking = cm.text(req.bookingId)
    time_type = cm.text(req.timeTypeID)
    invitation = _open_invitation(call, booking, person)
    latest = None
    if invitation is not None:  # the free times of the open invitation's time type (TKB §3.6)
        time_type = invitation.time_type.code
    else:
        latest = _latest(call, booking)
        if booking and (latest is None or person is None):
            return []  # rebooking somebody's booking: only the citizen's own
    performers = _values(req.performer)
    found: dict[uuid.UUID, TimeslotView] = {}
    for performer in performers:
        query = TimeslotQuery(
            start_date=cm.to_date(req.startDateInclusive, "startDateInclusive"),
            end_date=cm.to_date(req.endDateInclusive, "endDateInclusive"),
            time_type_code=time_type,
            practitioner_hsa_id=performer,
            original_appointment_id=latest,
            person_id=person,
            healthcare_service_code=cm.text(req.careTypeID),
        )
        for view in call.scheduling.search.available_timeslots(call.logical_address, query):
            found.setdefault(view.timeslot.id, view)
    return sorted(found.values(), key=lambda v: (v.timeslot.start, str(v.timeslot.id)))


def get_available_timeslots(call: CrmCall, req: Any) -> Any:
    return _response("GetAvailableTimeslots", timeslotDetail=[cm.timeslot(v) for v in _free(call, req)] or None)


def get_available_dates(call: CrmCall, req: Any) -> Any:
    availability = _module("GetAvailableDates").PerformerAvailabilityByDateType
    seen: dict[tuple[Any, ...], Any] = {}
    for view in _free(call, req):
        performer = view.practitioners[0].hsa_id if len(view.practitioners) == 1 else None
        day = cm.dt(cm.to_stockholm(view.timeslot.start).date())
        key = (day, view.time_type.code, performer)
        if key not in seen:
            seen[key] = m.new(
                availability, healthcare_facility=view.facility.hsa_id, performer=performer, date=day,
                timeTypeName=view.time_type.name, timeTypeID=view.time_type.code,
            )
    return _response("GetAvailableDates", performerAvailabilityByDate=list(seen.values()) or None)


# -- changes ------------------------------------------------------------------------------


def make_booking(call: CrmCall, req: Any) -> Any:
    slot = req.requestedTimeslot
    person = person_of(call.actor, cm.text(slot.subject_of_care))
    invitation_id = None
    if cm.text(slot.bookingId):  # booking an open invitation (TKB §3.6): the domain checks it
        invitation_id = cm.to_uuid(cm.text(slot.bookingId))
        if invitation_id is None:
            raise DomainError(ResultCode.ERROR, NO_INVITATION)
    _same_unit(call, slot.healthcare_facility)
    timeslot_id = call.scheduling.search.timeslot_id(call.logical_address, cm.description(slot))
    appointment = call.scheduling.booking.make_appointment(
        call.logical_address, call.actor.domain_actor(), person, timeslot_id, cm.text(slot.reason),
        consumer=call.consumer_hsa_id, invitation_id=invitation_id,
    )
    code, text = booking_result(appointment)
    return _response("MakeBooking", bookingId=str(appointment.id), resultCode=_code(code), resultText=text)


def update_booking(call: CrmCall, req: Any) -> Any:
    slot = req.requestedTimeslot
    person = person_of(call.actor, cm.text(slot.subject_of_care))
    latest = _latest(call, slot.bookingId)
    if latest is None:
        raise DomainError(ResultCode.APPOINTMENT_DOES_NOT_EXIST)
    _same_unit(call, slot.healthcare_facility)
    timeslot_id = call.scheduling.search.timeslot_id(call.logical_address, cm.description(slot))
    appointment = call.scheduling.rebooking.update_appointment(
        call.logical_address, call.actor.domain_actor(), person, latest, timeslot_id, cm.text(slot.reason),
        consumer=call.consumer_hsa_id,
    )
    if appointment.status is AppointmentStatus.PRELIMINARY:
        # A timed invitation the citizen rebooks becomes their booking (TKB §3.6): the time is now
        # the citizen's own choice, so the moved preliminary appointment is confirmed (2.0's
        # ConfirmAppointment, the same use case).
        appointment = call.scheduling.confirmation.confirm_appointment(
            call.logical_address, call.actor.domain_actor(), person, appointment.id, consumer=call.consumer_hsa_id
        )
    code, text = booking_result(appointment)
    return _response("UpdateBooking", resultCode=_code(code), resultText=text)


def cancel_booking(call: CrmCall, req: Any) -> Any:
    latest = _latest(call, req.bookingId)
    person = _booking_person(call, latest)
    if latest is None or person is None:
        raise DomainError(ResultCode.APPOINTMENT_DOES_NOT_EXIST)
    call.scheduling.cancellation.cancel_appointment(
        call.logical_address, call.actor.domain_actor(), person, latest, cm.text(req.message),
        consumer=call.consumer_hsa_id,
    )
    return _response("CancelBooking", resultCode=CrmResultCode.OK.value)


def _code(code: ResultCode) -> str:
    """A booking that was made answers OK or INFO (INFO: the citizen must read resultText)."""
    return CrmResultCode.INFO.value if code is ResultCode.INFO else CrmResultCode.OK.value


HANDLERS: dict[str, Callable[[CrmCall, Any], Any]] = {
    "GetSubjectOfCareSchedule": get_subject_of_care_schedule,
    "GetBookingDetails": get_booking_details,
    "GetAllTimeTypes": get_all_time_types,
    "GetAllCareTypes": get_all_care_types,
    "GetAllPerformers": get_all_performers,
    "GetAllHealthcareFacilities": get_all_healthcare_facilities,
    "GetAvailableDates": get_available_dates,
    "GetAvailableTimeslots": get_available_timeslots,
    "MakeBooking": make_booking,
    "UpdateBooking": update_booking,
    "CancelBooking": cancel_booking,
}
