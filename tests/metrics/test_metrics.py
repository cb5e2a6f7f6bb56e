"""/metrics: requests per interaction and resultCode, faults per kind, latency, the EI outbox's
gauges and the database pool, in one process and summed over gunicorn workers."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest

from riv_scheduling.metrics import instrument
from riv_scheduling.wsgi import create_app

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
GA = "urn:riv:supportprocess:logistics:scheduling:GetAppointmentsResponder:2"
CORE = "urn:riv:supportprocess:logistics:scheduling:2"
PATH = "/GetAppointments/2/rivtabp21"
DEMO_UNIT = "SE2321000016-A1B2"
TOLVAN = "191212121212"  # Skatteverket test personnummer
BODY = (
    "<ga:GetAppointments><ga:actor><core:actorId><core:root>1.2.752.129.2.1.3.1</core:root>"
    f"<core:extension>{TOLVAN}</core:extension></core:actorId><core:actorType>"
    "<core:code>116154003</core:code><core:codeSystem>1.2.752.116.2.1.1</core:codeSystem>"
    "</core:actorType></ga:actor><ga:personId><core:root>1.2.752.129.2.1.3.1</core:root>"
    f"<core:extension>{TOLVAN}</core:extension></ga:personId></ga:GetAppointments>"
)


MAKE = (
    '<ma:MakeAppointment xmlns:ma="urn:riv:supportprocess:logistics:scheduling:MakeAppointmentResponder:2">'
    "<ma:actor><core:actorId><core:root>1.2.752.129.2.1.3.1</core:root>"
    f"<core:extension>{TOLVAN}</core:extension></core:actorId><core:actorType>"
    "<core:code>116154003</core:code><core:codeSystem>1.2.752.116.2.1.1</core:codeSystem>"
    "</core:actorType></ma:actor><ma:personId><core:root>1.2.752.129.2.1.3.1</core:root>"
    f"<core:extension>{TOLVAN}</core:extension></ma:personId>"
    "<ma:timeslotId>1b4e28ba-2fa1-11d2-883f-0016d3cca427</ma:timeslotId></ma:MakeAppointment>"
)


def envelope(header: bool = True, body: str = BODY) -> bytes:
    head = f"<soapenv:Header><itr:LogicalAddress>{DEMO_UNIT}</itr:LogicalAddress></soapenv:Header>" if header else ""
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:itr="urn:riv:itintegration:registry:1"'
        f' xmlns:ga="{GA}" xmlns:core="{CORE}">{head}<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>'
    ).encode()


def value(text: str, name: str, **labels: str) -> float:
    """The sample's value (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def call(app: Any, method: str, path: str, body: bytes = b"") -> tuple[str, bytes]:
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ.update(REQUEST_METHOD=method, PATH_INFO=path, CONTENT_LENGTH=str(len(body)),
                   CONTENT_TYPE="text/xml; charset=utf-8")
    environ["wsgi.input"] = io.BytesIO(body)
    status: list[str] = []
    out = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    return status[0], out


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Any]:
    producer = create_app(f"sqlite:///{tmp_path / 'm.db'}", demo=True)
    yield instrument(producer, producer.store)  # type: ignore[attr-defined]
    producer.store.dispose()  # type: ignore[attr-defined]


def test_metrics_count_results_faults_latency_and_show_the_outbox_and_pool(app: Any) -> None:
    before = call(app, "GET", "/metrics")[1].decode()
    assert call(app, "POST", PATH, envelope())[0].startswith("200")
    assert call(app, "POST", PATH, envelope())[0].startswith("200")
    assert call(app, "POST", PATH, envelope(header=False))[0].startswith("500")
    refused = call(app, "POST", "/MakeAppointment/2/rivtabp21", envelope(body=MAKE))[1]  # no such timeslot
    code = re.search(rb"resultCode>(\w+)<", refused).group(1).decode()  # type: ignore[union-attr]
    status, out = call(app, "GET", "/metrics")
    text = out.decode()
    assert status.startswith("200")
    assert value(text, "riv_requests_total", interaction="GetAppointments", result_code="none") - value(
        before, "riv_requests_total", interaction="GetAppointments", result_code="none") == 2
    assert value(text, "riv_requests_total", interaction="MakeAppointment", result_code=code) - value(
        before, "riv_requests_total", interaction="MakeAppointment", result_code=code) == 1
    assert value(text, "riv_faults_total", interaction="GetAppointments", kind="Client") - value(
        before, "riv_faults_total", interaction="GetAppointments", kind="Client") == 1
    assert value(text, "riv_request_duration_seconds_count", interaction="GetAppointments") - value(
        before, "riv_request_duration_seconds_count", interaction="GetAppointments") == 3
    assert value(text, "riv_ei_outbox_depth") == 0 and "riv_ei_outbox_oldest_age_seconds" in text
    assert "riv_ei_outbox_parked" in text and "riv_db_pool_size" in text
    assert TOLVAN not in text


def test_other_paths_pass_through_untouched(app: Any) -> None:
    assert call(app, "GET", PATH)[0].startswith("405")


READY = re.compile(r"serving on (http://[0-9.]+:\d+)")


def test_metrics_are_summed_over_gunicorn_workers(tmp_path: Path) -> None:
    pytest.importorskip("gunicorn")
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "riv_scheduling.cli", "serve", "--workers", "2", "--port", "0",
         "--no-reuse-port", "--db", f"sqlite:///{tmp_path / 'w.db'}"],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not (found := READY.search(log.read_text())):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        base = found.group(1)
        for _ in range(12):  # new connections: spread over the workers
            request = urllib.request.Request(base + PATH, data=envelope(), headers={"Content-Type": "text/xml"})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200
        with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
            text = response.read().decode()
        assert value(text, "riv_requests_total", interaction="GetAppointments", result_code="none") == 12
        assert value(text, "riv_request_duration_seconds_count", interaction="GetAppointments") == 12
        assert "riv_ei_outbox_depth" in text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def test_the_result_code_is_found_after_text_that_names_it_and_with_any_prefix() -> None:
    from riv_scheduling.metrics import _result_code

    def code(body: bytes) -> str | None:
        found = _result_code(body)
        return found.group(1).decode() if found else None

    assert code(b"<r><t><d>see resultCode> below</d></t><ns1:resultCode>INFO</ns1:resultCode></r>") == "INFO"
    assert code(b"<r><resultCode>ERROR</resultCode></r>") == "ERROR"
    assert code(b"<r><a.b-c:resultCode> OK </a.b-c:resultCode></r>") == "OK"
    assert code(b"<r><appointmentId>x</appointmentId></r>") is None
    # Mentions after the element, in text: the element still decides.
    assert code(b"<r><resultCode>INFO</resultCode><resultText>see resultCode> above</resultText></r>") == "INFO"
    assert code(b"<r><resultCode>OK</resultCode><t>resultCode></t><u>resultCode></u></r>") == "OK"
    assert code(b"<r><resultCode></resultCode></r>") is None
