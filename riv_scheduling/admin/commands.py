"""`riv-scheduling admin` (the web tool on its own port) and `riv-scheduling admin-user add|remove|list`."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from riv_scheduling.arguments import DB_HELP

USERS_HELP = "staff accounts file (default: $RIV_SCHEDULING_ADMIN_USERS or riv-admin-users.json)"


def cmd_admin(args: argparse.Namespace) -> int:
    from werkzeug.serving import make_server

    from riv_scheduling.store import SchemaError, open_store

    from .accounts import AccountFile
    from .app import Settings, create_admin_app
    from .stats import AuditTrailStats

    store = open_store(args.db)
    try:
        store.ensure_schema()
    except SchemaError as exc:
        print(f"riv-scheduling admin: {exc}", file=sys.stderr)
        return 2
    if store.is_empty() and args.demo:
        from riv_scheduling.clinic import apply_config
        from riv_scheduling.contract.schemas import RESOURCES

        apply_config(store, RESOURCES / "demo-clinic.toml")  # the demo data set, as `serve` loads it
    settings = Settings(
        accounts=AccountFile(args.users), secure_cookie=not args.insecure_cookie,
        trusted_header=args.trusted_header, trusted_proxies=tuple(args.trusted_proxy or ()),
    )
    app = create_admin_app(store.uow, settings, stats=AuditTrailStats(store), store=store)
    server = make_server(args.host, args.port, app, threaded=True)
    print(f"riv-scheduling admin on http://{args.host}:{server.server_port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.dispose()
    return 0


def cmd_user(args: argparse.Namespace) -> int:
    from .accounts import AccountError, AccountFile
    from .staff import Role

    accounts = AccountFile(args.users)
    try:
        if args.user_command == "add":
            password = None
            if not args.no_password:
                password = os.environ.get("RIV_SCHEDULING_ADMIN_PASSWORD") or getpass.getpass("Password: ")
            account = accounts.add(args.username, Role(args.role), tuple(args.unit or ()), password)
            print(f"added {account.staff.username} ({account.staff.role.value}"
                  f"{': ' + ', '.join(account.staff.units) if account.staff.units else ''})")
        elif args.user_command == "remove":
            if not accounts.remove(args.username):
                print(f"no account {args.username}", file=sys.stderr)
                return 1
            print(f"removed {args.username}")
        else:
            for a in accounts.load().values():
                how = "password" if a.password_hash else "proxy header only"
                print(f"{a.staff.username}\t{a.staff.role.value}\t{','.join(a.staff.units) or '*'}\t{how}")
    except AccountError as exc:
        print(f"riv-scheduling admin-user: {exc}", file=sys.stderr)
        return 1
    return 0


def register(subparsers: Any) -> None:
    admin = subparsers.add_parser("admin", help="the staff web tool (texts, rules, invitations, support, statistics)")
    admin.add_argument("--host", default="127.0.0.1")
    admin.add_argument("--port", type=int, default=8081, help="default 8081; 0 picks a free port (printed)")
    admin.add_argument("--db", default=None, help=DB_HELP)
    admin.add_argument("--users", default=None, help=USERS_HELP)
    admin.add_argument("--demo", action="store_true", help="load the demo data set into an empty database")
    admin.add_argument("--trusted-header", default=None, metavar="NAME",
                       help="sign staff in by this header from an authenticating proxy (e.g. X-Remote-User)")
    admin.add_argument("--trusted-proxy", action="append", metavar="ADDR",
                       help="address the identity header is believed from (repeat for several)")
    admin.add_argument("--insecure-cookie", action="store_true",
                       help="send the session cookie over plain HTTP too (only for a trial away from localhost)")
    admin.set_defaults(func=cmd_admin)

    user = subparsers.add_parser("admin-user", help="staff accounts of the web tool: add, remove, list")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser(
        "add", help="add or replace an account (password asked, or $RIV_SCHEDULING_ADMIN_PASSWORD)")
    add.add_argument("username")
    add.add_argument("--role", choices=("regional", "local"), required=True)
    add.add_argument("--unit", action="append", help="HSA-id of a unit a local administrator has (repeat)")
    add.add_argument("--no-password", action="store_true", help="sign-in through the proxy header only")
    add.add_argument("--users", default=None, help=USERS_HELP)
    remove = user_sub.add_parser("remove", help="remove an account")
    remove.add_argument("username")
    remove.add_argument("--users", default=None, help=USERS_HELP)
    listing = user_sub.add_parser("list", help="list the accounts")
    listing.add_argument("--users", default=None, help=USERS_HELP)
    for p in (add, remove, listing):
        p.set_defaults(func=cmd_user)
