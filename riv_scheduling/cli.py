"""The ``riv-scheduling`` command: serve the producer and inspect its database."""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from collections.abc import Sequence
from typing import Any

from riv_scheduling import logs

log = logging.getLogger("riv_scheduling")


class CommandError(Exception):
    """A refusal the command line reports in one line (exit code 2)."""


def _store(url: str | None) -> Any:
    """The store at ``url``; an empty database gets the current schema, an outdated one is refused."""
    from riv_scheduling.store import SchemaError, open_store

    store = open_store(url)
    try:
        store.ensure_schema()
    except SchemaError as exc:
        store.dispose()
        raise CommandError(str(exc)) from None
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
    if args.workers is not None:
        return _serve_workers(args)
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
    from riv_scheduling.metrics import instrument

    server = make_server(instrument(producer, store), args.host, args.port, ssl_context=context,
                         request_timeout=args.request_timeout, max_connections=args.max_connections)
    host, port = server.server_address[:2]
    host = host.decode() if isinstance(host, bytes) else host
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


def _serve_workers(args: argparse.Namespace) -> int:
    """``serve --workers N``: gunicorn, N worker processes, ``--threads`` each (plain HTTP)."""
    if args.workers < 1:
        print("riv-scheduling serve: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.tls_cert or args.access:
        print("riv-scheduling serve: --workers runs plain HTTP only: the consumer's identity comes from"
              " its TLS client certificate, which the worker server does not hand to the producer."
              " For mutual TLS (and --access) run without --workers (one process), or terminate TLS"
              " in a load balancer in front of the workers (see README, 'Production')", file=sys.stderr)
        return 2
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        print("riv-scheduling serve: --workers needs gunicorn (pip install gunicorn)", file=sys.stderr)
        return 2
    from riv_scheduling.contract import INTERACTIONS
    from riv_scheduling.demo import load_demo
    from riv_scheduling.metrics import instrument, prepare_multiprocess, worker_exit

    prepare_multiprocess()  # /metrics sums the workers' metrics (prometheus_client multi-process mode)
    from riv_scheduling.wsgi import create_app, settle_memory

    log.warning("DEVELOPMENT MODE: plain HTTP, no client certificates, no access control;"
                " anyone who reaches the port may book for anyone (see docs/security.md)")
    store = _store(args.db)  # schema and demo data once, before the workers start
    if store.is_empty() and not args.no_demo:
        load_demo(store)
        log.info("empty database: loaded the demo data set")
    store.dispose()
    paths = sorted(INTERACTIONS[name].path for name in _served())
    reuse_port = args.reuse_port and hasattr(socket, "SO_REUSEPORT")
    port = args.port
    if reuse_port:
        try:
            port = _claim_port(args.host, args.port)
        except OSError as exc:
            print(f"riv-scheduling serve: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
            return 2

    def when_ready(server: Any) -> None:
        if server.LISTENERS:
            host, bound = server.LISTENERS[0].sock.getsockname()[:2]
        else:  # reuse_port: every worker binds its own socket to the port checked above
            host, bound = args.host, port
        print(f"riv-scheduling serving on http://{host}:{bound} ({args.workers} worker processes)", flush=True)
        for path in paths:
            print(f"  http://{host}:{bound}{path}?wsdl", flush=True)

    def post_worker_init(_worker: Any) -> None:
        settle_memory()  # the producer (own engine) is built by now; freeze the start-up heap

    class Workers(BaseApplication):
        def load_config(self) -> None:
            settings = {
                "bind": [f"{args.host}:{port}"],
                "reuse_port": reuse_port,
                "workers": args.workers,
                "worker_class": "gthread",
                "threads": args.threads,
                "preload_app": False,  # each worker imports and opens its own engine
                "worker_connections": args.max_connections,
                "keepalive": 5,
                "graceful_timeout": 10,
                "loglevel": args.log_level.lower(),
                "when_ready": when_ready,
                "post_worker_init": post_worker_init,
                "child_exit": lambda _server, worker: worker_exit(worker.pid),
                "proc_name": "riv-scheduling",
                "control_socket_disable": True,  # gunicorn >= 25: no shared ~/.gunicorn/gunicorn.ctl
            }
            for key, value in settings.items():
                if key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self) -> Any:
            # One pooled connection per thread at least: above the pool size (5), connections would be
            # opened and closed again for every request (a new PostgreSQL backend process each time).
            producer = create_app(args.db, max_body=args.max_body, engine_options=_pool_options(args.db, args.threads))
            return instrument(producer, producer.store)  # type: ignore[attr-defined]

    try:
        Workers().run()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _pool_options(db_url: str | None, threads: int) -> dict[str, Any]:
    """SQLAlchemy pool settings for a worker with ``threads`` threads: at least one pooled
    connection per thread on a server database (SQLite files keep their own pool of 10)."""
    from sqlalchemy.engine import make_url

    if db_url is None or make_url(db_url).get_backend_name() == "sqlite" or threads <= 5:
        return {}
    return {"pool_size": threads}


def _claim_port(host: str, port: int) -> int:
    """The port the workers will share with SO_REUSEPORT: ``port``, or a free one for 0.

    Bound once without SO_REUSEPORT, so a port some other process listens on (even one that set
    SO_REUSEPORT itself, such as another ``serve --workers``) is refused instead of shared."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn: TIME_WAIT is no conflict
        probe.bind((host, port))
        return int(probe.getsockname()[1])


def _served() -> list[str]:
    from riv_scheduling.soap.handlers import HANDLERS

    return list(HANDLERS)


def cmd_units(args: argparse.Namespace) -> int:
    from riv_scheduling.domain import Scheduling

    store = _store(args.db)
    for facility in Scheduling(store.uow).reading.facilities():
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
    serve.add_argument("--workers", type=int, default=None, metavar="N",
                       help="serve with gunicorn and N worker processes (plain HTTP; default: one process,"
                            " threaded server, with TLS support)")
    serve.add_argument("--threads", type=int, default=1, metavar="N",
                       help="threads per worker process with --workers (default 1: a call is mostly Python"
                            " CPU, and threads of one process contend for the GIL; scale with --workers)")
    serve.add_argument("--reuse-port", action=argparse.BooleanOptionalAction, default=True,
                       help="with --workers: each worker listens on its own SO_REUSEPORT socket, so the kernel"
                            " spreads connections evenly over the workers (default; --no-reuse-port: one shared"
                            " socket, whichever worker wakes first accepts)")
    serve.set_defaults(func=cmd_serve)

    units = sub.add_parser("units", help="list the care units this producer serves")
    units.add_argument("--db", default=None, help=db_help)
    units.set_defaults(func=cmd_units)

    from riv_scheduling.clinic import commands as clinic_commands

    clinic_commands.register(sub)  # load, propose, withdraw, assign
    __import__("riv_scheduling.store.commands", fromlist=["register"]).register(sub)  # db upgrade|status, audit
    __import__("riv_scheduling.conformance.commands", fromlist=["register"]).register(sub)  # conformance, validate
    __import__("riv_scheduling.engagement_index.commands", fromlist=["register"]).register(sub)  # deliver, outbox
    __import__("riv_scheduling.store.stats_command", fromlist=["register"]).register(sub)  # stats
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(args.log_level)
    try:
        return int(args.func(args))
    except CommandError as exc:
        print(f"riv-scheduling {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
