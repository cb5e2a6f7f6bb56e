"""Issue #11, item 3: a stalled database gets a prompt ``soap:Server`` fault with a reference id,
within the producer's deadline, and the producer serves normally again once the database recovers.

Two ways to stall PostgreSQL (the throwaway server of the test session, tests/pg_server.py):
- another session holds an exclusive lock on the timeslot table: the database's own
  ``lock_timeout`` (set from the deadline) ends the call;
- the producer's database backends are frozen with SIGSTOP: the database can time out nothing,
  so the producer's own deadline answers and frees the worker; the call finishes when they resume.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from secwire import UNIT, Running, fault_of, response_of
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from riv_scheduling.domain import ClinicSetup, HealthcareFacility, Scheduling, TimeType
from riv_scheduling.server import HttpLimits, make_server
from riv_scheduling.soap.app import Producer
from riv_scheduling.store import open_store

DEADLINE = 3.0
GENEROUS = DEADLINE + 7  # the answer must come well before the national platform's 29 s


@contextmanager
def pg_producer(base: str, threads: int = 4) -> Iterator[tuple[Running, str]]:
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}",
                                            "application_name": schema}).render_as_string(hide_password=False)
    store = open_store(url, deadline=DEADLINE)
    store.create_schema()
    setup = ClinicSetup(store.uow)
    setup.add_facility(HealthcareFacility(UNIT, "Frysta mottagningen"))
    setup.add_time_type(UNIT, TimeType("FRI", "Fri tid", True, True, timedelta(0), timedelta(0), timedelta(0)))
    scheduling = Scheduling(store.uow)
    producer = Producer(scheduling, deadline=DEADLINE)
    server = make_server(producer, "127.0.0.1", 0, limits=HttpLimits(threads=threads))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address
    try:
        yield Running(host, port, setup, store, scheduling, producer), url
    finally:
        server.shutdown()
        server.server_close()
        producer.close()
        store.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def timed_call(p: Running, name: str = "GetAvailableTimeslots") -> tuple[float, int, bytes]:
    started = time.monotonic()
    status, data = p.call(name)
    return time.monotonic() - started, status, data


def test_a_locked_table_gives_a_server_fault_within_the_deadline_then_ok(postgres_url: str) -> None:
    with pg_producer(postgres_url) as (p, url):
        p.make_slot()
        response_of("GetAvailableTimeslots", *p.call("GetAvailableTimeslots"))
        locker = create_engine(url)
        try:
            with locker.connect() as conn:
                conn.execute(text("LOCK TABLE timeslot IN ACCESS EXCLUSIVE MODE"))  # held until rollback
                elapsed, status, data = timed_call(p)
                conn.rollback()
        finally:
            locker.dispose()
        code, message = fault_of(status, data)
        assert code == "soap:Server" and "reference" in message, message
        assert elapsed < GENEROUS, f"the fault took {elapsed:.1f} s"
        response_of("GetAvailableTimeslots", *p.call("GetAvailableTimeslots"))  # recovered
        status, data = p.call("MakeAppointment", slot=p.make_slot())
        assert response_of("MakeAppointment", status, data).findtext("{*}resultCode") == "OK"


def backends(admin_url: str, application: str) -> list[int]:
    engine = create_engine(admin_url)
    try:
        with engine.connect() as conn:
            return [int(pid) for (pid,) in conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE application_name = :a"), {"a": application})]
    finally:
        engine.dispose()


def parent_of(pid: int) -> int:
    """The parent process (for a backend: the postmaster), from /proc (Linux, like SIGSTOP here)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state; the name may hold spaces


def test_frozen_database_backends_give_a_server_fault_within_the_deadline_then_ok(postgres_url: str) -> None:
    with pg_producer(postgres_url) as (p, url):
        p.make_slot()
        response_of("GetAvailableTimeslots", *p.call("GetAvailableTimeslots"))
        application = str(make_url(url).query["application_name"])
        pids = backends(postgres_url, application)
        assert pids, "no backend of the producer found"
        try:
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
        except (PermissionError, ProcessLookupError):
            pytest.skip("the PostgreSQL server's processes cannot be signalled from here (not local, or another user)")
        try:
            elapsed, status, data = timed_call(p)
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
        code, message = fault_of(status, data)
        assert code == "soap:Server" and "reference" in message, message
        assert elapsed < GENEROUS, f"the fault took {elapsed:.1f} s"
        deadline = time.monotonic() + 30
        while True:  # the database is back: the next call is served
            status, data = p.call("GetAvailableTimeslots")
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        response_of("GetAvailableTimeslots", status, data)


def test_calls_queued_behind_a_frozen_database_are_answered_within_the_deadline_of_their_arrival(
    postgres_url: str,
) -> None:
    """One thread (serve's default), six calls at once while the database is frozen: the deadline
    counts from each request's arrival, so the five queued behind the stuck one are answered as
    promptly as it is, not one deadline after another (3, 6, ... 18 s)."""
    with pg_producer(postgres_url, threads=1) as (p, url):
        p.make_slot()
        response_of("GetAvailableTimeslots", *p.call("GetAvailableTimeslots"))
        pids = backends(postgres_url, str(make_url(url).query["application_name"]))
        assert pids, "no backend of the producer found"
        # The postmaster too: with only the open backends frozen, a queued call that the pool
        # gave a new connection could be answered in the milliseconds its deadline had left.
        pids.append(parent_of(pids[0]))
        results: list[tuple[float, int, bytes]] = []
        try:
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
        except (PermissionError, ProcessLookupError):
            pytest.skip("the PostgreSQL server's processes cannot be signalled from here (not local, or another user)")
        try:
            callers = [threading.Thread(target=lambda: results.append(timed_call(p))) for _ in range(6)]
            for caller in callers:
                caller.start()
            for caller in callers:
                caller.join(60)
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
        assert len(results) == 6
        for elapsed, status, data in results:
            code, message = fault_of(status, data)
            assert code == "soap:Server" and "reference" in message, message
            assert elapsed < DEADLINE + 3, f"a queued call was answered after {elapsed:.1f} s"
