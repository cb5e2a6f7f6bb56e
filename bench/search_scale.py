"""GetAvailableTimeslots latency as the database grows: 10^3, 10^5 and 10^6 slots of OTHER units.

A demo database (SQLite file); the bulk is copied from the demo's own rows with SQLAlchemy
Core (care units, their time types, slots spread over a year), so the searched demo unit keeps
its realistic few hundred slots of one time type in a four-week window. At each size the same
search (28 days, one time type) is timed in-process, through the producer's WSGI application
(the whole SOAP path) and as the bare domain call; the ratios to the smallest size are the result.

    .venv/bin/python bench/search_scale.py [--sizes 1000 100000 1000000] [--repeat 15] [--json FILE]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

from _common import UNIT, envelope, machine, median, table, write_json  # noqa: E402
from inprocess import call_producer  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from riv_scheduling.contract import INTERACTIONS  # noqa: E402
from riv_scheduling.demo import load_demo  # noqa: E402
from riv_scheduling.domain import Scheduling, TimeslotQuery  # noqa: E402
from riv_scheduling.soap.app import Producer  # noqa: E402
from riv_scheduling.store import open_store  # noqa: E402
from riv_scheduling.store.tables import healthcare_facility, time_type, timeslot  # noqa: E402

CODE = "SSKBESOK"
UNITS = 200  # other care units holding the bulk
BATCH = 20_000


def _key(template_id: str, template_key: str, new_id: str) -> str:
    if template_key == template_id.lower():
        return new_id.lower()
    if template_key == template_id.upper():
        return new_id.upper()
    return new_id


def add_units(conn: Any) -> list[str]:
    facility = dict(conn.execute(select(healthcare_facility).where(healthcare_facility.c.hsa_id == UNIT))
                    .mappings().one())
    types = [dict(r) for r in conn.execute(select(time_type).where(time_type.c.facility_hsa_id == UNIT)).mappings()]
    units = [f"SE2321000016-B{n:04d}" for n in range(UNITS)]
    rows, type_rows = [], []
    for hsa in units:
        row = dict(facility, hsa_id=hsa, name=f"Bulkmottagning {hsa[-4:]}")
        if "hsa_key" in row:
            row["hsa_key"] = _key(facility["hsa_id"], facility["hsa_key"], hsa)
        rows.append(row)
        type_rows += [dict(t, facility_hsa_id=hsa) for t in types]
    conn.execute(insert(healthcare_facility), rows)
    conn.execute(insert(time_type), type_rows)
    return units


def add_slots(conn: Any, units: list[str], template: dict[str, Any], count: int, offset: int) -> None:
    base = datetime.combine(date.today(), datetime.min.time()) - timedelta(days=180)
    for start in range(0, count, BATCH):
        rows = []
        for n in range(offset + start, offset + min(count, start + BATCH)):
            begin = base + timedelta(minutes=20 * (n // len(units)))
            rows.append(dict(template, id=str(uuid.UUID(int=n + 1)) if isinstance(template["id"], str)
                             else uuid.UUID(int=n + 1), facility_hsa_id=units[n % len(units)],
                             start_utc=begin, end_utc=begin + timedelta(minutes=20), booked=0))
        conn.execute(insert(timeslot), rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("search_scale.json"))
    args = parser.parse_args(argv)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/scale.db")
        store.create_schema()
        load_demo(store)
        with store.engine.begin() as conn:
            units = add_units(conn)
            template = dict(conn.execute(select(timeslot).where(timeslot.c.facility_hsa_id == UNIT)
                                         .where(timeslot.c.time_type_code == CODE).limit(1)).mappings().one())
        scheduling = Scheduling(store.uow)
        producer = Producer(scheduling)
        today = date.today()
        query = TimeslotQuery(today + timedelta(days=1), today + timedelta(days=28), time_type_code=CODE)
        days = {"startDateInclusive": (today + timedelta(days=1)).strftime("%Y%m%d"),
                "endDateInclusive": (today + timedelta(days=28)).strftime("%Y%m%d")}
        data = envelope("GetAvailableTimeslots", timeTypeCode=CODE, **days)
        path = INTERACTIONS["GetAvailableTimeslots"].path
        stored = 0
        for size in sorted(args.sizes):
            t0 = time.perf_counter()
            with store.engine.begin() as conn:
                add_slots(conn, units, template, size - stored, stored)
            with store.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
                total = conn.execute(select(func.count()).select_from(timeslot)).scalar_one()
            load_s = time.perf_counter() - t0
            stored = size
            found = len(scheduling.search.available_timeslots(UNIT, query))
            call_producer(producer, path, data)  # warm
            soap, domain = [], []
            for _ in range(args.repeat):
                t = time.perf_counter()
                call_producer(producer, path, data)
                soap.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                scheduling.search.available_timeslots(UNIT, query)
                domain.append((time.perf_counter() - t) * 1000)
            rows.append({"bulk_slots": size, "stored_slots": total, "found": found, "insert_s": load_s,
                         "soap_ms": median(soap), "domain_ms": median(domain)})
        store.dispose()

    first = rows[0]
    for r in rows:
        r["soap_ratio"] = r["soap_ms"] / first["soap_ms"]
        r["domain_ratio"] = r["domain_ms"] / first["domain_ms"]
    print(f"GetAvailableTimeslots, 28 days, time type {CODE}, unit {UNIT}; median of {args.repeat}")
    print(table(["bulk slots", "stored slots", "slots found", "SOAP ms", "ratio", "domain ms", "ratio"],
                [[r["bulk_slots"], r["stored_slots"], r["found"], r["soap_ms"], round(r["soap_ratio"], 2),
                  r["domain_ms"], round(r["domain_ratio"], 2)] for r in rows]))
    print(f"largest vs smallest: SOAP {rows[-1]['soap_ratio']:.2f}x (target <= 1.3)")
    write_json(args.json, {"benchmark": "search_scale", **machine(), "repeat": args.repeat, "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
