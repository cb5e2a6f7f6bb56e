"""Mutual TLS and the consumer allowlist, over real TLS with a CA the test makes.

Consumers (HSA-id in the client certificate subject serialNumber):
- C001 may call every interaction at the test unit (spelled in lower case in the allowlist);
- C002 has a certificate from the right CA but is in no allowlist entry;
- C003 has no certificate of its own: it calls through the platform NTJP, which is trusted to
  name it in x-rivta-original-serviceconsumer-hsaid, and may search, book and list only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
import zeep.exceptions
from pki import CA, Pair, have_openssl
from secwire import UNIT, Running, envelope, fault_of, request_body, response_of, running
from zeep.transports import Transport

from riv_scheduling.access import AccessPolicy
from riv_scheduling.contract import INTERACTIONS
from riv_scheduling.server import make_server, server_tls_context

pytestmark = pytest.mark.skipif(not have_openssl(), reason="needs the openssl command line")

C001, C002, C003, NTJP = "SE2321000016-C001", "SE2321000016-C002", "SE2321000016-C003", "SE2321000016-NTJP"
HEADER = "x-rivta-original-serviceconsumer-hsaid"
PNR = "199001012385"

ACCESS = f"""
[[platform]]
hsa_id = "{NTJP}"
description = "Nationella tjänsteplattformen (test)"

[[consumer]]
hsa_id = "{C001}"
units = ["{UNIT.lower()}"]
interactions = ["*"]

