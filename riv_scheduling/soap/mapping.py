"""Conversions between the generated bindings and the domain model.

Requests: bindings -> domain values. Responses: the 2.0 handlers write theirs with soap/render.py;
the domain -> binding functions here are the binding path it is proven equal to
(tests/soap/test_render.py), and ``new`` serves the riv.crm.scheduling adapter's responses.

Wire times are Swedish local wall-clock time without a zone (``YYYYMMDDhhmmss``, dates
``YYYYMMDD``); the domain works with aware datetimes in Europe/Stockholm.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from riv_scheduling.bindings import supportprocess_logistics_scheduling_2_0 as core
from riv_scheduling.contract import CITIZEN_ACTOR_CODE, HSA_ID_OID, PERSON_ID_ROOTS, TIME_ZONE
from riv_scheduling.domain import (
    Actor,
    AppointmentRule,
    AppointmentView,
    AvailableDate,
    Code,
    HealthcareFacility,
    HealthcareService,
    Information,
    PersonId,
    Practitioner,
    Resource,
    TimeslotView,
    TimeType,
)

STOCKHOLM = ZoneInfo(TIME_ZONE)


class RequestError(Exception):
    """A schema-valid request whose values cannot be used (becomes a Client Fault)."""


# -- fast construction of binding objects ---------------------------------------------------

_EMPTY: dict[type, dict[str, None] | None] = {}


def _plain_members(cls: type) -> dict[str, None] | None:
    """``{member: None}`` when ``cls(**values)`` would do nothing but set None and then ``values``.

    Spyne's ``ComplexModel.__init__`` looks up defaults, read-only properties and SQLAlchemy
    state for every member (~5 us per object, ~180 objects per slot list entry). The generated
    bindings have none of these; for them the result is the same instance dict, built directly.
    """
    if cls in _EMPTY:
        return _EMPTY[cls]
    members: dict[str, None] | None = {}
    attrs = cls.Attributes  # type: ignore[attr-defined]
    if (getattr(cls, "__orig__", None) is not None or attrs._xml_tag_body_as is not None
            or hasattr(cls, "_sa_class_manager") or getattr(cls, "__extends__", None) is not None):
        members = None
    else:
        plain: dict[str, None] = {}
        for key, member in cls.get_flat_type_info(cls).items():  # type: ignore[attr-defined]
            a = member.Attributes
            if (a.default is not None or a.default_factory is not None or a.read_only
                    or isinstance(getattr(cls, key, None), property)):
                break
            plain[key] = None
        else:
            members = plain
        if members is not plain:
            members = None
    _EMPTY[cls] = members
    return members


def new(cls: Any, **values: Any) -> Any:
    """``cls(**values)`` for a generated binding class, without Spyne's per-member bookkeeping."""
    members = _plain_members(cls)
    if members is None:
        return cls(**values)
    obj = object.__new__(cls)
    d = obj.__dict__
    d.update(members)
    for key, value in values.items():
        if key in members:
            d[key] = value
    return obj


# -- wire -> domain ---------------------------------------------------------------------


def to_uuid(value: str, element: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError):
        raise RequestError(f"{element} is not a UUID") from None


def to_date(value: str, element: str) -> date:
    # fromisoformat reads YYYYMMDD in a tenth of strptime's time; it also reads other ISO forms
    # (2026-12-07, 2026W491), hence the check for eight ASCII digits first.
    try:
        if len(value) == 8 and value.isascii() and value.isdigit():
            return date.fromisoformat(value)
    except (TypeError, ValueError):  # None; or a day the schema's pattern lets through, 20260231
        pass
    raise RequestError(f"{element} is not a valid date (YYYYMMDD)")


def to_person_id(b: Any) -> PersonId:
    return PersonId(root=b.root, extension=b.extension)


ACTOR_ROOTS = PERSON_ID_ROOTS | {HSA_ID_OID}


def to_actor(b: Any) -> Actor:
    """The actor; its ``actorId`` root must fit its ``actorType``: a citizen (SNOMED CT 116154003,
    patient) by personnummer or samordningsnummer, anyone else by one of those or an HSA-id."""
    root = (b.actorId.root or "").strip()
    shown = root if len(root) <= 64 else root[:64] + "..."
    if b.actorType.code == CITIZEN_ACTOR_CODE and root not in PERSON_ID_ROOTS:
        raise RequestError(
            f"actorId root '{shown}' does not fit actorType {CITIZEN_ACTOR_CODE} (patient): a citizen is identified"
            f" by a personnummer ({sorted(PERSON_ID_ROOTS)[0]}) or samordningsnummer ({sorted(PERSON_ID_ROOTS)[1]})")
    if root not in ACTOR_ROOTS:
        raise RequestError(
            f"actorId root '{shown}' is not a personnummer, samordningsnummer or HSA-id ({HSA_ID_OID}) root")
    return Actor(id_root=root, id_extension=b.actorId.extension, type_code=b.actorType.code)


def to_code(b: Any | None) -> Code | None:
    if b is None:
        return None
    return Code(code=b.code, code_system=b.codeSystem, display_name=b.displayName)


