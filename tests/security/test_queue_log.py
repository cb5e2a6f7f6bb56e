"""Requests that wait for a thread are logged at most once a minute, not once each (server.py,
``_QueueLog``): with one thread per process, waitress's own warning came with every request
under load."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterable
from contextlib import ExitStack
from typing import Any

import pytest
from secwire import read_http_response

from riv_scheduling.server import HttpLimits, _QueueLog, make_server

QUEUED = 10


def test_ten_queued_requests_give_one_line_and_every_answer(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()
    started = threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started.set()
        release.wait(10)  # the first request holds the only thread; the others queue behind it
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    server = make_server(app, "127.0.0.1", 0, limits=HttpLimits(threads=1))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    caplog.set_level(logging.WARNING)
    try:
        with ExitStack() as stack:
            clients = [stack.enter_context(socket.create_connection(server.server_address, timeout=10))
                       for _ in range(QUEUED + 1)]
            clients[0].sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert started.wait(5)
            for client in clients[1:]:
                client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            deadline = time.monotonic() + 5
            while len(server._dispatcher.queue) < QUEUED and time.monotonic() < deadline:
                time.sleep(0.02)
            assert len(server._dispatcher.queue) == QUEUED
            release.set()
            assert [read_http_response(c) for c in clients] == [(200, b"ok")] * (QUEUED + 1)
    finally:
        release.set()
        server.shutdown()
        server.server_close()
    assert [r for r in caplog.records if r.name == "waitress.queue"] == []
    lines = [r for r in caplog.records if r.getMessage() == "calls waiting for a thread"]
    assert len(lines) == 1
    assert lines[0].name == "riv_scheduling.http" and lines[0].levelno == logging.WARNING


def test_a_line_carries_the_deepest_queue_since_the_last(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="riv_scheduling.http")
    queue_log = _QueueLog(interval=0.2)
    for depth in (1, 4, 9, 2):  # within one interval: only the first is written
        queue_log.warning("Task queue depth is %d", depth)
    time.sleep(0.25)
    queue_log.warning("Task queue depth is %d", 3)
    depths = [getattr(r, "queue_depth", None) for r in caplog.records if r.getMessage() == "calls waiting for a thread"]
    assert depths == [1, 9]  # the second line: the deepest of 4, 9, 2 and 3
