"""Issue #11, item 2: slow and idle clients hold a connection slot, never a worker thread; a request
must arrive whole within --request-timeout; past --max-connections a new connection gets a clean
503; no Server header; X-Forwarded-* only from trusted proxies. For one process (waitress) and for
``serve --workers 2`` (gunicorn's processes, waitress in each).

Deadlines in these tests are generous (a normal call within 10 s while 60 slow connections wait,
a trickling request cut within 10 s of a 2 s timeout): the figures are in bench/slow_clients.py.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from secwire import (
    DEMO_UNIT,
    PATH_OF,
    Running,
    envelope,
    read_http_response,
    request_body,
    response_of,
    running,
)

from riv_scheduling.server import HttpLimits, TrustedProxies, parse_proxies

GENEROUS = 10.0
WSDL = "/GetAppointments/2/rivtabp21?wsdl"


class Remote(Running):
    def __init__(self, host: str, port: int) -> None:  # noqa: D107 - only what post()/raw() use
        self.host, self.port = host, port


@contextmanager
def served(tmp: Path, *options: str) -> Iterator[Remote]:
    """``riv-scheduling serve`` in its own process group, with ``options``."""
    log = open(tmp / "serve.log", "w+b")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "riv_scheduling.cli", "--log-level", "WARNING", "serve", "--port", "0",
         "--db", f"sqlite:///{tmp / 'p.db'}", *options],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        remote = None
        while remote is None:
            assert proc.poll() is None, (tmp / "serve.log").read_text()
            assert time.monotonic() < deadline, (tmp / "serve.log").read_text()
            found = re.search(r"serving on http://([0-9.]+):(\d+)", (tmp / "serve.log").read_text())
            if found:
                remote = Remote(found.group(1), int(found.group(2)))
            time.sleep(0.2)
        while True:  # the workers are up when a call is answered
            try:
                status, _ = remote.post(PATH_OF["GetAppointments"],
                                        envelope(request_body("GetAppointments"), DEMO_UNIT))
                if status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, (tmp / "serve.log").read_text()
            time.sleep(0.3)
        yield remote
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def normal_call(p: Running) -> float:
    started = time.monotonic()
    status, data = p.post(PATH_OF["GetAppointments"], envelope(request_body("GetAppointments"), DEMO_UNIT),
                          timeout=GENEROUS)
    response_of("GetAppointments", status, data)
    return time.monotonic() - started


def hold(p: Running, stack: ExitStack, count: int, first: bytes) -> list[socket.socket]:
    socks = []
    for _ in range(count):
        s = stack.enter_context(socket.create_connection((p.host, p.port), timeout=GENEROUS))
        if first:
            s.sendall(first)
        socks.append(s)
    return socks


PARTIAL = b"POST /GetAppointments/2/rivtabp21 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"


def slow_clients_do_not_hold_up_a_normal_call(p: Running) -> None:
    with ExitStack() as stack:
        hold(p, stack, 30, b"")  # idle
        hold(p, stack, 30, PARTIAL)  # a header that never ends
        body = hold(p, stack, 30, PARTIAL + b"Content-Length: 5000\r\n\r\n<soap")  # a body that never ends
        for _ in range(3):
            assert normal_call(p) < GENEROUS
        for s in body:
            s.sendall(b"x")
        assert normal_call(p) < GENEROUS


def trickle_is_cut(p: Running, request_timeout: float) -> None:
    with socket.create_connection((p.host, p.port), timeout=GENEROUS) as s:
        started = time.monotonic()
        s.sendall(b"P")
        answer = b""
        for byte in PARTIAL[1:]:
            try:
                s.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(0.25)
            if time.monotonic() - started > request_timeout + GENEROUS:
                break
            s.setblocking(False)
            try:
                answer = s.recv(65536)
            except BlockingIOError:
                pass
            finally:
                s.setblocking(True)
            if answer:
                break
        if not answer:
            s.settimeout(GENEROUS)
            answer = s.recv(65536)
        elapsed = time.monotonic() - started
    assert re.match(rb"HTTP/1\.[01] 500 ", answer), answer[:200]
    assert b"Timed out" in answer
    assert request_timeout <= elapsed < request_timeout + GENEROUS


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    limits = HttpLimits(request_timeout=2, keep_alive=30, max_connections=150)
    with running(tmp_path_factory.mktemp("slow") / "p.db", limits=limits) as p:
        yield p


def test_one_process_serves_a_normal_call_while_slow_clients_wait(single: Running) -> None:
    slow_clients_do_not_hold_up_a_normal_call(single)


def test_one_process_cuts_a_trickling_request_at_the_request_timeout(single: Running) -> None:
    trickle_is_cut(single, 2)
    normal_call(single)


def fill(p: Running, stack: ExitStack) -> None:
    """Hold the 150 connections the server allows, until a new one gets the 503."""
    hold(p, stack, 150, b"")
    deadline = time.monotonic() + GENEROUS
    status = 0
    while status != 503 and time.monotonic() < deadline:  # until the server has taken all 150
        with socket.create_connection((p.host, p.port), timeout=1) as s:
            try:
                status, _ = read_http_response(s)
            except OSError:
                status = 0
    assert status == 503


def test_past_the_connection_limit_a_new_connection_gets_a_503(single: Running) -> None:
    with ExitStack() as stack:
        fill(single, stack)
    served_again(single)


def served_again(p: Running) -> None:
    """Once the server has seen the held connections close, their slots are free again."""
    deadline = time.monotonic() + GENEROUS
    while True:
        try:
            normal_call(p)
            return
        except (AssertionError, OSError):  # until then a 503 (or a reset, past the lingering refusals)
            assert time.monotonic() < deadline
            time.sleep(0.2)


def test_past_the_connection_limit_a_client_that_sent_its_request_reads_the_503(single: Running) -> None:
    """A client sends its headers, then its body (http.client, urllib3 and so zeep, Java's HTTP
    clients). Closed at once, the refused socket answers the unread headers with a reset, and sending
    the body fails before the client has read the 503; the refusal lingers, so every one reads it."""
    body = envelope(request_body("GetAppointments"), DEMO_UNIT)
    head = (f"POST {PATH_OF['GetAppointments']} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with ExitStack() as stack:
        fill(single, stack)
        statuses: list[int | str] = []
        for _ in range(20):
            with socket.create_connection((single.host, single.port), timeout=GENEROUS) as s:
                try:
                    s.sendall(head)
                    time.sleep(0.05)  # the server has refused meanwhile: the race such a client can lose
                    s.sendall(body)
                    statuses.append(read_http_response(s)[0])
                except OSError as e:
                    statuses.append(type(e).__name__)
        assert statuses == [503] * 20
    served_again(single)


def test_no_server_header_and_no_version(single: Running) -> None:
    no_server_header(single)


def no_server_header(p: Running) -> None:
    with socket.create_connection((p.host, p.port), timeout=GENEROUS) as s:
        s.sendall(f"GET {WSDL} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 200")
    assert b"\r\nserver:" not in head and b"\r\nvia:" not in head and b"waitress" not in head


def wsdl_of(p: Running, headers: dict[str, str]) -> bytes:
    import http.client

    conn = http.client.HTTPConnection(p.host, p.port, timeout=GENEROUS)
    try:
        conn.request("GET", WSDL, headers=headers)
        return conn.getresponse().read()
    finally:
        conn.close()


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "vp.example.org:443"}


def test_forwarded_headers_count_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    trusted = lambda app: TrustedProxies(app, parse_proxies(["127.0.0.0/8"]))  # noqa: E731
    with running(tmp_path / "t.db", wrap=trusted) as p:
        assert b'location="https://vp.example.org:443/GetAppointments/2/rivtabp21"' in wsdl_of(p, FORWARDED)
    untrusted = lambda app: TrustedProxies(app, parse_proxies(["10.0.0.0/8", "::1"]))  # noqa: E731
    with running(tmp_path / "u.db", wrap=untrusted) as p:
        wsdl = wsdl_of(p, FORWARDED)
        assert b"vp.example.org" not in wsdl and f"http://{p.host}:{p.port}/".encode() in wsdl
    with running(tmp_path / "n.db") as p:  # no trusted proxy configured: ignored too
        assert b"vp.example.org" not in wsdl_of(p, FORWARDED)


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remote]:
    with served(tmp_path_factory.mktemp("workers"), "--workers", "2", "--request-timeout", "2",
                "--keep-alive", "30", "--trusted-proxy", "127.0.0.1") as remote:
        yield remote


def test_two_workers_serve_a_normal_call_while_slow_clients_wait(workers: Remote) -> None:
    slow_clients_do_not_hold_up_a_normal_call(workers)


def test_two_workers_cut_a_trickling_request_at_the_request_timeout(workers: Remote) -> None:
    trickle_is_cut(workers, 2)


def test_two_workers_send_no_server_header(workers: Remote) -> None:
    no_server_header(workers)


def test_two_workers_honour_forwarded_headers_from_the_trusted_proxy(workers: Remote) -> None:
    assert b'location="https://vp.example.org:443/' in wsdl_of(workers, FORWARDED)


def test_a_busy_port_is_one_line_and_a_non_zero_exit(single: Running, tmp_path: Path) -> None:
    for extra in ([], ["--workers", "2"]):
        done = subprocess.run(
            [sys.executable, "-m", "riv_scheduling.cli", "--log-level", "ERROR", "serve", "--port", str(single.port),
             "--db", f"sqlite:///{tmp_path / 'b.db'}", *extra], capture_output=True, text=True, timeout=120)
        assert done.returncode == 2
        assert done.stderr.strip().splitlines() == [f"riv-scheduling serve: cannot listen on 127.0.0.1:{single.port}:"
                                                    " Address already in use"], done.stderr
        assert "Traceback" not in done.stdout + done.stderr
