"""Repositories over one SQLAlchemy Connection (= one transaction), implementing domain ports."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import islice
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    Select,
    Text,
    and_,
    bindparam,
    delete,
    false,
    insert,
    or_,
    select,
    true,
    type_coerce,
    update,
)

from riv_scheduling.domain import (
    SNOMED_CT_OID,
    STOCKHOLM,
    Actor,
    Appointment,
    AppointmentRule,
    AppointmentState,
    AppointmentStatus,
    Assignment,
    AuditAction,
    AuditEvent,
    BookingLimits,
    Code,
    HealthcareFacility,
    HealthcareService,
    Information,
    OpenInvitation,
    PersonId,
    Practitioner,
    Process,
    ReasonRequired,
    Reference,
    Resource,
    ResultCode,
    Timeslot,
    TimeType,
)

from .config_cache import MISSING, ConfigReads
from .driver import DriverStatement
from .tables import (
    appointment,
    assignment,
    audit_event,
    facility_practitioner,
    healthcare_facility,
    healthcare_service,
    open_invitation,
    practitioner,
    time_type,
    time_type_service,
    timeslot,
    timeslot_practitioner,
)

CHUNK = 500  # ids per IN (...) list, well below every backend's bind-parameter limit


def to_db(dt: datetime) -> datetime:
    """Aware datetime -> naive UTC column value."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return dt.astimezone(UTC).replace(tzinfo=None)


def from_db(value: datetime) -> datetime:
    """Naive UTC column value -> aware Stockholm datetime.

    What `value.replace(tzinfo=UTC).astimezone(STOCKHOLM)` gives (astimezone calls fromutc so),
    without the UTC datetime in between: a search converts two per slot."""
    return STOCKHOLM.fromutc(value.replace(tzinfo=STOCKHOLM))


def _chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _code_values(prefix: str, code: Code | None) -> dict[str, str | None]:
    return {
        f"{prefix}_code": code.code if code else None,
        f"{prefix}_code_system": code.code_system if code else None,
        f"{prefix}_display_name": code.display_name if code else None,
    }


def _code(row: Any, prefix: str) -> Code | None:
    """From a row with attribute access (SQLAlchemy's, or a DriverStatement's)."""
    value = getattr(row, f"{prefix}_code")
    if value is None:
        return None
    return Code(value, getattr(row, f"{prefix}_code_system"), getattr(row, f"{prefix}_display_name"))


# -- JSON forms of value objects (lists that are read with their owner, never searched) ----


def code_json(code: Code | None) -> dict[str, Any] | None:
    if code is None:
        return None
    return {"code": code.code, "code_system": code.code_system, "display_name": code.display_name}


def code_from_json(value: dict[str, Any] | None) -> Code | None:
    if value is None:
        return None
    return Code(value["code"], value["code_system"], value.get("display_name"))


def infos_json(items: Iterable[Information]) -> list[dict[str, Any]]:
    return [{"header": i.header, "description": i.description, "link": i.link} for i in items]


def infos_from_json(value: list[dict[str, Any]] | None) -> tuple[Information, ...]:
    return tuple(Information(i["header"], i.get("description"), i.get("link")) for i in value or ())


def limits_json(limits: BookingLimits) -> dict[str, Any]:
    """Field by field, so that a new BookingLimits field needs no change here; unset ones left out."""
    return {f.name: value for f in fields(limits) if (value := getattr(limits, f.name)) is not None}


def limits_from_json(value: dict[str, Any] | None) -> BookingLimits:
    """Unknown keys (written by a newer version) are ignored; missing ones take the field's default."""
    known = {f.name for f in fields(BookingLimits)}
    return BookingLimits(**{k: v for k, v in (value or {}).items() if k in known})


def resources_json(items: Iterable[Resource]) -> list[dict[str, Any]]:
    return [
        {
            "type_of_resource": code_json(r.type_of_resource),
            "resource_attribute": code_json(r.resource_attribute),
            "description": r.description,
        }
        for r in items
    ]


def resources_from_json(value: list[dict[str, Any]] | None) -> tuple[Resource, ...]:
    return tuple(
        Resource(
            code_from_json(r.get("type_of_resource")),
            code_from_json(r.get("resource_attribute")),
            r.get("description"),
        )
        for r in value or ()
    )


def references_json(items: Iterable[Reference]) -> list[dict[str, Any]]:
    return [{"name": r.name, "description": r.description, "link": r.link} for r in items]


def references_from_json(value: list[dict[str, Any]] | None) -> tuple[Reference, ...]:
    return tuple(Reference(r["name"], r.get("description"), r.get("link")) for r in value or ())


