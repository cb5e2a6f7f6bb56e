"""Helpers for the wire tests: a zeep caller, test persons, the test unit's time types and slots."""

from __future__ import annotations

import itertools
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import zeep
from lxml import etree
from zeep.plugins import Plugin

from riv_scheduling.contract import INTERACTIONS
from riv_scheduling.contract.schemas import SCHEMA_DIR
from riv_scheduling.domain import (
    ClinicSetup,
    Scheduling,
    Timeslot,
    TimeType,
    stockholm_now,
)

PERSONNUMMER = "1.2.752.129.2.1.3.1"
SNOMED = "1.2.752.116.2.1.1"
TEST_UNIT = "SE2321000016-TST1"  # a unit with time types for every rule
DEMO_UNIT = "SE2321000016-A1B2"


def luhn_pnr(prefix11: str) -> str:
    """Complete an 11-digit personnummer (YYYYMMDDNNN) with its check digit."""
    digits = prefix11[2:]
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return prefix11 + str((10 - total % 10) % 10)


# Skatteverket's test numbers share the birth date 1912-12-12 ("Tolvan Tolvansson").
TOLVAN = "191212121212"
PERSONS = [luhn_pnr(f"19121212{n:03d}") for n in range(100, 160)]


# Which interactions may return which result code (TKB 2.0 §3.7.2-3.7.5); OK, ERROR and INFO: all.
_UPDATING = ("MakeAppointment", "UpdateAppointment")
ASSIGNED_CODES: dict[str, tuple[str, ...]] = {
    "REQUESTED_TIME_IS_ALREADY_RESERVED": _UPDATING,
    "REQUESTED_TIME_HAS_ALREADY_PASSED": _UPDATING,
    "REQUESTED_TIME_IS_NO_LONGER_AVAILABLE": _UPDATING,
    "TOO_LATE_TO_MAKE_APPOINTMENT": ("MakeAppointment",),
    "USER_IS_ALREADY_OCCUPIED": _UPDATING,
    "APPOINTMENT_IS_NOT_ALLOWED": ("MakeAppointment",),
    "APPOINTMENT_IS_ALREADY_CANCELED": ("UpdateAppointment", "CancelAppointment"),
    "APPOINTMENT_IS_ALREADY_UPDATED": ("UpdateAppointment", "CancelAppointment"),
    "TOO_LATE_TO_UPDATE_APPOINTMENT": ("UpdateAppointment",),
    "APPOINTMENT_DOES_NOT_EXIST": ("UpdateAppointment", "CancelAppointment", "ConfirmAppointment"),
    "UPDATE_APPOINTMENT_IS_NOT_ALLOWED": ("UpdateAppointment",),
    "TOO_LATE_TO_CANCEL_APPOINTMENT": ("CancelAppointment",),
    "CANCEL_IS_NOT_ALLOWED": ("CancelAppointment",),
    "APPOINTMENT_IS_ALREADY_CONFIRMED": ("ConfirmAppointment",),
    "TOO_LATE_TO_CONFIRM_APPOINTMENT": ("ConfirmAppointment",),
    "CONFIRM_IS_NOT_ALLOWED": ("ConfirmAppointment",),
}
# (interaction, resultCode) of every response the wire tests received in this session.
SEEN_RESULTS: set[tuple[str, str]] = set()


class ValidateResponses(Plugin):
    """Every body the producer returns must validate against schemas/ (independent check), and its
    resultCode must be one the contract assigns to the interaction; the pairs are recorded."""

    def __init__(self, schema: etree.XMLSchema) -> None:
        self.schema = schema

    def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> Any:
        body = envelope.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
        payload = body[0]
        if not payload.tag.endswith("}Fault"):
            assert self.schema.validate(payload), str(self.schema.error_log)
            interaction = etree.QName(payload).localname.removesuffix("Response")
            code = payload.findtext(f"{{{etree.QName(payload).namespace}}}resultCode")
            if code is not None:
                allowed = ASSIGNED_CODES.get(code)
                assert allowed is None or interaction in allowed, f"{interaction} may not return {code}"
                SEEN_RESULTS.add((interaction, code))
        return envelope, http_headers