def to_hsa_id(b: Any | None) -> str | None:
    return None if b is None else b.extension


# -- domain -> wire ---------------------------------------------------------------------


def ts(moment: datetime) -> str:
    m = moment.astimezone(STOCKHOLM)
    # %-formatting: 0.9 us; an f-string with six format specs 1.8 us, strftime 2.4 us (two per slot)
    return "%04d%02d%02d%02d%02d%02d" % (m.year, m.month, m.day, m.hour, m.minute, m.second)  # noqa: UP031


def dt(day: date) -> str:
    return f"{day.year:04}{day.month:02}{day.day:02}"


def hsa_id(value: str) -> Any:
    return new(core.HSAIdType, root=HSA_ID_OID, extension=value)


def cv(code: Code | None) -> Any:
    if code is None:
        return None
    return new(core.CVType, code=code.code, codeSystem=code.code_system, displayName=code.display_name)


def information(items: Iterable[Information]) -> list[Any] | None:
    return [
        new(core.InformationType, header=i.header, description=i.description, link=i.link) for i in items
    ] or None


def snomed(code: Code) -> Any:
    return new(core.SnomedCtType, code=code.code, codeSystem=code.code_system,
                             displayName=code.display_name)


def healthcare_service(service: HealthcareService) -> Any:
    return new(core.HealthcareServiceType,
        code=snomed(service.code),
        information=information(service.information),
        conditionsToConfirm=information(service.conditions_to_confirm),
    )


def appointment_rule(rule: AppointmentRule) -> Any:
    return new(core.TimeTypeRulesType,
        type=rule.process.value,
        reasonTextRequired=rule.reason_text_required.value,
        reasonCodeRequired=rule.reason_code_required.value,
        reasonCodes=[cv(c) for c in rule.reason_codes] or None,
        information=information(rule.information),
        conditionToConfirm=information(rule.condition_to_confirm),
    )


def time_type(tt: TimeType) -> Any:
    return new(core.TimeTypeType,
        code=tt.code,
        hidden=tt.hidden,
        careContactCode=cv(tt.care_contact_code),
        healthcareService=[healthcare_service(s) for s in tt.healthcare_services] or None,
        healthcareTeam=tt.healthcare_team,
        patientGroup=tt.patient_group,
        cancelAppointmentAllowed=tt.cancel_allowed,
        updateAppointmentAllowed=tt.update_allowed,
        appointmentRule=[appointment_rule(r) for r in tt.appointment_rules] or None,
    )


def practitioner(p: Practitioner) -> Any:
    return new(core.PractitionerType,
        HSAId=hsa_id(p.hsa_id), firstName=p.first_name, lastName=p.last_name, title=p.title
    )


def resource(r: Resource | None) -> Any:
    if r is None:
        return None
    return new(core.ResourceType, typeOfResource=cv(r.type_of_resource),
                             resourceAttribute=cv(r.resource_attribute), description=r.description)


def org_unit(f: HealthcareFacility) -> Any:
    return new(core.OrgUnitType,
        HSAId=hsa_id(f.hsa_id),
        name=f.name,
        alternativeLocation=f.alternative_location,
        information=information(f.information),
        conditionToConfirm=information(f.condition_to_confirm),
    )


def timeslot(view: TimeslotView) -> Any:
    slot = view.timeslot
    return new(core.TimeslotType,
        timeslotId=str(slot.id),
        timeType=time_type(view.time_type),
        startTime=ts(slot.start),
        endTime=ts(slot.end),
        timeLength=slot.length_minutes,
        healthcareFacilityHSAId=hsa_id(view.facility.hsa_id),
        practitioner=[practitioner(p) for p in view.practitioners] or None,
        resource=[resource(r) for r in slot.resources] or None,
        withinCareGuarantee=view.within_care_guarantee,
        alternativeLocation=slot.alternative_location,
    )


def available_date(d: AvailableDate) -> Any:
    return new(core.AvailableDateType,
        date=dt(d.date),
        noOfTimeslots=d.no_of_timeslots,
        timeType=time_type(d.time_type),
        practitioner=practitioner(d.practitioner) if d.practitioner else None,
        resource=resource(d.resource),
    )


def person_id(p: PersonId) -> Any:
    return new(core.PersonIdType, root=p.root, extension=p.extension)


def appointment(view: AppointmentView) -> Any:
    a = view.appointment
    return new(core.AppointmentType,
        appointmentId=str(a.id),
        relatedAppointmentId=[str(r) for r in a.related_appointment_ids] or None,
        timeslot=timeslot(view.slot),
        personId=person_id(a.person_id),
        information=information(a.information),
        status=a.status.value,
        newAppointmentReasonText=a.new_reason_text,
        newAppointmentReasonCode=cv(a.new_reason_code),
        updateAppointmentReasonText=a.update_reason_text,
        updateAppointmentReasonCode=cv(a.update_reason_code),
        alternativeLocation=a.alternative_location,
        reference=[
            new(core.ReferenceType, name=r.name, description=r.description, link=r.link)
            for r in a.references
        ] or None,
    )
