"""Every flow, delivered to a real EI receiver (official schemas, ei_receiver.py), leaves exactly the
posts the rules require (TKB 2.0 §3.5.2-§3.5.10; RIV_SHARED_DIR's engagementindex/RULES.md), on SQLite
and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from ei_clinic import CITIZEN, CONTROLLER, NORR, SODER, SOURCE, TOLVAN, EIClinic, person_no
from ei_receiver import Receiver

from riv_scheduling.domain import DomainError, to_local
from riv_scheduling.domain.engagement_index import IndexReporting

SERVICE_DOMAIN = "riv:supportprocess:logistics:scheduling"


@pytest.fixture
def clinic(db_url: str) -> Iterator[EIClinic]:
    c = EIClinic(db_url)
    yield c
    c.close()


def expected_key(booking_id: object, person: str = TOLVAN.extension, controller: str = CONTROLLER) -> tuple[str, ...]:
    return (person, SERVICE_DOMAIN, "NA", NORR, str(booking_id), "NA", SOURCE, controller)


def deliver(clinic: EIClinic, receiver: Receiver) -> None:
    result = clinic.deliverer(receiver.url).run_once()  # type: ignore[attr-defined]
    assert result.failed == 0, receiver.state.refused
    assert receiver.state.refused == []


def ts(clinic: EIClinic) -> str:
    return to_local(clinic.now).strftime("%Y%m%d%H%M%S")


def test_make_adds_a_post_with_the_full_key_and_the_time_of_booking(clinic: EIClinic, receiver: Receiver) -> None:
    booked = clinic.book(24)
    clinic.book(24, facility=SODER)  # a unit that does not report
    deliver(clinic, receiver)
    assert receiver.state.posts == {expected_key(booked): ts(clinic)}


def test_rebook_deletes_the_old_booking_id_and_adds_the_new(clinic: EIClinic, receiver: Receiver) -> None:
    original = clinic.book(24)
    deliver(clinic, receiver)
    clinic.now += timedelta(minutes=3)
    target = clinic.slot(30)
    new = clinic.scheduling.rebooking.update_appointment(NORR, CITIZEN, TOLVAN, original, target.id).id
    deliver(clinic, receiver)
    assert receiver.state.posts == {expected_key(new): ts(clinic)}
    assert [(r.delete, r.booking_id) for r in receiver.state.received[1:]] == [(True, str(original)), (False, str(new))]


def test_rebook_and_cancel_before_delivery_end_with_no_post(clinic: EIClinic, receiver: Receiver) -> None:
    original = clinic.book(24)
    new = clinic.scheduling.rebooking.update_appointment(NORR, CITIZEN, TOLVAN, original, clinic.slot(30).id).id
    clinic.scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, new)
    deliver(clinic, receiver)
    assert receiver.state.posts == {}


def test_cancel_deletes_the_post(clinic: EIClinic, receiver: Receiver) -> None:
    booked = clinic.book(24)
    deliver(clinic, receiver)
    clinic.scheduling.cancellation.cancel_appointment(NORR, CITIZEN, TOLVAN, booked)
    deliver(clinic, receiver)
    assert receiver.state.posts == {}
    assert receiver.state.received[-1].delete and receiver.state.received[-1].most_recent_content is None


def test_propose_adds_and_confirm_updates_most_recent_content(clinic: EIClinic, receiver: Receiver) -> None:
    slot = clinic.slot(48)
    proposed = clinic.setup.propose_appointment(NORR, TOLVAN, slot.id).id
    deliver(clinic, receiver)
    first = ts(clinic)
    assert receiver.state.posts == {expected_key(proposed): first}
    clinic.now += timedelta(minutes=10)
    clinic.scheduling.confirmation.confirm_appointment(NORR, CITIZEN, TOLVAN, proposed)
    deliver(clinic, receiver)
    assert receiver.state.posts == {expected_key(proposed): ts(clinic)} and ts(clinic) != first


def test_withdrawing_slots_leaves_the_bookings_posts(clinic: EIClinic, receiver: Receiver) -> None:
    slot = clinic.slot(24)
    booked = clinic.scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id).id
    clinic.setup.withdraw_timeslot(slot.id)
    clinic.setup.withdraw_timeslot(clinic.slot(25).id)
    deliver(clinic, receiver)
    assert set(receiver.posts_by_booking()) == {str(booked)}


def test_a_passed_start_is_swept_into_a_delete(clinic: EIClinic, receiver: Receiver) -> None:
    soon = clinic.book(1)
    later = clinic.book(5, person=person_no(1))
    deliver(clinic, receiver)
    assert len(receiver.state.posts) == 2
    clinic.now += timedelta(hours=1)  # the first visit begins
    deliver(clinic, receiver)
    assert set(receiver.posts_by_booking()) == {str(later)}
    assert receiver.state.received[-1].delete and receiver.state.received[-1].booking_id == str(soon)


def test_refused_requests_send_nothing(clinic: EIClinic, receiver: Receiver) -> None:
    slot = clinic.slot(24)
    clinic.scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id)
    deliver(clinic, receiver)
    before = receiver.state.requests
    with pytest.raises(DomainError):
        clinic.scheduling.booking.make_appointment(NORR, CITIZEN, person_no(2), slot.id)
    deliver(clinic, receiver)
    assert receiver.state.requests == before


def test_a_new_data_controller_rekeys_the_posts(clinic: EIClinic, receiver: Receiver) -> None:
    booked = clinic.book(24)
    deliver(clinic, receiver)
    clinic.maintenance.set_reporting(NORR, IndexReporting(SOURCE, "SE556000-0000"))
    deliver(clinic, receiver)
    assert list(receiver.state.posts) == [expected_key(booked, controller="SE556000-0000")]


def test_batches_of_many_transactions_respect_the_batch_size(clinic: EIClinic, receiver: Receiver) -> None:
    for n in range(25):
        clinic.book(24 + n, person=person_no(n))
    result = clinic.deliverer(receiver.url, batch_size=10).run_once()  # type: ignore[attr-defined]
    assert (result.sent, result.calls) == (25, 3)
    assert len(receiver.state.posts) == 25 and receiver.state.refused == []


def test_a_receiver_that_is_down_gets_everything_later_and_entries_park_after_max_attempts(
    clinic: EIClinic, receiver: Receiver
) -> None:
    from riv_scheduling.store import outbox

    booked = clinic.book(24)
    receiver.state.down = True
    deliverer = clinic.deliverer(receiver.url, max_attempts=2)  # type: ignore[attr-defined]
    assert deliverer.run_once().failed == 1
    assert outbox.status(clinic.store).retrying == 1
    assert deliverer.run_once().parked == 1
    assert outbox.status(clinic.store).parked == 1
    assert deliverer.run_once().calls == 0  # parked: not sent again
    parked = outbox.entries(clinic.store, parked_only=True)
    assert "503" in (parked[0].last_error or "")
    receiver.state.down = False
    assert outbox.retry(clinic.store) == 1
    deliver(clinic, receiver)
    assert set(receiver.posts_by_booking()) == {str(booked)}
    assert outbox.status(clinic.store).depth == 0


def test_an_entry_the_ei_refuses_is_parked_alone_and_the_rest_delivered(clinic: EIClinic, receiver: Receiver) -> None:
    from riv_scheduling.store import outbox

    booked = [clinic.book(24 + n, person=person_no(n)) for n in range(9)]
    receiver.state.refuse_bookings = {str(booked[4])}
    result = clinic.deliverer(receiver.url, max_attempts=1).run_once()  # type: ignore[attr-defined]
    assert (result.sent, result.failed, result.parked) == (8, 1, 1)
    assert set(receiver.posts_by_booking()) == {str(b) for b in booked} - {str(booked[4])}
    parked = outbox.entries(clinic.store, parked_only=True)
    assert [e.appointment_id for e in parked] == [booked[4]] and "EI004" in (parked[0].last_error or "")
