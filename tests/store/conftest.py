"""Every store test runs on SQLite and on PostgreSQL (see store_pg.py for when PostgreSQL skips)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from store_pg import BACKENDS, database_url
from store_world import build_clinic, fixed_clock

from riv_scheduling.domain import ClinicSetup, Scheduling
from riv_scheduling.store import Store, open_store

# The repository contract suite (test_repository_contract.py) runs the domain tests' in-memory fake too.
sys.path.append(str(Path(__file__).resolve().parents[1] / "domain"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    with database_url(backend, tmp_path, request) as url:
        yield url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = open_store(db_url)
    yield store
    store.dispose()


@pytest.fixture
def setup(store: Store) -> ClinicSetup:
    return build_clinic(store)


@pytest.fixture
def pg_store(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Store]:
    """For PostgreSQL-only behaviour: a store on a fresh PostgreSQL schema with the test clinic."""
    with database_url("postgresql", tmp_path, request) as url:
        store = open_store(url)
        build_clinic(store)
        yield store
        store.dispose()


@pytest.fixture
def scheduling(store: Store, setup: ClinicSetup) -> Scheduling:
    return Scheduling(store.uow, clock=fixed_clock)


@pytest.fixture
def cli() -> Iterator[Callable[[list[str]], int]]:
    """`riv-scheduling ...` in this process; the logging set-up it does is undone afterwards."""
    from riv_scheduling.cli import main

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield main
    root.handlers[:] = handlers
    root.setLevel(level)