# The booking path's statements, built once: executing a pre-built statement skips building it
# and computing its cache key on every call (SQLAlchemy then finds it compiled in its cache). Those
# every MakeAppointment sends run on the DB-API cursor (driver.py): no execution context either.
_RESERVE = DriverStatement(
    update(timeslot)
    .where(
        timeslot.c.id == bindparam("slot_id"),
        timeslot.c.booked < timeslot.c.capacity,
        timeslot.c.withdrawn == false(),
    )
    .values(booked=timeslot.c.booked + 1)
)
_RELEASE = (
    update(timeslot)
    .where(timeslot.c.id == bindparam("slot_id"), timeslot.c.booked > 0)
    .values(booked=timeslot.c.booked - 1)
)
_INSERT_APPOINTMENT = DriverStatement(insert(appointment), [c.key for c in appointment.columns])
_SAVE_APPOINTMENT = update(appointment).where(appointment.c.id == bindparam("appointment_id"))
_OVERLAPPING_ACTIVE = DriverStatement(
    select(appointment)
    .join(timeslot, timeslot.c.id == appointment.c.timeslot_id)
    .where(
        appointment.c.facility_hsa_id == bindparam("facility"),
        appointment.c.person_extension == bindparam("extension"),
        appointment.c.person_root == bindparam("root"),
        appointment.c.state == AppointmentState.ACTIVE.value,
        timeslot.c.start_utc < bindparam("end", type_=timeslot.c.start_utc.type),
        timeslot.c.end_utc > bindparam("start", type_=timeslot.c.end_utc.type),
    )
)
_INSERT_AUDIT_EVENT = DriverStatement(insert(audit_event), [c.key for c in audit_event.columns if c.key != "id"])
_OPEN_INVITATIONS = DriverStatement(
    select(open_invitation)
    .where(
        open_invitation.c.facility_hsa_id == bindparam("facility"),
        open_invitation.c.person_root == bindparam("root"),
        open_invitation.c.person_extension == bindparam("extension"),
        open_invitation.c.time_type_code == bindparam("code"),
        open_invitation.c.appointment_id.is_(None),
    )
    .order_by(open_invitation.c.created_at, open_invitation.c.id)
)
_ANSWER_INVITATION = (
    update(open_invitation)
    .where(open_invitation.c.id == bindparam("invitation_id"))
    .values(appointment_id=bindparam("appointment_id"))
)


class FacilityRepo:
    def __init__(self, conn: Connection, config: ConfigReads) -> None:
        self._conn = conn
        self._config = config

    @staticmethod
    def _facility(row: Row[Any]) -> HealthcareFacility:
        return HealthcareFacility(
            row.hsa_id,
            row.name,
            row.alternative_location,
            information=infos_from_json(row.information),
            condition_to_confirm=infos_from_json(row.condition_to_confirm),
            care_guarantee_days=row.care_guarantee_days,
            related_facilities=tuple(row.related_facilities or ()),
        )

    @staticmethod
    def _values(facility: HealthcareFacility) -> dict[str, Any]:
        return {
            "name": facility.name,
            "alternative_location": facility.alternative_location,
            "information": infos_json(facility.information),
            "condition_to_confirm": infos_json(facility.condition_to_confirm),
            "care_guarantee_days": facility.care_guarantee_days,
            "related_facilities": list(facility.related_facilities),
        }

    def get(self, hsa_id: str) -> HealthcareFacility | None:
        key = hsa_id.lower()
        return self._config.read(("facility", key), lambda: self._get(key))

    def _get(self, key: str) -> HealthcareFacility | None:
        row = self._conn.execute(select(healthcare_facility).where(healthcare_facility.c.hsa_key == key)).first()
        return self._facility(row) if row else None

    def list(self) -> list[HealthcareFacility]:
        q = select(healthcare_facility).order_by(healthcare_facility.c.hsa_key)
        return [self._facility(r) for r in self._conn.execute(q)]

    def add(self, facility: HealthcareFacility) -> None:
        self._config.changed()
        self._conn.execute(
            insert(healthcare_facility).values(
                hsa_id=facility.hsa_id, hsa_key=facility.hsa_id.lower(), **self._values(facility)
            )
        )

    def save(self, facility: HealthcareFacility) -> None:
        self._config.changed()
        self._conn.execute(
            update(healthcare_facility)
            .where(healthcare_facility.c.hsa_id == facility.hsa_id)
            .values(**self._values(facility))
        )


