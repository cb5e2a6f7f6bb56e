"""Helpers of the conformance tests: a real producer on a free port (SQLite file, demo data) and
``run_kit``, which runs the kit's own ``contracts/`` against it.

(A module of its own rather than ``conftest``: ``tests/soap`` imports names from its ``conftest``,
and two modules called ``conftest`` must not be imported by name.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from riv_scheduling.conformance import Runner, RunOptions, RunResult, default_contracts_dir, load
from riv_scheduling.demo import load_demo
from riv_scheduling.domain import Scheduling
from riv_scheduling.server import make_server
from riv_scheduling.soap.app import Producer
from riv_scheduling.store import open_store

UNIT = "SE2321000016-A1B2"  # the demo data set's "Vårdcentralen Demo Norr"
PERSON = "191212121212"
PERSON2 = "198112189876"
# A short search window keeps the recorded envelopes small (any three days hold a weekday).
WINDOW = {"days_ahead": 2, "days": 3}

Middleware = Callable[[Any], Any]


@dataclass
class Running:
    url: str
    served: set[str] = field(default_factory=set)  # interactions our Producer serves
    unit: str = UNIT


class Producers:
    """Starts producers (each with a fresh database, optionally wrapped in a WSGI middleware that
    injects a defect on the wire, see ``defects.py``) and stops them all at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[tuple[Any, Any]] = []

    def __call__(self, middleware: Middleware | None = None) -> Running:
        db = self.folder / f"producer-{len(self.started)}.db"
        store = open_store(f"sqlite:///{db}")
        store.create_schema()
        load_demo(store)
        inner = Producer(Scheduling(store.uow))
        app: Any = middleware(inner) if middleware is not None else inner
        server = make_server(app, "127.0.0.1", 0)
        if hasattr(middleware, "store"):  # a defect that acts behind the wire (defects.Intercept)
            middleware.store, middleware.server = store, server  # type: ignore[union-attr]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.started.append((server, store))
        host, port = server.server_address[:2]
        served = {interaction.name for interaction, _app in inner.endpoints.values()}
        return Running(f"http://{host}:{port}", served)

    def stop(self) -> None:
        for server, store in self.started:
            server.shutdown()
            server.server_close()
            store.dispose()


def run_kit(running: Running, only: list[str] | None = None, **options: Any) -> RunResult:
    """The kit's own scenarios against ``running`` (``only``: scenario ids)."""
    scenarios = load([default_contracts_dir()])
    if only:
        scenarios = [s for s in scenarios if s.id in only]
    settings: dict[str, Any] = {"person": PERSON, "person2": PERSON2, **WINDOW, **options}
    opts = RunOptions(base_url=running.url, logical_address=running.unit, **settings)
    return Runner(opts).run(scenarios)


def failing(result: RunResult) -> set[str]:
    return {r.name for r in result.checks if r.status in ("fail", "blocked")}


def explain_failures(result: RunResult) -> str:
    return "\n".join(f"  {r.status} {r.name}: {r.message[:300]}" for r in result.checks
                     if r.status in ("fail", "blocked"))


def row_hashes(store: Any) -> dict[str, str]:
    """One SHA-256 per table over all its rows (in a fixed order): equal before and after means unchanged."""
    import hashlib

    from sqlalchemy import select

    from riv_scheduling.store.tables import metadata

    hashes = {}
    with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = sorted(repr(tuple(row)) for row in conn.execute(select(table)))
            hashes[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest() + f" ({len(rows)} rows)"
    return hashes
