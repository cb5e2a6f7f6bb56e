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


def _store(url: str | None, **engine_options: Any) -> Any:
    """The store at ``url``; an empty database gets the current schema, an outdated one is refused."""
    from riv_scheduling.store import SchemaError, open_store

    store = open_store(url, **engine_options)
    try:
        store.ensure_schema()
    except SchemaError as exc:
        store.dispose()
        raise CommandError(str(exc)) from None
    return store


def _limits(args: argparse.Namespace, threads: int) -> Any:
    from riv_scheduling.server import HttpLimits

    return HttpLimits(request_timeout=args.request_timeout, keep_alive=args.keep_alive,
                      max_connections=args.max_connections, threads=threads, max_body=args.max_body)


def _check_serve_args(args: argparse.Namespace) -> str | None:
    """Why these serve options cannot work together (None: they can)."""
    tls_args = (args.tls_cert, args.tls_key, args.client_ca)
    if any(tls_args) and not all(tls_args):
        return "--tls-cert, --tls-key and --client-ca go together"
    if args.workers is not None and args.workers < 1:
        return "--workers must be at least 1"
    if args.workers is not None and all(tls_args):
        return ("--workers does not terminate TLS itself: put nginx in front of the workers to verify the client"
                " certificates (--proxy-client-cert, docs/operations.md), or run one process with the TLS options")
    if args.proxy_client_cert and not args.trusted_proxy:
        return "--proxy-client-cert needs --trusted-proxy: the proxy whose certificate headers are trusted"
    if args.proxy_client_cert and all(tls_args):
        return "--proxy-client-cert and the TLS options exclude each other: the certificate comes from one of them"
    if args.access and not (all(tls_args) or args.proxy_client_cert):
        return ("--access needs mutual TLS (--tls-cert, --tls-key, --client-ca) or a TLS-terminating proxy"
                " (--trusted-proxy with --proxy-client-cert): the consumer is identified by its client certificate")
    for name in ("request_timeout", "keep_alive", "deadline"):
        if getattr(args, name) <= 0:
            return f"--{name.replace('_', '-')} must be more than 0 seconds"
    if min(args.max_connections, args.max_search_days, args.max_timeslots) < 1 or (
            args.threads is not None and args.threads < 1):
        return "--max-connections, --max-search-days, --max-timeslots and --threads must be at least 1"
    return None


def _mode_warning(args: argparse.Namespace, access: Any) -> None:
    tls = bool(args.tls_cert) or args.proxy_client_cert
    if not tls:
        log.warning("DEVELOPMENT MODE: plain HTTP, no client certificates, no access control;"
                    " anyone who reaches the port may book for anyone (see docs/security.md)")
    elif access is None:
        log.warning("mutual TLS without --access: every certificate the client CA signed may call every"
                    " interaction for every unit (see docs/security.md)")
    else:
        log.info("mutual TLS with access control", extra={
            "consumers": len(access.rules), "platforms": len(access.platforms)})


def _wrap(args: argparse.Namespace) -> Any:
    """The trusted-proxy middleware the options ask for (identity when none)."""
    from riv_scheduling.server import TrustedProxies, parse_proxies

    proxies = parse_proxies(args.trusted_proxy or ())
    if not proxies:
        return lambda app: app
    return lambda app: TrustedProxies(app, proxies, tls_identity=args.proxy_client_cert)


