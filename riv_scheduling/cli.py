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
    from riv_scheduling.access import AccessConfigError, AccessPolicy
    from riv_scheduling.demo import load_demo
    from riv_scheduling.domain import Scheduling
    from riv_scheduling.server import make_server, server_tls_context
    from riv_scheduling.soap.app import Producer

    if args.log_format != "kv":
        logs.configure(args.log_level, args.log_format)
    tls_args = (args.tls_cert, args.tls_key, args.client_ca)
    if any(tls_args) and not all(tls_args):
        print("riv-scheduling serve: --tls-cert, --tls-key and --client-ca go together", file=sys.stderr)
        return 2
    if args.access and not all(tls_args):
        print("riv-scheduling serve: --access needs mutual TLS (--tls-cert, --tls-key, --client-ca):"
              " the consumer is identified by its client certificate", file=sys.stderr)
        return 2
    access = None
    if args.access:
        try:
            access = AccessPolicy.load(args.access)
        except (AccessConfigError, OSError) as exc:
            print(f"riv-scheduling serve: {exc}", file=sys.stderr)
            return 2
    context = server_tls_context(*tls_args) if all(tls_args) else None
    if context is None:
        log.warning("DEVELOPMENT MODE: plain HTTP, no client certificates, no access control;"
                    " anyone who reaches the port may book for anyone (see docs/security.md)")
    elif access is None:
        log.warning("mutual TLS without --access: every certificate the client CA signed may call every"
                    " interaction for every unit (see docs/security.md)")
    else:
        log.info("mutual TLS with access control", extra={
            "consumers": len(access.rules), "platforms": len(access.platforms)})

    store = _store(args.db)
    if store.is_empty() and not args.no_demo:
        load_demo(store)
        log.info("empty database: loaded the demo data set")
    producer = Producer(Scheduling(store.uow), max_body=args.max_body, access=access)
    server = make_server(producer, args.host, args.port, ssl_context=context,
                         request_timeout=args.request_timeout, max_connections=args.max_connections)
    host, port = server.server_address[:2]
    scheme = "https" if context else "http"
    print(f"riv-scheduling serving on {scheme}://{host}:{port}", flush=True)
    for path in sorted(producer.endpoints):
        print(f"  {scheme}://{host}:{port}{path}?wsdl", flush=True)
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
    serve.add_argument("--tls-cert", metavar="FILE", help="server certificate (PEM, with its chain)")
    serve.add_argument("--tls-key", metavar="FILE", help="server private key (PEM)")
    serve.add_argument("--client-ca", metavar="FILE",
                       help="CA certificates (PEM) that sign client certificates; makes them required")
    serve.add_argument("--access", metavar="FILE",
                       help="consumer allowlist (TOML, see docs/security.md); needs the TLS options")
    serve.add_argument("--request-timeout", type=float, default=30.0,
                       help="seconds a connection may stay silent (default 30)")
    serve.add_argument("--max-connections", type=int, default=256,
                       help="connections served at once (default 256)")
    serve.add_argument("--log-format", choices=("kv", "json"), default="kv",
                       help="log lines as key=value pairs (default) or JSON")
    serve.set_defaults(func=cmd_serve)

    units = sub.add_parser("units", help="list the care units this producer serves")
    units.add_argument("--db", default=None, help=db_help)
    units.set_defaults(func=cmd_units)

    from riv_scheduling.clinic import commands as clinic_commands

    clinic_commands.register(sub)  # load, propose, withdraw, assign
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(args.log_level)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
