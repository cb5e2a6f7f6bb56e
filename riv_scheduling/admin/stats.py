"""The statistics the page shows, behind a small interface.

`StatsSource` is what the page needs. `AuditTrailStats` is a stand-in over the audit trail (counts
by day, action and time type; result codes per interaction) and the appointments' reasons, until
the statistics functions of `riv-scheduling stats` (the outbox issue) are wired in at the
composition root.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select

from riv_scheduling.domain import to_local
from riv_scheduling.domain.clock import start_of_day
from riv_scheduling.store.repositories import from_db, to_db
from riv_scheduling.store.tables import appointment, audit_event, timeslot


@dataclass
class Statistics:
    start: date
    end: date  # inclusive
    # (day, action, time type code) -> count; action is made, rebooked, cancelled, confirmed, proposed, refused
    per_day: Counter[tuple[date, str, str]] = field(default_factory=Counter)
    # (interaction, result code) -> count
    result_codes: Counter[tuple[str, str]] = field(default_factory=Counter)
    # (flow, reason) -> count; flow NYBOKNING, OMBOKNING or AVBOKNING, reason the code's name or "fritext"
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)


class StatsSource(Protocol):
    def statistics(self, start: date, end: date, units: Collection[str] | None) -> Statistics:
        """Counts for the days start..end (inclusive, Swedish dates); `units` None means all units."""
        ...


class AuditTrailStats:
    def __init__(self, store: Any) -> None:
        self._engine = store.engine

    def statistics(self, start: date, end: date, units: Collection[str] | None) -> Statistics:
        stats = Statistics(start, end)
        conditions = [
            audit_event.c.at_utc >= to_db(start_of_day(start)),
            audit_event.c.at_utc < to_db(start_of_day(end + timedelta(days=1))),
            audit_event.c.interaction != "admin",
        ]
        if units is not None:
            conditions.append(func.lower(audit_event.c.facility_hsa_id).in_([u.lower() for u in units]))
        q = (
            select(audit_event.c.at_utc, audit_event.c.action, audit_event.c.interaction, audit_event.c.result_code,
                   timeslot.c.time_type_code)
            .select_from(audit_event.outerjoin(timeslot, timeslot.c.id == audit_event.c.timeslot_id))
            .where(*conditions)
        )
        with self._engine.connect() as conn:
            for row in conn.execute(q):
                day = to_local(from_db(row.at_utc)).date()
                stats.per_day[(day, row.action, row.time_type_code or "–")] += 1
                stats.result_codes[(row.interaction, row.result_code)] += 1
            self._reasons(conn, stats, start, end, units)
        return stats

    @staticmethod
    def _reasons(conn: Any, stats: Statistics, start: date, end: date, units: Collection[str] | None) -> None:
        low, high = to_db(start_of_day(start)), to_db(start_of_day(end + timedelta(days=1)))
        a = appointment.c
        flows = (  # flow, which appointments, the reason's columns
            ("NYBOKNING", [a.replaces.is_(None), a.created_at >= low, a.created_at < high], "new_reason"),
            ("OMBOKNING", [a.replaces.is_not(None), a.created_at >= low, a.created_at < high], "update_reason"),
            ("AVBOKNING", [a.state == "cancelled", a.updated_at >= low, a.updated_at < high], "cancel_reason"),
        )
        for flow, conditions, prefix in flows:
            if units is not None:
                conditions.append(func.lower(a.facility_hsa_id).in_([u.lower() for u in units]))
            columns = (a[f"{prefix}_display_name"], a[f"{prefix}_code"], a[f"{prefix}_text"])
            for name, code, free_text in conn.execute(select(*columns).where(*conditions)):
                if name or code:
                    stats.reasons[(flow, name or code)] += 1
                elif free_text:
                    stats.reasons[(flow, "fritext")] += 1
