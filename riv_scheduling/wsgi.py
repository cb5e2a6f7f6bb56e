"""The producer as a WSGI application for any WSGI server (gunicorn, uWSGI, mod_wsgi, ...).

    RIV_SCHEDULING_DB=postgresql+psycopg://... gunicorn -w 4 -k gthread --threads 4 \\
        riv_scheduling.wsgi:application

``application`` is built lazily, on the first request, in the process that serves it: each
worker of a pre-fork server opens its own database engine (no connection crosses a fork).
It reads its settings from the environment:

- ``RIV_SCHEDULING_DB``: SQLAlchemy URL (default ``sqlite:///riv-scheduling.db``);
- ``RIV_SCHEDULING_MAX_BODY``: largest accepted request body in bytes (default 1 MiB);
- ``RIV_SCHEDULING_ACCESS``: consumer allowlist (TOML, docs/security.md); it needs the
  consumer's identity in the environ (``riv.client_hsa_id``): from ``riv-scheduling serve`` with
  TLS, or from a TLS-terminating proxy with the two variables below;
- ``RIV_SCHEDULING_TRUSTED_PROXIES``: comma-separated proxy addresses or networks whose
  ``X-Forwarded-Proto``/``-Host`` are honoured (removed from anyone else);
- ``RIV_SCHEDULING_PROXY_CLIENT_CERT=1``: the consumer is the client certificate those proxies
  verified (``X-Client-Verify``, ``X-Client-Subject-DN``; docs/operations.md);
- ``RIV_SCHEDULING_DEADLINE``: seconds a call may spend in the database before it is answered
  with a Server fault (default 10; docs/operations.md);
- ``RIV_SCHEDULING_DEMO=1``: load the demo data set into an empty database;
- ``RIV_SCHEDULING_POOL_SIZE``: database connections each process keeps open (PostgreSQL default
  5): at least the server's threads per process, or the connections above it are opened and
  closed again for every request.

The schema is created when missing (safe when several workers start at once). To build a
producer in code, ``create_app(db_url, **options)``.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from riv_scheduling.crm_soap import endpoints as crm_endpoints
from riv_scheduling.soap.app import Producer

if TYPE_CHECKING:
    from riv_scheduling.domain import SearchLimits

DB_ENV = "RIV_SCHEDULING_DB"
MAX_BODY_ENV = "RIV_SCHEDULING_MAX_BODY"
ACCESS_ENV = "RIV_SCHEDULING_ACCESS"
DEMO_ENV = "RIV_SCHEDULING_DEMO"
POOL_SIZE_ENV = "RIV_SCHEDULING_POOL_SIZE"
DEADLINE_ENV = "RIV_SCHEDULING_DEADLINE"
PROXIES_ENV = "RIV_SCHEDULING_TRUSTED_PROXIES"
PROXY_CERT_ENV = "RIV_SCHEDULING_PROXY_CLIENT_CERT"
DEFAULT_DEADLINE = 10.0

log = logging.getLogger("riv_scheduling")


def create_app(db_url: str | None = None, *, demo: bool = False, engine_options: dict[str, Any] | None = None,
               search_limits: SearchLimits | None = None, **options: Any) -> Producer:
    """A producer on the store at ``db_url`` (default: ``$RIV_SCHEDULING_DB``, then the SQLite default).

    ``options`` go to ``Producer`` (``max_body``, ``access``, ``validate_responses``, ...),
    ``engine_options`` to ``open_store`` (SQLAlchemy pool settings such as ``pool_size``),
    ``search_limits`` (``riv_scheduling.domain.SearchLimits``) to the domain's searches.
    With ``demo=True`` an empty database gets the demo data set. The store is kept as
    ``producer.store`` (``producer.store.dispose()`` closes its connections).
    """
    from riv_scheduling.domain import Scheduling
    from riv_scheduling.store import open_store

    store = open_store(db_url or os.environ.get(DB_ENV) or None, **(engine_options or {}))
    store.ensure_schema()  # SchemaBehind/SchemaAhead: run `riv-scheduling db upgrade` first
    if demo and store.is_empty():
        from riv_scheduling.demo import load_demo

        load_demo(store)
        log.info("empty database: loaded the demo data set")
    options.setdefault("adapters", [crm_endpoints])  # riv.crm.scheduling 1.1 beside 2.0, one booking book
    producer = Producer(Scheduling(store.uow, search_limits=search_limits), **options)
    producer.store = store  # type: ignore[attr-defined]
    return producer


def options_from_env(environ: dict[str, str] | os._Environ[str] = os.environ) -> dict[str, Any]:
    """``create_app`` keyword arguments from the ``RIV_SCHEDULING_*`` variables."""
    options: dict[str, Any] = {}
    if environ.get(MAX_BODY_ENV):
        options["max_body"] = int(environ[MAX_BODY_ENV])
    if environ.get(ACCESS_ENV):
        from riv_scheduling.access import AccessPolicy

        options["access"] = AccessPolicy.load(environ[ACCESS_ENV])
    if environ.get(DEMO_ENV, "").strip().lower() in ("1", "true", "yes"):
        options["demo"] = True
    engine_options: dict[str, Any] = {}
    if environ.get(POOL_SIZE_ENV):
        engine_options["pool_size"] = int(environ[POOL_SIZE_ENV])
    deadline = float(environ.get(DEADLINE_ENV) or DEFAULT_DEADLINE)
    options["deadline"] = engine_options["deadline"] = deadline
    options["engine_options"] = engine_options
    return options


def wrap_from_env(app: Any, environ: dict[str, str] | os._Environ[str] = os.environ) -> Any:
    """``app`` behind ``TrustedProxies`` when ``RIV_SCHEDULING_TRUSTED_PROXIES`` names any."""
    from riv_scheduling.server import TrustedProxies, parse_proxies

    proxies = parse_proxies([environ.get(PROXIES_ENV, "")])
    if not proxies:
        return app
    tls_identity = environ.get(PROXY_CERT_ENV, "").strip().lower() in ("1", "true", "yes")
    return TrustedProxies(app, proxies, tls_identity=tls_identity)


def settle_memory() -> None:
    """After start-up: move everything allocated so far out of the cyclic collector's way.

    The imported modules, schemas and Spyne's class tables are long-lived; ``gc.freeze()``
    keeps every later collection from walking them again (fewer and shorter GC pauses).
    """
    gc.collect()
    gc.freeze()


class LazyApplication:
    """A WSGI callable that builds the producer on its first request (once, thread-safe)."""

    def __init__(self) -> None:
        self._producer: Any = None
        self._app: Any = None  # the producer behind the trusted-proxy and /metrics middlewares
        self._lock = threading.Lock()

    def load(self) -> Any:
        if self._producer is None:
            with self._lock:
                if self._producer is None:
                    from riv_scheduling.metrics import instrument

                    producer = create_app(**options_from_env())
                    self._app = wrap_from_env(instrument(producer, producer.store))  # type: ignore[attr-defined]
                    self._producer = producer
                    settle_memory()
        return self._producer

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if self._app is None:
            self.load()
        return self._app(environ, start_response)


application = LazyApplication()
