"""Reading: the addressed unit (GetHealthcareFacility, TKB 2.0 §7.9) and the person's appointments
(GetAppointment, GetAppointments, TKB 2.0 §7.3-7.4)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

from .clock import end_of_day, start_of_day
from .invitations import find_invitation
from .lookup import find_facility, first_in_chain, latest_in_chain, owned, require_valid_person
from .model import AppointmentView, HealthcareFacility, InvitationView, PersonId, TimeType
from .ports import UnitOfWork
from .views import timeslot_views


class Reading:
    """Read-only: each method is one reading unit of work."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self._uow = uow_factory

    def facility(self, logical_address: str) -> HealthcareFacility:
        with self._uow() as uow:
            return find_facility(uow, logical_address)

    def facilities(self) -> list[HealthcareFacility]:
        with self._uow() as uow:
            return uow.facilities.list()

    def facility_details(self, logical_address: str) -> HealthcareFacility:
        """GetHealthcareFacility: the addressed unit with its texts and conditions to confirm."""
        return self.facility(logical_address)

    def get_appointment(
        self, logical_address: str, person_id: PersonId, appointment_id: uuid.UUID
    ) -> AppointmentView | None:
        """GetAppointment: None unless the id is the person's ACTIVE appointment at this unit."""
        with self._uow() as uow:
            facility = find_facility(uow, logical_address)
            require_valid_person(person_id)
            appointment = uow.appointments.get(appointment_id)
            if appointment is None or not owned(appointment, facility, person_id):
                return None
            if not appointment.is_active:
                return None
            slot = uow.timeslots.get(appointment.timeslot_id)
            if slot is None:
                return None
            time_types = {t.code: t for t in uow.time_types.list(facility.hsa_id)}
            views = timeslot_views(uow, facility, time_types, [slot])
            return AppointmentView(appointment, views[0]) if views else None

    def booking_owner(self, logical_address: str, appointment_id: uuid.UUID) -> PersonId | None:
        """Whose appointment this is, if it is one at this unit (None otherwise).

        For riv.crm.scheduling 1.0 (RIVTABP20), which has no Actor: its GetBookingDetails and
        CancelBooking name only the booking, and the consumer system answers for the citizen
        (the access allowlist decides which consumers may call them)."""
        with self._uow() as uow:
            facility = find_facility(uow, logical_address)
            appointment = uow.appointments.get(appointment_id)
            if appointment is None or appointment.facility_hsa_id != facility.hsa_id:
                return None
            return appointment.person_id

    def open_invitation(
        self, logical_address: str, person_id: PersonId | None, invitation_id: uuid.UUID
    ) -> InvitationView | None:
        """An open invitation at this unit (the person's, when one is named), booked or not; None
        for anything else. Once booked, `invitation.appointment_id` names the booking."""
        with self._uow() as uow:
            facility = find_facility(uow, logical_address)
            invitation = find_invitation(uow, facility, person_id, invitation_id)
            if invitation is None:
                return None
            time_type = uow.time_types.get(facility.hsa_id, invitation.time_type_code)
            return InvitationView(invitation, facility, time_type) if time_type else None

    def latest_appointment_id(self, booking_id: uuid.UUID) -> uuid.UUID:
        """The appointment a booking id stands for now: the newest of its rebooking chain (see
        `lookup.latest_in_chain`). Used to let a riv.crm.scheduling 1.1 bookingId, which stays the
        same across UpdateBooking, name the appointment the 2.0 use cases change."""
        with self._uow() as uow:
            return latest_in_chain(uow, booking_id)

    def booking_ids(self, appointment_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        """For each appointment, the id its booking was first made with (its stable booking id)."""
        with self._uow() as uow:
            found = {}
            for appointment_id in appointment_ids:
                appointment = uow.appointments.get(appointment_id)
                found[appointment_id] = first_in_chain(uow, appointment) if appointment else appointment_id
            return found

    def appointments(
        self,
        logical_address: str,
        person_id: PersonId,
        from_date: date | None = None,
        to_date: date | None = None,
        time_type_code: str | None = None,
        healthcare_service_code: str | None = None,
    ) -> list[AppointmentView]:
        """GetAppointments: the person's ACTIVE appointments at the unit, ordered by start; the
        filters of TKB 2.0 §7.4.4 (dates, timeTypeCode, healthcareServiceCode: the care service the
        appointment's time type performs) all apply together."""
        with self._uow() as uow:
            facility = find_facility(uow, logical_address)
            require_valid_person(person_id)
            if from_date is not None and to_date is not None and to_date < from_date:
                return []
            rows = uow.appointments.list_active(
                facility.hsa_id,
                person_id,
                start_from=start_of_day(from_date) if from_date else None,
                start_before=end_of_day(to_date) if to_date else None,
            )
            time_types = {t.code: t for t in uow.time_types.list(facility.hsa_id)}
            rows = [(a, s) for a, s in rows if time_type_code is None or s.time_type_code == time_type_code]
            if healthcare_service_code is not None:
                rows = [(a, s) for a, s in rows if _performs(time_types.get(s.time_type_code), healthcare_service_code)]
            rows.sort(key=lambda row: (row[1].start_utc, str(row[0].id)))
            views = {v.timeslot.id: v for v in timeslot_views(uow, facility, time_types, [s for _, s in rows])}
            return [AppointmentView(a, views[s.id]) for a, s in rows if s.id in views]


def _performs(time_type: TimeType | None, service_code: str) -> bool:
    # A time type the clinic has removed names no care service, so the filter leaves it out.
    return time_type is not None and time_type.offers_service(service_code)