class TimeTypeRepo:
    """Time types with their appointment rules (JSON) and care services (joined): one query per
    unit, cached per worker (config_cache.py)."""

    def __init__(self, conn: Connection, config: ConfigReads) -> None:
        self._conn = conn
        self._config = config

    @staticmethod
    def _rule(value: dict[str, Any]) -> AppointmentRule:
        return AppointmentRule(
            process=Process(value["process"]),
            reason_text_required=ReasonRequired(value["reason_text_required"]),
            reason_code_required=ReasonRequired(value["reason_code_required"]),
            reason_codes=tuple(c for c in map(code_from_json, value.get("reason_codes") or ()) if c is not None),
            information=infos_from_json(value.get("information")),
            condition_to_confirm=infos_from_json(value.get("condition_to_confirm")),
        )

    @staticmethod
    def _rule_json(r: AppointmentRule) -> dict[str, Any]:
        return {
            "process": r.process.value,
            "reason_text_required": r.reason_text_required.value,
            "reason_code_required": r.reason_code_required.value,
            "reason_codes": [code_json(c) for c in r.reason_codes],
            "information": infos_json(r.information),
            "condition_to_confirm": infos_json(r.condition_to_confirm),
        }

    @classmethod
    def _time_type(cls, row: Row[Any], services: list[HealthcareService]) -> TimeType:
        return TimeType(
            code=row.code,
            name=row.name,
            cancel_allowed=row.cancel_allowed,
            update_allowed=row.update_allowed,
            booking_notice=timedelta(seconds=row.booking_notice_s),
            update_notice=timedelta(seconds=row.update_notice_s),
            cancel_notice=timedelta(seconds=row.cancel_notice_s),
            hidden=row.hidden,
            booking_allowed=row.booking_allowed,
            care_contact_code=_code(row, "care_contact"),
            healthcare_services=tuple(services),
            healthcare_team=row.healthcare_team,
            patient_group=row.patient_group,
            appointment_rules=tuple(cls._rule(r) for r in row.appointment_rules or ()),
            confirm_allowed=row.confirm_allowed,
            confirm_notice=timedelta(seconds=row.confirm_notice_s),
            appointment_information=infos_from_json(row.appointment_information),
            video_meeting_url=row.video_meeting_url,
            limits=limits_from_json(row.limits),
        )

    def _read(self, facility_hsa_id: str) -> tuple[TimeType, ...]:
        """One query: time types left-joined with their care services, folded."""
        svc = healthcare_service
        q = (
            select(
                time_type,
                svc.c.code.label("svc_code"),
                svc.c.display_name.label("svc_display_name"),
                svc.c.information.label("svc_information"),
                svc.c.conditions_to_confirm.label("svc_conditions_to_confirm"),
            )
            .select_from(
                time_type.outerjoin(
                    time_type_service,
                    and_(
                        time_type_service.c.facility_hsa_id == time_type.c.facility_hsa_id,
                        time_type_service.c.time_type_code == time_type.c.code,
                    ),
                ).outerjoin(svc, svc.c.code == time_type_service.c.service_code)
            )
            .where(time_type.c.facility_hsa_id == facility_hsa_id)
            .order_by(time_type.c.code, time_type_service.c.position)
        )
        rows: dict[str, Row[Any]] = {}
        services: dict[str, list[HealthcareService]] = {}
        for r in self._conn.execute(q):
            rows.setdefault(r.code, r)
            found = services.setdefault(r.code, [])
            if r.svc_code is not None:
                found.append(
                    HealthcareService(
                        Code(r.svc_code, SNOMED_CT_OID, r.svc_display_name),
                        information=infos_from_json(r.svc_information),
                        conditions_to_confirm=infos_from_json(r.svc_conditions_to_confirm),
                    )
                )
        return tuple(self._time_type(row, services[c]) for c, row in rows.items())

    def _all(self, facility_hsa_id: str) -> tuple[TimeType, ...]:
        return self._config.read(("time_types", facility_hsa_id), lambda: self._read(facility_hsa_id))

    def list(self, facility_hsa_id: str) -> list[TimeType]:
        return list(self._all(facility_hsa_id))

    def get(self, facility_hsa_id: str, code: str) -> TimeType | None:
        return next((t for t in self._all(facility_hsa_id) if t.code == code), None)

    @classmethod
    def _values(cls, t: TimeType) -> dict[str, Any]:
        return {
            "name": t.name,
            "cancel_allowed": t.cancel_allowed,
            "update_allowed": t.update_allowed,
            "booking_notice_s": int(t.booking_notice.total_seconds()),
            "update_notice_s": int(t.update_notice.total_seconds()),
            "cancel_notice_s": int(t.cancel_notice.total_seconds()),
            "hidden": t.hidden,
            "booking_allowed": t.booking_allowed,
            **_code_values("care_contact", t.care_contact_code),
            "healthcare_team": t.healthcare_team,
            "patient_group": t.patient_group,
            "confirm_allowed": t.confirm_allowed,
            "confirm_notice_s": int(t.confirm_notice.total_seconds()),
            "appointment_information": infos_json(t.appointment_information),
            "video_meeting_url": t.video_meeting_url,
            "appointment_rules": [cls._rule_json(r) for r in t.appointment_rules],
            "limits": limits_json(t.limits),
        }

    def _add_parts(self, facility_hsa_id: str, t: TimeType) -> None:
        key = {"facility_hsa_id": facility_hsa_id, "time_type_code": t.code}
        if t.healthcare_services:
            self._conn.execute(
                insert(time_type_service),
                [
                    {**key, "service_code": svc.code.code, "position": i}
                    for i, svc in enumerate(t.healthcare_services)
                ],
            )

    def add(self, facility_hsa_id: str, t: TimeType) -> None:
        self._config.changed()
        self._conn.execute(insert(time_type).values(facility_hsa_id=facility_hsa_id, code=t.code, **self._values(t)))
        self._add_parts(facility_hsa_id, t)

    def save(self, facility_hsa_id: str, t: TimeType) -> None:
        self._config.changed()
        self._conn.execute(
            update(time_type)
            .where(time_type.c.facility_hsa_id == facility_hsa_id, time_type.c.code == t.code)
            .values(**self._values(t))
        )
        self._conn.execute(
            delete(time_type_service).where(
                time_type_service.c.facility_hsa_id == facility_hsa_id,
                time_type_service.c.time_type_code == t.code,
            )
        )
        self._add_parts(facility_hsa_id, t)


class HealthcareServiceRepo:
    def __init__(self, conn: Connection, config: ConfigReads) -> None:
        self._conn = conn
        self._config = config

    @staticmethod
    def service(row: Row[Any]) -> HealthcareService:
        return HealthcareService(
            Code(row.code, SNOMED_CT_OID, row.display_name),
            information=infos_from_json(row.information),
            conditions_to_confirm=infos_from_json(row.conditions_to_confirm),
        )

    @staticmethod
    def _values(svc: HealthcareService) -> dict[str, Any]:
        return {
            "display_name": svc.code.display_name,
            "information": infos_json(svc.information),
            "conditions_to_confirm": infos_json(svc.conditions_to_confirm),
        }

    def get(self, code: str) -> HealthcareService | None:
        row = self._conn.execute(select(healthcare_service).where(healthcare_service.c.code == code)).first()
        return self.service(row) if row else None

    def list(self) -> list[HealthcareService]:
        q = select(healthcare_service).order_by(healthcare_service.c.code)
        return [self.service(r) for r in self._conn.execute(q)]

    def add(self, svc: HealthcareService) -> None:
        self._config.changed()
        self._conn.execute(insert(healthcare_service).values(code=svc.code.code, **self._values(svc)))

    def save(self, svc: HealthcareService) -> None:
        self._config.changed()
        self._conn.execute(
            update(healthcare_service).where(healthcare_service.c.code == svc.code.code).values(**self._values(svc))
        )


class AssignmentRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # Read by every search for a person: compiled once (driver.py).
    _LIST = DriverStatement(
        select(assignment)
        .where(
            assignment.c.facility_hsa_id == bindparam("unit"),
            assignment.c.person_root == bindparam("root"),
            assignment.c.person_extension == bindparam("extension"),
        )
        .order_by(assignment.c.time_type_code)
    )

    def list(self, facility_hsa_id: str, person_id: PersonId) -> list[Assignment]:
        rows = self._LIST.rows(
            self._conn, {"unit": facility_hsa_id, "root": person_id.root, "extension": person_id.extension}
        )
        return [Assignment(r.facility_hsa_id, person_id, r.time_type_code, r.priority, r.valid_until) for r in rows]

    def save(self, a: Assignment) -> None:
        key = (
            assignment.c.facility_hsa_id == a.facility_hsa_id,
            assignment.c.person_root == a.person_id.root,
            assignment.c.person_extension == a.person_id.extension,
            assignment.c.time_type_code == a.time_type_code,
        )
        values = {"priority": a.priority, "valid_until": a.valid_until}
        if self._conn.execute(update(assignment).where(*key).values(**values)).rowcount == 0:
            self._conn.execute(
                insert(assignment).values(
                    facility_hsa_id=a.facility_hsa_id,
                    person_root=a.person_id.root,
                    person_extension=a.person_id.extension,
                    time_type_code=a.time_type_code,
                    **values,
                )
            )


class OpenInvitationRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, invitation_id: uuid.UUID) -> OpenInvitation | None:
        r = self._conn.execute(select(open_invitation).where(open_invitation.c.id == str(invitation_id))).first()
        return None if r is None else self._invitation(r)

    def open_for(self, facility_hsa_id: str, person_id: PersonId, time_type_code: str) -> list[OpenInvitation]:
        params = {"facility": facility_hsa_id, "root": person_id.root, "extension": person_id.extension,
                  "code": time_type_code}
        return [self._invitation(r) for r in _OPEN_INVITATIONS.rows(self._conn, params)]

    @staticmethod
    def _invitation(r: Row[Any]) -> OpenInvitation:
        return OpenInvitation(
            id=uuid.UUID(r.id),
            facility_hsa_id=r.facility_hsa_id,
            person_id=PersonId(r.person_root, r.person_extension),
            time_type_code=r.time_type_code,
            purpose=r.purpose,
            created_at=from_db(r.created_at),
            valid_until=r.valid_until,
            appointment_id=uuid.UUID(r.appointment_id) if r.appointment_id else None,
        )

    def add(self, i: OpenInvitation) -> None:
        self._conn.execute(
            insert(open_invitation).values(
                id=str(i.id),
                facility_hsa_id=i.facility_hsa_id,
                person_root=i.person_id.root,
                person_extension=i.person_id.extension,
                time_type_code=i.time_type_code,
                purpose=i.purpose,
                created_at=to_db(i.created_at),
                valid_until=i.valid_until,
                appointment_id=str(i.appointment_id) if i.appointment_id else None,
            )
        )

    def save(self, i: OpenInvitation) -> None:
        appointment_id = str(i.appointment_id) if i.appointment_id else None
        self._conn.execute(_ANSWER_INVITATION, {"invitation_id": str(i.id), "appointment_id": appointment_id})


class PractitionerRepo:
    """Practitioners, cached per worker (config_cache.py)."""

    def __init__(self, conn: Connection, config: ConfigReads) -> None:
        self._conn = conn
        self._config = config

    @staticmethod
    def _practitioner(row: Row[Any]) -> Practitioner:
        return Practitioner(row.hsa_id, row.first_name, row.last_name, row.title)

    def get(self, hsa_id: str) -> Practitioner | None:
        key = hsa_id.lower()
        return self._config.read(("practitioner_key", key), lambda: self._get(key))

    def _get(self, key: str) -> Practitioner | None:
        row = self._conn.execute(select(practitioner).where(practitioner.c.hsa_key == key)).first()
        return self._practitioner(row) if row else None

    def get_many(self, hsa_ids: Collection[str]) -> dict[str, Practitioner]:
        """The practitioners with these HSA-ids (exact spelling); unknown ones are left out."""
        found: dict[str, Practitioner] = {}
        wanted: list[str] = []
        for hsa_id in set(hsa_ids):
            cached = self._config.peek(("practitioner", hsa_id))
            if cached is MISSING:
                wanted.append(hsa_id)
            elif cached is not None:
                found[hsa_id] = cached
        for batch in _chunks(sorted(wanted)):
            q = select(practitioner).where(practitioner.c.hsa_id.in_(batch))
            for row in self._conn.execute(q):
                found[row.hsa_id] = self._practitioner(row)
        for hsa_id in wanted:
            self._config.store(("practitioner", hsa_id), found.get(hsa_id))
        return found

    def list(self, facility_hsa_id: str) -> list[Practitioner]:
        q = (
            select(practitioner)
            .join(
                facility_practitioner,
                facility_practitioner.c.practitioner_hsa_id == practitioner.c.hsa_id,
            )
            .where(facility_practitioner.c.facility_hsa_id == facility_hsa_id)
            .order_by(practitioner.c.last_name, practitioner.c.first_name, practitioner.c.hsa_id)
        )
        return [self._practitioner(r) for r in self._conn.execute(q)]

    def add(self, p: Practitioner) -> None:
        self._config.changed()
        self._conn.execute(
            insert(practitioner).values(
                hsa_id=p.hsa_id,
                hsa_key=p.hsa_id.lower(),
                first_name=p.first_name,
                last_name=p.last_name,
                title=p.title,
            )
        )

    def save(self, p: Practitioner) -> None:
        self._config.changed()
        self._conn.execute(
            update(practitioner)
            .where(practitioner.c.hsa_id == p.hsa_id)
            .values(first_name=p.first_name, last_name=p.last_name, title=p.title)
        )

    def link(self, facility_hsa_id: str, practitioner_hsa_id: str) -> None:
        self._config.changed()
        exists = self._conn.execute(
            select(facility_practitioner.c.facility_hsa_id).where(
                facility_practitioner.c.facility_hsa_id == facility_hsa_id,
                facility_practitioner.c.practitioner_hsa_id == practitioner_hsa_id,
            )
        ).first()
        if exists is None:
            self._conn.execute(
                insert(facility_practitioner).values(
                    facility_hsa_id=facility_hsa_id, practitioner_hsa_id=practitioner_hsa_id
                )
            )


