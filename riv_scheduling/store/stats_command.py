"""`riv-scheduling stats --from DATE --to DATE [--unit HSA] [--csv FILE]` (store/statistics.py)."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import Any

from riv_scheduling.arguments import DB_HELP, iso_date

CSV_HEADER = ("section", "day", "time_type", "flow_or_interaction", "value", "count")


def cmd_stats(args: argparse.Namespace) -> int:
    from . import open_store
    from .statistics import collect

    if args.to < args.from_:
        print("riv-scheduling stats: --to is before --from", file=sys.stderr)
        return 2
    store = open_store(args.db)
    try:
        state = store.schema_status()
        if state != "current":
            print(f"riv-scheduling stats: the database schema is {state}", file=sys.stderr)
            return 1
        with store.engine.connect() as conn:
            stats = collect(conn, args.from_, args.to, args.unit)
    finally:
        store.dispose()
    rows = stats.rows()
    if args.csv:
        with open(args.csv, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(CSV_HEADER)
            writer.writerows(rows)
        print(f"{len(rows)} rows written to {args.csv}")
        return 0
    title = {"changes": "Changes per day and time type", "reasons": "Reasons per flow",
             "result_codes": "Result codes per interaction (refusals included)"}
    section = None
    for name, day, time_type, what, value, count in rows:
        if name != section:
            section = name
            print(f"\n{title[name]}")
        print("  " + "\t".join(v for v in (day, time_type, what, value) if v) + f"\t{count}")
    if not rows:
        print("no events in the period", file=sys.stderr)
    return 0


def register(subparsers: Any) -> None:
    stats = subparsers.add_parser(
        "stats", help="statistics from the audit trail: changes, reasons, result codes",
        description="Counts for the care unit from the audit trail, Swedish days --from..--to inclusive: "
        "bookings, proposals, rebookings, cancellations and confirmations per day and time type; reasons "
        "(code, or 'free text', or 'none') per flow; result codes per interaction, refusals included.",
    )
    stats.add_argument("--from", dest="from_", type=iso_date, required=True, help="first day, e.g. 2025-03-01")
    stats.add_argument("--to", type=iso_date, required=True, help="last day (inclusive)")
    stats.add_argument("--unit", default=None, help="only this unit (HSA-id)")
    stats.add_argument("--csv", metavar="FILE", default=None,
                       help=f"write CSV ({', '.join(CSV_HEADER)}) instead of text")
    stats.add_argument("--db", default=None, help=DB_HELP)
    stats.set_defaults(func=cmd_stats)
