"""A demo data set: two care units, their time types, staff and four weeks of weekday slots.

Ids are uuid5 values, so loading again (even on another day) adds only the missing slots.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from riv_scheduling.domain import (
    STOCKHOLM,
    ClinicSetup,
    HealthcareFacility,
    Practitioner,
    Timeslot,
    TimeType,
    local_date,
    stockholm_now,
)
from riv_scheduling.store import Store

DEMO_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:riv-scheduling:demo")
DAYS = 28

NORR = HealthcareFacility("SE2321000016-A1B2", "Vårdcentralen Demo Norr")
SODER = HealthcareFacility(
    "SE2321000016-C3D4", "Vårdcentralen Demo Söder", alternative_location="Södra vägen 12, Demostad"
)
FACILITIES = (NORR, SODER)

_H = timedelta(hours=1)
_0 = timedelta(0)
LAKARBESOK = TimeType("LAKARBESOK", "Läkarbesök", True, True, _H, 24 * _H, 24 * _H)
SSKBESOK = TimeType("SSKBESOK", "Sjuksköterskebesök", True, True, _0, _0, _0)
PROVTAGNING = TimeType("PROVTAGNING", "Provtagning", True, False, _0, _0, 2 * _H)
VIDEOBESOK = TimeType("VIDEOBESOK", "Videobesök läkare", True, True, _H, 2 * _H, 2 * _H)
# Protected: bookable only after the clinic has invited the citizen.
ATERBESOK = TimeType("ATERBESOK", "Återbesök läkare", True, True, _H, 24 * _H, 24 * _H, hidden=True)
TIME_TYPES = (LAKARBESOK, SSKBESOK, PROVTAGNING, VIDEOBESOK, ATERBESOK)

PRACTITIONERS: dict[str, tuple[Practitioner, ...]] = {
    NORR.hsa_id: (
        Practitioner("SE2321000016-N001", "Anna", "Lindqvist", "Leg. läkare"),
        Practitioner("SE2321000016-N002", "Erik", "Sjöberg", "Leg. läkare"),
        Practitioner("SE2321000016-N003", "Maria", "Holm", "Leg. sjuksköterska"),
    ),
    SODER.hsa_id: (
        Practitioner("SE2321000016-S001", "Karin", "Berg", "Leg. läkare"),
        Practitioner("SE2321000016-S002", "Johan", "Ek", "Leg. läkare"),
        Practitioner("SE2321000016-S003", "Sara", "Nyström", "Leg. sjuksköterska"),
    ),
}


@dataclass(frozen=True)
class _Block:
    """A run of equal slots on every weekday; `staff` indexes the unit's practitioners."""

    time_type: TimeType
    first: time
    last_end: time
    minutes: int
    staff: int | None


DAY_PLAN = (
    _Block(LAKARBESOK, time(8), time(12), 20, 0),
    _Block(VIDEOBESOK, time(13), time(16), 20, 0),
    _Block(LAKARBESOK, time(8), time(12), 20, 1),
    _Block(LAKARBESOK, time(13), time(15), 20, 1),
    _Block(ATERBESOK, time(15), time(16), 20, 1),
    _Block(SSKBESOK, time(8), time(12), 15, 2),
    _Block(PROVTAGNING, time(13), time(16), 10, None),
)


def timeslot_id(facility_hsa_id: str, practitioner: str | None, code: str, start: datetime) -> uuid.UUID:
    """The stable id of a demo slot."""
    name = f"{facility_hsa_id}|{practitioner or '-'}|{code}|{start:%Y%m%d%H%M}"
    return uuid.uuid5(DEMO_NAMESPACE, name)


def demo_timeslots(today: date) -> list[Timeslot]:
    """Weekday slots 08:00-16:00 Stockholm time for DAYS days from `today`."""
    slots: list[Timeslot] = []
    for offset in range(DAYS):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for facility in FACILITIES:
            staff = PRACTITIONERS[facility.hsa_id]
            for block in DAY_PLAN:
                who = staff[block.staff].hsa_id if block.staff is not None else None
                start = datetime.combine(day, block.first, tzinfo=STOCKHOLM)
                stop = datetime.combine(day, block.last_end, tzinfo=STOCKHOLM)
                step = timedelta(minutes=block.minutes)
                while start + step <= stop:
                    slots.append(
                        Timeslot(
                            id=timeslot_id(facility.hsa_id, who, block.time_type.code, start),
                            facility_hsa_id=facility.hsa_id,
                            time_type_code=block.time_type.code,
                            start=start,
                            end=start + step,
                            practitioner_ids=(who,) if who else (),
                        )
                    )
                    start += step
    return slots


def load_demo(store: Store, today: date | None = None) -> None:
    """Create (or top up) the demo units, time types, practitioners and slots."""
    store.create_schema()
    setup = ClinicSetup(store.uow)
    for facility in FACILITIES:
        setup.add_facility(facility, exist_ok=True)
        for time_type in TIME_TYPES:
            setup.add_time_type(facility.hsa_id, time_type, exist_ok=True)
        for practitioner in PRACTITIONERS[facility.hsa_id]:
            setup.add_practitioner(facility.hsa_id, practitioner)
    day = today if today is not None else local_date(stockholm_now())
    setup.add_timeslots(demo_timeslots(day), skip_existing=True)