[[consumer]]
hsa_id = "{C003}"
units = "*"
interactions = ["GetAvailableTimeslots", "MakeAppointment", "GetAppointments"]
"""


@dataclass
class Pki:
    ca: CA
    server: Pair
    clients: dict[str, Pair]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca = CA(folder, "test-siths-ca")
    other = CA(folder, "other-ca")
    clients = {
        C001: ca.issue("c001", f"/serialNumber={C001}/O=Test/CN=Consumer one"),
        C002: ca.issue("c002", f"/serialNumber={C002}/O=Test/CN=Consumer two"),
        NTJP: ca.issue("ntjp", f"/serialNumber={NTJP}/O=Test/CN=Platform"),
        "no-serial": ca.issue("noserial", "/O=Test/CN=No serial number"),
        "foreign": other.issue("foreign", f"/serialNumber={C001}/O=Test/CN=Consumer one, wrong CA"),
    }
    return Pki(ca, ca.issue("server", "/O=Test/CN=localhost", server=True), clients)


@pytest.fixture(scope="module")
def tls(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    access_file = tmp_path_factory.mktemp("access") / "access.toml"
    access_file.write_text(ACCESS, encoding="utf-8")
    context = server_tls_context(str(pki.server.cert), str(pki.server.key), str(pki.ca.cert))
    with running(tmp_path_factory.mktemp("tls") / "p.db", ssl_context=context, request_timeout=5,
                 access=AccessPolicy.load(access_file)) as p:
        yield p


def session(pki: Pki, who: str | None, header: str | None = None) -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise replace s.verify
    s.verify = str(pki.ca.cert)
    if who is not None:
        s.cert = pki.clients[who].tuple
    if header is not None:
        s.headers[HEADER] = header
    return s


def url(p: Running, name: str) -> str:
    return f"https://{p.host}:{p.port}{INTERACTIONS[name].path}"


def post(p: Running, s: requests.Session, name: str, unit: str = UNIT, **kw: Any) -> tuple[int, bytes]:
    r = s.post(url(p, name), data=envelope(request_body(name, PNR, **kw), unit),
               headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=30)
    return r.status_code, r.content


def book(p: Running, s: requests.Session) -> str:
    status, data = post(p, s, "MakeAppointment", slot=p.make_slot())
    response = response_of("MakeAppointment", status, data)
    assert response.findtext("{*}resultCode") == "OK", data
    return response.findtext("{*}appointmentId")


def still_serving(p: Running, pki: Pki) -> None:
    status, data = post(p, session(pki, C001), "GetAppointments")
    response_of("GetAppointments", status, data)


def test_an_allowed_consumer_books_with_zeep_over_mutual_tls(tls: Running, pki: Pki) -> None:
    transport = Transport(session=session(pki, C001), timeout=10, operation_timeout=30)
    client = zeep.Client(url(tls, "MakeAppointment") + "?wsdl", transport=transport)
    actor = {"actorId": {"root": "1.2.752.129.2.1.3.1", "extension": PNR},
             "actorType": {"code": "116154003", "codeSystem": "1.2.752.116.2.1.1"}}
    made = client.service.MakeAppointment(
        _soapheaders={"LogicalAddress": UNIT}, actor=actor,
        personId={"root": "1.2.752.129.2.1.3.1", "extension": PNR}, timeslotId=tls.make_slot())
    assert made.resultCode == "OK", made.resultText
    assert made.appointmentId


def test_a_certificate_from_another_ca_is_refused_in_the_tls_handshake(tls: Running, pki: Pki) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        post(tls, session(pki, "foreign"), "GetAppointments")
    still_serving(tls, pki)


def test_no_client_certificate_is_refused_in_the_tls_handshake(tls: Running, pki: Pki) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        post(tls, session(pki, None), "GetAppointments")
    still_serving(tls, pki)


def test_plain_http_to_the_tls_port_gets_nothing(tls: Running, pki: Pki) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(f"http://{tls.host}:{tls.port}{INTERACTIONS['GetAppointments'].path}",
                      data=b"<x/>", timeout=10)
    still_serving(tls, pki)


def test_a_known_consumer_outside_the_allowlist_gets_a_fault_naming_it(tls: Running, pki: Pki) -> None:
    code, text = fault_of(*post(tls, session(pki, C002), "MakeAppointment", slot=tls.make_slot()))
    assert code == "soap:Client"
    assert C002 in text and "MakeAppointment" in text and "not allowed" in text
    assert PNR not in text
    still_serving(tls, pki)


def test_an_allowed_consumer_is_refused_for_a_unit_outside_its_entry(tls: Running, pki: Pki) -> None:
    code, text = fault_of(*post(tls, session(pki, C001), "GetAppointments", unit="SE2321000016-A1B2"))
    assert code == "soap:Client" and C001 in text and "SE2321000016-A1B2" in text


def test_the_logical_address_is_compared_case_insensitively(tls: Running, pki: Pki) -> None:
    status, data = post(tls, session(pki, C001), "GetAppointments", unit=UNIT.lower())
    response_of("GetAppointments", status, data)


def test_a_trusted_platform_books_for_an_allowed_original_consumer(tls: Running, pki: Pki) -> None:
    assert book(tls, session(pki, NTJP, header=C003))


def test_a_trusted_platform_is_refused_for_a_disallowed_original_consumer(tls: Running, pki: Pki) -> None:
    code, text = fault_of(*post(tls, session(pki, NTJP, header=C002), "MakeAppointment", slot=tls.make_slot()))
    assert code == "soap:Client" and C002 in text and NTJP in text and "not allowed" in text
    # C003 may book, but not cancel.
    code, text = fault_of(*post(tls, session(pki, NTJP, header=C003), "CancelAppointment"))
    assert C003 in text and "CancelAppointment" in text


def test_a_trusted_platform_with_a_malformed_header_gets_a_fault(tls: Running, pki: Pki) -> None:
    code, text = fault_of(*post(tls, session(pki, NTJP, header="SE1, SE2"), "GetAppointments"))
    assert code == "soap:Client" and HEADER in text


def test_the_header_from_an_untrusted_certificate_is_ignored(tls: Running, pki: Pki) -> None:
    # C001 names C002: C001 is judged (allowed), not C002.
    assert book(tls, session(pki, C001, header=C002))
    # C002 names C001: C002 is judged (refused).
    code, text = fault_of(*post(tls, session(pki, C002, header=C001), "GetAppointments"))
    assert C002 in text and "not allowed" in text


def test_a_certificate_without_serial_number_has_no_identity(tls: Running, pki: Pki) -> None:
    code, text = fault_of(*post(tls, session(pki, "no-serial"), "GetAppointments"))
    assert code == "soap:Client" and "serialNumber" in text


def test_the_wsdl_is_served_to_any_client_the_ca_signed(tls: Running, pki: Pki) -> None:
    r = session(pki, C002).get(url(tls, "GetAppointments") + "?wsdl", timeout=30)
    assert r.status_code == 200 and b"wsdl:definitions" in r.content
    assert f"https://{tls.host}:{tls.port}".encode() in r.content


def test_the_server_puts_the_peer_certificate_into_the_environ(pki: Pki) -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update({k: v for k, v in environ.items() if k.startswith("riv.")},
                    scheme=environ["wsgi.url_scheme"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    context = server_tls_context(str(pki.server.cert), str(pki.server.key), str(pki.ca.cert))
    server = make_server(app, "127.0.0.1", 0, ssl_context=context, request_timeout=5)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        host, port = server.server_address[:2]
        r = session(pki, C001).get(f"https://{host}:{port}/", timeout=30)
        assert r.text == "ok"
    finally:
        server.shutdown()
        server.server_close()
    assert seen["riv.client_hsa_id"] == C001
    assert seen["scheme"] == "https"
    subject = dict(rdn[0] for rdn in seen["riv.peer_cert"]["subject"])
    assert subject["serialNumber"] == C001


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_tls_below_1_2_is_refused(tls: Running, pki: Pki) -> None:
    import socket
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(pki.ca.cert))
    ctx.load_cert_chain(*pki.clients[C001].tuple)
    try:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    except (ValueError, ssl.SSLError):
        pytest.skip("this OpenSSL cannot even offer TLS 1.1")
    with pytest.raises((ssl.SSLError, OSError)):
        with socket.create_connection((tls.host, tls.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                s.recv(10)
    still_serving(tls, pki)




def test_the_serve_command_runs_mutual_tls_with_an_access_file(pki: Pki, tmp_path: Path) -> None:
    import subprocess
    import sys

    access = tmp_path / "access.toml"
    access.write_text(f'[[consumer]]\nhsa_id = "{C001}"\nunits = ["*"]\ninteractions = ["GetAppointments"]\n')
    proc = subprocess.Popen(
        [sys.executable, "-m", "riv_scheduling.cli", "serve", "--port", "0", "--db", f"sqlite:///{tmp_path / 'p.db'}",
         "--tls-cert", str(pki.server.cert), "--tls-key", str(pki.server.key), "--client-ca", str(pki.ca.cert),
         "--access", str(access)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "serving on https://" in line, line
        base = line.rsplit(" ", 1)[1].strip()
        demo = "SE2321000016-A1B2"
        r = session(pki, C001).post(base + INTERACTIONS["GetAppointments"].path,
                                    data=envelope(request_body("GetAppointments", PNR), demo),
                                    headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=30)
        response_of("GetAppointments", r.status_code, r.content)
        r = session(pki, C001).post(base + INTERACTIONS["GetAppointment"].path,
                                    data=envelope(request_body("GetAppointment", PNR), demo),
                                    headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=30)
        assert "not allowed" in fault_of(r.status_code, r.content)[1]
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "DEVELOPMENT MODE" not in err and "access refused" in err
