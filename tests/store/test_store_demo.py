"""The demo data set: contents, determinism, idempotence and speed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from riv_scheduling.demo import load_demo
from riv_scheduling.domain import STOCKHOLM, Scheduling, TimeslotQuery
from riv_scheduling.store import Store, open_store

MONDAY = date(2025, 3, 10)


def slot_rows(store: Store) -> list[tuple[str, str, str]]:
    with store.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.exec_driver_sql("SELECT id, facility_hsa_id, time_type_code FROM timeslot ORDER BY id")
        ]


def test_demo_loads_units_time_types_staff_and_weekday_slots(store: Store) -> None:
    # How long this takes is a benchmark's business, not a test's (busy CI machines miss any limit).
    load_demo(store, MONDAY)

    now = datetime(2025, 3, 9, 12, 0, tzinfo=STOCKHOLM)  # the Sunday before
    scheduling = Scheduling(store.uow, clock=lambda: now)
    names = {f.hsa_id: f.name for f in scheduling.reading.facilities()}
    assert names == {"SE2321000016-A1B2": "Vårdcentralen Demo Norr", "SE2321000016-C3D4": "Vårdcentralen Demo Söder"}
    for unit in names:
        types = {t.code: t for t in scheduling.search.time_types(unit.lower())}
        assert {"LAKARBESOK", "SSKBESOK", "PROVTAGNING", "VIDEOBESOK"} <= set(types)
        lakare = types["LAKARBESOK"]
        assert lakare.cancel_allowed and lakare.update_allowed
        assert lakare.cancel_notice == lakare.update_notice == timedelta(hours=24)
        assert types["PROVTAGNING"].cancel_allowed and not types["PROVTAGNING"].update_allowed
        assert all(p.hsa_id.startswith("SE2321000016-") for p in scheduling.search.practitioners(unit))
        assert len(scheduling.search.practitioners(unit)) >= 2

    rows = slot_rows(store)
    assert 1000 <= len(rows) <= 10000
    query = TimeslotQuery(MONDAY, MONDAY + timedelta(days=27))
    views = scheduling.search.available_timeslots("SE2321000016-A1B2", query)
    assert views
    for v in views:
        start, end = v.timeslot.start, v.timeslot.end
        assert start.weekday() < 5
        assert start.hour >= 8 and (end.hour, end.minute) <= (16, 0)
    assert {v.timeslot.start.date() for v in views} <= {MONDAY + timedelta(days=d) for d in range(28)}


def test_demo_ids_are_deterministic_and_loading_twice_adds_nothing(tmp_path: Path) -> None:
    a = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    b = open_store(f"sqlite:///{tmp_path / 'b.db'}")
    try:
        load_demo(a, MONDAY)
        load_demo(b, MONDAY)
        first = slot_rows(a)
        assert first == slot_rows(b)
        load_demo(a, MONDAY)
        assert slot_rows(a) == first
        load_demo(a, MONDAY + timedelta(days=7))  # a week later: tops up the fifth week only
        later = slot_rows(a)
        assert set(first) < set(later)
        assert len(later) - len(first) == len(first) // 4
    finally:
        a.dispose()
        b.dispose()
