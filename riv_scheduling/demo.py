"""The demo data set: `examples/demo-clinic.toml`, applied with the clinic configuration loader.

Two care units with care services, staff, time types (group, team, video, protected), booking
rules and four weeks of weekday slots. Slot ids are uuid5 values, so loading again (even on
another day) only tops up the missing days and changes nothing else.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from riv_scheduling.clinic import Summary, apply_config
from riv_scheduling.clinic.config import timeslot_id as _timeslot_id
from riv_scheduling.contract.schemas import RESOURCES
from riv_scheduling.store import Store

DEMO_FILE = (RESOURCES / "demo-clinic.toml").resolve()  # examples/demo-clinic.toml in a checkout


def timeslot_id(facility_hsa_id: str, practitioner: str | None, code: str, start: datetime) -> uuid.UUID:
    """The stable id of a demo slot with at most one practitioner."""
    return _timeslot_id(facility_hsa_id, (practitioner,) if practitioner else (), code, start)


def load_demo(store: Store, today: date | None = None) -> Summary:
    """Create (or top up) the demo units, time types, practitioners and slots."""
    return apply_config(store, DEMO_FILE, today=today)
