"""PostgreSQL for the store tests: one fresh schema per test on the server of `postgres_url`.

`postgres_url` (tests/conftest.py) is RIV_TEST_POSTGRES_URL, or a throwaway server the session
starts itself when server binaries are on the machine; without either the PostgreSQL variants skip
(on a developer's machine), but under CI=true they fail, so CI cannot pass by skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from riv_scheduling.store import Store


@contextmanager
def fresh_postgres_schema(base: str) -> Iterator[str]:
    """A URL whose connections work in a new, empty schema (search_path); dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        url = make_url(base).update_query_dict({"options": f"-csearch_path={name}"})
        yield url.render_as_string(hide_password=False)
    finally:
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        finally:
            admin.dispose()


BACKENDS = ("sqlite", "postgresql")


@contextmanager
def database_url(backend: str, directory: os.PathLike[str] | str, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database of the backend: a SQLite file in `directory`, or a PostgreSQL schema (on
    the server of the `postgres_url` fixture, which is asked for only here: a session that runs
    no PostgreSQL test starts no server)."""
    if backend == "sqlite":
        yield f"sqlite:///{os.path.join(directory, 'scheduling.db')}"
    else:
        with fresh_postgres_schema(request.getfixturevalue("postgres_url")) as url:
            yield url


def only_sqlite(store: Store) -> None:
    """Skip a test of SQLite-specific behaviour in its PostgreSQL variant."""
    if store.engine.dialect.name != "sqlite":
        pytest.skip("SQLite-specific behaviour")

