"""`riv-scheduling stats` on a database filled by a scripted mix of flows: every count exactly."""

from __future__ import annotations

import csv
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from store_pg import BACKENDS, database_url
from store_world import person_no

from riv_scheduling.cli import build_parser
from riv_scheduling.domain import (
    PERSONNUMMER_OID,
    STOCKHOLM,
    Actor,
    ClinicSetup,
    Code,
    DomainError,
    HealthcareFacility,
    PersonId,
    Scheduling,
    Timeslot,
    TimeType,
)
from riv_scheduling.store import open_store
from riv_scheduling.store.statistics import collect

NORR, SODER = "SE2321000016-A1B2", "SE2321000016-C3D4"
ZERO = timedelta(0)
BESOK = TimeType("BESOK", "Besök", True, True, ZERO, ZERO, ZERO)
PROV = TimeType("PROV", "Provtagning", True, True, ZERO, ZERO, ZERO)
D1, D2 = date(2025, 3, 10), date(2025, 3, 11)
COLD = Code("C1", "1.2.3", "Förkylning")
LATER = Code("C2", "1.2.3")
PERSONS = [PersonId(PERSONNUMMER_OID, "191212121212"), *(person_no(n) for n in range(4))]


def actor(p: PersonId) -> Actor:
    return Actor(p.root, p.extension, "116154003")



def main(argv: list[str]) -> int:
    """The command as `riv-scheduling` runs it, without `cli.main`'s logging set-up (which would
    replace the handlers of this test process, the suite's log guard among them)."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))

@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_url(str(request.param), tmp_path, request) as url:
        yield url


def fill(url: str) -> str:
    """The scripted mix; returns the result code of the refused booking."""
    store = open_store(url)
    store.create_schema()
    now = [datetime(2025, 3, 10, 9, 0, tzinfo=STOCKHOLM)]
    setup = ClinicSetup(store.uow, clock=lambda: now[0])
    s = Scheduling(store.uow, clock=lambda: now[0])
    for unit in (NORR, SODER):
        setup.add_facility(HealthcareFacility(unit, unit))
        setup.add_time_type(unit, BESOK)
        setup.add_time_type(unit, PROV)

    def slot(code: str, days: int, unit: str = NORR) -> uuid.UUID:
        start = datetime(2025, 3, 20, 8, 0, tzinfo=STOCKHOLM) + timedelta(days=days, minutes=uuid.uuid4().int % 500)
        return setup.add_timeslot(Timeslot(uuid.uuid4(), unit, code, start, start + timedelta(minutes=5))).id

    p1, p2, p3, p4, p5 = PERSONS
    a_slot = slot("BESOK", 0)
    a = s.booking.make_appointment(NORR, actor(p1), p1, a_slot, None, COLD)
    b = s.booking.make_appointment(NORR, actor(p2), p2, slot("BESOK", 1), "Ont i örat")
    s.booking.make_appointment(NORR, actor(p3), p3, slot("PROV", 2))
    with pytest.raises(DomainError) as refused:
        s.booking.make_appointment(NORR, actor(p4), p4, a_slot)
    s.booking.make_appointment(NORR, actor(p1), p1, a_slot, None, COLD)  # a repeat: answered OK again
    s.booking.make_appointment(SODER, actor(p4), p4, slot("BESOK", 3, SODER))

    now[0] = datetime(2025, 3, 11, 23, 30, tzinfo=STOCKHOLM)  # late on D2 (22:30 UTC)
    s.rebooking.update_appointment(NORR, actor(p1), p1, a.id, slot("BESOK", 4), None, LATER)
    s.cancellation.cancel_appointment(NORR, actor(p2), p2, b.id, "Kan inte komma")
    d = setup.propose_appointment(NORR, p5, slot("PROV", 5))
    s.confirmation.confirm_appointment(NORR, actor(p5), p5, d.id)
    with pytest.raises(DomainError):
        s.cancellation.cancel_appointment(NORR, actor(p3), p3, uuid.uuid4())
    store.dispose()
    return refused.value.code.value


def test_stats_count_the_scripted_mix_exactly(db_url: str, tmp_path: Path) -> None:
    refusal = fill(db_url)
    store = open_store(db_url)
    with store.engine.connect() as conn:
        norr = collect(conn, D1, D2, "se2321000016-a1b2")
        everything = collect(conn, D1, D2)
        day_two = collect(conn, D2, D2, NORR)
        before = collect(conn, date(2025, 3, 1), date(2025, 3, 9))
    store.dispose()
    assert norr.changes == Counter({
        (D1, "BESOK", "booked"): 2, (D1, "PROV", "booked"): 1,
        (D2, "BESOK", "rebooked"): 1, (D2, "BESOK", "cancelled"): 1,
        (D2, "PROV", "proposed"): 1, (D2, "PROV", "confirmed"): 1,
    })
    assert norr.reasons == Counter({
        ("NYBOKNING", "1.2.3:C1 Förkylning"): 1, ("NYBOKNING", "free text"): 1, ("NYBOKNING", "none"): 2,
        ("OMBOKNING", "1.2.3:C2"): 1, ("AVBOKNING", "free text"): 1,
    })
    assert norr.result_codes == Counter({
        ("MakeAppointment", "OK"): 4, ("MakeAppointment", refusal): 1,
        ("UpdateAppointment", "OK"): 1, ("CancelAppointment", "OK"): 1,
        ("CancelAppointment", "APPOINTMENT_DOES_NOT_EXIST"): 1,
        ("propose", "OK"): 1, ("ConfirmAppointment", "OK"): 1,
    })
    # The refused booking (of a BESOK slot) on D1; the cancellation of an id that does not exist on D2
    # names no slot, so no time type.
    assert norr.refusals == Counter({(D1, "BESOK"): 1, (D2, "-"): 1})
    assert everything.changes[(D1, "BESOK", "booked")] == 3
    assert everything.result_codes[("MakeAppointment", "OK")] == 5
    assert set(day_two.changes) == {(D2, "BESOK", "rebooked"), (D2, "BESOK", "cancelled"),
                                    (D2, "PROV", "proposed"), (D2, "PROV", "confirmed")}
    assert before.rows() == []

    out = tmp_path / "stats.csv"
    assert main(["stats", "--from", "2025-03-10", "--to", "2025-03-11", "--unit", NORR, "--csv", str(out),
                 "--db", db_url]) == 0
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["section", "day", "time_type", "flow_or_interaction", "value", "count"]
    assert ["changes", "2025-03-10", "BESOK", "booked", "", "2"] in rows
    assert ["result_codes", "", "", "MakeAppointment", refusal, "1"] in rows
    assert ["refusals", "2025-03-10", "BESOK", "", "", "1"] in rows
    assert len(rows) == 1 + 6 + 5 + 7 + 2
    assert not any("19121212" in cell for row in rows for cell in row)
