"""Issue #11: one fault format on every path. Whichever layer refuses a request (the HTTP server, the
envelope checks, the schema, the handlers through the SOAP runtime, a technical error), the answer
is HTTP 500 with the same envelope: prefix ``soap``, a Fault holding exactly ``faultcode`` (``soap:``
Client or Server) and ``faultstring``, no ``faultactor``."""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from secwire import PATH_OF, SOAP, envelope, request_body, running


def check_format(status: int, data: bytes, what: str) -> str:
    assert status == 500, (what, status, data[:200])
    root = etree.fromstring(data)
    assert root.prefix == "soap" and root.tag == f"{{{SOAP}}}Envelope", (what, data[:200])
    body = root[0]
    assert body.tag == f"{{{SOAP}}}Body" and len(root) == 1, what
    fault = body[0]
    assert fault.tag == f"{{{SOAP}}}Fault" and len(body) == 1, what
    assert [child.tag for child in fault] == ["faultcode", "faultstring"], (what, data[:300])
    code = fault.findtext("faultcode") or ""
    assert code in ("soap:Client", "soap:Server", "soap:VersionMismatch"), (what, code)
    assert fault.findtext("faultstring"), what
    return code


def test_every_refusal_has_the_same_fault_form(tmp_path: Path) -> None:
    with running(tmp_path / "p.db", request_timeout=2) as p:
        path = PATH_OF["GetAppointments"]
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n"
        good = request_body("GetAppointments")
        cases = {
            "malformed XML (envelope)": p.post(path, b"<soap:Envelope><x>"),
            "schema violation (validator)": p.post(path, envelope(good.replace(
                "<r:personId><c:root>1.2.752.129.2.1.3.1", "<r:personId><c:root>9.9.9"))),
            "unknown LogicalAddress (handler, SOAP runtime)": p.post(path, envelope(good, "SE2321000016-NONE")),
            "actorId root (handler, SOAP runtime)": p.post(path, envelope(good.replace(
                "<c:actorId><c:root>1.2.752.129.2.1.3.1", "<c:actorId><c:root>1.2.3.4"))),
            "broken chunked encoding (HTTP server)": p.raw(
                (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + b"zz\r\n" + envelope(good)),
            "body over the limit (HTTP server)": p.raw(
                (head + "Content-Length: 100000000000\r\n\r\n").encode() + b"<soap"),
            "request not whole in time (HTTP server)": p.raw(
                (head + "Content-Length: 5000\r\n\r\n").encode() + b"<soap"),
            "SOAP 1.2": p.post(path, envelope(good), content_type="application/soap+xml"),
        }

        def broken(*args: object, **kwargs: object) -> object:
            raise RuntimeError("the database is gone")

        p.scheduling.reading.appointments = broken  # type: ignore[method-assign]
        cases["technical error"] = p.post(path, envelope(good))
        codes = {what: check_format(*answer, what) for what, answer in cases.items()}
    assert codes["technical error"] == "soap:Server"
    assert codes["unknown LogicalAddress (handler, SOAP runtime)"] == "soap:Client"


def test_the_fault_on_the_wire_is_what_render_fault_builds(tmp_path: Path) -> None:
    with running(tmp_path / "p.db") as p:
        status, data = p.post(PATH_OF["GetAppointments"], b"<soap:Envelope><x>")
        text = etree.fromstring(data).findtext(f"{{{SOAP}}}Body/{{{SOAP}}}Fault/faultstring") or ""
        assert status == 500 and data == p.producer.render_fault("Client", text)
