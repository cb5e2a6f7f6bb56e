"""The fast response path (soap/render.py and the generated writers) against the binding path.

Random domain states are answered both ways through a Spyne application built as the producer
builds it (services.spyne_application, FastSoap11 out): once with the binding objects of
soap/mapping.py, as the handlers did before, and once with the pre-rendered payload. The two
payloads must be equal after exclusive C14N, and the rendered one valid against the Responder XSD.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from riv_scheduling.contract import INTERACTIONS, PERSON_ID_ROOTS, SNOMED_CT_OID, SOAP11_NS, ResultCode
from riv_scheduling.contract.schemas import SCHEMA_DIR
from riv_scheduling.domain import (
    Appointment,
    AppointmentRule,
    AppointmentState,
    AppointmentStatus,
    AppointmentView,
    AvailableDate,
    ClinicSetup,
    Code,
    HealthcareFacility,
    HealthcareService,
    Information,
    PersonId,
    Practitioner,
    Process,
    ReasonRequired,
    Reference,
    Resource,
    Scheduling,
    Timeslot,
    TimeslotView,
    TimeType,
)
from riv_scheduling.soap import envelope, render
from riv_scheduling.soap import mapping as m
from riv_scheduling.soap.app import Producer
from riv_scheduling.soap.codec import Rendered
from riv_scheduling.soap.interactions import element
from riv_scheduling.soap.services import ENVELOPE_KEY, LOGICAL_ADDRESS_KEY, spyne_application
from riv_scheduling.soap.validation import Validator
from riv_scheduling.store import open_store

STOCKHOLM = m.STOCKHOLM
ANSWER_KEY = "test.answer"
PNR = "191212121212"

# -- strategies: domain states ------------------------------------------------------------------

# Any XML character (no surrogates, no C0 controls but tab, LF and CR, no U+FFFE/U+FFFF), and the
# ones escaping is about, often.
_chars = st.characters(blacklist_categories=("Cs", "Cc", "Cn"), whitelist_characters="\t\n\r")
_tricky = st.sampled_from(["&", "<", ">", '"', "'", "]]>", "åäö", "ÅÄÖ", "\r\n", "&amp;", "<!-- x -->", "é", "𝄞", " "])
text = st.lists(st.one_of(_tricky, st.text(_chars, max_size=8)), max_size=4).map("".join)
optional_text = st.none() | text
link = st.builds(lambda path, q: f"https://example.invalid/{path}?a=1&b={q}",
                 st.text("abcåäö-_", max_size=6), st.text("xyz'", max_size=4))
code = st.builds(Code, text, text, optional_text)
information = st.lists(st.builds(Information, text, optional_text, st.none() | link), max_size=2).map(tuple)
reason = st.sampled_from(ReasonRequired)


@st.composite
def rules(draw: st.DrawFn) -> tuple[AppointmentRule, ...]:
    processes = draw(st.lists(st.sampled_from(Process), unique=True, max_size=3))
    return tuple(
        AppointmentRule(p, draw(reason), draw(reason), tuple(draw(st.lists(code, max_size=2))), draw(information),
                        draw(information))
        for p in processes
    )


service = st.builds(HealthcareService, st.builds(Code, text, st.just(SNOMED_CT_OID), optional_text), information,
                    information)
time_type = st.builds(
    TimeType,
    code=text, name=text, cancel_allowed=st.booleans(), update_allowed=st.booleans(),
    booking_notice=st.just(timedelta(0)), update_notice=st.just(timedelta(0)), cancel_notice=st.just(timedelta(0)),
    hidden=st.booleans(), care_contact_code=st.none() | code,
    healthcare_services=st.lists(service, max_size=2).map(tuple),
    healthcare_team=st.none() | st.booleans(), patient_group=st.none() | st.booleans(),
    appointment_rules=rules(),
)
facility = st.builds(HealthcareFacility, text, text, optional_text, information, information)
practitioner = st.builds(Practitioner, text, text, text, optional_text)
resource = st.builds(Resource, st.none() | code, st.none() | code, optional_text)
moment = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(STOCKHOLM),
                      allow_imaginary=False)


@st.composite
def states(draw: st.DrawFn) -> dict[str, Any]:
    """Time types, units and practitioners (shared by the slots, as the configuration cache hands
    out the same objects) and slots, dates and appointments that use them."""
    time_types = draw(st.lists(time_type, min_size=1, max_size=3))
    unit = draw(facility)
    people = draw(st.lists(practitioner, max_size=3))

    def view() -> TimeslotView:
        start = draw(moment)
        slot = Timeslot(
            id=draw(st.uuids()), facility_hsa_id=unit.hsa_id, time_type_code="x", start=start,
            end=(start.astimezone(UTC) + timedelta(seconds=draw(st.integers(1, 8 * 3600)))).astimezone(STOCKHOLM),
            resources=tuple(draw(st.lists(resource, max_size=2))), alternative_location=draw(optional_text),
        )
        chosen = draw(st.lists(st.sampled_from(people), max_size=2)) if people else []
        return TimeslotView(slot, draw(st.sampled_from(time_types)), unit, tuple(chosen),
                            draw(st.none() | st.booleans()))

    views = [view() for _ in range(draw(st.integers(0, 6)))]
    dates = [
        AvailableDate(draw(st.dates(date(2020, 1, 1), date(2035, 12, 31))), draw(st.integers(0, 2**31 - 1)),
                      draw(st.sampled_from(time_types)),
                      draw(st.none() | st.sampled_from(people)) if people else None, draw(st.none() | resource))
        for _ in range(draw(st.integers(0, 4)))
    ]
    appointments = [
        AppointmentView(
            Appointment(
                id=draw(st.uuids()), timeslot_id=v.timeslot.id, facility_hsa_id=unit.hsa_id,
                person_id=PersonId(draw(st.sampled_from(sorted(PERSON_ID_ROOTS))), PNR),
                status=draw(st.sampled_from(AppointmentStatus)), state=AppointmentState.ACTIVE,
                new_reason_text=draw(optional_text), new_reason_code=draw(st.none() | code),
                update_reason_text=draw(optional_text), update_reason_code=draw(st.none() | code),
                replaces=None, replaced_by=None, created_at=v.timeslot.start, updated_at=v.timeslot.start,
                information=draw(information), alternative_location=draw(optional_text),
                references=tuple(draw(st.lists(st.builds(Reference, text, optional_text, st.none() | link),
                                               max_size=2))),
                related_appointment_ids=tuple(draw(st.lists(st.uuids(), max_size=2))),
            ),
            v,
        )
        for v in views[:3]
    ]
    others = draw(st.lists(facility, max_size=2))
    return {"time_types": time_types, "unit": unit, "units": [unit, *others], "people": people, "views": views,
            "dates": dates, "appointments": appointments}


# -- both paths through Spyne, as the producer runs it ------------------------------------------


@cache
def _app(name: str) -> Any:
    return spyne_application(INTERACTIONS[name], lambda env, request: env[ANSWER_KEY])


@cache
def _validator() -> Validator:
    return Validator(SCHEMA_DIR, INTERACTIONS.values())


def _through_spyne(name: str, answer: Any) -> etree._Element:
    """The payload of the envelope that Spyne (FastSoap11) sends for ``answer``."""
    interaction = INTERACTIONS[name]
    ns = interaction.responder_ns
    request = (f'<s:Envelope xmlns:s="{SOAP11_NS}"><s:Body><r:{name} xmlns:r="{ns}"/></s:Body></s:Envelope>').encode()
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": interaction.path, "CONTENT_TYPE": "text/xml; charset=utf-8",
        "CONTENT_LENGTH": str(len(request)), "wsgi.input": io.BytesIO(request), "wsgi.url_scheme": "http",
        "SERVER_NAME": "test", "SERVER_PORT": "80",
        ENVELOPE_KEY: envelope.parse(request).root, LOGICAL_ADDRESS_KEY: "SE2321000016-TEST", ANSWER_KEY: answer,
    }
    status: list[str] = []
    out = b"".join(_app(name)(environ, lambda s, h, e=None: status.append(s)))
    assert status[0].startswith("200"), out[:500]
    body = envelope.parse_response(out).find(f"{{{SOAP11_NS}}}Body")
    assert body is not None and len(body) == 1
    return body[0]


def c14n(payload: etree._Element) -> bytes:
    return etree.tostring(payload, method="c14n", exclusive=True)


def assert_same(name: str, binding_members: dict[str, Any], rendered: Rendered) -> None:
    """The binding path and the fast path give canonically equal payloads; the fast one validates."""
    assert type(rendered) is Rendered
    binding = m.new(element(INTERACTIONS[name], f"{name}Response"), **binding_members)
    expected = c14n(_through_spyne(name, binding))
    fast = _through_spyne(name, rendered)
    assert c14n(fast) == expected
    _validator().validate(INTERACTIONS[name], fast)  # raises SchemaViolation


# -- the properties -----------------------------------------------------------------------------

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OK = ResultCode.OK.value


@SETTINGS
@given(states())
def test_get_available_timeslots_and_dates(state: dict[str, Any]) -> None:
    views, dates = state["views"], state["dates"]
    assert_same("GetAvailableTimeslots", {"timeslot": [m.timeslot(v) for v in views] or None, "resultCode": OK},
                render.response("GetAvailableTimeslots", timeslot=[render.timeslot(v) for v in views],
                                resultCode=OK))
    assert_same("GetAvailableDates", {"availableDate": [m.available_date(d) for d in dates] or None,
                                      "resultCode": OK},
                render.response("GetAvailableDates", availableDate=[render.available_date(d) for d in dates],
                                resultCode=OK))


@SETTINGS
@given(states())
def test_the_configuration_answers(state: dict[str, Any]) -> None:
    time_types, people, units = state["time_types"], state["people"], state["units"]
    assert_same("GetTimeTypes", {"timeType": [m.time_type(t) for t in time_types], "resultCode": OK},
                render.response("GetTimeTypes", timeType=[render.time_type(t) for t in time_types], resultCode=OK))
    assert_same("GetPractitioners", {"practitioner": [m.practitioner(p) for p in people] or None, "resultCode": OK},
                render.response("GetPractitioners", practitioner=[render.practitioner(p) for p in people],
                                resultCode=OK))
    assert_same("GetHealthcareFacility", {"healthcareFacility": m.org_unit(state["unit"]), "resultCode": OK},
                render.response("GetHealthcareFacility", healthcareFacility=render.org_unit(state["unit"]),
                                resultCode=OK))
    assert_same("GetHealthcareFacilities", {"healthcareFacility": [m.org_unit(f) for f in units], "resultCode": OK},
                render.response("GetHealthcareFacilities", healthcareFacility=[render.org_unit(f) for f in units],
                                resultCode=OK))


@SETTINGS
@given(states(), optional_text)
def test_the_appointment_answers(state: dict[str, Any], result_text: str | None) -> None:
    views = state["appointments"]
    for view in views:
        assert_same("GetAppointment", {"appointment": m.appointment(view), "resultCode": OK},
                    render.response("GetAppointment", appointment=render.appointment(view), resultCode=OK))
    assert_same("GetAppointment", {"resultCode": OK, "resultText": result_text},
                render.response("GetAppointment", resultCode=OK, resultText=result_text))
    per_unit = [
        m.new(m.core.AppointmentPerHealthcareFacilityType, appointmentId=str(v.appointment.id),
              healthcareFacilityId=m.hsa_id(v.slot.facility.hsa_id))
        for v in views
    ]
    assert_same("GetAppointments", {"appointment": per_unit or None},
                render.response("GetAppointments", appointment=[render.appointment_per_facility(v) for v in views]))


# Answers that may hold a result code alone (GetHealthcareFacility's needs its unit, GetAppointments has none).
RESULT_INTERACTIONS = sorted(name for name in INTERACTIONS if name not in ("GetAppointments", "GetHealthcareFacility"))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(RESULT_INTERACTIONS), st.sampled_from(ResultCode), optional_text, st.uuids())
def test_result_answers(name: str, code: ResultCode, result_text: str | None, appointment_id: uuid.UUID) -> None:
    """What booking answers and every DomainError (services.build_application) are made of."""
    members: dict[str, Any] = {"resultCode": code.value, "resultText": result_text}
    if name in ("MakeAppointment", "UpdateAppointment"):
        members["appointmentId"] = str(appointment_id)
    assert_same(name, members, render.response(name, **members))


# -- the fragment caches ------------------------------------------------------------------------


def _time_type(code: str, **changes: Any) -> TimeType:
    values: dict[str, Any] = {"name": "Besök", "cancel_allowed": True, "update_allowed": True,
                              "booking_notice": timedelta(0), "update_notice": timedelta(0),
                              "cancel_notice": timedelta(0)}
    return TimeType(code, **{**values, **changes})


def test_a_time_type_is_rendered_once_per_object_and_anew_for_a_new_object_with_other_values() -> None:
    before = _time_type("BESOK", cancel_allowed=True)
    first = render.time_type(before)
    assert render.time_type(before) is first  # the cached fragment itself
    changed = _time_type("BESOK", cancel_allowed=False)  # the next configuration version's object
    assert "<ns0:cancelAppointmentAllowed>false</ns0:cancelAppointmentAllowed>" in render.time_type(changed)
    assert "<ns0:cancelAppointmentAllowed>true</ns0:cancelAppointmentAllowed>" in first


def test_the_fragment_cache_is_bounded_and_keeps_what_it_holds_alive() -> None:
    calls: list[str] = []

    def rendered(tt: TimeType) -> str:
        calls.append(tt.code)
        return tt.code

    cache_ = render.Fragments(rendered, max_entries=3)
    kept = [_time_type(f"T{i}") for i in range(5)]
    assert [cache_(t) for t in kept] == ["T0", "T1", "T2", "T3", "T4"]
    assert len(cache_) == 3
    assert cache_(kept[4]) == "T4" and cache_(kept[0]) == "T0"  # T4 kept, T0 had been dropped: rendered again
    assert calls == ["T0", "T1", "T2", "T3", "T4", "T0"]
    # equal values, another object: rendered (identity is what tells configuration versions apart)
    assert cache_(_time_type("T4")) == "T4" and calls[-1] == "T4"


# -- the producer validates rendered responses ---------------------------------------------------


@pytest.fixture
def producer(tmp_path: Path) -> Iterator[tuple[Producer, ClinicSetup]]:
    store = open_store(f"sqlite:///{tmp_path}/render.db")
    store.create_schema()
    try:
        yield Producer(Scheduling(store.uow)), ClinicSetup(store.uow)
    finally:
        store.dispose()


def _call(producer: Producer, name: str, unit: str) -> tuple[str, bytes]:
    interaction = INTERACTIONS[name]
    request = (
        f'<s:Envelope xmlns:s="{SOAP11_NS}"><s:Header><l:LogicalAddress xmlns:l="urn:riv:itintegration:registry:1">'
        f'{unit}</l:LogicalAddress></s:Header><s:Body><r:{name} xmlns:r="{interaction.responder_ns}"/></s:Body>'
        "</s:Envelope>"
    ).encode()
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": interaction.path, "CONTENT_TYPE": "text/xml; charset=utf-8",
               "CONTENT_LENGTH": str(len(request)), "wsgi.input": io.BytesIO(request), "wsgi.url_scheme": "http",
               "SERVER_NAME": "test", "SERVER_PORT": "80"}
    status: list[str] = []
    out = b"".join(producer(environ, lambda s, h, e=None: status.append(s)))
    return status[0], out


def test_a_rendered_response_is_sent_only_when_it_validates(producer: tuple[Producer, ClinicSetup]) -> None:
    app, setup = producer
    setup.add_facility(HealthcareFacility("SE2321000016-GOOD", "Vårdcentralen <Å&Ä>"))
    setup.add_facility(HealthcareFacility("SE2321000016-BAD", "Vårdcentralen \x0b"))  # not an XML character
    status, out = _call(app, "GetHealthcareFacility", "SE2321000016-GOOD")
    assert status.startswith("200")
    assert "<ns0:name>Vårdcentralen &lt;Å&amp;Ä&gt;</ns0:name>".encode() in out
    status, out = _call(app, "GetHealthcareFacility", "SE2321000016-BAD")
    assert status.startswith("500")
    assert b"invalid response" in out and b"\x0b" not in out
