"""Statistics for the care unit from the audit trail (`riv-scheduling stats`).

Counts, for a period of Swedish calendar days (inclusive) and optionally one unit:
- changes: appointments made (MakeAppointment), proposed (the clinic), rebooked, cancelled and
  confirmed, per day and time type;
- reasons per flow (NYBOKNING, OMBOKNING, AVBOKNING): the reason code (code system and code, with its
  display name), else "free text" when only a text was given, else "none". Free texts themselves are
  never listed: they may hold anything a citizen wrote;
- result codes per interaction: every answer recorded, refusals included (the codes citizens were
  shown), repeats (a retried request answered as the first) included.

The audit trail is the source: one event per change or refusal, never changed (domain/audit.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from riv_scheduling.domain import AuditAction, local_date
from riv_scheduling.domain.clock import end_of_day, start_of_day

from .repositories import from_db, to_db
from .tables import appointment, audit_event, timeslot

CHANGES = {
    AuditAction.MADE: "booked",
    AuditAction.PROPOSED: "proposed",
    AuditAction.REBOOKED: "rebooked",
    AuditAction.CANCELLED: "cancelled",
    AuditAction.CONFIRMED: "confirmed",
}
# The flow (core:ProcessEnum) whose reason a change carries, and where the appointment keeps it.
REASONS = {
    AuditAction.MADE: ("NYBOKNING", "new_reason"),
    AuditAction.PROPOSED: ("NYBOKNING", "new_reason"),
    AuditAction.REBOOKED: ("OMBOKNING", "update_reason"),
    AuditAction.CANCELLED: ("AVBOKNING", "cancel_reason"),
}


@dataclass
class Statistics:
    changes: Counter[tuple[date, str, str]] = field(default_factory=Counter)  # (day, time type, change)
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)  # (flow, reason)
    result_codes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (interaction, resultCode)
    refusals: Counter[tuple[date, str]] = field(default_factory=Counter)  # (day, time type): refused changes

    def rows(self) -> list[tuple[str, str, str, str, str, int]]:
        """(section, day, time type, flow or interaction, value, count), sorted: the CSV form."""
        out = [("changes", d.isoformat(), tt, change, "", n) for (d, tt, change), n in self.changes.items()]
        out += [("reasons", "", "", flow, reason, n) for (flow, reason), n in self.reasons.items()]
        out += [("result_codes", "", "", i, code, n) for (i, code), n in self.result_codes.items()]
        out += [("refusals", d.isoformat(), tt, "", "", n) for (d, tt), n in self.refusals.items()]
        return sorted(out)


def _reason(row: Any, prefix: str) -> str:
    m = row._mapping
    code = m[f"{prefix}_code"]
    if code is not None:
        name = m[f"{prefix}_display_name"]
        return f"{m[f'{prefix}_code_system']}:{code}" + (f" {name}" if name else "")
    return "free text" if m[f"{prefix}_text"] else "none"


def collect(conn: Connection, first: date, last: date, unit: str | None = None) -> Statistics:
    """Statistics for the Swedish days first..last (inclusive), of one unit (HSA-id, any case) or all."""
    changed = appointment.alias("changed")
    conditions = [
        audit_event.c.at_utc >= to_db(start_of_day(first)),
        audit_event.c.at_utc < to_db(end_of_day(last)),
    ]
    if unit is not None:
        conditions.append(func.lower(audit_event.c.facility_hsa_id) == unit.lower())
    reason_columns = [
        changed.c[f"{p}_{part}"]
        for p in ("new_reason", "update_reason", "cancel_reason")
        for part in ("text", "code", "code_system", "display_name")
    ]
    q = (
        select(
            audit_event.c.at_utc, audit_event.c.interaction, audit_event.c.action, audit_event.c.result_code,
            timeslot.c.time_type_code, *reason_columns,
        )
        .select_from(
            audit_event.outerjoin(timeslot, timeslot.c.id == audit_event.c.timeslot_id).outerjoin(
                changed,
                or_(
                    and_(audit_event.c.new_appointment_id.is_not(None),
                         changed.c.id == audit_event.c.new_appointment_id),
                    and_(audit_event.c.new_appointment_id.is_(None), changed.c.id == audit_event.c.appointment_id),
                ),
            )
        )
        .where(*conditions)
    )
    stats = Statistics()
    for row in conn.execute(q):
        action = AuditAction(row.action)
        stats.result_codes[(row.interaction, row.result_code)] += 1
        if action in CHANGES:
            day = local_date(from_db(row.at_utc))
            stats.changes[(day, row.time_type_code or "-", CHANGES[action])] += 1
        elif action is AuditAction.REFUSED:
            stats.refusals[(local_date(from_db(row.at_utc)), row.time_type_code or "-")] += 1
        if action in REASONS:
            flow, prefix = REASONS[action]
            stats.reasons[(flow, _reason(row, prefix))] += 1
    return stats
