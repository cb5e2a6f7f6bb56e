"""Engine, transactions and the UnitOfWork the domain runs in.

SQLite (the default) is made safe for threads and processes: WAL journal, a 30 s busy timeout,
and `BEGIN IMMEDIATE` for writing units of work so writers queue up instead of failing with
"database is locked". `synchronous = FULL`: a commit is on disk (the WAL is fsynced) before it
returns, so an OK the producer sends survives a power cut; NORMAL would only survive a crash of
the process. The no-double-booking rule itself is the conditional UPDATE in
`TimeslotRepo.reserve`, which holds on any backend.

PostgreSQL runs at READ COMMITTED; changes for one person are serialised by a transaction-level
advisory lock (`SqlUnitOfWork.lock_person`), which SQLite's single writer gives for free. Reading
units of work run there without a transaction (autocommit: no BEGIN and COMMIT round trips, the
same snapshots as READ COMMITTED gives) and are refused any write.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
import weakref
from types import TracebackType
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    RootTransaction,
    bindparam,
    create_engine,
    event,
    exc,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from riv_scheduling.domain import PersonId

from . import schema
from .config_cache import ConfigCache, ConfigReads
from .driver import READ_ONLY, DriverStatement, ReadingUnitOfWorkWrites
from .engagement_index import EngagementIndexRepo
from .repositories import (
    AppointmentRepo,
    AssignmentRepo,
    AuditRepo,
    FacilityRepo,
    HealthcareServiceRepo,
    OpenInvitationRepo,
    PractitionerRepo,
    TimeslotRepo,
    TimeTypeRepo,
)
from .tables import healthcare_facility

DEFAULT_URL = "sqlite:///riv-scheduling.db"
BUSY_TIMEOUT_S = 30
PING_AFTER_IDLE_S = 1.0  # PostgreSQL: a pooled connection idle this long is checked before use
_WRITE = "riv_scheduling_write"  # execution option: this transaction will write
_READ_ONLY = READ_ONLY  # execution option: a reading unit of work (refuses to write)
_PERSON_LOCK_SPACE = 0x52495601  # first key of pg_advisory_xact_lock(int, int): "RIV\x01"
# Every change for a person takes it (PostgreSQL): run on the DB-API cursor (driver.py).
_LOCK_PERSON = DriverStatement(
    text("SELECT pg_advisory_xact_lock(:space, :key)").bindparams(
        bindparam("space", type_=Integer), bindparam("key", type_=Integer)))


def person_lock_key(person_id: PersonId) -> int:
    """A stable signed 32-bit key for the person (collisions only serialise two persons)."""
    digest = hashlib.blake2b(f"{person_id.root}|{person_id.extension}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


class SqlUnitOfWork:
    """One database transaction; rolled back on exit unless `commit()` was called."""

    facilities: FacilityRepo
    time_types: TimeTypeRepo
    practitioners: PractitionerRepo
    timeslots: TimeslotRepo
    appointments: AppointmentRepo
    healthcare_services: HealthcareServiceRepo
    assignments: AssignmentRepo
    invitations: OpenInvitationRepo
    audit: AuditRepo
    engagement_index: EngagementIndexRepo

    def __init__(self, store: Store) -> None:
        self._store = store
        self._write = False
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    def writing(self) -> SqlUnitOfWork:
        self._write = True
        return self

    def __enter__(self) -> SqlUnitOfWork:
        if self._conn is not None:
            raise RuntimeError("unit of work already entered")
        lock = self._store._serial_lock
        if lock is not None:
            lock.acquire()
        try:
            conn = self._store.engine.connect()
            if self._write:
                conn.execution_options(**{_WRITE: True})
            else:
                conn.execution_options(**{_READ_ONLY: True})
                if self._store.autocommit_reads:
                    # PostgreSQL: at READ COMMITTED every statement has its own snapshot and a SELECT
                    # takes no locks, so a reading transaction adds only BEGIN and COMMIT round trips.
                    conn.execution_options(isolation_level="AUTOCOMMIT")
            self._tx = conn.begin()
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        self._conn = conn
        config = ConfigReads(self._store.config_cache, conn)
        self.facilities = FacilityRepo(conn, config)
        self.time_types = TimeTypeRepo(conn, config)
        self.practitioners = PractitionerRepo(conn, config)
        self.timeslots = TimeslotRepo(conn)
        self.appointments = AppointmentRepo(conn)
        self.healthcare_services = HealthcareServiceRepo(conn, config)
        self.assignments = AssignmentRepo(conn)
        self.invitations = OpenInvitationRepo(conn)
        self.audit = AuditRepo(conn)
        self.engagement_index = EngagementIndexRepo(conn, config)
        return self

    def lock_person(self, person_id: PersonId) -> None:
        """Serialise this person's changes until the transaction ends (see the port)."""
        if self._conn is None:
            raise RuntimeError("unit of work not entered")
        if not self._write:
            raise ReadingUnitOfWorkWrites("lock_person: only a writing unit of work changes a person's appointments")
        if self._conn.dialect.name == "postgresql":
            _LOCK_PERSON.execute(self._conn, {"space": _PERSON_LOCK_SPACE, "key": person_lock_key(person_id)})
        # SQLite: writing units of work run one at a time already (BEGIN IMMEDIATE). Other
        # backends are not supported for serving (docs/operations.md).

    def commit(self) -> None:
        if self._tx is None:
            raise RuntimeError("unit of work not entered")
        self._tx.commit()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                if exc_type is None and not self._write:
                    # A reading unit of work wrote nothing: end it with COMMIT, which (unlike ROLLBACK)
                    # lets psycopg keep its prepared statements on PostgreSQL.
                    self._tx.commit()
                else:
                    self._tx.rollback()
            if self._conn is not None:
                self._conn.close()
        finally:
            self._tx = self._conn = None
            if self._store._serial_lock is not None:
                self._store._serial_lock.release()


