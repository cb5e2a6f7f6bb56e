"""The EI outbox as the deliverer sees it: claiming work, acknowledging it, backing off, parking.

Entries are recorded by the use cases (store/engagement_index.py). Delivery is at least once and in
order per appointment: only the oldest entry of an appointment can be claimed, so a later one never
overtakes it (an add never overtakes the delete that followed it), and a batch never has two
entries with one key (EI-TKB kR1). A claim is a lease (`claim_token`, `claimed_until_utc`) taken in a
short transaction: on PostgreSQL with `FOR UPDATE SKIP LOCKED`, on SQLite under its single writer
(`BEGIN IMMEDIATE`). Several deliverers therefore never send one entry at the same time; one that
dies leaves its claim to run out, and the entries are sent again (duplicates are harmless: EI-TKB pR5).
A delivered entry is deleted; one that failed `max_attempts` times is parked (kept, never sent again
until `riv-scheduling outbox retry`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, false, func, or_, select, true, update

from riv_scheduling.domain.engagement_index import EngagementTransaction

from .engagement_index import key_of
from .engine import _WRITE, Store
from .repositories import from_db
from .tables import ei_outbox


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    transaction: EngagementTransaction
    created: datetime  # aware
    attempts: int
    parked: bool
    last_error: str | None

    @property
    def appointment_id(self) -> uuid.UUID:
        return self.transaction.appointment_id


@dataclass(frozen=True)
class OutboxStatus:
    depth: int  # entries not yet delivered (parked ones included)
    parked: int
    claimed: int  # being sent now (an unexpired claim)
    oldest_age_s: float | None  # age of the oldest entry not yet delivered
    retrying: int  # waiting for a later attempt after a failure


@contextmanager
def _writing(store: Store) -> Iterator[Connection]:
    with store.engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})  # SQLite: BEGIN IMMEDIATE
        with conn.begin():
            yield conn


def _entry(row: Row[Any]) -> OutboxEntry:
    content = row.most_recent_content_utc
    transaction = EngagementTransaction(
        uuid.UUID(row.appointment_id),
        key_of(row),
        bool(row.delete_flag),
        from_db(content) if content is not None else None,
    )
    return OutboxEntry(row.id, transaction, from_db(row.created_utc), row.attempts, bool(row.parked), row.last_error)


def claim(store: Store, token: str, limit: int, lease: timedelta) -> list[OutboxEntry]:
    """Claim up to `limit` entries that are due, each the oldest of its appointment, for `lease`."""
    o = ei_outbox
    earlier = ei_outbox.alias("earlier")
    now = utc_now()
    with _writing(store) as conn:
        first_of_appointment = ~select(earlier.c.id).where(
            earlier.c.appointment_id == o.c.appointment_id, earlier.c.id < o.c.id
        ).exists()
        q = (
            select(o.c.id)
            .where(
                o.c.parked == false(),
                o.c.next_attempt_utc <= now,
                or_(o.c.claimed_until_utc.is_(None), o.c.claimed_until_utc < now),
                first_of_appointment,
            )
            .order_by(o.c.id)
            .limit(limit)
        )
        if conn.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True, of=o)
        ids = [r.id for r in conn.execute(q)]
        if not ids:
            return []
        conn.execute(
            update(o).where(o.c.id.in_(ids)).values(claim_token=token, claimed_until_utc=now + lease)
        )
        return [_entry(r) for r in conn.execute(select(o).where(o.c.id.in_(ids)).order_by(o.c.id))]


def delivered(store: Store, token: str, ids: Sequence[int]) -> int:
    """Delete the entries the EI accepted (only while this deliverer's claim holds them)."""
    with _writing(store) as conn:
        result = conn.execute(delete(ei_outbox).where(ei_outbox.c.id.in_(ids), ei_outbox.c.claim_token == token))
        return int(result.rowcount)


def failed(
    store: Store, token: str, ids: Sequence[int], error: str, retry_in: Sequence[timedelta], max_attempts: int
) -> int:
    """One more failed attempt each; parked once `max_attempts` is reached. `retry_in[i]` is the wait
    after the (i+1)-th failure. Returns how many were parked now."""
    o = ei_outbox
    now = utc_now()
    parked = 0
    mine = and_(o.c.id.in_(ids), o.c.claim_token == token)
    with _writing(store) as conn:
        # One statement per attempt count (usually one): short, whatever the batch's size.
        counts = conn.execute(select(o.c.attempts, func.count()).where(mine).group_by(o.c.attempts)).all()
        for attempts, count in counts:
            attempts_now = attempts + 1
            park = attempts_now >= max_attempts
            parked += count if park else 0
            conn.execute(
                update(o)
                .where(mine, o.c.attempts == attempts)
                .values(
                    attempts=attempts_now,
                    parked=park,
                    last_error=error[:2000],
                    next_attempt_utc=now + retry_in[min(attempts_now, len(retry_in)) - 1],
                    claim_token=None,
                    claimed_until_utc=None,
                )
            )
    return parked


def release(store: Store, token: str) -> None:
    """Give back what this deliverer claimed and did not send (it is stopping)."""
    with _writing(store) as conn:
        conn.execute(
            update(ei_outbox).where(ei_outbox.c.claim_token == token).values(claim_token=None, claimed_until_utc=None)
        )


def status(store: Store) -> OutboxStatus:
    o = ei_outbox
    now = utc_now()
    with store.engine.connect() as conn:
        row = conn.execute(
            select(
                func.count(),
                func.count().filter(o.c.parked == true()),
                func.count().filter(and_(o.c.claimed_until_utc.is_not(None), o.c.claimed_until_utc >= now)),
                func.count().filter(and_(o.c.parked == false(), o.c.attempts > 0)),
                func.min(o.c.created_utc),
            )
        ).one()
    oldest = (now - row[4]).total_seconds() if row[4] is not None else None
    return OutboxStatus(depth=row[0], parked=row[1], claimed=row[2], retrying=row[3], oldest_age_s=oldest)


def entries(store: Store, *, parked_only: bool = False, limit: int = 100) -> list[OutboxEntry]:
    q = select(ei_outbox).order_by(ei_outbox.c.id).limit(limit)
    if parked_only:
        q = q.where(ei_outbox.c.parked == true())
    with store.engine.connect() as conn:
        return [_entry(r) for r in conn.execute(q)]


def retry(store: Store, ids: Sequence[int] | None = None) -> int:
    """Re-queue parked entries (all, or those with these ids) for an attempt now; returns how many."""
    o = ei_outbox
    condition = o.c.parked == true()
    if ids is not None:
        condition = and_(condition, o.c.id.in_(ids))
    with _writing(store) as conn:
        result = conn.execute(
            update(o).where(condition).values(parked=False, attempts=0, next_attempt_utc=utc_now())
        )
        return int(result.rowcount)
