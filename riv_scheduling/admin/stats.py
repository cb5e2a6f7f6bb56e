"""The statistics the page shows, behind a small interface.

`StatsSource` is what the page needs; `AuditTrailStats` gives it the counts of `riv-scheduling stats`
(store/statistics.py), the one source of truth for the care unit's statistics.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from riv_scheduling.store.statistics import collect


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


# The command's names of a change -> the page's (its labels are keyed by these).
_ACTIONS = {"booked": "made", "proposed": "proposed", "rebooked": "rebooked", "cancelled": "cancelled",
            "confirmed": "confirmed"}


class AuditTrailStats:
    """The page's statistics from `riv-scheduling stats`' own source (store.statistics.collect), so the
    page and the command can never disagree; the staff tool's own audit events are left out."""

    def __init__(self, store: Any) -> None:
        self._engine = store.engine

    def statistics(self, start: date, end: date, units: Collection[str] | None) -> Statistics:
        stats = Statistics(start, end)
        with self._engine.connect() as conn:
            for unit in sorted(units) if units is not None else [None]:
                found = collect(conn, start, end, unit)
                for (day, time_type, change), n in found.changes.items():
                    stats.per_day[(day, _ACTIONS[change], time_type)] += n
                for (day, time_type), n in found.refusals.items():
                    stats.per_day[(day, "refused", time_type)] += n
                for (interaction, code), n in found.result_codes.items():
                    if interaction != "admin":
                        stats.result_codes[(interaction, code)] += n
                for (flow, reason), n in found.reasons.items():
                    if reason != "none":
                        stats.reasons[(flow, "fritext" if reason == "free text" else reason)] += n
        return stats
