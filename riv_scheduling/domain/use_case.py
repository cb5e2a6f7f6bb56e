"""What every use case shares: its unit-of-work factory, clock and booking policy, and how a change
for a person begins (the unit, the person's identity number and lock, the time, the audit record)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from .audit_trail import AuditRecord, refusals_recorded
from .clock import Clock, stockholm_now, to_stockholm
from .lookup import find_facility, require_valid_person
from .model import HealthcareFacility
from .policy import BookingPolicy
from .ports import UnitOfWork


class UseCase:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock = stockholm_now,
        policy: BookingPolicy | None = None,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._policy = policy or BookingPolicy()

    def _now(self) -> datetime:
        return to_stockholm(self._clock())

    @contextmanager
    def _change(
        self, logical_address: str, audit: AuditRecord
    ) -> Iterator[tuple[UnitOfWork, HealthcareFacility, datetime]]:
        """One writing unit of work for `audit.person_id` at the addressed unit, under the person's
        lock (their changes are serialised); a refusal raised inside is recorded in the audit trail."""
        with refusals_recorded(self._uow, self._clock, audit), self._uow().writing() as uow:
            facility = find_facility(uow, logical_address)
            audit.facility_hsa_id = facility.hsa_id
            require_valid_person(audit.person_id)
            uow.lock_person(audit.person_id)
            yield uow, facility, self._now()
