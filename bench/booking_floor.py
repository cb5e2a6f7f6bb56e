"""MakeAppointment in process against the bare-driver floor: what the store adds to a booking.

On a fresh demo database (the demo clinic, its SSKBESOK opening hours generated for as many days
as the bookings need), in interleaved rounds, each booking a different free slot by a new person:

  (a) use case: `scheduling.booking.make_appointment(...)`, the domain and the store;
  (b) SOAP:     the whole in-process MakeAppointment through the Producer (as bench/inprocess.py);
  (c) floor:    the SAME booking with the bare DB-API driver (sqlite3, psycopg) in one transaction:
                the reads the rules need at minimum (the slot row, the person's overlapping active
                appointments, the person's open invitations to the slot's time type at the unit,
                which a booking answers), the PostgreSQL per-person advisory lock, and the writes our store
                makes (the conditional UPDATE of the slot, the appointment, the audit event, and the
                Engagemangsindex outbox row and post when the unit reports), with the engine's
                durability settings (SQLite: WAL, synchronous=FULL, BEGIN IMMEDIATE).

The ratios (a)/(c) and (b)/(c) say what the store, and store plus SOAP stack, add to the floor.
Target (issue 16): (a)/(c) <= 2 on SQLite and on PostgreSQL. Only ratios compare between runs
(noisy VMs): the kinds take turns booking by booking (the order rotated each round), the ratio is
that of the median bookings; the median of the rounds' mean ratios is shown too (it counts the
garbage collector and slow fsyncs in). The order matters on SQLite: a connection re-reads its pages
after another connection's commit, so (a) and (c), which each follow the other connection's booking,
are compared alike; (b) follows (a) on the same pooled connection and is favoured a little. The
invitation read joined the floor on 2026-12-03 (about 4 µs on SQLite).
Before timing, one booking of each kind is compared row by row (same columns, same values apart
from ids, person and times), so the floor writes what the store writes; and the statements one
booking sends are counted at the driver (BEGIN and COMMIT included). PostgreSQL is a throwaway
server (bench/_common.Postgres: fsync off, for both sides alike). The units report to EI unless
--no-ei. Last figures: bench/booking_floor.json, bench/booking_floor-postgres.json (--rounds 11).

    .venv/bin/python bench/booking_floor.py [--db sqlite|postgres] [--rounds 7] [--bookings 40]
        [--no-ei] [--json FILE]
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# bench/ goes last on the path: this script's own name must not hide the standard library's.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

from _common import (  # noqa: E402
    CITIZEN,
    PERSONNUMMER,
    Postgres,
    actor,
    envelope,
    machine,
    median,
    person_id,
    pnr,
    result_code,
    table,
    write_json,
)
from inprocess import call_producer  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from riv_scheduling.contract import INTERACTIONS  # noqa: E402
from riv_scheduling.demo import DEMO_FILE  # noqa: E402
from riv_scheduling.domain import Scheduling  # noqa: E402
from riv_scheduling.domain.engagement_index import IndexReporting  # noqa: E402
from riv_scheduling.domain.index_maintenance import IndexMaintenance  # noqa: E402
from riv_scheduling.soap.app import Producer  # noqa: E402
from riv_scheduling.store import Store, open_store  # noqa: E402
from riv_scheduling.store.engine import _PERSON_LOCK_SPACE, person_lock_key  # noqa: E402
from riv_scheduling.store.tables import timeslot  # noqa: E402

CODE = "SSKBESOK"  # no reason required, no information: answered OK, the plainest booking
UNITS = ("SE2321000016-A1B2", "SE2321000016-C3D4")
SLOTS_PER_WEEK = 16 * 5 * len(UNITS)  # the demo's SSKBESOK hours: 08-12 every 15 minutes, weekdays
REPORTING = IndexReporting("SE2321000016-84GX", "SE232100-0016")
KINDS = ("usecase", "soap", "floor")


def demo_file(tmp: str, bookings: int) -> Path:
    """The demo clinic with its SSKBESOK hours generated far enough ahead for `bookings` slots."""
    days = 7 * (bookings // SLOTS_PER_WEEK + 2)
    parts = DEMO_FILE.read_text().split("[[opening_hours]]\n")
    out = [parts[0]] + [f"horizon_days = {days}\n{p}" if f'time_type = "{CODE}"' in p else p for p in parts[1:]]
    path = Path(tmp) / "clinic.toml"
    path.write_text("[[opening_hours]]\n".join(out))
    return path


def free_slots(store: Store) -> list[tuple[str, str]]:
    """(unit, slot id) of every free SSKBESOK slot from tomorrow on, in time order."""
    start = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None)
    q = (select(timeslot.c.facility_hsa_id, timeslot.c.id)
         .where(timeslot.c.time_type_code == CODE, timeslot.c.start_utc >= start, timeslot.c.booked == 0)
         .order_by(timeslot.c.start_utc, timeslot.c.id))
    with store.engine.connect() as conn:
        return [(r.facility_hsa_id, r.id) for r in conn.execute(q)]


# -- the floor ---------------------------------------------------------------------------------

SLOT = "SELECT facility_hsa_id, start_utc, end_utc, withdrawn, time_type_code FROM timeslot WHERE id = {p}"
OCCUPIED = (
    "SELECT appointment.id FROM appointment JOIN timeslot ON timeslot.id = appointment.timeslot_id"
    " WHERE appointment.facility_hsa_id = {p} AND appointment.person_extension = {p}"
    " AND appointment.person_root = {p} AND appointment.state = 'active'"
    " AND timeslot.start_utc < {p} AND timeslot.end_utc > {p}"
)
# A booking that names no invitation still answers the person's oldest open one to the slot's time
# type at the unit (one booking book: riv.crm.scheduling 1.1 invitations), so the rules need this read.
INVITATIONS = (
    "SELECT id, valid_until FROM open_invitation WHERE facility_hsa_id = {p} AND person_root = {p}"
    " AND person_extension = {p} AND time_type_code = {p} AND appointment_id IS NULL"
    " ORDER BY created_at, id"
)
RESERVE = "UPDATE timeslot SET booked = booked + 1 WHERE id = {p} AND booked < capacity AND withdrawn = {false}"
APPOINTMENT = (
    "INSERT INTO appointment (id, timeslot_id, facility_hsa_id, person_root, person_extension, status, state,"
    " new_reason_text, new_reason_code, new_reason_code_system, new_reason_display_name, update_reason_text,"
    " update_reason_code, update_reason_code_system, update_reason_display_name, cancel_reason_text,"
    " cancel_reason_code, cancel_reason_code_system, cancel_reason_display_name, replaces, replaced_by,"
    " created_at, updated_at, information, alternative_location, \"references\", related_appointment_ids)"
    " VALUES ({p}, {p}, {p}, {p}, {p}, 'confirmed', 'active', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
    " NULL, NULL, NULL, NULL, NULL, NULL, {p}, {p}, '[]', NULL, '[]', '[]')"
)
OUTBOX = (
    "INSERT INTO ei_outbox (appointment_id, delete_flag, registered_resident_identification, logical_address,"
    " business_object_instance_identifier, source_system, data_controller, most_recent_content_utc,"
    " created_utc, attempts, next_attempt_utc, parked) VALUES ({p}, {false}, {p}, {p}, {p}, {p}, {p}, {p}, {p},"
    " 0, {p}, {false})"
)
POST = (
    "INSERT INTO ei_post (appointment_id, facility_hsa_id, registered_resident_identification, logical_address,"
    " business_object_instance_identifier, source_system, data_controller, start_utc)"
    " VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})"
)
AUDIT = (
    "INSERT INTO audit_event (at_utc, interaction, action, result_code, facility_hsa_id, person_root,"
    " person_extension, actor_root, actor_extension, actor_type, consumer_hsa_id, appointment_id,"
    " new_appointment_id, timeslot_id, detail) VALUES ({p}, 'MakeAppointment', 'made', 'OK', {p}, {p}, {p},"
    " {p}, {p}, {p}, NULL, {p}, NULL, {p}, NULL)"
)


class Floor:
    """One booking with the bare driver in one transaction; True when booked."""

    def __init__(self, reporting: IndexReporting | None) -> None:
        self.reporting = reporting

    def _sql(self, template: str) -> str:
        raise NotImplementedError

    def _when(self, moment: datetime) -> Any:
        """A naive UTC datetime as the driver binds it (the store's DateTime columns)."""
        raise NotImplementedError

    def _begin(self, person: str) -> None:
        raise NotImplementedError

    def _commit(self) -> None:
        raise NotImplementedError

    def _rollback(self) -> None:
        raise NotImplementedError

    def _execute(self, sql: str, params: tuple[Any, ...]) -> Any:
        raise NotImplementedError

    def prepare(self) -> None:
        self.slot, self.occupied, self.reserve = self._sql(SLOT), self._sql(OCCUPIED), self._sql(RESERVE)
        self.invitations = self._sql(INVITATIONS)
        self.appointment, self.audit = self._sql(APPOINTMENT), self._sql(AUDIT)
        self.outbox, self.post = self._sql(OUTBOX), self._sql(POST)

    def __call__(self, unit: str, person: str, slot_id: str) -> bool:
        now = datetime.now(UTC).replace(tzinfo=None)
        self._begin(person)
        try:
            slot = self._execute(self.slot, (slot_id,)).fetchone()
            if slot is None or slot[0] != unit or slot[3]:
                self._rollback()
                return False
            start, end = slot[1], slot[2]
            if self._execute(self.occupied, (unit, person, PERSONNUMMER, end, start)).fetchone() is not None:
                self._rollback()
                return False
            # none is open in this bench: read (about 4 µs), nothing to answer
            self._execute(self.invitations, (unit, PERSONNUMMER, person, slot[4])).fetchall()
            if self._execute(self.reserve, (slot_id,)).rowcount != 1:
                self._rollback()
                return False
            appointment_id = str(uuid.uuid4())
            at = self._when(now)
            self._execute(self.appointment, (appointment_id, slot_id, unit, PERSONNUMMER, person, at, at))
            if self.reporting is not None:
                key = (person, unit, appointment_id, self.reporting.source_system, self.reporting.data_controller)
                self._execute(self.outbox, (appointment_id, *key, at, at, at))
                self._execute(self.post, (appointment_id, unit, *key, start))
            self._execute(self.audit, (at, unit, PERSONNUMMER, person, PERSONNUMMER, person, CITIZEN[0],
                                       appointment_id, slot_id))
            self._commit()
            return True
        except BaseException:
            self._rollback()
            raise


class SqliteFloor(Floor):
    """sqlite3 as the engine configures it: WAL, synchronous=FULL, BEGIN IMMEDIATE."""

    def __init__(self, path: str, reporting: IndexReporting | None) -> None:
        super().__init__(reporting)
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        for pragma in ("busy_timeout = 30000", "foreign_keys = ON", "journal_mode = WAL", "synchronous = FULL"):
            self.conn.execute(f"PRAGMA {pragma}").fetchall()
        self.prepare()

    def _sql(self, template: str) -> str:
        return template.format(p="?", false="0")

    def _when(self, moment: datetime) -> Any:
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite DateTime storage format

    def _begin(self, person: str) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        self.conn.execute("COMMIT")

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def _execute(self, sql: str, params: tuple[Any, ...]) -> Any:
        return self.conn.execute(sql, params)

    def close(self) -> None:
        self.conn.close()


class PostgresFloor(Floor):
    """psycopg at READ COMMITTED (its default, as the engine's) with the per-person advisory lock."""

    def __init__(self, url: str, reporting: IndexReporting | None) -> None:
        import psycopg

        super().__init__(reporting)
        self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        self.cur = self.conn.cursor()
        self.prepare()

    def _sql(self, template: str) -> str:
        return template.format(p="%s", false="false")

    def _when(self, moment: datetime) -> Any:
        return moment

    def _begin(self, person: str) -> None:
        # psycopg opens the transaction with the first statement (BEGIN goes with it)
        lock = person_lock_key(person_id(person))
        self.cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_PERSON_LOCK_SPACE, lock))

    def _commit(self) -> None:
        self.conn.commit()

    def _rollback(self) -> None:
        self.conn.rollback()

    def _execute(self, sql: str, params: tuple[Any, ...]) -> Any:
        return self.cur.execute(sql, params)

    def close(self) -> None:
        self.conn.close()


