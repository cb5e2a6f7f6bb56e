"""PostgreSQL for the store tests: one fresh schema per test on the server RIV_TEST_POSTGRES_URL names.

Without that variable the PostgreSQL variants skip (on a developer's machine) - but under CI=true
they fail, so a CI run that lost its server cannot pass by skipping. `.ci/run` starts a server.
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

ENV = "RIV_TEST_POSTGRES_URL"


def postgres_url_or_skip() -> str:
    url = os.environ.get(ENV, "").strip()
    if not url:
        reason = (
            f"{ENV} is not set, so the PostgreSQL variant cannot run "
            "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/riv_test; .ci/run starts a server, "
            "see docs/operations.md)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}", pytrace=False)
        pytest.skip(reason)
    return url


@contextmanager
def fresh_postgres_schema() -> Iterator[str]:
    """A URL whose connections work in a new, empty schema (search_path); dropped afterwards."""
    base = postgres_url_or_skip()
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
def database_url(backend: str, directory: os.PathLike[str] | str) -> Iterator[str]:
    """An empty database of the backend: a SQLite file in `directory`, or a PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite:///{os.path.join(directory, 'scheduling.db')}"
    else:
        with fresh_postgres_schema() as url:
            yield url


def only_sqlite(store: Store) -> None:
    """Skip a test of SQLite-specific behaviour in its PostgreSQL variant."""
    if store.engine.dialect.name != "sqlite":
        pytest.skip("SQLite-specific behaviour")

