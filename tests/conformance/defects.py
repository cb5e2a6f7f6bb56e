"""WSGI middlewares that break a correct producer on the wire, one defect each.

They wrap our ``Producer`` in the test code only: the kit must find each defect from the
outside, exactly as it would in a vendor's producer.
"""

from __future__ import annotations

import copy
import io
import re
import threading
import time
import uuid
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


# -- defects that read the request too (issue #12: what a region's tester must catch) -----------

Respond = Callable[[str, list[tuple[str, str]], bytes], Iterable[bytes]]


class Intercept:
    """Middleware base: sees each request's bytes and the inner answer, may change either.

    ``store`` and ``server`` are set by the test's ``Producers`` before the first request, for the
    defects that act behind the wire (a second release of a slot) or stop the whole server."""

    store: Any = None
    server: Any = None

    def __call__(self, app: App) -> App:
        self.app = app

        def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            path = environ.get("PATH_INFO", "").rstrip("/")
            data = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            if environ.get("REQUEST_METHOD") == "GET":
                data = b""
            return self.handle(environ, path, data, start_response)

        return wrapped

    def call(self, environ: dict[str, Any], data: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
        """The inner producer's answer to ``data`` (status, headers, body)."""
        inner = dict(environ)
        inner["wsgi.input"] = io.BytesIO(data)
        inner["CONTENT_LENGTH"] = str(len(data))
        captured: dict[str, Any] = {}

        def capture(st: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"], captured["headers"] = st, headers

        body = b"".join(self.app(inner, capture))
        return captured["status"], captured["headers"], body

    @staticmethod
    def send(start_response: Callable[..., Any], status: str, headers: list[tuple[str, str]],
             body: bytes) -> list[bytes]:
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(status, headers + [("Content-Length", str(len(body)))])
        return [body]

    def handle(self, environ: dict[str, Any], path: str, data: bytes,
               start_response: Callable[..., Any]) -> Iterable[bytes]:
        status, headers, body = self.call(environ, self.request(path, data))
        status, body = self.response(path, data, status, body)
        return self.send(start_response, status, headers, body)

    def request(self, path: str, data: bytes) -> bytes:
        return data

    def response(self, path: str, data: bytes, status: str, body: bytes) -> tuple[str, bytes]:
        return status, body


def _text(data: bytes, local: str) -> str | None:
    """The text of the first element with this local name in an XML message (None if absent or not XML)."""
    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError:
        return None
    found = root.find(f".//{{*}}{local}")
    return found.text if found is not None else None


def _set_text(data: bytes, local: str, value: str) -> bytes:
    root = etree.fromstring(data)
    for el in root.iter(f"{{*}}{local}"):
        el.text = value
    return _xml(root)


MAKE, UPDATE = "/MakeAppointment/2/rivtabp21", "/UpdateAppointment/2/rivtabp21"
CANCEL, GET_ONE = "/CancelAppointment/2/rivtabp21", "/GetAppointment/2/rivtabp21"
SLOTS, DATES = "/GetAvailableTimeslots/2/rivtabp21", "/GetAvailableDates/2/rivtabp21"


class _Bookings(Intercept):
    """Remembers which slot each appointment was booked in (from MakeAppointment/UpdateAppointment)."""

    def __init__(self) -> None:
        self.slot_of: dict[str, str] = {}
        self.hidden: set[str] = set()  # slots a defect no longer offers

    def remember(self, path: str, data: bytes, body: bytes) -> None:
        if path in (MAKE, UPDATE) and _text(body, "resultCode") in ("OK", "INFO"):
            appointment, slot = _text(body, "appointmentId"), _text(data, "timeslotId")
            if appointment and slot:
                self.slot_of[appointment] = slot

    def response(self, path: str, data: bytes, status: str, body: bytes) -> tuple[str, bytes]:
        self.remember(path, data, body)
        return status, self.after(path, data, body)

    def after(self, path: str, data: bytes, body: bytes) -> bytes:
        if path == SLOTS and self.hidden:
            root, payload = _payload(body)
            for slot in list(payload.findall("{*}timeslot")) if payload is not None else []:
                if slot.findtext("{*}timeslotId") in self.hidden:
                    payload.remove(slot)
            return _xml(root)
        return body


class LostLock(Intercept):
    """MakeAppointment checks and books in two steps without a lock: while another booking of the
    same slot is in flight, the refusal of the loser becomes OK with a made-up appointmentId."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight: dict[str, int] = {}

    def handle(self, environ: dict[str, Any], path: str, data: bytes,
               start_response: Callable[..., Any]) -> Iterable[bytes]:
        if path != MAKE:
            return super().handle(environ, path, data, start_response)
        slot = _text(data, "timeslotId") or ""
        with self.lock:
            self.in_flight[slot] = self.in_flight.get(slot, 0) + 1
        try:
            time.sleep(0.2)  # the window between "is it free?" and "book it"
            with self.lock:
                raced = self.in_flight[slot] > 1
            status, headers, body = self.call(environ, data)
        finally:
            with self.lock:
                self.in_flight[slot] -= 1
        if raced and _text(body, "resultCode") == "REQUESTED_TIME_IS_ALREADY_RESERVED":
            root, payload = _payload(body)
            assert payload is not None
            for text in payload.findall("{*}resultText"):
                payload.remove(text)
            payload.find("{*}resultCode").text = "OK"
            made_up = etree.Element(f"{{{etree.QName(payload).namespace}}}appointmentId")
            made_up.text = str(uuid.uuid4())
            payload.find("{*}resultCode").addprevious(made_up)
            body = _xml(root)
        return self.send(start_response, status, headers, body)


class AppointmentLeaked(Intercept):
    """GetAppointment shows an appointment to anyone who names its id (it keeps the owner's answer)."""

    def __init__(self) -> None:
        self.seen: dict[str, bytes] = {}

    def response(self, path: str, data: bytes, status: str, body: bytes) -> tuple[str, bytes]:
        if path != GET_ONE:
            return status, body
        appointment_id = _text(data, "appointmentId") or ""
        if b"appointment>" in body:
            self.seen[appointment_id] = body
        elif appointment_id in self.seen:
            return status, self.seen[appointment_id]
        return status, body


class LetterCase(Intercept):
    """A LogicalAddress that is not written exactly as the unit's HSA-id is an unknown unit (Client Fault)."""

    def __init__(self, unit: str) -> None:
        self.unit = unit

    def handle(self, environ: dict[str, Any], path: str, data: bytes,
               start_response: Callable[..., Any]) -> Iterable[bytes]:
        address = _text(data, "LogicalAddress") if data else None
        if address is not None and address.strip() != self.unit:
            body = fault("Client", f"Unknown LogicalAddress {address!r}")
            return self.send(start_response, "500 Internal Server Error", [("Content-Type", "text/xml")], body)
        return super().handle(environ, path, data, start_response)


class NoReleaseOnRebooking(_Bookings):
    """After an UpdateAppointment the slot left behind is never offered again."""

    def after(self, path: str, data: bytes, body: bytes) -> bytes:
        if path == UPDATE and _text(body, "resultCode") in ("OK", "INFO"):
            left = self.slot_of.get(_text(data, "originalAppointmentId") or "")
            if left:
                self.hidden.add(left)
        return super().after(path, data, body)


class CancelFreesNothing(_Bookings):
    """After a CancelAppointment the cancelled slot is never offered again."""

    def after(self, path: str, data: bytes, body: bytes) -> bytes:
        if path == CANCEL and _text(body, "resultCode") in ("OK", "INFO"):
            freed = self.slot_of.get(_text(data, "appointmentId") or "")
            if freed:
                self.hidden.add(freed)
        return super().after(path, data, body)


class ReusedIdRelatedToItself(Intercept):
    """UpdateAppointment answers with the original id; GetAppointment of that id shows the new
    appointment under the original id, listing the original id as related (only the counts moved)."""

    def __init__(self) -> None:
        self.new_of: dict[str, str] = {}

    def handle(self, environ: dict[str, Any], path: str, data: bytes,
               start_response: Callable[..., Any]) -> Iterable[bytes]:
        asked = _text(data, "appointmentId") if path == GET_ONE else None
        if asked in self.new_of:
            status, headers, body = self.call(environ, _set_text(data, "appointmentId", self.new_of[asked]))
            root, payload = _payload(body)
            appointment = payload.find("{*}appointment") if payload is not None else None
            if appointment is not None:
                appointment.find("{*}appointmentId").text = asked
                related = etree.Element(f"{{{etree.QName(appointment).namespace}}}relatedAppointmentId")
                related.text = asked
                appointment.find("{*}appointmentId").addnext(related)
                body = _xml(root)
            return self.send(start_response, status, headers, body)
        status, headers, body = self.call(environ, data)
        original = _text(data, "originalAppointmentId")
        new = _text(body, "appointmentId")
        if path == UPDATE and original and new and _text(body, "resultCode") in ("OK", "INFO"):
            self.new_of[original] = new
            body = _set_text(body, "appointmentId", original)
        return self.send(start_response, status, headers, body)


class ReusedIdNotMoved(Intercept):
    """UpdateAppointment answers with the original id, which no longer shows the rebooked appointment."""

    def response(self, path: str, data: bytes, status: str, body: bytes) -> tuple[str, bytes]:
        original = _text(data, "originalAppointmentId")
        if path == UPDATE and original and _text(body, "appointmentId"):
            return status, _set_text(body, "appointmentId", original)
        return status, body


class ServerFaultForClientError(Intercept):
    """Every SOAP Fault says soap:Server, also for what the consumer got wrong."""

    def response(self, path: str, data: bytes, status: str, body: bytes) -> tuple[str, bytes]:
        return status, body.replace(b":Client</faultcode>", b":Server</faultcode>")


class DiesOnMalformedXml(Intercept):
    """Malformed XML kills the producer: it answers that request with a stack trace, then nothing, ever again."""

    def __init__(self) -> None:
        self.dead = threading.Event()
        self.gone = threading.Event()
        self.dying = threading.Lock()

    def handle(self, environ: dict[str, Any], path: str, data: bytes,
               start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self.dead.is_set():
            # The server goes away at the first request after the malformed one, not while the
            # malformed one's answer is still being written: shutting down from a thread then raced
            # that answer, and on a busy machine the kit saw no answer to the malformed request at all.
            self._die()
            self.gone.wait(10)
            return []
        if data:
            try:
                etree.fromstring(data)
            except etree.XMLSyntaxError:
                self.dead.set()
                return self.send(start_response, "500 Internal Server Error", [("Content-Type", "text/plain")],
                                 b"Traceback (most recent call last): ... XMLSyntaxError\n")
        return super().handle(environ, path, data, start_response)

    def _die(self) -> None:
        if not self.dying.acquire(blocking=False):
            return
        server = self.server

        def die() -> None:
            server.shutdown()
            server.server_close(drain=0)  # the call that triggered this waits for ``gone``: no drain
            self.gone.set()

        threading.Thread(target=die, daemon=True).start()


class DtdAccepted(Intercept):
    """A DOCTYPE is dropped and the request served (an XML parser with DTDs on, under a SOAP stack)."""

    def request(self, path: str, data: bytes) -> bytes:
        return re.sub(rb"<!DOCTYPE[^\[>]*(\[[^\]]*\])?\s*>", b"", data)


class MissingLogicalAddressAccepted(Intercept):
    """A request without the LogicalAddress header is served as if it named the unit."""

    def __init__(self, unit: str) -> None:
        self.unit = unit

    def request(self, path: str, data: bytes) -> bytes:
        if not data or b"LogicalAddress" in data:
            return data
        header = (f'<itr:LogicalAddress xmlns:itr="urn:riv:itintegration:registry:1">{self.unit}'
                  "</itr:LogicalAddress>").encode()
        if re.search(rb"<(\w+):Header\s*/>", data):
            return re.sub(rb"<(\w+):Header\s*/>", lambda m: b"<%s:Header>%s</%s:Header>" % (m[1], header, m[1]), data)
        if re.search(rb"<(\w+):Header\s*>", data):
            return re.sub(rb"<(\w+):Header\s*>", lambda m: m[0] + header, data, count=1)
        return re.sub(rb"<(\w+):Body", lambda m: b"<%s:Header>%s</%s:Header><%s:Body" % (m[1], header, m[1], m[1]),
                      data, count=1)


class WrongWsdlAddress(Intercept):
    """The served WSDLs name http://tempuri.org as the endpoint."""

    def handle(self, environ: dict[str, Any], path: str, data: bytes,
               start_response: Callable[..., Any]) -> Iterable[bytes]:
        status, headers, body = self.call(environ, data)
        if environ.get("REQUEST_METHOD") == "GET" and b"definitions" in body:
            body = re.sub(rb'(<[\w]*:?address location=")[^"]*"', rb'\1http://tempuri.org"', body)
        return self.send(start_response, status, headers, body)


class RepeatedCancelOk(_Bookings):
    """A repeated CancelAppointment answers OK (ten minutes of 'retry'), with ``release``: and frees
    the slot a second time, behind the wire, though someone else holds it now."""

    def __init__(self, release: bool) -> None:
        super().__init__()
        self.release = release

    def after(self, path: str, data: bytes, body: bytes) -> bytes:
        if path == CANCEL and _text(body, "resultCode") == "APPOINTMENT_IS_ALREADY_CANCELED":
            slot = self.slot_of.get(_text(data, "appointmentId") or "")
            if self.release and slot:
                with self.store.uow().writing() as uow:
                    uow.timeslots.release(uuid.UUID(slot))
                    uow.commit()
            root, payload = _payload(body)
            assert payload is not None
            for text in payload.findall("{*}resultText"):
                payload.remove(text)
            payload.find("{*}resultCode").text = "OK"
            return _xml(root)
        return super().after(path, data, body)


class MustUnderstandIgnored(Intercept):
    """Header entries marked mustUnderstand are served as if they were not there."""

    def request(self, path: str, data: bytes) -> bytes:
        return re.sub(rb'\s[\w]+:mustUnderstand="(1|true)"', b"", data)


class PastSlotEarlierToday(Intercept):
    """GetAvailableTimeslots for a window with today adds a slot of today that started a minute ago
    (``slots``); GetAvailableDates for a window with yesterday lists yesterday (``dates``).

    The planted entry is a copy of one the producer lists; when the asked window has none (late in
    the day, or a weekend, the demo clinic has no free time left today), it is copied from the
    producer's answer to the same request over the next 60 days, so the defect is there at any hour."""

    def __init__(self, slots: bool = True, dates: bool = False) -> None:
        self.slots, self.dates = slots, dates

    def handle(self, environ: dict[str, Any], path: str, data: bytes,
               start_response: Callable[..., Any]) -> Iterable[bytes]:
        status, headers, body = self.call(environ, data)
        now = datetime.now(ZoneInfo("Europe/Stockholm"))
        start, end = _text(data, "startDateInclusive") or "", _text(data, "endDateInclusive") or ""
        today, yesterday = now.strftime("%Y%m%d"), (now - timedelta(days=1)).strftime("%Y%m%d")
        if self.slots and path == SLOTS and start <= today <= end and now.hour * 60 + now.minute >= 1:
            planted = self._plant(environ, data, body, "timeslot", now)
            if planted is not None:
                past = planted.find("{*}timeslot")
                assert past is not None
                past.find("{*}timeslotId").text = PAST_TIMESLOT_ID
                past.find("{*}startTime").text = (now - timedelta(minutes=1)).strftime("%Y%m%d%H%M%S")
                end_time = past.find("{*}endTime")
                if end_time is not None:
                    end_time.text = (now + timedelta(minutes=19)).strftime("%Y%m%d%H%M%S")
                body = _xml(planted.getroottree().getroot())
        if self.dates and path == DATES and start <= yesterday <= end:
            planted = self._plant(environ, data, body, "availableDate", now)
            if planted is not None:
                past = planted.find("{*}availableDate")
                assert past is not None
                past.find("{*}date").text = yesterday
                body = _xml(planted.getroottree().getroot())
        return self.send(start_response, status, headers, body)

    def _plant(self, environ: dict[str, Any], data: bytes, body: bytes, local: str,
               now: datetime) -> etree._Element | None:
        """The answer's payload with a copy of one of its ``local`` entries first (from a longer
        window when it lists none); None when the producer lists none even there, or faulted."""
        root, payload = _payload(body)
        if payload is None:
            return None
        template = payload.find(f"{{*}}{local}")
        if template is None:
            later = (now + timedelta(days=60)).strftime("%Y%m%d")
            wider = re.sub(rb"(endDateInclusive>)\d{8}(<)", rb"\g<1>" + later.encode() + rb"\g<2>", data)
            _, other = _payload(self.call(environ, wider)[2])
            template = other.find(f"{{*}}{local}") if other is not None else None
            if template is None:
                return None
        payload.insert(0, copy.deepcopy(template))
        return payload


def fault(code: str, message: str) -> bytes:
    return (f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Body><soap:Fault><faultcode>soap:{code}</faultcode>'
            f"<faultstring>{message}</faultstring></soap:Fault></soap:Body></soap:Envelope>").encode()
