"""The store's subcommands of `riv-scheduling`: `db upgrade`, `db status` and `audit`.

`register(subparsers)` adds them to an argparse sub-parser set; each sets `func(args) -> int`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from riv_scheduling.arguments import DB_HELP, person_id, uuid_of


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from riv_scheduling.store import SchemaError, open_store

    store = open_store(args.db)
    try:
        before, after = store.upgrade()
    except SchemaError as exc:
        print(f"riv-scheduling db upgrade: {exc}", file=sys.stderr)
        return 1
    finally:
        store.dispose()
    if before == after:
        print(f"{store.url}: already at the current schema (revision {after})")
    else:
        print(f"{store.url}: upgraded from {before or 'no revision'} to revision {after}")
    return 0


def cmd_db_status(args: argparse.Namespace) -> int:
    """Prints the status; exit code 0 when current, 1 otherwise (for scripts)."""
    from riv_scheduling.store import DatabaseMissing, open_store
    from riv_scheduling.store.schema import head_revision, status

    try:
        store = open_store(args.db, must_exist=True)
    except DatabaseMissing as exc:  # reported, not created
        print(f"{args.db}: missing ({exc}), current {head_revision()}")
        return 1
    try:
        with store.engine.connect() as conn:
            state, revision = status(conn)
    finally:
        store.dispose()
    print(f"{store.url}: {state} (database revision {revision or '-'}, current {head_revision()})")
    return 0 if state == "current" else 1


def cmd_audit(args: argparse.Namespace) -> int:
    """The audit trail of an appointment (its whole rebooking chain) or of a person, one line per
    event in time order. Identity numbers are masked unless --show-identity."""
    from riv_scheduling.domain import AuditTrail
    from riv_scheduling.store import open_store

    store = open_store(args.db, must_exist=True)
    try:
        state = store.schema_status()
        if state != "current":
            print(
                f"riv-scheduling audit: the database schema is {state}"
                + ("; run `riv-scheduling db upgrade` first" if state == "behind" else ""),
                file=sys.stderr,
            )
            return 1
        trail = AuditTrail(store.uow)
        events = trail.for_appointment(args.appointment) if args.appointment else trail.for_person(args.person)
    finally:
        store.dispose()
    for event in events:
        print(event.line(show_identity=args.show_identity))
    if not events:
        print("no audit events", file=sys.stderr)
    return 0


def register(subparsers: Any) -> None:
    """Add `db` (upgrade, status) and `audit` to `parser.add_subparsers(...)`."""
    db = subparsers.add_parser("db", help="the database schema: upgrade, status")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser(
        "upgrade",
        help="bring the database to the current schema (alembic migrations); safe to repeat",
        description="Migrate any database (empty, from an older version, or current) to the current "
        "schema in one transaction. `serve` refuses a database whose schema is behind.",
    )
    upgrade.add_argument("--db", default=None, help=DB_HELP)
    upgrade.set_defaults(func=cmd_db_upgrade)
    db_status = db_sub.add_parser("status", help="empty, current, behind or ahead (exit code 0 only when current)")
    db_status.add_argument("--db", default=None, help=DB_HELP)
    db_status.set_defaults(func=cmd_db_status)

    audit = subparsers.add_parser(
        "audit",
        help="the audit trail of an appointment (with its rebookings) or of a person",
        description="One line per event in time order: time, interaction, action, result code, unit, "
        "person, actor (identity numbers masked unless --show-identity), consumer HSA-id, ids.",
    )
    which = audit.add_mutually_exclusive_group(required=True)
    which.add_argument("--appointment", type=uuid_of("an appointment id"),
                       help="appointment id: the whole rebooking chain")
    which.add_argument("--person", type=person_id, help="personnummer or samordningsnummer (12 digits)")
    audit.add_argument("--show-identity", action="store_true",
                       help="print identity numbers in full (they are masked by default)")
    audit.add_argument("--db", default=None, help=DB_HELP)
    audit.set_defaults(func=cmd_audit)
