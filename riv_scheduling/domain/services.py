"""The producer's booking service: the use cases of the contract around one booking policy.

Each use case is its own module; `Scheduling` only builds them over one unit-of-work factory, one
clock and one `BookingPolicy`, and exposes them by flow (e.g. `scheduling.booking.make_appointment`).
Refusals are DomainError with exactly one ResultCode; an unknown LogicalAddress is
UnknownHealthcareFacility.
"""

from __future__ import annotations

from collections.abc import Callable

from .booking import Booking
from .cancellation import Cancellation
from .clock import Clock, stockholm_now
from .confirmation import Confirmation
from .policy import BookingPolicy
from .ports import UnitOfWork
from .reading import Reading
from .rebooking import Rebooking
from .search import Search, SearchLimits


class Scheduling:
    """The contract's operations, grouped by flow.

    The changing operations (make, update, cancel, confirm) take `consumer`: the HSA-id of the
    calling system for the audit trail (None in development mode). Each records its outcome:
    a change in the same transaction as the change, a refusal in a transaction of its own.
    """

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock = stockholm_now,
        policy: BookingPolicy | None = None,
        search_limits: SearchLimits | None = None,
    ) -> None:
        self.policy = policy or BookingPolicy()
        self.reading = Reading(uow_factory)
        self.search = Search(uow_factory, clock, self.policy, search_limits)
        self.booking = Booking(uow_factory, clock, self.policy)
        self.rebooking = Rebooking(uow_factory, clock, self.policy)
        self.cancellation = Cancellation(uow_factory, clock, self.policy)
        self.confirmation = Confirmation(uow_factory, clock, self.policy)
