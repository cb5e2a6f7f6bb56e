"""A small clinic on a real store whose unit NORR reports to EI (SODER does not), with a clock the
test moves, and helpers that deliver to a receiver."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from riv_scheduling.domain import (
    PERSONNUMMER_OID,
    STOCKHOLM,
    Actor,
    ClinicSetup,
    HealthcareFacility,
    PersonId,
    Scheduling,
    Timeslot,
    TimeType,
)
from riv_scheduling.domain.engagement_index import IndexReporting
from riv_scheduling.domain.index_maintenance import IndexMaintenance
from riv_scheduling.engagement_index.client import EndpointConfig, UpdateClient
from riv_scheduling.engagement_index.delivery import Deliverer, DeliveryPolicy
from riv_scheduling.store import Store, open_store

NORR = "SE2321000016-A65H"
SODER = "SE2321000016-C3D4"
SOURCE = "SE2321000016-84GX"
CONTROLLER = "SE232100-0016"
TOLVAN = PersonId(PERSONNUMMER_OID, "191212121212")  # Skatteverket test personnummer
CITIZEN = Actor(PERSONNUMMER_OID, "191212121212", "116154003")
ZERO = timedelta(0)
VISIT = TimeType("BESOK", "Besök", True, True, ZERO, ZERO, ZERO)


def person_no(n: int) -> PersonId:
    """The n-th of a series of Luhn-valid test personnummer born 1990-01-01."""
    body = f"900101{n % 800 + 100:03d}"
    digits = [int(c) for c in body]
    total = 0
    for i, d in enumerate(digits):
        v = d * (2 if i % 2 == 0 else 1)
        total += v // 10 + v % 10
    return PersonId(PERSONNUMMER_OID, f"19{body}{(10 - total % 10) % 10}")


class EIClinic:
    def __init__(self, url: str) -> None:
        self.store: Store = open_store(url)
        self.store.create_schema()
        self.now = datetime.now(STOCKHOLM).replace(microsecond=0)
        self.setup = ClinicSetup(self.store.uow, clock=self.clock)
        self.scheduling = Scheduling(self.store.uow, clock=self.clock)
        self.maintenance = IndexMaintenance(self.store.uow, clock=self.clock)
        for hsa_id in (NORR, SODER):
            self.setup.add_facility(HealthcareFacility(hsa_id, hsa_id))
            self.setup.add_time_type(hsa_id, VISIT)
        self.maintenance.set_reporting(NORR, IndexReporting(SOURCE, CONTROLLER))

    def clock(self) -> datetime:
        return self.now

    def slot(self, hours: float, facility: str = NORR) -> Timeslot:
        start = self.now + timedelta(hours=hours)
        return self.setup.add_timeslot(
            Timeslot(uuid.uuid4(), facility, VISIT.code, start, start + timedelta(minutes=20))
        )

    def book(self, hours: float, person: PersonId = TOLVAN, facility: str = NORR) -> uuid.UUID:
        slot = self.slot(hours, facility)
        return self.scheduling.booking.make_appointment(facility, CITIZEN, person, slot.id).id

    def deliverer(self, url: str, **policy: object) -> Deliverer:
        settings: dict[str, object] = {"backoff_base_s": 0.0, "lease_s": 30.0}
        settings.update(policy)
        client = UpdateClient(EndpointConfig(url, timeout=5.0))
        return Deliverer(self.store, client, DeliveryPolicy(**settings), clock=self.clock)  # type: ignore[arg-type]

    def close(self) -> None:
        self.store.dispose()
