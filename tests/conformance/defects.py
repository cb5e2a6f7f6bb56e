"""WSGI middlewares that break a correct producer on the wire, one defect each.

They wrap our ``Producer`` in the test code only: the kit must find each defect from the
outside, exactly as it would in a vendor's producer.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
DOMAIN = "urn:riv:supportprocess:logistics:scheduling"
FAKE_APPOINTMENT_ID = "0badc0de-0000-4000-8000-000000000001"
PAST_TIMESLOT_ID = "0badc0de-0000-4000-8000-00000000da7e"

App = Callable[..., Iterable[bytes]]


def rewrite_responses(path: str, transform: Callable[[bytes], bytes],
                      status: Callable[[str, bytes], str] | None = None) -> Callable[[App], App]:
    """Middleware: responses to POST ``path`` go through ``transform`` (and ``status``)."""

    def middleware(app: App) -> App:
        def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO", "").rstrip("/") != path:
                return app(environ, start_response)
            captured: dict[str, Any] = {}

            def capture(st: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
                captured["status"], captured["headers"] = st, headers

            body = b"".join(app(environ, capture))
            new = transform(body)
            st = status(captured["status"], new) if status else captured["status"]
            headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
            start_response(st, headers + [("Content-Length", str(len(new)))])
            return [new]

        return wrapped

    return middleware


def _payload(body: bytes) -> tuple[etree._Element, etree._Element | None]:
    root = etree.fromstring(body)
    found = root.find(f"{{{SOAP}}}Body")
    payload = found[0] if found is not None and len(found) else None
    if payload is not None and payload.tag == f"{{{SOAP}}}Fault":
        payload = None
    return root, payload


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# -- the defects -------------------------------------------------------------------------


def wrong_namespace() -> Callable[[App], App]:
    """GetAppointment answers in the version 1 responder namespace."""
    ns = f"{DOMAIN}:GetAppointmentResponder"
    return rewrite_responses("/GetAppointment/2/rivtabp21", lambda b: b.replace(f"{ns}:2".encode(), f"{ns}:1".encode()))


def double_booking_allowed() -> Callable[[App], App]:
    """MakeAppointment turns REQUESTED_TIME_IS_ALREADY_RESERVED into OK with a made-up appointmentId."""

    def transform(body: bytes) -> bytes:
        root, payload = _payload(body)
        code = payload.find("{*}resultCode") if payload is not None else None
        if code is None or code.text != "REQUESTED_TIME_IS_ALREADY_RESERVED":
            return body
        code.text = "OK"
        for text in payload.findall("{*}resultText"):
            payload.remove(text)
        appointment_id = etree.Element(f"{{{etree.QName(payload).namespace}}}appointmentId")
        appointment_id.text = FAKE_APPOINTMENT_ID
        code.addprevious(appointment_id)
        return _xml(root)

    return rewrite_responses("/MakeAppointment/2/rivtabp21", transform)


def past_slot_returned() -> Callable[[App], App]:
    """GetAvailableTimeslots appends a copy of its last slot, moved to yesterday."""

    def transform(body: bytes) -> bytes:
        root, payload = _payload(body)
        slots = payload.findall("{*}timeslot") if payload is not None else []
        if not slots:
            return body
        past = copy.deepcopy(slots[-1])
        yesterday = datetime.now(ZoneInfo("Europe/Stockholm")) - timedelta(days=1)
        past.find("{*}timeslotId").text = PAST_TIMESLOT_ID
        past.find("{*}startTime").text = yesterday.strftime("%Y%m%d090000")
        end = past.find("{*}endTime")
        if end is not None:
            end.text = yesterday.strftime("%Y%m%d092000")
        slots[-1].addnext(past)
        return _xml(root)

    return rewrite_responses("/GetAvailableTimeslots/2/rivtabp21", transform)


def wrong_result_code() -> Callable[[App], App]:
    """CancelAppointment says TOO_LATE_TO_CANCEL_APPOINTMENT where the appointment does not exist (for the person)."""
    return rewrite_responses(
        "/CancelAppointment/2/rivtabp21",
        lambda b: b.replace(b">APPOINTMENT_DOES_NOT_EXIST<", b">TOO_LATE_TO_CANCEL_APPOINTMENT<"),
    )


def missing_required_element() -> Callable[[App], App]:
    """GetAppointment leaves out appointment/status (AppointmentType: status 1..1)."""

    def transform(body: bytes) -> bytes:
        root, payload = _payload(body)
        if payload is None:
            return body
        for status in payload.findall("{*}appointment/{*}status"):
            status.getparent().remove(status)
        return _xml(root)

    return rewrite_responses("/GetAppointment/2/rivtabp21", transform)


def faults_with_http_200() -> Callable[[App], App]:
    """GetAppointments sends its SOAP Faults with HTTP 200 instead of 500."""

    def status(st: str, body: bytes) -> str:
        return "200 OK" if st.startswith("500") and b"Fault>" in body else st

    return rewrite_responses("/GetAppointments/2/rivtabp21", lambda b: b, status)


def not_served(path: str, fault: bytes | None = None) -> Callable[[App], App]:
    """POST ``path`` answers 404 (or ``fault`` with HTTP 500); the ?wsdl GET still works."""

    def middleware(app: App) -> App:
        def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO", "").rstrip("/") != path:
                return app(environ, start_response)
            environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            if fault is None:
                data = b"Not Found\n"
                start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
            else:
                data = fault
                start_response("500 Internal Server Error",
                               [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(data)))])
            return [data]

        return wrapped

    return middleware


def hidden(*names: str) -> Callable[[App], App]:
    """The producer as if it did not serve these interactions: 404 for POST and for ?wsdl."""
    from riv_scheduling.contract import INTERACTIONS

    paths = {INTERACTIONS[n].path for n in names}

    def middleware(app: App) -> App:
        def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ.get("PATH_INFO", "").rstrip("/") not in paths:
                return app(environ, start_response)
            environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            data = b"Not Found\n"
            start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
            return [data]

        return wrapped

    return middleware


# The booking core only: what the producer served before the other six interactions were added.
NOT_IN_CORE = ("ConfirmAppointment", "GetAvailableDates", "GetHealthcareFacilities", "GetHealthcareFacility",
               "GetPractitioners", "GetTimeTypes")


VP004 = (
    b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header/><soapenv:Body>'
    b"<soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>VP004 [NTjP] Det finns inget v\xc3\xa4gval i "
    b"tj\xc3\xa4nsteadresseringskatalogen</faultstring><detail><detailString>No receiverId (logical address) found "
    b"for serviceNamespace: urn:riv:supportprocess:logistics:scheduling:CancelAppointmentResponder:2</detailString>"
    b"</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
)
