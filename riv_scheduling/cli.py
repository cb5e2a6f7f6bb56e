"""The ``riv-scheduling`` command: serve the producer and inspect its database."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from riv_scheduling import logs

log = logging.getLogger("riv_scheduling")


def _store(url: str | None):  # type: ignore[no-untyped-def]
    from riv_scheduling.store import open_store

    store = open_store(url)
    store.create_schema()
    return store


def cmd_serve(args: argparse.Namespace) -> int:
    from riv_scheduling.demo import load_demo
    from riv_scheduling.domain import Scheduling
    from riv_scheduling.server import make_server
    from riv_scheduling.soap.app import Producer

    store = _store(args.db)
    if store.is_empty() and not args.no_demo:
        load_demo(store)
        log.info("empty database: loaded the demo data set")
    producer = Producer(Scheduling(store.uow), max_body=args.max_body)
    server = make_server(producer, args.host, args.port)
    host, port = server.server_address[:2]
    print(f"riv-scheduling serving on http://{host}:{port}", flush=True)
    for path in sorted(producer.endpoints):
        print(f"  http://{host}:{port}{path}?wsdl", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.dispose()
    return 0


def cmd_units(args: argparse.Namespace) -> int:
    from riv_scheduling.domain import Scheduling

    store = _store(args.db)
    for facility in Scheduling(store.uow).facilities():
        print(f"{facility.hsa_id}\t{facility.name}")
    store.dispose()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="riv-scheduling",
        description="RIV-TA producer for riv.supportprocess.logistics.scheduling 2.0",
    )
    parser.add_argument("--log-level", default="INFO")
    sub = parser.add_subparsers(dest="command", required=True)
    db_help = "SQLAlchemy database URL (default: sqlite:///riv-scheduling.db)"

    serve = sub.add_parser("serve", help="start the SOAP producer")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--db", default=None, help=db_help)
    serve.add_argument("--no-demo", action="store_true",
                       help="do not load the demo data set into an empty database")
    serve.add_argument("--max-body", type=int, default=1024 * 1024,
                       help="largest accepted request body in bytes (default 1 MiB)")
    serve.set_defaults(func=cmd_serve)

    units = sub.add_parser("units", help="list the care units this producer serves")
    units.add_argument("--db", default=None, help=db_help)
    units.set_defaults(func=cmd_units)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(args.log_level)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
