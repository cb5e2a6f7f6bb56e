"""The fast response path: domain views -> 2.0 response payloads, written by the generated writers.

``mapping`` builds binding objects that ``codec.FastSoap11`` turns into an lxml tree and then into
bytes: for a week of slots some thousand objects and twice as many elements, every slot repeating
its whole ``timeType``. Here the same values go straight into the writers generated from the
schemas (``riv_scheduling.bindings.writers``) as XML text, and what only depends on the clinic
configuration (a time type's ``timeType``, a unit's HSA-id and texts, a practitioner) is rendered
once per configuration object and reused. The XML is the binding path's, canonically equal
(tests/soap/test_render.py), and the producer still validates every response (soap/app.py).

Fragment caches are keyed by object identity: the configuration cache (store/config_cache.py)
hands out the SAME frozen objects until the configuration version changes, and then new ones, so
"same object" is exactly "same configuration". An entry holds its object, so its id cannot be
reused while the entry exists; anything else (a new object with equal values) just renders again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, Generic, TypeVar

from riv_scheduling.bindings.writers import supportprocess_logistics_scheduling_2_0 as core
from riv_scheduling.contract import HSA_ID_OID, INTERACTIONS
from riv_scheduling.domain import (
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
from riv_scheduling.soap.codec import Rendered
from riv_scheduling.soap.interactions import writers
from riv_scheduling.soap.mapping import dt, ts

T = TypeVar("T")

MAX_FRAGMENTS = 4096  # per cache: time types / units / practitioners of all units, with room to spare


class Fragments(Generic[T]):
    """``render(obj)``, remembered per object (by identity) for the last ``max_entries`` objects."""

    def __init__(self, render: Callable[[T], str], max_entries: int = MAX_FRAGMENTS) -> None:
        self._render = render
        self._max = max_entries
        self._entries: dict[int, tuple[T, str]] = {}
        self._lock = threading.Lock()  # writers only: a read is one dict look-up

    def __call__(self, obj: T) -> str:
        entry = self._entries.get(id(obj))
        if entry is not None and entry[0] is obj:
            return entry[1]
        text = self._render(obj)
        with self._lock:
            if len(self._entries) >= self._max:
                del self._entries[next(iter(self._entries))]  # the oldest: configurations replaced
            self._entries[id(obj)] = (obj, text)
        return text

    def __len__(self) -> int:
        return len(self._entries)


# -- fragments: core types as rendered content -------------------------------------------------


def cv(code: Code) -> str:
    return core.CVType(code=code.code, codeSystem=code.code_system, displayName=code.display_name)


def information(items: Iterable[Information]) -> list[str]:
    return [core.InformationType(header=i.header, description=i.description, link=i.link) for i in items]


def hsa_id(value: str) -> str:
    return core.HSAIdType(root=HSA_ID_OID, extension=value)


def healthcare_service(service: HealthcareService) -> str:
    code = service.code
    return core.HealthcareServiceType(
        code=core.SnomedCtType(code=code.code, codeSystem=code.code_system, displayName=code.display_name),
        information=information(service.information),
        conditionsToConfirm=information(service.conditions_to_confirm),
    )


def appointment_rule(rule: AppointmentRule) -> str:
    return core.TimeTypeRulesType(
        type=rule.process.value,
        reasonTextRequired=rule.reason_text_required.value,
        reasonCodeRequired=rule.reason_code_required.value,
        reasonCodes=[cv(c) for c in rule.reason_codes],
        information=information(rule.information),
        conditionToConfirm=information(rule.condition_to_confirm),
    )


def _time_type(tt: TimeType) -> str:
    return core.TimeTypeType(
        code=tt.code,
        hidden=tt.hidden,
        careContactCode=cv(tt.care_contact_code) if tt.care_contact_code is not None else None,
        healthcareService=[healthcare_service(s) for s in tt.healthcare_services],
        healthcareTeam=tt.healthcare_team,
        patientGroup=tt.patient_group,
        cancelAppointmentAllowed=tt.cancel_allowed,
        updateAppointmentAllowed=tt.update_allowed,
        appointmentRule=[appointment_rule(r) for r in tt.appointment_rules],
    )


def _practitioner(p: Practitioner) -> str:
    return core.PractitionerType(HSAId=hsa_id(p.hsa_id), firstName=p.first_name, lastName=p.last_name, title=p.title)


def _org_unit(f: HealthcareFacility) -> str:
    return core.OrgUnitType(
        HSAId=hsa_id(f.hsa_id),
        name=f.name,
        alternativeLocation=f.alternative_location,
        information=information(f.information),
        conditionToConfirm=information(f.condition_to_confirm),
    )


def _facility_hsa_id(f: HealthcareFacility) -> str:
    return hsa_id(f.hsa_id)


# Configuration objects: rendered once per object, i.e. per configuration version.
time_type = Fragments(_time_type)
practitioner = Fragments(_practitioner)
org_unit = Fragments(_org_unit)
facility_hsa_id = Fragments(_facility_hsa_id)


def resource(r: Resource) -> str:
    return core.ResourceType(
        typeOfResource=cv(r.type_of_resource) if r.type_of_resource is not None else None,
        resourceAttribute=cv(r.resource_attribute) if r.resource_attribute is not None else None,
        description=r.description,
    )


def timeslot(view: TimeslotView) -> str:
    slot = view.timeslot
    return core.TimeslotType(
        timeslotId=str(slot.id),
        timeType=time_type(view.time_type),
        startTime=ts(slot.start),
        endTime=ts(slot.end),
        timeLength=slot.length_minutes,
        healthcareFacilityHSAId=facility_hsa_id(view.facility),
        practitioner=[practitioner(p) for p in view.practitioners],
        resource=[resource(r) for r in slot.resources],
        withinCareGuarantee=view.within_care_guarantee,
        alternativeLocation=slot.alternative_location,
    )


def available_date(d: AvailableDate) -> str:
    return core.AvailableDateType(
        date=dt(d.date),
        noOfTimeslots=d.no_of_timeslots,
        timeType=time_type(d.time_type),
        practitioner=practitioner(d.practitioner) if d.practitioner is not None else None,
        resource=resource(d.resource) if d.resource is not None else None,
    )


def person_id(p: PersonId) -> str:
    return core.PersonIdType(root=p.root, extension=p.extension)


def appointment(view: AppointmentView) -> str:
    a = view.appointment
    return core.AppointmentType(
        appointmentId=str(a.id),
        relatedAppointmentId=[str(r) for r in a.related_appointment_ids],
        timeslot=timeslot(view.slot),
        personId=person_id(a.person_id),
        information=information(a.information),
        status=a.status.value,
        newAppointmentReasonText=a.new_reason_text,
        newAppointmentReasonCode=cv(a.new_reason_code) if a.new_reason_code is not None else None,
        updateAppointmentReasonText=a.update_reason_text,
        updateAppointmentReasonCode=cv(a.update_reason_code) if a.update_reason_code is not None else None,
        alternativeLocation=a.alternative_location,
        reference=[core.ReferenceType(name=r.name, description=r.description, link=r.link) for r in a.references],
    )


def appointment_per_facility(view: AppointmentView) -> str:
    return core.AppointmentPerHealthcareFacilityType(
        appointmentId=str(view.appointment.id), healthcareFacilityId=facility_hsa_id(view.slot.facility)
    )


# -- responses ---------------------------------------------------------------------------------


@cache
def _response_writer(name: str) -> Callable[..., str]:
    writer: Callable[..., str] = getattr(writers(INTERACTIONS[name]), f"{name}Response")
    return writer


def response(name: str, **members: Any) -> Rendered:
    """The ``<name>Response`` element of a 2.0 interaction with these members (rendered content
    for complex ones), ready for the envelope."""
    return Rendered(_response_writer(name)(**members).encode())
