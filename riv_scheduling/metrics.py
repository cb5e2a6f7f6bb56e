"""/metrics in the Prometheus text format (prometheus_client), as WSGI middleware in front of the
producer: the composition roots (cli.py, wsgi.py) wrap it, so the SOAP adapter is not touched.

Per interaction: requests by resultCode, faults by kind (the faultcode: Client, Server), latency.
At each scrape, from the database: the Engagemangsindex outbox's depth, the age of its oldest entry,
parked and retrying entries. Per process: the database pool's connections in use and its size.

Several processes (gunicorn `serve --workers`): prometheus_client's multi-process mode. The
directory `PROMETHEUS_MULTIPROC_DIR` must be set (and empty) before the workers start;
`prepare_multiprocess()` does that for `serve --workers`, and `worker_exit` tells the library a
worker is gone. The metrics are then summed over the workers at each scrape.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
METRICS_PATH = "/metrics"
_RESULT_CODE = re.compile(rb"<(?:[\w.-]+:)?resultCode>\s*([A-Za-z_]+)\s*</")
_FAULT_CODE = re.compile(rb"<faultcode>\s*(?:[\w.-]+:)?([\w.]+)\s*</faultcode>")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def prepare_multiprocess() -> str:
    """Before forking workers: a fresh directory for the workers' metric files (unless one is set)."""
    path = os.environ.get(MULTIPROC_ENV)
    if not path:
        path = tempfile.mkdtemp(prefix="riv-scheduling-metrics-")
        os.environ[MULTIPROC_ENV] = path
    return path


def worker_exit(pid: int) -> None:
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


class _Metrics:
    """The process's metric objects (created once: prometheus_client refuses duplicates)."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter(
            "riv_requests", "SOAP calls answered, per interaction and resultCode", ["interaction", "result_code"]
        )
        self.faults = Counter("riv_faults", "SOAP faults, per interaction and faultcode", ["interaction", "kind"])
        self.latency = Histogram(
            "riv_request_duration_seconds", "Time to answer a SOAP call", ["interaction"], buckets=LATENCY_BUCKETS
        )
        self.pool_in_use = Gauge(
            "riv_db_pool_connections_in_use", "Database connections checked out", multiprocess_mode="livesum"
        )
        self.pool_size = Gauge("riv_db_pool_size", "Database pool size", multiprocess_mode="livesum")


_metrics: _Metrics | None = None


def _process_metrics() -> _Metrics:
    global _metrics
    if _metrics is None:
        _metrics = _Metrics()
    return _metrics


class OutboxCollector:
    """The outbox's gauges, read from the database at each scrape (one query)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        from riv_scheduling.store import outbox

        try:
            s = outbox.status(self.store)
        except Exception:  # the scrape still answers; the gauges are missing
            return
        yield GaugeMetricFamily("riv_ei_outbox_depth", "EI transactions not yet delivered", value=s.depth)
        yield GaugeMetricFamily(
            "riv_ei_outbox_oldest_age_seconds", "Age of the oldest undelivered EI transaction",
            value=s.oldest_age_s or 0.0,
        )
        yield GaugeMetricFamily("riv_ei_outbox_parked", "EI transactions parked after max attempts", value=s.parked)
        yield GaugeMetricFamily("riv_ei_outbox_retrying", "EI transactions waiting after a failure", value=s.retrying)


def _pool(store: Any) -> tuple[int, int] | None:
    pool = getattr(getattr(store, "engine", None), "pool", None)
    checked_out = getattr(pool, "checkedout", None)
    size = getattr(pool, "size", None)
    if not callable(checked_out) or not callable(size):
        return None
    return int(checked_out()), int(size())


class MetricsMiddleware:
    """Wraps the producer: measures the SOAP calls, answers GET /metrics."""

    def __init__(self, app: Callable[..., Iterable[bytes]], store: Any = None) -> None:
        from riv_scheduling.contract import INTERACTIONS

        self.app = app
        self.store = store
        self.paths = {i.path: name for name, i in INTERACTIONS.items()}
        self.metrics = _process_metrics()

    def __getattr__(self, name: str) -> Any:  # the producer's attributes (endpoints, store, ...)
        return getattr(self.app, name)

    def scrape(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

        if os.environ.get(MULTIPROC_ENV):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            registry = CollectorRegistry()
            registry.register(_Forward(REGISTRY))
        if self.store is not None:
            registry.register(OutboxCollector(self.store))
        self._pool_gauges()
        return generate_latest(registry), CONTENT_TYPE_LATEST

    def _pool_gauges(self) -> None:
        pool = _pool(self.store)
        if pool is not None:
            self.metrics.pool_in_use.set(pool[0])
            self.metrics.pool_size.set(pool[1])

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == METRICS_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            body, content_type = self.scrape()
            start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
            return [body]
        interaction = self.paths.get(path.rstrip("/"))
        if interaction is None or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        status: list[str] = []

        def capture(s: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status.append(s)
            return start_response(s, headers, exc_info) if exc_info is not None else start_response(s, headers)

        started = time.perf_counter()
        out = self.app(environ, capture)
        try:
            body = b"".join(out)
        finally:
            close = getattr(out, "close", None)
            if close is not None:
                close()
        self.metrics.latency.labels(interaction).observe(time.perf_counter() - started)
        code = status[0][:3] if status else "500"
        if code == "200":
            found = _result_code(body)
            # Reading interactions answer without a resultCode (TKB 2.0 §3.7.1): "none".
            self.metrics.requests.labels(interaction, found.group(1).decode() if found else "none").inc()
        else:
            fault = _FAULT_CODE.search(body)
            self.metrics.faults.labels(interaction, fault.group(1).decode() if fault else f"HTTP {code}").inc()
        self._pool_gauges()
        return [body]


def _result_code(body: bytes) -> re.Match[bytes] | None:
    """The resultCode element. Where a 2.0 response has one (GetAppointments has none), it comes
    last, after the slots, the facilities, ...; so the search starts at its closing tag, the last
    ``resultCode>``, and goes back two ``<`` to the opening tag (text content holds no ``<``): a
    150 kB slot list costs 50 us searched from the front, almost nothing from the back. Where the
    last mention is text after the element (an unescaped ``>``), the first mention decides, as a
    search from the front would."""
    last = body.rfind(b"resultCode>")
    if last < 0:
        return None
    opening = body.rfind(b"<", 0, body.rfind(b"<", 0, last))
    found = _RESULT_CODE.match(body, max(0, opening))
    if found is None:
        first = body.find(b"resultCode>")
        found = _RESULT_CODE.search(body, max(0, body.rfind(b"<", 0, first)))
    return found


class _Forward:
    """The default registry's metrics inside another registry (single-process mode)."""

    def __init__(self, registry: Any) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Any]:
        yield from self.registry.collect()


def instrument(app: Callable[..., Iterable[bytes]], store: Any = None) -> MetricsMiddleware:
    return MetricsMiddleware(app, store)