# -- the three kinds ------------------------------------------------------------------------------


class Bench:
    def __init__(self, store: Store, floor: Floor, slots: list[tuple[str, str]]) -> None:
        self.store = store
        self.scheduling = Scheduling(store.uow)
        self.producer = Producer(self.scheduling)
        self.path = INTERACTIONS["MakeAppointment"].path
        self.floor = floor
        self.slots = slots
        self.persons = 0

    def jobs(self, n: int) -> list[tuple[str, str, str]]:
        """n bookings still to make: (unit, new person, free slot)."""
        out = []
        for _ in range(n):
            self.persons += 1
            unit, slot_id = self.slots.pop(0)
            out.append((unit, pnr(self.persons), slot_id))
        return out

    def prepared(self, name: str, jobs: list[tuple[str, str, str]]) -> tuple[Callable[[Any], Any], list[Any]]:
        """The call making one booking of the kind, and its arguments for each job (built before timing)."""
        if name == "usecase":
            book = self.scheduling.booking.make_appointment
            return (lambda j: book(j[0], j[1], j[2], j[3])), [(u, actor(p), person_id(p), uuid.UUID(s))
                                                              for u, p, s in jobs]
        if name == "soap":
            return (lambda data: call_producer(self.producer, self.path, data)), [
                envelope("MakeAppointment", unit=u, person=p, timeslotId=s) for u, p, s in jobs]
        return (lambda j: self.floor(*j)), jobs

    def run(self, name: str, n: int) -> tuple[float, list[tuple[str, str, str]]]:
        """Seconds per booking for n bookings of the kind (all must succeed), and the bookings."""
        jobs = self.jobs(n)
        call, items = self.prepared(name, jobs)
        gc.collect()
        start = time.perf_counter()
        answers = [call(item) for item in items]
        elapsed = time.perf_counter() - start
        for answer in answers:
            if not (result_code(answer) == "OK" if name == "soap" else answer is not False):
                raise RuntimeError(f"{name}: a booking failed: {answer!r}"[:400])
        return elapsed / n, jobs

    def round(self, n: int, order: tuple[str, ...]) -> dict[str, list[float]]:
        """n bookings of each kind, interleaved one by one (a burst of noise hits all kinds alike);
        the seconds each booking took, per kind."""
        calls = {name: self.prepared(name, self.jobs(n)) for name in order}
        took: dict[str, list[float]] = {name: [] for name in order}
        answers: dict[str, list[Any]] = {name: [] for name in order}
        clock = time.perf_counter
        gc.collect()
        for i in range(n):
            for name in order:
                call, items = calls[name]
                start = clock()
                answer = call(items[i])
                took[name].append(clock() - start)
                answers[name].append(answer)
        for name in order:
            for answer in answers[name]:
                if not (result_code(answer) == "OK" if name == "soap" else answer is not False):
                    raise RuntimeError(f"{name}: a booking failed: {answer!r}"[:400])
        return took

    def statements(self, name: str) -> int:
        """Statements one booking of the kind sends to the database, BEGIN and COMMIT included,
        counted at the driver (sqlite3's trace callback; psycopg's cursor and commit)."""
        sent: list[str] = []
        if self.store.engine.dialect.name == "sqlite":
            def trace(statement: str) -> None:
                if not statement.startswith("--"):  # a trigger's own statements are reported so
                    sent.append(statement)

            def checkout(dbapi_conn: Any, *_: Any) -> None:
                dbapi_conn.set_trace_callback(trace)

            def checkin(dbapi_conn: Any, *_: Any) -> None:
                dbapi_conn.set_trace_callback(None)

            event.listen(self.store.engine, "checkout", checkout)
            event.listen(self.store.engine, "checkin", checkin)
            self.floor.conn.set_trace_callback(trace)  # type: ignore[attr-defined]
            try:
                self.run(name, 1)
            finally:
                self.floor.conn.set_trace_callback(None)  # type: ignore[attr-defined]
                event.remove(self.store.engine, "checkout", checkout)
                event.remove(self.store.engine, "checkin", checkin)
            return len(sent)
        import psycopg

        originals = psycopg.Cursor.execute, psycopg.Cursor.executemany, psycopg.Connection.commit

        def execute(cursor: Any, query: Any, *args: Any, **kw: Any) -> Any:
            sent.append(str(query))
            return originals[0](cursor, query, *args, **kw)

        def executemany(cursor: Any, query: Any, params: Any, *args: Any, **kw: Any) -> Any:
            params = list(params)
            sent.extend([str(query)] * len(params))
            return originals[1](cursor, query, params, *args, **kw)

        def commit(conn: Any) -> Any:
            sent.extend(("BEGIN", "COMMIT"))  # psycopg sends BEGIN before a transaction's first statement
            return originals[2](conn)

        psycopg.Cursor.execute, psycopg.Cursor.executemany, psycopg.Connection.commit = (  # type: ignore[method-assign]
            execute, executemany, commit)
        try:
            self.run(name, 1)
        finally:
            psycopg.Cursor.execute, psycopg.Cursor.executemany, psycopg.Connection.commit = (  # type: ignore[method-assign]
                originals)
        return len(sent)