@dataclass
class Wire:
    """The running producer and helpers to call it."""

    base_url: str
    setup: ClinicSetup
    scheduling: Scheduling
    store: Any = None
    clients: dict[str, Any] = field(default_factory=dict)

    def service(self, interaction: str) -> Any:
        if interaction not in self.clients:
            i = INTERACTIONS[interaction]
            schema = etree.XMLSchema(etree.parse(str(SCHEMA_DIR / i.xsd)))
            client = zeep.Client(
                f"{self.base_url}{i.path}?wsdl", plugins=[ValidateResponses(schema)]
            )
            self.clients[interaction] = client.service
        return self.clients[interaction]

    def call(self, interaction: str, unit: str = TEST_UNIT, **body: Any) -> Any:
        op = getattr(self.service(interaction), interaction)
        return op(_soapheaders={"LogicalAddress": unit}, **body)

    def post(self, path: str, data: bytes, content_type: str = "text/xml; charset=utf-8",
             headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.base_url + path, data=data, method="POST",
            headers={"Content-Type": content_type, **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def backdate(self, appointment_id: str, hours: float) -> None:
        """Move an appointment's last change into the past (as if time had passed since)."""
        from sqlalchemy import select, update

        from riv_scheduling.store.tables import appointment

        with self.store.engine.begin() as conn:
            row = appointment.c.id == appointment_id
            changed = conn.execute(select(appointment.c.updated_at).where(row)).scalar_one()
            conn.execute(update(appointment).where(row).values(updated_at=changed - timedelta(hours=hours)))

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


def person(pnr: str = TOLVAN) -> dict[str, str]:
    return {"root": PERSONNUMMER, "extension": pnr}


def actor(pnr: str = TOLVAN) -> dict[str, Any]:
    return {"actorId": {"root": PERSONNUMMER, "extension": pnr},
            "actorType": {"code": "116154003", "codeSystem": SNOMED}}


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


# Time types of the test unit, one per rule.
TIME_TYPES = [
    # code, cancel, update, booking notice, update notice, cancel notice, hidden, bookable
    TimeType("FRI", "Fri tid", True, True, hours(0), hours(0), hours(0)),
    TimeType("DYGN", "24 h avbokning", True, True, hours(0), hours(24), hours(24)),
    TimeType("FRAMFOR", "2 h bokningsgräns", True, True, hours(2), hours(0), hours(0)),
    TimeType("LAST", "Får ej ändras", False, False, hours(0), hours(0), hours(0)),
    TimeType("STANGD", "Ej bokningsbar", True, True, hours(0), hours(0), hours(0),
             booking_allowed=False),
    TimeType("SKYDDAD", "Skyddad", True, True, hours(0), hours(0), hours(0), hidden=True),
]


_spread = itertools.count()


@dataclass
class Slots:
    """Creates slots at the test unit. Without ``start_in`` each slot gets its own time
    (three days ahead, 30 minutes apart), so overlaps happen only where a test asks."""

    setup: ClinicSetup

    def make(self, code: str = "FRI", start_in: timedelta | None = None, minutes: int = 20,
             practitioner: str | None = None) -> str:
        now = stockholm_now().replace(microsecond=0)
        if start_in is None:
            start = now + timedelta(days=3, minutes=30 * next(_spread))
        else:
            start = now + start_in
        slot = Timeslot(
            id=uuid.uuid4(), facility_hsa_id=TEST_UNIT, time_type_code=code,
            start=start, end=start + timedelta(minutes=minutes),
            practitioner_ids=(practitioner,) if practitioner else (),
        )
        return str(self.setup.add_timeslot(slot).id)
