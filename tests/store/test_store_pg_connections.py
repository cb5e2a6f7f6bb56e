"""PostgreSQL: pooled connections the server closed (a restart, a failover, an idle timeout) are
replaced before a call uses them, when they have been idle; a connection that died while in use
costs one failed call, after which the pool is renewed."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import exc, text
from store_world import NORR

from riv_scheduling.store import Store, open_store
from riv_scheduling.store.engine import PING_AFTER_IDLE_S


def backend_pids(store: Store) -> set[int]:
    """The server processes behind the store's pooled connections (using them all at once)."""
    conns = [store.engine.connect() for _ in range(3)]
    try:
        return {int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in conns}
    finally:
        for c in conns:
            c.close()


def terminate(store: Store, pids: set[int]) -> None:
    """What a restart does to them: the server ends those sessions (from a separate connection)."""
    from sqlalchemy import create_engine

    admin = create_engine(store.engine.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for pid in pids:
                assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
    finally:
        admin.dispose()


def read_facility(store: Store) -> str:
    with store.uow() as uow:
        facility = uow.facilities._get(NORR.lower())  # past the configuration cache: a real query
        assert facility is not None
        return facility.name


def test_idle_connections_the_server_closed_are_replaced_unnoticed(pg_store: Store) -> None:
    store = pg_store
    assert PING_AFTER_IDLE_S <= 1.0  # the default the producer runs with
    pids = backend_pids(store)
    terminate(store, pids)
    time.sleep(PING_AFTER_IDLE_S + 0.2)
    names = {read_facility(store) for _ in range(5)}
    assert len(names) == 1
    assert not backend_pids(store) & pids


def test_a_connection_that_died_in_use_fails_one_call_then_the_pool_is_renewed(pg_store: Store) -> None:
    # Connections count as in use for a minute here, however slow the machine is between the steps.
    store = open_store(str(pg_store.engine.url.render_as_string(hide_password=False)), ping_after_idle_s=60.0)
    pids = backend_pids(store)
    terminate(store, pids)
    with pytest.raises(exc.OperationalError):  # used again at once: not checked, so this call fails
        read_facility(store)
    assert read_facility(store)  # and the pool was renewed: every later call works
    assert read_facility(store)
    assert not backend_pids(store) & pids
    store.dispose()
