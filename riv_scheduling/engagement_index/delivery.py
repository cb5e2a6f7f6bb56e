"""The deliverer: claim outbox entries, send them in Update calls, acknowledge, back off, park.

At least once, in order per appointment (store/outbox.py says how the claim guarantees both). A
batch the EI accepted (ResultCode OK or INFO) is deleted from the outbox; a failed one (no answer,
a SOAP fault, ResultCode ERROR) is tried again after an exponential backoff with jitter, and parked
after `max_attempts`. RULES: EI-TKB "Omsändning när tjänsteproducent är otillgänglig" (RIVTA BP 2.1.2
rule #22): updates are queued durably and resent.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from riv_scheduling.contract.engagement_index import MAX_TRANSACTIONS_PER_UPDATE
from riv_scheduling.domain import Clock, stockholm_now
from riv_scheduling.domain.engagement_index import EngagementTransaction
from riv_scheduling.domain.index_maintenance import IndexMaintenance
from riv_scheduling.store import Store, outbox

from .client import DeliveryError
from .update_request import UpdateOutcome

log = logging.getLogger(__name__)


class Sender(Protocol):
    def update(self, transactions: Sequence[EngagementTransaction]) -> UpdateOutcome: ...


@dataclass(frozen=True)
class DeliveryPolicy:
    batch_size: int = MAX_TRANSACTIONS_PER_UPDATE  # EI-TKB kR3: configurable, at most 1000 nationally
    max_attempts: int = 10  # then parked
    backoff_base_s: float = 2.0  # the wait after the first failure (before jitter)
    backoff_max_s: float = 600.0
    lease_s: float = 120.0  # a claim runs out after this (must outlast one Update call)
    idle_s: float = 1.0  # wait when there is nothing to send
    sweep_every_s: float = 60.0  # how often passed bookings become deletes
    random: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= MAX_TRANSACTIONS_PER_UPDATE:
            raise ValueError(f"batch size must be 1 to {MAX_TRANSACTIONS_PER_UPDATE}")
        if self.max_attempts < 1:
            raise ValueError("max attempts must be at least 1")

    def waits(self) -> list[timedelta]:
        """The wait after the 1st, 2nd, ... failure: base * 2^(n-1), capped, with "equal jitter"
        (half fixed, half random), so deliverers that failed together do not retry together."""
        out = []
        for n in range(self.max_attempts):
            full = min(self.backoff_max_s, self.backoff_base_s * 2**n)
            out.append(timedelta(seconds=full / 2 + self.random() * full / 2))
        return out


@dataclass
class RoundResult:
    sent: int = 0  # entries the EI accepted
    failed: int = 0
    parked: int = 0
    swept: int = 0
    calls: int = 0


class Deliverer:
    def __init__(
        self,
        store: Store,
        sender: Sender,
        policy: DeliveryPolicy | None = None,
        on_round: Callable[[RoundResult], None] | None = None,
        clock: Clock = stockholm_now,
    ) -> None:
        self.store = store
        self.sender = sender
        self.policy = policy or DeliveryPolicy()
        self.token = str(uuid.uuid4())
        self._maintenance = IndexMaintenance(store.uow, clock=clock)
        self._on_round = on_round

    def sweep(self) -> int:
        """Passed bookings -> deletes (TKB 2.0 §3.5.6), in rounds of 1000."""
        total = 0
        while (swept := self._maintenance.sweep_passed(1000)) > 0:
            total += swept
        if total:
            log.info("engagement index: %d booking(s) whose start has passed queued for delete", total)
        return total

    def deliver_batch(self) -> RoundResult:
        """Claim one batch and send it in one Update call (more when the EI refuses it, see `_send`)."""
        result = RoundResult()
        lease = timedelta(seconds=self.policy.lease_s)
        entries = outbox.claim(self.store, self.token, self.policy.batch_size, lease)
        if not entries:
            return result
        for part, error in self._send(entries, result):
            ids = [e.id for e in part]
            if error is None:
                outbox.delivered(self.store, self.token, ids)
                result.sent += len(ids)
                log.info("engagement index: Update of %d transaction(s) accepted", len(ids))
            else:
                result.failed += len(ids)
                waits = self.policy.waits()
                parked = outbox.failed(self.store, self.token, ids, error, waits, self.policy.max_attempts)
                result.parked += parked
                log.warning(
                    "engagement index: Update of %d transaction(s) failed (%s); %d parked", len(ids), error, parked
                )
        if self._on_round is not None:
            self._on_round(result)
        return result

    def _send(self, entries: Sequence[outbox.OutboxEntry], result: RoundResult) -> list[tuple[Any, str | None]]:
        """Send; when the EI answers with a refusal (a fault or ResultCode ERROR) for several entries,
        send each half on its own, so one entry the EI refuses cannot hold back or park the others.
        A transport failure (no answer) fails the whole batch: it says nothing about its entries.
        (One batch holds one entry per booking, so halving keeps the order per booking.)"""
        result.calls += 1
        try:
            outcome = self.sender.update([e.transaction for e in entries])
        except DeliveryError as exc:
            return [(entries, str(exc))]
        if outcome.accepted:
            return [(entries, None)]
        if len(entries) == 1:
            return [(entries, outcome.describe())]
        middle = len(entries) // 2
        return self._send(entries[:middle], result) + self._send(entries[middle:], result)

    def run_once(self) -> RoundResult:
        """`deliver --once`: the sweep, then batches until nothing is due (failures wait for later)."""
        total = RoundResult(swept=self.sweep())
        while True:
            r = self.deliver_batch()
            if r.calls == 0:
                return total
            total.sent += r.sent
            total.failed += r.failed
            total.parked += r.parked
            total.calls += r.calls
            if r.failed:
                return total

    def run(self, stop: threading.Event) -> None:
        """Until `stop` is set: batches while there are some, the sweep every `sweep_every_s`.

        After a failed call the deliverer itself waits as its entries do (the same backoff, growing
        with consecutive failures), so an EI that is down costs the database a claim now and then,
        not one per second."""
        next_sweep = 0.0
        failures = 0
        try:
            while not stop.is_set():
                if time.monotonic() >= next_sweep:
                    try:
                        self.sweep()
                    except Exception:
                        log.exception("engagement index: the sweep failed")
                    next_sweep = time.monotonic() + self.policy.sweep_every_s
                try:
                    r = self.deliver_batch()
                except Exception:
                    log.exception("engagement index: a delivery round failed")
                    r = RoundResult(failed=1)
                if r.failed and not r.sent:
                    failures += 1
                    waits = self.policy.waits()
                    stop.wait(max(self.policy.idle_s, waits[min(failures, len(waits)) - 1].total_seconds()))
                else:
                    failures = 0
                    if r.calls == 0:
                        stop.wait(self.policy.idle_s)
        finally:
            try:
                outbox.release(self.store, self.token)
            except Exception:
                log.exception("engagement index: could not release the claimed entries")
