"""The refusal past --max-connections lingers, within bounds: every refused client reads its 503;
at most MAX_LINGERING_REFUSALS are read and dropped at once, none longer than REFUSAL_LINGER_S (and
the event loop's one-second tick); then the server is as before (server.py, ``_Refusal``)."""

from __future__ import annotations

import logging
import math
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from secwire import read_http_response

from riv_scheduling import server as server_module
from riv_scheduling.server import MAX_LINGERING_REFUSALS, REFUSAL_LINGER_S, HttpLimits, Server, make_server


def hello(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


@contextmanager
def serving(max_connections: int) -> Iterator[Server]:
    server = make_server(hello, "127.0.0.1", 0, limits=HttpLimits(max_connections=max_connections))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def wait_for(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_refusals_linger_at_most_64_at_once_and_at_most_their_time() -> None:
    with serving(max_connections=2) as server:
        host, port = server.server_address
        refusals_bounded(server, host, port)
        # the held connections closed: served again once the server has seen them go
        assert wait_for(lambda: len(server._server.active_channels) == 0, 5)
        with socket.create_connection((host, port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_http_response(s) == (200, b"ok")


def refusals_bounded(server: Server, host: str, port: int) -> None:
    with ExitStack() as stack:
        for _ in range(2):
            stack.enter_context(socket.create_connection((host, port), timeout=5))
        assert wait_for(lambda: len(server._server.active_channels) == 2, 5)
        refused = [stack.enter_context(socket.create_connection((host, port), timeout=5)) for _ in range(100)]
        assert wait_for(lambda: server.lingering_refusals == MAX_LINGERING_REFUSALS, 5), server.lingering_refusals
        time.sleep(0.3)
        assert server.lingering_refusals == MAX_LINGERING_REFUSALS  # never more, with 100 left open
        assert [read_http_response(s)[0] for s in refused[:MAX_LINGERING_REFUSALS]] == [503] * MAX_LINGERING_REFUSALS
        started = time.monotonic()
        assert wait_for(lambda: server.lingering_refusals == 0, REFUSAL_LINGER_S + 3)
        assert time.monotonic() - started < REFUSAL_LINGER_S + 2  # gone by their time, clients still silent


def test_a_flood_of_refused_connections_is_logged_as_counted_lines_not_one_each(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(server_module, "REFUSAL_LOG_INTERVAL_S", 0.5)
    caplog.set_level(logging.WARNING, logger="riv_scheduling.http")
    flood = 30
    with serving(max_connections=2) as server:
        host, port = server.server_address
        with ExitStack() as stack:
            for _ in range(2):
                stack.enter_context(socket.create_connection((host, port), timeout=5))
            assert wait_for(lambda: len(server._server.active_channels) == 2, 5)
            started = time.monotonic()
            for _ in range(flood):
                with socket.create_connection((host, port), timeout=5) as refused:
                    assert read_http_response(refused)[0] == 503

            def lines() -> list[logging.LogRecord]:
                return [r for r in caplog.records if r.getMessage() == "connections refused: too many connections"]

            # the burst's tail is written by the event loop's maintenance, without waiting for another refusal
            assert wait_for(lambda: sum(getattr(r, "refused", 0) for r in lines()) == flood, 5), \
                [getattr(r, "refused", None) for r in lines()]
            elapsed = time.monotonic() - started
    assert getattr(lines()[0], "refused", None) == 1  # the first at once
    assert len(lines()) <= 1 + math.ceil(elapsed / 0.5)  # then one line per interval at most