class Store:
    """The SQL store: schema and units of work over one Engine (thread-safe, pooled)."""

    def __init__(self, engine: Engine, serial: bool = False) -> None:
        self.engine = engine
        # The clinic configuration as this process last read it (config_cache.py).
        self.config_cache = ConfigCache()
        self.autocommit_reads = engine.dialect.name == "postgresql"
        # In-memory SQLite is one shared connection: serialise units of work on it.
        self._serial_lock: threading.RLock | None = threading.RLock() if serial else None

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def _schema_connection(self) -> Connection:
        conn = self.engine.connect()
        conn.execution_options(**{_WRITE: True})
        return conn

    def create_schema(self) -> None:
        """An empty database gets the current schema straight from `metadata` (and is stamped as
        migrated); a current one is left alone; one behind or ahead raises SchemaBehind or
        SchemaAhead. Safe when several workers start at once. Production: `upgrade()`."""
        lock = self._serial_lock
        if lock is not None:
            lock.acquire()
        try:
            with self._schema_connection() as conn, conn.begin():
                schema.create(conn, self.url)
        finally:
            if lock is not None:
                lock.release()

    def schema_status(self) -> schema.SchemaStatus:
        """"empty", "current", "behind" (run `riv-scheduling db upgrade`) or "ahead"."""
        with self.engine.connect() as conn:
            return schema.status(conn)[0]

    def schema_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return schema.status(conn)[1]

    def upgrade(self) -> tuple[str | None, str]:
        """Migrate the database to the current schema, in one transaction (alembic); returns the
        revisions before and after. Any database: empty, made by an older version, or current."""
        lock = self._serial_lock
        if lock is not None:
            lock.acquire()
        try:
            with self._schema_connection() as conn, conn.begin():
                return schema.upgrade(conn, self.url)
        finally:
            if lock is not None:
                lock.release()

    def ensure_schema(self) -> None:
        """What `serve` needs before it starts: an empty database is upgraded to the current
        schema; a current one is used as it is; otherwise SchemaBehind (its message names the
        command to run) or SchemaAhead."""
        with self._schema_connection() as conn, conn.begin():
            schema.lock(conn)
            state, revision = schema.status(conn)
        if state == "empty":
            self.upgrade()
        elif state == "behind":
            raise schema.SchemaBehind(self.url, revision, schema.head_revision())
        elif state == "ahead":
            raise schema.SchemaAhead(self.url, revision, schema.head_revision())

    def uow(self) -> SqlUnitOfWork:
        """A new unit of work: pass `store.uow` as the factory to Scheduling."""
        return SqlUnitOfWork(self)

    def is_empty(self) -> bool:
        """True when no healthcare facility exists (or the schema does not yet)."""
        with self.engine.connect() as conn:
            if not self.engine.dialect.has_table(conn, healthcare_facility.name):
                return True
            return conn.execute(select(healthcare_facility.c.hsa_id).limit(1)).first() is None

    def dispose(self) -> None:
        self.engine.dispose()