# A slot row joined with its practitioners (one row per practitioner, or one with NULL).
_SLOT_COLUMNS = (
    timeslot.c.id,
    timeslot.c.facility_hsa_id,
    timeslot.c.time_type_code,
    timeslot.c.start_utc,
    timeslot.c.end_utc,
    timeslot.c.capacity,
    timeslot.c.booked,
    timeslot.c.withdrawn,
    timeslot.c.priority,
    timeslot.c.resources,
    timeslot.c.alternative_location,
    timeslot_practitioner.c.practitioner_hsa_id,
)
# The same with `resources` as the driver gives it (text on SQLite): nearly always "[]", which
# _slot reads without a JSON parse per slot. The SQL is the same.
_SLOT_COLUMNS_RAW_JSON = tuple(
    type_coerce(c, Text).label("resources") if c is timeslot.c.resources else c for c in _SLOT_COLUMNS
)
_SLOT_FROM = timeslot.outerjoin(timeslot_practitioner, timeslot_practitioner.c.timeslot_id == timeslot.c.id)
_SLOT_ORDER = (timeslot.c.start_utc, timeslot.c.id, timeslot_practitioner.c.position)


def _slots(rows: Iterable[Sequence[Any]]) -> list[Timeslot]:
    """Fold joined rows (ordered by slot; columns as _SLOT_COLUMNS) into Timeslots.

    By position, so that a DriverStatement's rows fold as SQLAlchemy's do."""
    result: list[Timeslot] = []
    current: Sequence[Any] | None = None
    practitioners: list[str] = []
    for row in rows:
        if current is None or row[0] != current[0]:
            if current is not None:
                result.append(_slot(current, practitioners))
            current, practitioners = row, []
        if row[11] is not None:
            practitioners.append(row[11])
    if current is not None:
        result.append(_slot(current, practitioners))
    return result


def _slot(row: Sequence[Any], practitioners: list[str]) -> Timeslot:
    (id_, facility_hsa_id, time_type_code, start_utc, end_utc, capacity, booked, withdrawn, priority, resources,
     alternative_location) = row[:11]
    return Timeslot(
        id=uuid.UUID(id_),
        facility_hsa_id=facility_hsa_id,
        time_type_code=time_type_code,
        start=from_db(start_utc),
        end=from_db(end_utc),
        practitioner_ids=tuple(practitioners),
        capacity=capacity,
        booked=booked,
        withdrawn=withdrawn,
        priority=priority,
        resources=resources_from_json(json.loads(resources) if isinstance(resources, str) else resources)
        if resources and resources != "[]"
        else (),
        alternative_location=alternative_location,
    )


@lru_cache(maxsize=256)
def _find_free_statement(codes: int | None, by_practitioner: bool, priority: bool) -> DriverStatement:
    """find_free's SELECT for one shape: how many time type codes (None: any), whether a practitioner
    filter, whether a priority (a slot held for priority p goes to searches with priority <= p)."""

    def build() -> Select[Any]:
        conditions = [
            timeslot.c.facility_hsa_id == bindparam("unit"),
            timeslot.c.start_utc >= bindparam("start_from"),
            timeslot.c.start_utc < bindparam("start_before"),
            timeslot.c.booked < timeslot.c.capacity,
            timeslot.c.withdrawn == false(),
            or_(timeslot.c.priority.is_(None), timeslot.c.priority >= bindparam("priority"))
            if priority
            else timeslot.c.priority.is_(None),
        ]
        if codes is not None:
            conditions.append(timeslot.c.time_type_code.in_([bindparam(f"code{i}") for i in range(codes)]))
        if by_practitioner:
            tp = timeslot_practitioner.alias("tp_filter")
            conditions.append(
                select(tp.c.timeslot_id)
                .where(tp.c.timeslot_id == timeslot.c.id, tp.c.practitioner_hsa_id == bindparam("practitioner"))
                .exists()
            )
        return select(*_SLOT_COLUMNS_RAW_JSON).select_from(_SLOT_FROM).where(*conditions).order_by(*_SLOT_ORDER)

    return DriverStatement(build())


# Every booking, change and GetAppointment reads a slot by id.
_SLOT_BY_ID = DriverStatement(
    select(*_SLOT_COLUMNS_RAW_JSON)
    .select_from(_SLOT_FROM)
    .where(timeslot.c.id == bindparam("slot_id"))
    .order_by(*_SLOT_ORDER)
)


class TimeslotRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, timeslot_id: uuid.UUID) -> Timeslot | None:
        slots = _slots(_SLOT_BY_ID.rows(self._conn, {"slot_id": str(timeslot_id)}))
        return slots[0] if slots else None

    def find_free(
        self,
        facility_hsa_id: str,
        start_from: datetime,
        start_before: datetime,
        time_type_codes: Collection[str] | None = None,
        practitioner_hsa_id: str | None = None,
        priority: int | None = None,
    ) -> list[Timeslot]:
        codes = None if time_type_codes is None else sorted(time_type_codes)
        if codes is not None and not codes:
            return []  # IN () holds for no slot
        values: dict[str, Any] = {
            "unit": facility_hsa_id,
            "start_from": to_db(start_from),
            "start_before": to_db(start_before),
            "priority": priority,
            "practitioner": practitioner_hsa_id,
        }
        if codes is not None:
            values.update((f"code{i}", code) for i, code in enumerate(codes))
        statement = _find_free_statement(
            None if codes is None else len(codes), practitioner_hsa_id is not None, priority is not None
        )
        return _slots(statement.rows(self._conn, values))

    def _free_from(self, facility_hsa_id: str, start_from: datetime) -> list[Any]:
        return [
            timeslot.c.facility_hsa_id == facility_hsa_id,
            timeslot.c.start_utc >= to_db(start_from),
            timeslot.c.booked < timeslot.c.capacity,
            timeslot.c.withdrawn == false(),
        ]

    def free_time_type_codes(
        self, facility_hsa_id: str, start_from: datetime, practitioner_hsa_id: str | None = None
    ) -> set[str]:
        q = select(timeslot.c.time_type_code).distinct().where(*self._free_from(facility_hsa_id, start_from))
        if practitioner_hsa_id is not None:
            q = q.join(timeslot_practitioner, timeslot_practitioner.c.timeslot_id == timeslot.c.id).where(
                timeslot_practitioner.c.practitioner_hsa_id == practitioner_hsa_id
            )
        return {r.time_type_code for r in self._conn.execute(q)}

    def free_practitioner_ids(
        self, facility_hsa_id: str, start_from: datetime, time_type_codes: Collection[str]
    ) -> set[str]:
        q = (
            select(timeslot_practitioner.c.practitioner_hsa_id)
            .distinct()
            .join(timeslot, timeslot.c.id == timeslot_practitioner.c.timeslot_id)
            .where(
                *self._free_from(facility_hsa_id, start_from),
                timeslot.c.time_type_code.in_(sorted(time_type_codes)),
            )
        )
        return {r.practitioner_hsa_id for r in self._conn.execute(q)}

    def list_from(
        self, facility_hsa_id: str, start_from: datetime, time_type_codes: Collection[str]
    ) -> list[Timeslot]:
        q = (
            select(*_SLOT_COLUMNS)
            .select_from(_SLOT_FROM)
            .where(
                timeslot.c.facility_hsa_id == facility_hsa_id,
                timeslot.c.start_utc >= to_db(start_from),
                timeslot.c.time_type_code.in_(sorted(time_type_codes)),
            )
            .order_by(*_SLOT_ORDER)
        )
        return _slots(self._conn.execute(q))

    def update_unbooked(self, slot: Timeslot) -> bool:
        result = self._conn.execute(
            update(timeslot)
            .where(timeslot.c.id == str(slot.id), timeslot.c.booked == 0)
            .values(
                end_utc=to_db(slot.end),
                capacity=slot.capacity,
                priority=slot.priority,
                resources=resources_json(slot.resources),
                alternative_location=slot.alternative_location,
            )
        )
        return result.rowcount == 1

    def remove_unbooked(self, timeslot_id: uuid.UUID) -> bool:
        sid = str(timeslot_id)
        unbooked = select(timeslot.c.id).where(timeslot.c.id == sid, timeslot.c.booked == 0)
        referenced = select(appointment.c.id).where(appointment.c.timeslot_id == sid).exists()
        if self._conn.execute(unbooked).first() is None:
            return False
        if self._conn.execute(select(referenced)).scalar():
            # Old (cancelled or replaced) appointments still point at it: withdraw instead.
            result = self._conn.execute(
                update(timeslot)
                .where(timeslot.c.id == sid, timeslot.c.booked == 0, timeslot.c.withdrawn == false())
                .values(withdrawn=true())
            )
            return result.rowcount == 1
        self._conn.execute(delete(timeslot_practitioner).where(timeslot_practitioner.c.timeslot_id == sid))
        result = self._conn.execute(delete(timeslot).where(timeslot.c.id == sid, timeslot.c.booked == 0))
        return result.rowcount == 1

    def existing_ids(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        found: set[uuid.UUID] = set()
        for batch in _chunks(sorted(str(i) for i in ids)):
            q = select(timeslot.c.id).where(timeslot.c.id.in_(batch))
            found.update(uuid.UUID(r.id) for r in self._conn.execute(q))
        return found

    def add_many(self, slots: Iterable[Timeslot]) -> None:
        slot_rows: list[dict[str, Any]] = []
        link_rows: list[dict[str, Any]] = []
        for s in slots:
            slot_rows.append(
                {
                    "id": str(s.id),
                    "facility_hsa_id": s.facility_hsa_id,
                    "time_type_code": s.time_type_code,
                    "start_utc": to_db(s.start),
                    "end_utc": to_db(s.end),
                    "capacity": s.capacity,
                    "booked": s.booked,
                    "withdrawn": s.withdrawn,
                    "priority": s.priority,
                    "resources": resources_json(s.resources),
                    "alternative_location": s.alternative_location,
                }
            )
            link_rows.extend(
                {"timeslot_id": str(s.id), "practitioner_hsa_id": p, "position": i}
                for i, p in enumerate(s.practitioner_ids)
            )
        if slot_rows:
            self._conn.execute(insert(timeslot), slot_rows)
        if link_rows:
            self._conn.execute(insert(timeslot_practitioner), link_rows)

    def reserve(self, timeslot_id: uuid.UUID) -> bool:
        # The database decides: only one concurrent UPDATE can find booked < capacity.
        return _RESERVE.execute(self._conn, {"slot_id": str(timeslot_id)}) == 1

    def release(self, timeslot_id: uuid.UUID) -> None:
        self._conn.execute(_RELEASE, {"slot_id": str(timeslot_id)})

    def withdraw(self, timeslot_id: uuid.UUID) -> None:
        self._conn.execute(update(timeslot).where(timeslot.c.id == str(timeslot_id)).values(withdrawn=true()))


@lru_cache(maxsize=8)
def _active_statement(start_from: bool, start_before: bool) -> DriverStatement:
    """list_active's SELECT: the appointment's columns, then its slot's as _SLOT_COLUMNS (labelled)."""

    def build() -> Select[Any]:
        conditions = [
            appointment.c.facility_hsa_id == bindparam("unit"),
            appointment.c.person_extension == bindparam("extension"),
            appointment.c.person_root == bindparam("root"),
            appointment.c.state == AppointmentState.ACTIVE.value,
        ]
        if start_from:
            conditions.append(timeslot.c.start_utc >= bindparam("start_from"))
        if start_before:
            conditions.append(timeslot.c.start_utc < bindparam("start_before"))
        slot_columns = (c.label(f"slot_{i}") for i, c in enumerate(_SLOT_COLUMNS_RAW_JSON))
        return (
            select(*appointment.c, *slot_columns)
            .select_from(appointment.join(timeslot, timeslot.c.id == appointment.c.timeslot_id).outerjoin(
                timeslot_practitioner, timeslot_practitioner.c.timeslot_id == timeslot.c.id
            ))
            .where(*conditions)
            .order_by(timeslot.c.start_utc, appointment.c.id, timeslot_practitioner.c.position)
        )

    return DriverStatement(build())


class AppointmentRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        # overlapping_active's rows in this unit of work, until it writes an appointment
        self._overlapping: dict[tuple[Any, ...], list[Any]] = {}

    @staticmethod
    def _appointment(row: Any) -> Appointment:  # a Row or a DriverStatement's row
        return Appointment(
            id=uuid.UUID(row.id),
            timeslot_id=uuid.UUID(row.timeslot_id),
            facility_hsa_id=row.facility_hsa_id,
            person_id=PersonId(row.person_root, row.person_extension),
            status=AppointmentStatus(row.status),
            state=AppointmentState(row.state),
            new_reason_text=row.new_reason_text,
            new_reason_code=_code(row, "new_reason"),
            update_reason_text=row.update_reason_text,
            update_reason_code=_code(row, "update_reason"),
            replaces=uuid.UUID(row.replaces) if row.replaces else None,
            replaced_by=uuid.UUID(row.replaced_by) if row.replaced_by else None,
            created_at=from_db(row.created_at),
            updated_at=from_db(row.updated_at),
            cancel_reason_text=row.cancel_reason_text,
            cancel_reason_code=_code(row, "cancel_reason"),
            information=infos_from_json(row.information),
            alternative_location=row.alternative_location,
            references=references_from_json(row.references),
            related_appointment_ids=tuple(uuid.UUID(i) for i in row.related_appointment_ids or ()),
        )

    @staticmethod
    def _mutable(a: Appointment) -> dict[str, Any]:
        return {
            "status": a.status.value,
            "state": a.state.value,
            "new_reason_text": a.new_reason_text,
            **_code_values("new_reason", a.new_reason_code),
            "update_reason_text": a.update_reason_text,
            **_code_values("update_reason", a.update_reason_code),
            "cancel_reason_text": a.cancel_reason_text,
            **_code_values("cancel_reason", a.cancel_reason_code),
            "replaced_by": str(a.replaced_by) if a.replaced_by else None,
            "updated_at": to_db(a.updated_at),
        }

    _GET = DriverStatement(select(appointment).where(appointment.c.id == bindparam("id")))

    def get(self, appointment_id: uuid.UUID) -> Appointment | None:
        rows = self._GET.rows(self._conn, {"id": str(appointment_id)})
        return self._appointment(rows[0]) if rows else None

    def add(self, a: Appointment) -> None:
        self._overlapping.clear()
        _INSERT_APPOINTMENT.execute(
            self._conn,
            {
                "id": str(a.id),
                "timeslot_id": str(a.timeslot_id),
                "facility_hsa_id": a.facility_hsa_id,
                "person_root": a.person_id.root,
                "person_extension": a.person_id.extension,
                "replaces": str(a.replaces) if a.replaces else None,
                "created_at": to_db(a.created_at),
                "information": infos_json(a.information),
                "alternative_location": a.alternative_location,
                "references": references_json(a.references),
                "related_appointment_ids": [str(i) for i in a.related_appointment_ids],
                **self._mutable(a),
            },
        )

    def save(self, a: Appointment) -> None:
        self._overlapping.clear()
        self._conn.execute(_SAVE_APPOINTMENT, {"appointment_id": str(a.id), **self._mutable(a)})

    def _active(self, facility_hsa_id: str, person_id: PersonId) -> list[Any]:
        return [
            appointment.c.facility_hsa_id == facility_hsa_id,
            appointment.c.person_extension == person_id.extension,
            appointment.c.person_root == person_id.root,
            appointment.c.state == AppointmentState.ACTIVE.value,
        ]

    def list_active(
        self,
        facility_hsa_id: str,
        person_id: PersonId,
        start_from: datetime | None = None,
        start_before: datetime | None = None,
    ) -> list[tuple[Appointment, Timeslot]]:
        """The person's active appointments with their slots, by start: one driver statement (every
        search for a person runs it)."""
        values: dict[str, Any] = {"unit": facility_hsa_id, "root": person_id.root, "extension": person_id.extension}
        if start_from is not None:
            values["start_from"] = to_db(start_from)
        if start_before is not None:
            values["start_before"] = to_db(start_before)
        rows = _active_statement(start_from is not None, start_before is not None).rows(self._conn, values)
        found: list[tuple[Appointment, Timeslot]] = []
        width = len(appointment.c)
        current: Any = None
        practitioners: list[str] = []
        for row in rows:  # one row per practitioner of the slot (or one with NULL)
            if current is None or row.id != current.id:
                if current is not None:
                    found.append((self._appointment(current), _slot(current[width:], practitioners)))
                current, practitioners = row, []
            if row[width + 11] is not None:
                practitioners.append(row[width + 11])
        if current is not None:
            found.append((self._appointment(current), _slot(current[width:], practitioners)))
        return found

    def overlapping_active(
        self, facility_hsa_id: str, person_id: PersonId, start: datetime, end: datetime
    ) -> list[Appointment]:
        # A booking asks twice (is it a retry? is the person occupied?): the rows read first are
        # still the database's, since only this repository writes appointments and the person's
        # changes are serialised (lock_person), so the second question costs no round trip.
        key = (facility_hsa_id, person_id.root, person_id.extension, to_db(start), to_db(end))
        rows = self._overlapping.get(key)
        if rows is None:
            params = dict(zip(("facility", "root", "extension", "start", "end"), key, strict=True))
            rows = self._overlapping[key] = _OVERLAPPING_ACTIVE.rows(self._conn, params)
        return [self._appointment(r) for r in rows]  # new objects each time: callers may change them


def _clip(value: str | None, length: int) -> str | None:
    """Values from a request kept within their column (an invalid identity number may be long)."""
    return value[:length] if value is not None else None


class AuditRepo:
    """The append-only audit trail: `append` and reads; there is no update or delete."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def append(self, e: AuditEvent) -> None:
        _INSERT_AUDIT_EVENT.execute(
            self._conn,
            {
                "at_utc": to_db(e.at),
                "interaction": e.interaction,
                "action": e.action.value,
                "result_code": e.result_code.value,
                "facility_hsa_id": _clip(e.facility_hsa_id, 64),
                "person_root": _clip(e.person_id.root, 64) if e.person_id else None,
                "person_extension": _clip(e.person_id.extension, 64) if e.person_id else None,
                "actor_root": _clip(e.actor.id_root, 64) if e.actor else None,
                "actor_extension": _clip(e.actor.id_extension, 64) if e.actor else None,
                "actor_type": _clip(e.actor.type_code, 64) if e.actor else None,
                "consumer_hsa_id": _clip(e.consumer_hsa_id, 64),
                "appointment_id": str(e.appointment_id) if e.appointment_id else None,
                "new_appointment_id": str(e.new_appointment_id) if e.new_appointment_id else None,
                "timeslot_id": str(e.timeslot_id) if e.timeslot_id else None,
                "detail": e.detail,
            },
        )

    @staticmethod
    def _event(row: Row[Any]) -> AuditEvent:
        person = PersonId(row.person_root, row.person_extension) if row.person_extension is not None else None
        actor = Actor(row.actor_root, row.actor_extension, row.actor_type) if row.actor_root is not None else None
        return AuditEvent(
            at=from_db(row.at_utc),
            interaction=row.interaction,
            action=AuditAction(row.action),
            result_code=ResultCode(row.result_code),
            facility_hsa_id=row.facility_hsa_id,
            person_id=person,
            actor=actor,
            consumer_hsa_id=row.consumer_hsa_id,
            appointment_id=uuid.UUID(row.appointment_id) if row.appointment_id else None,
            new_appointment_id=uuid.UUID(row.new_appointment_id) if row.new_appointment_id else None,
            timeslot_id=uuid.UUID(row.timeslot_id) if row.timeslot_id else None,
            detail=row.detail,
            id=row.id,
        )

    def _select(self, *conditions: Any) -> list[AuditEvent]:
        q = select(audit_event).where(*conditions).order_by(audit_event.c.at_utc, audit_event.c.id)
        return [self._event(r) for r in self._conn.execute(q)]

    def for_appointments(self, appointment_ids: Collection[uuid.UUID]) -> list[AuditEvent]:
        found: dict[int, AuditEvent] = {}
        for batch in _chunks(sorted(str(i) for i in appointment_ids)):
            for e in self._select(
                or_(audit_event.c.appointment_id.in_(batch), audit_event.c.new_appointment_id.in_(batch))
            ):
                found[e.id or 0] = e
        return sorted(found.values(), key=lambda e: (e.at, e.id or 0))

    def for_person(self, person_id: PersonId) -> list[AuditEvent]:
        return self._select(
            audit_event.c.person_extension == person_id.extension,
            audit_event.c.person_root == person_id.root,
        )