def compare_rows(store: Store, ours: str, floors: str, units: tuple[str, str] = ("", "")) -> list[str]:
    """Columns whose values differ between the store's booking and the floor's, ids, person and
    times aside, and each booking's own unit read as "the unit" (the two may be at different units)
    (empty: the floor writes what the store writes)."""
    masked = re.compile(r"^(id|.*_id|appointment_id|person_extension|actor_extension|"
                        r"registered_resident_identification|business_object_instance_identifier|"
                        r".*_utc|.*_at)$")
    diffs: list[str] = []
    with store.engine.connect() as conn:
        for table_name, key in (("appointment", "id"), ("audit_event", "appointment_id"),
                                ("ei_outbox", "appointment_id"), ("ei_post", "appointment_id")):
            rows = []
            for appointment_id in (ours, floors):
                got = conn.exec_driver_sql(f"SELECT * FROM {table_name} WHERE {key} = '{appointment_id}'")
                rows.append([dict(r._mapping) for r in got])
            if len(rows[0]) != len(rows[1]):
                diffs.append(f"{table_name}: {len(rows[0])} rows, floor {len(rows[1])}")
                continue
            for a, b in zip(*rows, strict=True):
                for column in a:
                    x, y = a[column], b[column]
                    if masked.match(column):
                        x, y = type(x), type(y)
                    elif x == units[0] and y == units[1]:
                        x = y = "the unit"
                    elif isinstance(x, str) and isinstance(y, str) and x[:1] in "[{" and y[:1] in "[{":
                        x, y = json.loads(x), json.loads(y)
                    if x != y:
                        diffs.append(f"{table_name}.{column}: {a[column]!r} vs floor {b[column]!r}")
    return diffs


