"""Open invitations (riv.crm.scheduling 1.1 §3.6, "kallelse" without a time): the rules for booking
one. The clinic issues them (ClinicSetup.invite), the citizen reads them (Reading.open_invitation)
and books one with MakeAppointment naming it (Booking.make_appointment(invitation_id=...)), which
applies every booking rule as for any booking; the assignment made with the invitation is what lets
the citizen book its protected time type."""

from __future__ import annotations

import uuid
from datetime import date

from .model import HealthcareFacility, OpenInvitation, PersonId, Timeslot
from .ports import UnitOfWork
from .result_codes import DomainError, ResultCode

NO_INVITATION = "Kallelsen finns inte hos mottagningen."
ALREADY_BOOKED = "Kallelsen är redan bokad."
EXPIRED = "Kallelsen gäller inte längre. Kontakta mottagningen."
OTHER_TIME_TYPE = "Den valda tiden hör inte till kallelsen. Välj en tid för kallelsen."


def find_invitation(
    uow: UnitOfWork, facility: HealthcareFacility, person_id: PersonId | None, invitation_id: uuid.UUID
) -> OpenInvitation | None:
    """The invitation, if it is at this unit and (when a person is named) the person's."""
    invitation = uow.invitations.get(invitation_id)
    if invitation is None or invitation.facility_hsa_id != facility.hsa_id:
        return None
    if person_id is not None and invitation.person_id != person_id:
        return None
    return invitation


def answered_invitation(
    uow: UnitOfWork, facility: HealthcareFacility, person_id: PersonId, slot: Timeslot, today: date
) -> OpenInvitation | None:
    """The open invitation a booking of `slot` answers when it names none: the person's oldest one,
    still valid, to the slot's time type at the unit; None when there is none."""
    waiting = uow.invitations.open_for(facility.hsa_id, person_id, slot.time_type_code)
    return next((i for i in waiting if i.valid_on(today)), None)


def invitation_to_book(
    uow: UnitOfWork,
    facility: HealthcareFacility,
    person_id: PersonId,
    invitation_id: uuid.UUID,
    slot: Timeslot,
    today: date,
) -> OpenInvitation:
    """The open invitation a booking of `slot` answers, or the refusal (always ERROR with a text:
    riv.crm.scheduling 1.1 knows no finer result code)."""
    invitation = find_invitation(uow, facility, person_id, invitation_id)
    if invitation is None:  # never says whether the id is somebody else's
        raise DomainError(ResultCode.ERROR, NO_INVITATION)
    if not invitation.is_open:
        raise DomainError(ResultCode.ERROR, ALREADY_BOOKED)
    if not invitation.valid_on(today):
        raise DomainError(ResultCode.ERROR, EXPIRED)
    if slot.time_type_code != invitation.time_type_code:
        raise DomainError(ResultCode.ERROR, OTHER_TIME_TYPE)
    return invitation
