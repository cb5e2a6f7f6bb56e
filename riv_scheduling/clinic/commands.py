"""The clinic's subcommands of `riv-scheduling`: load, propose, withdraw, assign.

`register(subparsers)` adds them to an argparse sub-parser set; each sets `func(args) -> int`
(0 on success, 1 on a refusal or an invalid file, with the reason on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from riv_scheduling.arguments import DB_HELP, iso_date, person_id, uuid_of

timeslot = uuid_of("a timeslot id")


def _store(url: str | None, create: bool) -> Any:
    """The store; only `load` creates a database that is not there (the others would work on an empty one)."""
    from riv_scheduling.store import open_store

    store = open_store(url, must_exist=not create)
    store.create_schema()
    return store


def _run(action: Callable[[argparse.Namespace, Any], str]) -> Callable[[argparse.Namespace], int]:
    """Open the store, run, print the result line; refusals go to stderr with exit code 1."""

    def command(args: argparse.Namespace) -> int:
        from riv_scheduling.domain import DomainError, SetupError

        from .config import ConfigError

        store = _store(args.db, create=args.command == "load")
        try:
            print(action(args, store), flush=True)
            return 0
        except (ConfigError, SetupError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except DomainError as exc:
            print(f"{exc.code.value}: {exc.text}", file=sys.stderr)
            return 1
        finally:
            store.dispose()

    return command


def cmd_load(args: argparse.Namespace, store: Any) -> str:
    from .apply import apply_config

    return str(apply_config(store, args.file, today=args.today))


def cmd_propose(args: argparse.Namespace, store: Any) -> str:
    from riv_scheduling.domain import ClinicSetup

    appointment = ClinicSetup(store.uow).propose_appointment(
        args.unit, args.person, args.timeslot, reason_text=args.reason
    )
    return str(appointment.id)


def cmd_withdraw(args: argparse.Namespace, store: Any) -> str:
    from riv_scheduling.domain import ClinicSetup

    ClinicSetup(store.uow).withdraw_timeslot(args.timeslot)
    return f"withdrawn {args.timeslot}"


def cmd_assign(args: argparse.Namespace, store: Any) -> str:
    from riv_scheduling.domain import ClinicSetup

    a = ClinicSetup(store.uow).assign_time_type(
        args.unit, args.person, args.time_type, priority=args.priority, valid_until=args.valid_until
    )
    extras = [f"priority {a.priority}"] if a.priority is not None else []
    extras += [f"valid until {a.valid_until}"] if a.valid_until else []
    return f"assigned {a.time_type_code} at {a.facility_hsa_id} to {a.person_id.masked()}" + (
        f" ({', '.join(extras)})" if extras else ""
    )


def cmd_invite(args: argparse.Namespace, store: Any) -> str:
    from riv_scheduling.domain import ClinicSetup

    invitation = ClinicSetup(store.uow).invite(
        args.unit, args.person, args.time_type, args.purpose, valid_until=args.valid_until
    )
    return str(invitation.id)


def register(subparsers: Any) -> None:
    """Add the clinic subcommands to `parser.add_subparsers(...)`."""
    load = subparsers.add_parser(
        "load", help="make the database match a clinic configuration file (TOML)",
        description="Apply a clinic configuration file; prints one line saying what changed.",
    )
    load.add_argument("file", help="the configuration file, e.g. examples/demo-clinic.toml")
    load.add_argument("--db", default=None, help=DB_HELP)
    load.add_argument("--today", type=iso_date, default=None,
                      help="generate slots from this date (default: today, Swedish time)")
    load.set_defaults(func=_run(cmd_load))

    propose = subparsers.add_parser(
        "propose", help="book a PRELIMINARY appointment for a citizen (to be confirmed); prints its id",
    )
    propose.add_argument("--unit", required=True, help="HSA-id of the care unit")
    propose.add_argument("--person", required=True, type=person_id, help="personnummer (12 digits)")
    propose.add_argument("--timeslot", required=True, type=timeslot, help="timeslot id")
    propose.add_argument("--reason", default=None, help="reason text for the appointment")
    propose.add_argument("--db", default=None, help=DB_HELP)
    propose.set_defaults(func=_run(cmd_propose))

    withdraw = subparsers.add_parser("withdraw", help="take a timeslot out of online booking")
    withdraw.add_argument("--timeslot", required=True, type=timeslot, help="timeslot id")
    withdraw.add_argument("--db", default=None, help=DB_HELP)
    withdraw.set_defaults(func=_run(cmd_withdraw))

    assign = subparsers.add_parser(
        "assign", help="invite a citizen to a (protected) time type, or record a triage priority",
    )
    assign.add_argument("--unit", required=True, help="HSA-id of the care unit")
    assign.add_argument("--person", required=True, type=person_id, help="personnummer (12 digits)")
    assign.add_argument("--time-type", required=True, help="time type code, e.g. ATERBESOK")
    assign.add_argument("--priority", type=int, default=None, help="triage priority, 1 = most urgent")
    assign.add_argument("--valid-until", type=iso_date, default=None, help="last day the invitation holds")
    assign.add_argument("--db", default=None, help=DB_HELP)
    assign.set_defaults(func=_run(cmd_assign))

    invite = subparsers.add_parser(
        "invite", help="an open invitation (riv.crm.scheduling 1.1 kallelse without a time) to a time type; "
                       "prints its id, the bookingId the citizen books it with",
    )
    invite.add_argument("--unit", required=True, help="HSA-id of the care unit")
    invite.add_argument("--person", required=True, type=person_id, help="personnummer (12 digits)")
    invite.add_argument("--time-type", required=True, help="time type code, e.g. ATERBESOK")
    invite.add_argument("--purpose", required=True, help="what the invitation is for, shown to the citizen "
                                                         "(plain text or DocBook markup)")
    invite.add_argument("--valid-until", type=iso_date, default=None, help="last day the invitation holds")
    invite.add_argument("--db", default=None, help=DB_HELP)
    invite.set_defaults(func=_run(cmd_invite))