def cmd_serve(args: argparse.Namespace) -> int:
    from riv_scheduling.access import AccessConfigError, AccessPolicy
    from riv_scheduling.crm_soap import endpoints as crm_endpoints
    from riv_scheduling.demo import load_demo
    from riv_scheduling.domain import Scheduling
    from riv_scheduling.server import make_server, server_tls_context
    from riv_scheduling.soap.app import Producer

    if args.log_format != "kv":
        logs.configure(args.log_level, args.log_format)
    problem = _check_serve_args(args)
    if problem:
        print(f"riv-scheduling serve: {problem}", file=sys.stderr)
        return 2
    try:
        wrap = _wrap(args)
    except ValueError as exc:
        print(f"riv-scheduling serve: --trusted-proxy: {exc}", file=sys.stderr)
        return 2
    access = None
    if args.access:
        try:
            access = AccessPolicy.load(args.access)
        except (AccessConfigError, OSError) as exc:
            print(f"riv-scheduling serve: {exc}", file=sys.stderr)
            return 2
    _room_for_connections(args.max_connections)
    if args.workers is not None:
        return _serve_workers(args, access, wrap)
    tls_args = (args.tls_cert, args.tls_key, args.client_ca)
    try:
        context = server_tls_context(*tls_args) if all(tls_args) else None
    except (OSError, ValueError) as exc:
        print(f"riv-scheduling serve: cannot load the TLS files: {exc}", file=sys.stderr)
        return 2
    _mode_warning(args, access)
    store = _store(args.db, **_deadline_options(args))
    if store.is_empty() and not args.no_demo:
        load_demo(store)
        log.info("empty database: loaded the demo data set")
    # Both contract generations from one booking book: 2.0 (soap) and riv.crm.scheduling 1.1 (crm_soap).
    producer = Producer(Scheduling(store.uow, search_limits=_search_limits(args)), max_body=args.max_body,
                        access=access, adapters=[crm_endpoints], deadline=args.deadline)
    from riv_scheduling.metrics import instrument

    try:
        server = make_server(wrap(instrument(producer, store)), args.host, args.port, ssl_context=context,
                             limits=_limits(args, args.threads or 1), render_fault=producer.render_fault)
    except OSError as exc:
        store.dispose()
        print(f"riv-scheduling serve: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    from riv_scheduling.wsgi import settle_memory

    settle_memory()  # as each gunicorn worker does: the start-up heap out of the collector's way
    host, port = server.server_address[:2]
    scheme = "https" if context else "http"
    print(f"riv-scheduling serving on {scheme}://{_url_host(host)}:{port}", flush=True)
    for path in sorted(producer.endpoints):
        print(f"  {scheme}://{_url_host(host)}:{port}{path}?wsdl", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        producer.close()
        store.dispose()
    return 0


def _search_limits(args: argparse.Namespace) -> Any:
    from riv_scheduling.domain import SearchLimits

    return SearchLimits(max_days=args.max_search_days, max_timeslots=args.max_timeslots)


def _room_for_connections(connections: int) -> None:
    """Raise the soft limit of open files so --max-connections fit (each is a descriptor; the
    common default of 1024 would run out first). Inherited by the worker processes."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = connections + 256
        if soft != resource.RLIM_INFINITY and soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want if hard == resource.RLIM_INFINITY else min(want, hard),
                                                        hard))
    except (ImportError, ValueError, OSError):
        pass


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _deadline_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"deadline": args.deadline}


def _serve_workers(args: argparse.Namespace, access: Any, wrap: Any) -> int:
    """``serve --workers N``: gunicorn manages N worker processes; each serves with waitress."""
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        print("riv-scheduling serve: --workers needs gunicorn (pip install gunicorn)", file=sys.stderr)
        return 2
    from riv_scheduling.contract import INTERACTIONS
    from riv_scheduling.demo import load_demo
    from riv_scheduling.metrics import instrument, prepare_multiprocess, worker_exit
    from riv_scheduling.server import waitress_worker
    from riv_scheduling.soap.app import Producer

    prepare_multiprocess()  # /metrics sums the workers' metrics (prometheus_client multi-process mode)
    from riv_scheduling.wsgi import create_app, settle_memory

    _mode_warning(args, access)
    threads = args.threads or 1
    store = _store(args.db, **_deadline_options(args))  # schema and demo data once, before the workers start
    if store.is_empty() and not args.no_demo:
        load_demo(store)
        log.info("empty database: loaded the demo data set")
    store.dispose()
    paths = sorted(INTERACTIONS[name].path for name in _served())
    reuse_port = args.reuse_port and hasattr(socket, "SO_REUSEPORT")
    try:
        port = _claim_port(args.host, args.port)
    except OSError as exc:
        print(f"riv-scheduling serve: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2

    def when_ready(server: Any) -> None:
        if server.LISTENERS:
            host, bound = server.LISTENERS[0].sock.getsockname()[:2]
        else:  # reuse_port: every worker binds its own socket to the port checked above
            host, bound = args.host, port
        print(f"riv-scheduling serving on http://{_url_host(host)}:{bound} ({args.workers} worker processes)",
              flush=True)
        for path in paths:
            print(f"  http://{_url_host(host)}:{bound}{path}?wsdl", flush=True)

    def post_worker_init(_worker: Any) -> None:
        settle_memory()  # the producer (own engine) is built by now; freeze the start-up heap

    class Workers(BaseApplication):
        def load_config(self) -> None:
            settings = {
                "bind": [f"{args.host}:{port}"],
                "reuse_port": reuse_port,
                "workers": args.workers,
                "worker_class": waitress_worker(_limits(args, threads), Producer.render_fault, wrap),
                "threads": threads,
                "preload_app": False,  # each worker imports and opens its own engine
                "timeout": 30,  # a worker whose heartbeat stops this long is replaced
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
            producer = create_app(args.db, max_body=args.max_body, access=access, deadline=args.deadline,
                                  search_limits=_search_limits(args),
                                  engine_options={**_pool_options(args.db, threads), **_deadline_options(args)})
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

    store = _store(args.db, must_exist=True)
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
    serve.add_argument("--request-timeout", type=float, default=30.0, metavar="SECONDS",
                       help="a request (headers and body), and a TLS handshake, must arrive whole within this"
                            " many seconds of its first byte (default 30)")
    serve.add_argument("--keep-alive", type=float, default=5.0, metavar="SECONDS",
                       help="an idle connection is closed after this many seconds (default 5)")
    serve.add_argument("--deadline", type=float, default=10.0, metavar="SECONDS",
                       help="longest time a call may spend in the database (statement, lock and pool waits)"
                            " before it is answered with a Server fault (default 10; the national platform"
                            " gives up after 29)")
    serve.add_argument("--max-search-days", type=int, default=92, metavar="DAYS",
                       help="longest search window of GetAvailableTimeslots/GetAvailableDates, both days counted"
                            " (default 92); a longer one is answered with ERROR and a text naming the maximum")
    serve.add_argument("--max-timeslots", type=int, default=2000, metavar="N",
                       help="most timeslots in one GetAvailableTimeslots answer (default 2000); more: ERROR")
    serve.add_argument("--max-connections", type=int, default=1000,
                       help="open connections per process (default 1000); more are refused with HTTP 503")
    serve.add_argument("--trusted-proxy", action="append", metavar="ADDRESS",
                       help="a proxy (address or network, repeatable) whose X-Forwarded-Proto/-Host headers are"
                            " honoured; from anyone else they are removed")
    serve.add_argument("--proxy-client-cert", action="store_true",
                       help="the consumer's identity is the client certificate a trusted proxy verified"
                            " (X-Client-Verify, X-Client-Subject-DN; nginx, see docs/operations.md)")
    serve.add_argument("--log-format", choices=("kv", "json"), default="kv",
                       help="log lines as key=value pairs (default) or JSON")
    serve.add_argument("--workers", type=int, default=None, metavar="N",
                       help="N worker processes (gunicorn manages them, waitress serves in each; plain HTTP,"
                            " TLS in nginx in front). Default: one process")
    serve.add_argument("--threads", type=int, default=None, metavar="N",
                       help="threads per process that run calls (default 1: a call is mostly Python CPU, and"
                            " threads of one process contend for the GIL; scale with --workers)")
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
    __import__("riv_scheduling.client.commands", fromlist=["register"]).register(sub)  # first-free
    __import__("riv_scheduling.admin.commands", fromlist=["register"]).register(sub)  # admin, admin-user
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
    except Exception as exc:
        problem = _database_problem(exc)
        if problem is None:
            raise
        print(f"riv-scheduling {args.command}: {problem}", file=sys.stderr)
        return 2


def _database_problem(exc: Exception) -> str | None:
    """One line for a database that is not there or cannot be reached (None: another error).
    Looked up only when the store was loaded: commands that never touch a database load none of it."""
    if "riv_scheduling.store" not in sys.modules:
        return None
    from sqlalchemy.exc import OperationalError

    from riv_scheduling.store import DatabaseMissing

    if isinstance(exc, DatabaseMissing):
        return str(exc)
    if isinstance(exc, OperationalError):  # no server there, refused, or no such database
        lines = str(exc.orig or exc).strip().splitlines()
        return f"cannot use the database: {(lines[0] if lines else type(exc).__name__)[:300]}"
    return None


if __name__ == "__main__":
    sys.exit(main())