# Sent for every unit of work on SQLite: on the DB-API cursor (driver.py).
_BEGIN_IMMEDIATE = DriverStatement(text("BEGIN IMMEDIATE"))
_BEGIN = DriverStatement(text("BEGIN"))


def _configure_sqlite(engine: Engine, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's legacy mode would defer it).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if engine.url.database not in (None, "", ":memory:"):
                _enter_wal(cursor)
                cursor.execute("PRAGMA synchronous = FULL")  # an OK is on disk (see above)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        # Writers take the write lock up front: no deadlock-prone lock upgrade later.
        immediate = conn.get_execution_options().get(_WRITE, False)
        (_BEGIN_IMMEDIATE if immediate else _BEGIN).execute(conn)


def _enter_wal(cursor: Any) -> None:
    """Switch the database file to WAL (persistent, so usually already done). The switch needs an
    exclusive lock and SQLite does not run the busy handler for it: workers opening a new database
    at once would fail with "database is locked", so it is retried here up to the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.005
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode = WAL").fetchall()
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def _ping_when_idle(engine: Engine, after_s: float = PING_AFTER_IDLE_S) -> None:
    """Check a pooled connection before use when it has been idle for `after_s` seconds (a
    database restart or a firewall may have closed it meanwhile); a dead one is replaced before the
    call runs. Busy connections are not checked: `pool_pre_ping` would add a round trip to every
    call. A connection that died in the last second fails its call (a SOAP fault); SQLAlchemy then
    replaces every pooled connection older than that failure."""

    @event.listens_for(engine, "checkin")
    def checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["riv_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("riv_idle_since")
        if since is None or time.monotonic() - since < after_s:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as e:
            raise exc.DisconnectionError(f"pooled connection is gone: {type(e).__name__}") from e
        if not alive:
            raise exc.DisconnectionError("pooled connection is gone")


def _refuse_writes_when_reading(engine: Engine) -> None:
    """A unit of work entered without `writing()` only reads (the port says so): on PostgreSQL it
    runs without a transaction, where a write would be kept at once, so any write is refused."""

    @event.listens_for(engine, "before_cursor_execute")
    def check(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.get_execution_options().get(_READ_ONLY):
            verb = statement.split(None, 1)[:1]
            if verb and verb[0].upper() in _WRITES:
                raise ReadingUnitOfWorkWrites(" ".join(statement.split(None, 3)[:3]))


_WRITES = frozenset(("INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "CREATE", "ALTER", "DROP"))


def _dispose_after_fork(engine: Engine) -> None:
    """A forked child (pre-fork WSGI servers) must not reuse the parent's pooled connections."""
    if not hasattr(os, "register_at_fork"):
        return
    ref = weakref.ref(engine)

    def reset() -> None:
        e = ref()
        if e is not None:
            e.dispose(close=False)

    os.register_at_fork(after_in_child=reset)


class DatabaseMissing(Exception):
    """`open_store(..., must_exist=True)` of a SQLite file that does not exist (none is created)."""


def deadline_options(backend: str, deadline: float, engine_options: dict[str, Any], url_options: str = "") -> float:
    """Bound a call's waits in the database by ``deadline`` seconds (issue #11); returns the busy
    timeout for SQLite. A little below the deadline, so the database gives up first and the call
    ends with a rolled-back transaction rather than being abandoned by the producer.

    - PostgreSQL: ``statement_timeout`` and ``lock_timeout`` (the latter also bounds the per-person
      advisory lock), ``connect_timeout`` for new connections, ``pool_timeout`` for a free pooled one;
    - SQLite: the busy timeout (waiting for the write lock) and ``pool_timeout``.
    """
    inner = max(0.1, deadline * 0.8)
    engine_options.setdefault("pool_timeout", inner)
    if backend == "postgresql":
        connect_args = engine_options.setdefault("connect_args", {})
        ms = int(inner * 1000)
        options = f"-c statement_timeout={ms} -c lock_timeout={ms}"
        given = connect_args.get("options", url_options)  # connect_args would replace the URL's own
        connect_args["options"] = f"{given} {options}".strip()
        connect_args.setdefault("connect_timeout", max(1, int(inner)))
    return inner


def open_store(url: str | None = None, **engine_options: Any) -> Store:
    """Open the store at a SQLAlchemy URL (default: `riv-scheduling.db` in the current directory).

    `engine_options` go to SQLAlchemy's `create_engine`, except `ping_after_idle_s` (PostgreSQL: how
    long a pooled connection may idle before it is checked on its next use; see `_ping_when_idle`)
    and `deadline` (seconds; a call's database work gives up past it, see `deadline_options`), and
    `must_exist` (a SQLite file that does not exist raises `DatabaseMissing` instead of being created).

    The schema is not created here; call `Store.create_schema()`.
    """
    sa_url = make_url(url or DEFAULT_URL)
    serial = False
    must_exist = engine_options.pop("must_exist", False)
    if must_exist and sa_url.get_backend_name() == "sqlite" and sa_url.database not in (None, "", ":memory:"):
        if not os.path.exists(sa_url.database):
            raise DatabaseMissing(
                f"no database at {sa_url.database} (give --db URL; `riv-scheduling db upgrade --db URL` or"
                " `riv-scheduling load FILE --db URL` creates one)")
    deadline = engine_options.pop("deadline", None)
    busy_timeout_s: float = BUSY_TIMEOUT_S
    if deadline is not None:
        url_options = sa_url.query.get("options", "")
        busy_timeout_s = deadline_options(sa_url.get_backend_name(), float(deadline), engine_options,
                                          url_options if isinstance(url_options, str) else " ".join(url_options))
    # SQL errors must not carry parameters (personal identity numbers) into logs.
    engine_options.setdefault("hide_parameters", True)
    if sa_url.get_backend_name() == "sqlite":
        memory = sa_url.database in (None, "", ":memory:")
        connect_args = {"check_same_thread": False, "timeout": busy_timeout_s}
        connect_args.update(engine_options.pop("connect_args", {}))
        if memory:
            engine_options.pop("pool_timeout", None)  # one shared connection, no pool to wait for
            engine_options.setdefault("poolclass", StaticPool)
            serial = True
        else:
            engine_options.setdefault("pool_size", 10)
            engine_options.setdefault("max_overflow", 20)
            engine_options.setdefault("pool_timeout", busy_timeout_s)
        engine = create_engine(sa_url, connect_args=connect_args, **engine_options)
        _configure_sqlite(engine, busy_timeout_s)
    else:
        ping_after_s = engine_options.pop("ping_after_idle_s", PING_AFTER_IDLE_S)
        ping_idle = not engine_options.get("pool_pre_ping", False)
        engine = create_engine(sa_url, **engine_options)
        if ping_idle:
            _ping_when_idle(engine, ping_after_s)
    _refuse_writes_when_reading(engine)
    _dispose_after_fork(engine)
    return Store(engine, serial=serial)
