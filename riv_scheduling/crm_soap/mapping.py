"""riv.crm.scheduling 1.1 values <-> the domain (TKB crm:scheduling 1.1 §3.7, §5.2).

Times are Swedish local wall-clock time, ``YYYYMMDDhhmmss`` (TS) and ``YYYYMMDD`` (DT). A free slot's
``resourceID`` carries the slot's own id: 1.1 has no timeslot id, the consumer echoes the whole
timeslot back in MakeBooking/UpdateBooking, and ``ResourceIDType`` is a producer-local value that
consumers must not interpret (TKB §6.2), so the slot is found again exactly. Without it (or when it
is stale) the times, time type and performer decide (domain.lookup.find_timeslot).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from riv_scheduling.bindings.crm_scheduling_1_1 import crm_scheduling_1_1 as core
from riv_scheduling.domain import (
    Appointment,
    AppointmentStatus,
    InvitationView,
    Process,
    ReasonRequired,
    TimeslotDescription,
    TimeslotView,
    TimeType,
    from_local,
    to_stockholm,
)
from riv_scheduling.soap import mapping as m
from riv_scheduling.soap.mapping import RequestError

__all__ = ["core", "to_stockholm"]

TS_FORMAT = "%Y%m%d%H%M%S"


def ts(moment: datetime) -> str:
    return to_stockholm(moment).strftime(TS_FORMAT)


def dt(day: date) -> str:
    return day.strftime("%Y%m%d")


def to_datetime(value: str | None, element: str) -> datetime | None:
    if not value:
        return None
    try:
        return from_local(datetime.strptime(value, TS_FORMAT))
    except ValueError:
        raise RequestError(f"{element} is not a valid time (YYYYMMDDhhmmss)") from None


def to_date(value: str, element: str) -> date:
    return m.to_date(value, element)


def text(value: str | None) -> str | None:
    """An optional value: empty counts as absent (TKB §3.7)."""
    value = (value or "").strip()
    return value or None


def to_uuid(value: str | None) -> uuid.UUID | None:
    """A bookingId or a slot's resourceID as this producer issues them; None for anybody else's."""
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def description(slot: Any) -> TimeslotDescription:
    """The slot a requestedTimeslot names (its bookingId is the booking, not the slot)."""
    return TimeslotDescription(
        start=to_datetime(text(slot.startTimeInclusive), "startTimeInclusive"),
        end=to_datetime(text(slot.endTimeExclusive), "endTimeExclusive"),
        time_type_code=text(slot.timeTypeID),
        practitioner_hsa_id=text(slot.performer),
        timeslot_id=to_uuid(text(slot.resourceID)),
    )


def message_allowed(time_type: TimeType) -> bool:
    """CancelBooking's message becomes the cancellation reason: allowed unless the time type's
    cancellation rule does not take a reason text."""
    rule = time_type.rule(Process.AVBOKNING)
    return rule is None or rule.reason_text_required is not ReasonRequired.REASON_NOT_SUPPORTED


def performer_name(view: TimeslotView) -> str | None:
    """"Blank-separated concatenation of professional title, first, middle and last name" (TKB §3.7)."""
    if len(view.practitioners) != 1:
        return None
    p = view.practitioners[0]
    return " ".join(filter(None, (p.title, p.first_name, p.last_name)))


def care_type(time_type: TimeType) -> dict[str, str | None]:
    """careTypeID/careTypeName of a slot: the time type's care service (GetAllCareTypes lists the
    same codes), when it has exactly one; a 1.1 timeslot has room for one only."""
    services = time_type.healthcare_services
    if len(services) != 1:
        return {}
    code = services[0].code
    return {"careTypeID": code.code, "careTypeName": code.display_name or code.code}


def invitation_timeslot(view: InvitationView) -> Any:
    """core:TimeslotType of an open invitation (TKB §3.6): no start or end, its id as the bookingId
    the citizen books it with, and its purpose as given (DocBook markup is sent as escaped text)."""
    invitation, time_type = view.invitation, view.time_type
    return m.new(
        core.TimeslotType,
        healthcare_facility=view.facility.hsa_id,
        bookingId=str(invitation.id),
        subject_of_care=invitation.person_id.extension,
        purpose=invitation.purpose,
        healthcare_facility_name=view.facility.name,
        timeTypeName=time_type.name,
        timeTypeID=time_type.code,
        **care_type(time_type),
        isInvitation=True,
    )


def timeslot(
    view: TimeslotView,
    *,
    booking_id: uuid.UUID | None = None,
    appointment: Appointment | None = None,
    flags: bool = True,
) -> Any:
    """core:TimeslotType of a free slot (no appointment) or of a booking."""
    slot, time_type = view.timeslot, view.time_type
    performer = view.practitioners[0].hsa_id if len(view.practitioners) == 1 else None
    values: dict[str, Any] = {
        "startTimeInclusive": ts(slot.start),
        "endTimeExclusive": ts(slot.end),
        "healthcare_facility": view.facility.hsa_id,
        "performer": performer,
        "healthcare_facility_name": view.facility.name,
        "performerName": performer_name(view),
        "resourceID": str(slot.id),
        "timeTypeName": time_type.name,
        "timeTypeID": time_type.code,
        **care_type(time_type),
    }
    if flags:
        values["cancel_booking_allowed"] = time_type.cancel_allowed
        values["rebooking_allowed"] = time_type.update_allowed
        values["message_allowed"] = time_type.cancel_allowed and message_allowed(time_type)
    if appointment is not None:
        invitation = appointment.status is AppointmentStatus.PRELIMINARY
        values["bookingId"] = str(booking_id or appointment.id)
        values["subject_of_care"] = appointment.person_id.extension
        values["reason"] = appointment.update_reason_text or appointment.new_reason_text
        values["isInvitation"] = invitation
        if invitation:  # an invitation must say what it is for (TKB §3.6)
            texts = [" ".join(filter(None, (i.header, i.description))) for i in appointment.information]
            values["purpose"] = " ".join(texts) or f"Kallelse: {time_type.name}"
    return m.new(core.TimeslotType, **values)