def last_appointment(store: Store, slot_id: str) -> str:
    with store.engine.connect() as conn:
        got = conn.exec_driver_sql(f"SELECT id FROM appointment WHERE timeslot_id = '{slot_id}'").scalar()
    return str(got)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--bookings", type=int, default=40, help="bookings of each kind per round")
    parser.add_argument("--no-ei", action="store_true", help="the units do not report to the Engagemangsindex")
    parser.add_argument("--json", type=Path, help="default bench/booking_floor[-postgres][-no-ei].json")
    args = parser.parse_args(argv)
    reporting = None if args.no_ei else REPORTING
    suffix = ("-postgres" if args.db == "postgres" else "") + ("-no-ei" if args.no_ei else "")
    out = args.json or HERE / f"booking_floor{suffix}.json"
    warm = 30
    needed = (args.rounds * args.bookings + warm + 2) * len(KINDS)

    with tempfile.TemporaryDirectory() as tmp, (Postgres() if args.db == "postgres" else _NoServer()) as pg:
        url = pg.url if pg is not None else f"sqlite:///{tmp}/bench.db"
        store = open_store(url)
        store.create_schema()
        from riv_scheduling.clinic import apply_config

        apply_config(store, demo_file(tmp, needed))
        if reporting is not None:
            for unit in UNITS:
                IndexMaintenance(store.uow).set_reporting(unit, reporting)
        slots = free_slots(store)
        if len(slots) < needed:
            raise SystemExit(f"only {len(slots)} free slots, {needed} needed")
        floor: Floor = (PostgresFloor(url, reporting) if pg is not None
                        else SqliteFloor(url.removeprefix("sqlite:///"), reporting))
        bench = Bench(store, floor, slots)
        for name in KINDS:  # warm up: statement caches, prepared statements, imports
            bench.run(name, warm // len(KINDS))
        statements = {name: bench.statements(name) for name in KINDS}
        _, (job_ours,) = bench.run("usecase", 1)
        _, (job_floor,) = bench.run("floor", 1)
        diffs = compare_rows(store, last_appointment(store, job_ours[2]), last_appointment(store, job_floor[2]),
                             (job_ours[0], job_floor[0]))
        per_booking: dict[str, list[float]] = {name: [] for name in KINDS}
        per_round: dict[str, list[float]] = {name: [] for name in KINDS}
        for r in range(args.rounds):
            took = bench.round(args.bookings, KINDS[r % len(KINDS):] + KINDS[:r % len(KINDS)])
            for name in KINDS:
                per_booking[name] += [t * 1000 for t in took[name]]
                per_round[name].append(statistics.mean(took[name]) * 1000)
        floor.close()
        store.dispose()
        version = pg.version if pg is not None else sqlite3.sqlite_version

    # The median booking: a burst of noise (other processes, a slow fsync) moves it least.
    ms = {name: median(v) for name, v in per_booking.items()}
    ratio = {name: ms[name] / ms["floor"] for name in KINDS}
    mean_ratio = {name: median([x / f for x, f in zip(per_round[name], per_round["floor"], strict=True)])
                  for name in KINDS}
    labels = {"usecase": "(a) use case make_appointment", "soap": "(b) SOAP MakeAppointment in process",
              "floor": "(c) floor: bare driver, one transaction"}
    print(f"{args.db} {version}, EI reporting {'off' if reporting is None else 'on'}, "
          f"{args.rounds} rounds x {args.bookings} bookings of each kind")
    print(table(["kind", "median ms", "statements", "ratio to floor", "ratio of round means"],
                [[labels[n], ms[n], statements[n], round(ratio[n], 2), round(mean_ratio[n], 2)] for n in KINDS]))
    if diffs:
        print("the floor's rows differ from the store's:\n  " + "\n  ".join(diffs))
    print(f"(a)/(c) {ratio['usecase']:.2f} (target <= 2), (b)/(c) {ratio['soap']:.2f}")
    write_json(out, {"benchmark": "booking_floor", **machine(), "db": args.db, "db_version": version,
                     "ei_reporting": reporting is not None, "rounds": args.rounds, "bookings": args.bookings,
                     "median_ms": ms, "statements": statements, "ratio_to_floor": ratio,
                     "ratio_of_round_means": mean_ratio,
                     "same_rows": not diffs, "row_differences": diffs, "per_round_ms": per_round})
    return 1 if diffs else 0


class _NoServer:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        pass


if __name__ == "__main__":
    raise SystemExit(main())
