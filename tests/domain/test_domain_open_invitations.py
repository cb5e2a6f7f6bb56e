"""Open invitations (riv.crm.scheduling 1.1 §3.6): the clinic invites a person to a protected time
type (ClinicSetup.invite); the person books one slot of it naming the invitation
(Booking.make_appointment(invitation_id=...)), under every booking rule."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from domain_world import CITIZEN, NORR, OTHER, SODER, TOLVAN, World

from riv_scheduling.domain import DomainError, ResultCode, SetupError
from riv_scheduling.domain.invitations import ALREADY_BOOKED, EXPIRED, NO_INVITATION, OTHER_TIME_TYPE

PURPOSE = "<para>Välkommen på <emphasis>hälsosamtal</emphasis>.</para>"  # DocBook, kept as given


def book(world: World, invitation_id: uuid.UUID, slot_id: uuid.UUID, person=TOLVAN):  # noqa: ANN001, ANN201
    return world.scheduling.booking.make_appointment(NORR, CITIZEN, person, slot_id, invitation_id=invitation_id)


def test_an_invitation_lets_the_person_book_its_protected_time_type_once(world: World) -> None:
    invitation = world.setup.invite(NORR, TOLVAN, "SKYDDAD", PURPOSE)
    slot = world.slot(world.at(2, 10), code="SKYDDAD")
    view = world.scheduling.reading.open_invitation(NORR, TOLVAN, invitation.id)
    assert view is not None and view.invitation.is_open and view.invitation.purpose == PURPOSE
    assert view.time_type.code == "SKYDDAD" and view.facility.hsa_id == NORR
    appointment = book(world, invitation.id, slot.id)
    assert appointment.person_id == TOLVAN and appointment.timeslot_id == slot.id
    booked = world.scheduling.reading.open_invitation(NORR, TOLVAN, invitation.id)
    assert booked is not None and booked.invitation.appointment_id == appointment.id
    # once booked it is used up
    other = world.slot(world.at(3, 10), code="SKYDDAD")
    with pytest.raises(DomainError) as refused:
        book(world, invitation.id, other.id)
    assert (refused.value.code, refused.value.text) == (ResultCode.ERROR, ALREADY_BOOKED)


def test_the_invitation_is_the_persons_own_at_its_own_unit(world: World) -> None:
    invitation = world.setup.invite(NORR, TOLVAN, "SKYDDAD", "Kallelse")
    slot = world.slot(world.at(2, 10), code="SKYDDAD")
    assert world.scheduling.reading.open_invitation(NORR, OTHER, invitation.id) is None
    assert world.scheduling.reading.open_invitation(SODER, TOLVAN, invitation.id) is None
    assert world.scheduling.reading.open_invitation(NORR, TOLVAN, uuid.uuid4()) is None
    with pytest.raises(DomainError) as refused:
        book(world, invitation.id, slot.id, person=OTHER)
    assert refused.value.text == NO_INVITATION
    assert world.stored_slot(slot.id).is_free


def test_only_a_slot_of_the_invitations_time_type_answers_it(world: World) -> None:
    invitation = world.setup.invite(NORR, TOLVAN, "SKYDDAD", "Kallelse")
    slot = world.slot(world.at(2, 10), code="SSKBESOK")
    with pytest.raises(DomainError) as refused:
        book(world, invitation.id, slot.id)
    assert refused.value.text == OTHER_TIME_TYPE
    assert world.stored_slot(slot.id).is_free
    view = world.scheduling.reading.open_invitation(NORR, TOLVAN, invitation.id)
    assert view is not None and view.invitation.is_open


def test_an_expired_invitation_cannot_be_booked(world: World) -> None:
    invitation = world.setup.invite(NORR, TOLVAN, "SKYDDAD", "Kallelse", valid_until=world.now.date())
    slot = world.slot(world.at(3, 10), code="SKYDDAD")
    world.now += timedelta(days=1)
    with pytest.raises(DomainError) as refused:
        book(world, invitation.id, slot.id)
    assert refused.value.text == EXPIRED


def test_the_booking_rules_still_apply(world: World) -> None:
    invitation = world.setup.invite(NORR, TOLVAN, "SKYDDAD", "Kallelse")
    slot = world.slot(world.at(2, 10), code="SKYDDAD")
    world.setup.withdraw_timeslot(slot.id)
    with pytest.raises(DomainError) as refused:
        book(world, invitation.id, slot.id)
    assert refused.value.code is ResultCode.REQUESTED_TIME_IS_NO_LONGER_AVAILABLE
    view = world.scheduling.reading.open_invitation(NORR, TOLVAN, invitation.id)
    assert view is not None and view.invitation.is_open  # nothing was kept


def test_a_booking_that_names_no_invitation_answers_the_oldest_open_one_all_the_same(world: World) -> None:
    """One booking book: a 2.0 MakeAppointment of the invited time type is the invitation's answer."""
    first = world.setup.invite(NORR, TOLVAN, "SKYDDAD", "Första kallelsen")
    world.now += timedelta(minutes=1)
    second = world.setup.invite(NORR, TOLVAN, "SKYDDAD", "Andra kallelsen")
    expired = world.setup.invite(NORR, TOLVAN, "LAKARBESOK", "Gammal", valid_until=world.now.date() - timedelta(days=1))
    appointment = world.book(world.slot(world.at(2, 10), code="SKYDDAD"))
    answered = world.scheduling.reading.open_invitation(NORR, TOLVAN, first.id)
    assert answered is not None and answered.invitation.appointment_id == appointment.id
    waiting = world.scheduling.reading.open_invitation(NORR, TOLVAN, second.id)
    assert waiting is not None and waiting.invitation.is_open
    world.book(world.slot(world.at(2, 11)))  # LAKARBESOK: the expired invitation is not answered
    still = world.scheduling.reading.open_invitation(NORR, TOLVAN, expired.id)
    assert still is not None and still.invitation.is_open
    world.book(world.slot(world.at(3, 11), code="SSKBESOK"), person=OTHER)  # nobody else's
    assert world.scheduling.reading.open_invitation(NORR, TOLVAN, second.id).invitation.is_open


def test_a_repeated_booking_of_the_invitation_answers_the_same_appointment(world: World) -> None:
    invitation = world.setup.invite(NORR, TOLVAN, "SKYDDAD", "Kallelse")
    slot = world.slot(world.at(2, 10), code="SKYDDAD")
    first = book(world, invitation.id, slot.id)
    assert book(world, invitation.id, slot.id).id == first.id  # the platform's retry


def test_an_invitation_needs_a_purpose_a_valid_person_and_a_time_type_of_the_unit(world: World) -> None:
    with pytest.raises(SetupError):
        world.setup.invite(NORR, TOLVAN, "SKYDDAD", "  ")
    with pytest.raises(SetupError):
        world.setup.invite(NORR, TOLVAN, "FINNSINTE", "Kallelse")
    with pytest.raises(SetupError):
        world.setup.invite(NORR, TOLVAN.__class__(TOLVAN.root, "191212121213"), "SKYDDAD", "Kallelse")
