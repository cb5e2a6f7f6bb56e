"""The lxml floor: the same work as the producer without Spyne.

Parse the envelope (same hardened parser options), validate the body against the same
Responder XSD, read the values with lxml, make the SAME domain call, build the same response
element with lxml, validate it against the same XSD and serialize the envelope. What the
producer spends above this is the cost of its SOAP stack (Spyne, dispatch, bindings).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from riv_scheduling.contract import CORE_NS, INTERACTIONS, LOGICAL_ADDRESS_NS
from riv_scheduling.contract.schemas import SCHEMA_DIR
from riv_scheduling.domain import (
    Actor,
    Code,
    DomainError,
    PersonId,
    ResultCode,
    Scheduling,
    TimeslotQuery,
    booking_result,
)

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
HSA_ID_OID = "1.2.752.129.2.1.4.1"
C = f"{{{CORE_NS}}}"
PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                      remove_comments=True, remove_pis=True)


def _sub(parent: etree._Element, tag: str, text: Any = None) -> etree._Element:
    e = etree.SubElement(parent, tag)
    if text is not None:
        e.text = text
    return e


def _opt(parent: etree._Element, tag: str, text: str | None) -> None:
    if text is not None:
        _sub(parent, tag, text)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _ts(moment: datetime) -> str:
    return moment.astimezone(STOCKHOLM).strftime("%Y%m%d%H%M%S")


def _cv(parent: etree._Element, tag: str, code: Any) -> None:
    if code is None:
        return
    e = _sub(parent, tag)
    _sub(e, C + "code", code.code)
    _sub(e, C + "codeSystem", code.code_system)
    _opt(e, C + "displayName", code.display_name)


def _info(parent: etree._Element, tag: str, items: Any) -> None:
    for i in items:
        e = _sub(parent, tag)
        _sub(e, C + "header", i.header)
        _opt(e, C + "description", i.description)
        _opt(e, C + "link", i.link)


def _hsa(parent: etree._Element, tag: str, value: str) -> None:
    e = _sub(parent, tag)
    _sub(e, C + "root", HSA_ID_OID)
    _sub(e, C + "extension", value)


def _time_type(parent: etree._Element, tag: str, tt: Any) -> None:
    e = _sub(parent, tag)
    _sub(e, C + "code", tt.code)
    if tt.hidden is not None:
        _sub(e, C + "hidden", _bool(tt.hidden))
    _cv(e, C + "careContactCode", tt.care_contact_code)
    for s in tt.healthcare_services:
        hs = _sub(e, C + "healthcareService")
        code = _sub(hs, C + "code")
        _sub(code, C + "code", s.code.code)
        _sub(code, C + "codeSystem", s.code.code_system)
        _opt(code, C + "displayName", s.code.display_name)
        _info(hs, C + "information", s.information)
        _info(hs, C + "conditionsToConfirm", s.conditions_to_confirm)
    if tt.healthcare_team is not None:
        _sub(e, C + "healthcareTeam", _bool(tt.healthcare_team))
    if tt.patient_group is not None:
        _sub(e, C + "patientGroup", _bool(tt.patient_group))
    _sub(e, C + "cancelAppointmentAllowed", _bool(tt.cancel_allowed))
    _sub(e, C + "updateAppointmentAllowed", _bool(tt.update_allowed))
    for r in tt.appointment_rules:
        rule = _sub(e, C + "appointmentRule")
        _sub(rule, C + "type", r.process.value)
        _sub(rule, C + "reasonTextRequired", r.reason_text_required.value)
        _sub(rule, C + "reasonCodeRequired", r.reason_code_required.value)
        for c in r.reason_codes:
            _cv(rule, C + "reasonCodes", c)
        _info(rule, C + "information", r.information)
        _info(rule, C + "conditionToConfirm", r.condition_to_confirm)


def _timeslot(parent: etree._Element, tag: str, view: Any) -> None:
    slot = view.timeslot
    e = _sub(parent, tag)
    _sub(e, C + "timeslotId", str(slot.id))
    _time_type(e, C + "timeType", view.time_type)
    _sub(e, C + "startTime", _ts(slot.start))
    _sub(e, C + "endTime", _ts(slot.end))
    _sub(e, C + "timeLength", repr(slot.length_minutes))
    _hsa(e, C + "healthcareFacilityHSAId", view.facility.hsa_id)
    for p in view.practitioners:
        pe = _sub(e, C + "practitioner")
        _hsa(pe, C + "HSAId", p.hsa_id)
        _sub(pe, C + "firstName", p.first_name)
        _sub(pe, C + "lastName", p.last_name)
        _opt(pe, C + "title", p.title)
    for r in slot.resources:
        re_ = _sub(e, C + "resource")
        _cv(re_, C + "typeOfResource", r.type_of_resource)
        _cv(re_, C + "resourceAttribute", r.resource_attribute)
        _opt(re_, C + "description", r.description)
    if view.within_care_guarantee is not None:
        _sub(e, C + "withinCareGuarantee", _bool(view.within_care_guarantee))
    _opt(e, C + "alternativeLocation", slot.alternative_location)


def _appointment(parent: etree._Element, tag: str, view: Any) -> None:
    a = view.appointment
    e = _sub(parent, tag)
    _sub(e, C + "appointmentId", str(a.id))
    for r in a.related_appointment_ids:
        _sub(e, C + "relatedAppointmentId", str(r))
    _timeslot(e, C + "timeslot", view.slot)
    pid = _sub(e, C + "personId")
    _sub(pid, C + "root", a.person_id.root)
    _sub(pid, C + "extension", a.person_id.extension)
    _info(e, C + "information", a.information)
    _sub(e, C + "status", a.status.value)
    _opt(e, C + "newAppointmentReasonText", a.new_reason_text)
    _cv(e, C + "newAppointmentReasonCode", a.new_reason_code)
    _opt(e, C + "updateAppointmentReasonText", a.update_reason_text)
    _cv(e, C + "updateAppointmentReasonCode", a.update_reason_code)
    _opt(e, C + "alternativeLocation", a.alternative_location)
    for ref in a.references:
        re_ = _sub(e, C + "reference")
        _sub(re_, C + "name", ref.name)
        _opt(re_, C + "description", ref.description)
        _opt(re_, C + "link", ref.link)


class Floor:
    """``floor(envelope_bytes) -> response envelope bytes`` for the booking-core interactions."""

    def __init__(self, scheduling: Scheduling) -> None:
        self.scheduling = scheduling
        self.parser = etree.XMLParser(**PARSER_OPTIONS)
        self.schemas = {}
        for i in INTERACTIONS.values():
            self.schemas[i.request_tag] = (etree.XMLSchema(etree.parse(str(SCHEMA_DIR / i.xsd))), i)
        self.answer: dict[str, Callable[..., None]] = {
            "GetAvailableTimeslots": self._timeslots, "MakeAppointment": self._make,
            "UpdateAppointment": self._update, "CancelAppointment": self._cancel,
            "GetAppointment": self._get, "GetAppointments": self._list,
        }

    def __call__(self, data: bytes) -> bytes:
        root = etree.fromstring(data, self.parser)
        unit = root.findtext(f"{{{SOAP}}}Header/{{{LOGICAL_ADDRESS_NS}}}LogicalAddress").strip()
        body = root.find(f"{{{SOAP}}}Body")[0]
        schema, i = self.schemas[body.tag]
        if not schema.validate(body):
            raise ValueError(str(schema.error_log))
        env = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soap11env": SOAP})
        out = etree.SubElement(etree.SubElement(env, f"{{{SOAP}}}Body"), i.response_tag,
                               nsmap={"ns1": i.responder_ns, "ns0": CORE_NS})
        r = f"{{{i.responder_ns}}}"
        try:
            self.answer[i.name](unit, body, out, r)
        except DomainError as exc:
            out.clear()
            _sub(out, r + "resultCode", exc.code.value)
            _opt(out, r + "resultText", exc.text)
        if not schema.validate(out):
            raise ValueError(str(schema.error_log))
        return etree.tostring(env, xml_declaration=True, encoding="UTF-8")

    # -- request values ------------------------------------------------------------------

    @staticmethod
    def _actor(body: etree._Element, r: str) -> Actor:
        return Actor(body.findtext(f"{r}actor/{C}actorId/{C}root"),
                     body.findtext(f"{r}actor/{C}actorId/{C}extension"),
                     body.findtext(f"{r}actor/{C}actorType/{C}code"))

    @staticmethod
    def _person(body: etree._Element, r: str) -> PersonId:
        return PersonId(body.findtext(f"{r}personId/{C}root"), body.findtext(f"{r}personId/{C}extension"))

    @staticmethod
    def _code(body: etree._Element, tag: str) -> Code | None:
        e = body.find(tag)
        if e is None:
            return None
        return Code(e.findtext(C + "code"), e.findtext(C + "codeSystem"), e.findtext(C + "displayName"))

    @staticmethod
    def _date(text: str | None) -> Any:
        return datetime.strptime(text, "%Y%m%d").date() if text else None

    # -- one domain call each ------------------------------------------------------------

    def _timeslots(self, unit: str, body: etree._Element, out: etree._Element, r: str) -> None:
        query = TimeslotQuery(
            start_date=self._date(body.findtext(r + "startDateInclusive")),
            end_date=self._date(body.findtext(r + "endDateInclusive")),
            time_type_code=body.findtext(r + "timeTypeCode"),
        )
        for view in self.scheduling.search.available_timeslots(unit, query):
            _timeslot(out, r + "timeslot", view)
        _sub(out, r + "resultCode", ResultCode.OK.value)

    def _booked(self, appointment: Any, out: etree._Element, r: str) -> None:
        code, text = booking_result(appointment)
        _sub(out, r + "appointmentId", str(appointment.id))
        _sub(out, r + "resultCode", code.value)
        _opt(out, r + "resultText", text)

    def _make(self, unit: str, body: etree._Element, out: etree._Element, r: str) -> None:
        self._booked(self.scheduling.booking.make_appointment(
            unit, self._actor(body, r), self._person(body, r), uuid.UUID(body.findtext(r + "timeslotId")),
            body.findtext(r + "reasonText"), self._code(body, r + "reasonCode")), out, r)

    def _update(self, unit: str, body: etree._Element, out: etree._Element, r: str) -> None:
        self._booked(self.scheduling.rebooking.update_appointment(
            unit, self._actor(body, r), self._person(body, r),
            uuid.UUID(body.findtext(r + "originalAppointmentId")), uuid.UUID(body.findtext(r + "timeslotId")),
            body.findtext(r + "reasonText"), self._code(body, r + "reasonCode")), out, r)

    def _cancel(self, unit: str, body: etree._Element, out: etree._Element, r: str) -> None:
        self.scheduling.cancellation.cancel_appointment(
            unit, self._actor(body, r), self._person(body, r), uuid.UUID(body.findtext(r + "appointmentId")),
            body.findtext(r + "reasonText"), self._code(body, r + "reasonCode"))
        _sub(out, r + "resultCode", ResultCode.OK.value)

    def _get(self, unit: str, body: etree._Element, out: etree._Element, r: str) -> None:
        view = self.scheduling.reading.get_appointment(unit, self._person(body, r),
                                               uuid.UUID(body.findtext(r + "appointmentId")))
        if view is None:
            _sub(out, r + "resultCode", ResultCode.OK.value)
            _sub(out, r + "resultText", "Det finns ingen sådan bokning för personen.")
            return
        _appointment(out, r + "appointment", view)
        _sub(out, r + "resultCode", ResultCode.OK.value)

    def _list(self, unit: str, body: etree._Element, out: etree._Element, r: str) -> None:
        views = self.scheduling.reading.appointments(
            unit, self._person(body, r), from_date=self._date(body.findtext(r + "fromDate")),
            to_date=self._date(body.findtext(r + "toDate")), time_type_code=body.findtext(r + "timeTypeCode"))
        for v in views:
            a = _sub(out, r + "appointment")
            _sub(a, C + "appointmentId", str(v.appointment.id))
            _hsa(a, C + "healthcareFacilityId", v.slot.facility.hsa_id)


def shape(data: bytes) -> list[tuple[str, str]]:
    """The payload's elements and texts in document order (prefix-independent comparison)."""
    root = etree.fromstring(data)
    payload = root.find(f"{{{SOAP}}}Body")[0]
    return [(str(e.tag), (e.text or "").strip()) for e in payload.iter()]
