"""A lean HTTP/1.1 load generator for the benchmarks (not a test module).

One thread, one ``selectors`` loop and raw keep-alive sockets posting pre-encoded requests, so
the client costs little CPU (it shares the cores with the server). Two modes:

- closed loop (``rate=None``): every connection sends its next request as soon as the answer
  is in; the throughput is whatever the server manages;
- open loop (``rate=R``, as wrk2 does): request k is due at ``start + k / R`` whatever the server
  does; it goes out on the next idle connection. Its latency is counted **from the time it was
  due** (so a stalled server cannot hide its stall by slowing the client down: no coordinated
  omission), and how late the client sent it is reported too (``late_p99_ms``: the pacing's own
  accuracy; a late send is either the loop lagging or every connection being busy).

The CPU the client itself used (``client_cpu_s``) is reported so a run can show the client was
not the bottleneck.
"""

from __future__ import annotations

import gc
import selectors
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Request = tuple[str, bytes]  # (label, the whole HTTP request)


def http_request(host: str, port: int, path: str, body: bytes) -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: text/xml; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


@dataclass
class _Conn:
    sock: socket.socket
    buf: bytearray = field(default_factory=bytearray)
    label: str = ""
    request: bytes = b""
    due: float = 0.0
    sent: float = 0.0
    need: int = -1  # bytes of the whole response (head + body), once the head is in
    status: int = 0
    close: bool = False


class LoadResult(dict[str, Any]):
    pass


class Load:
    """``connections`` keep-alive connections to ``host:port``; ``run()`` drives them."""

    def __init__(self, host: str, port: int, connections: int) -> None:
        self.host, self.port = host, port
        self._chunk_at: dict[int, int] = {}  # id(conn): offset of the next chunk-size line, chunked only
        # select(2): a timeout in microseconds (epoll and poll round it up to whole milliseconds,
        # which would make the paced sends up to 1 ms late); the connections are few.
        self.selector = selectors.SelectSelector()
        self.conns = [self._connect() for _ in range(connections)]
        self.reconnects = 0

    def _connect(self) -> _Conn:
        sock = socket.create_connection((self.host, self.port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = _Conn(sock)
        self.selector.register(sock, selectors.EVENT_READ, conn)
        return conn

    def _replace(self, conn: _Conn) -> _Conn:
        self.selector.unregister(conn.sock)
        conn.sock.close()
        self.reconnects += 1
        new = self._connect()
        self.conns[self.conns.index(conn)] = new
        return new

    def close(self) -> None:
        for conn in self.conns:
            self.selector.unregister(conn.sock)
            conn.sock.close()
        self.selector.close()

    def _send(self, conn: _Conn, label: str, request: bytes, due: float) -> _Conn:
        conn.label, conn.request, conn.due = label, request, due
        conn.buf.clear()
        conn.need = -1
        for attempt in (1, 2):
            try:
                conn.sent = time.perf_counter()
                conn.sock.sendall(request)
                return conn
            except OSError:
                if attempt == 2:
                    raise
                conn = self._replace(conn)
                conn.label, conn.request, conn.due = label, request, due
        return conn

    def _receive(self, conn: _Conn) -> bool | None:
        """True when the response is complete, None when the server closed the connection. Answers
        with Content-Length, or chunked (the JDK HTTP server streams the Java peer's, bench/java_peer)."""
        try:
            data = conn.sock.recv(262144)
        except OSError:
            data = b""
        if not data:
            return None
        conn.buf += data
        key = id(conn)
        if conn.need < 0:
            end = conn.buf.find(b"\r\n\r\n")
            if end < 0:
                return False
            head = bytes(conn.buf[:end]).decode("latin-1").lower()
            conn.status = int(head[9:12])
            length, chunked = 0, False
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                name, value = name.strip(), value.strip()
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding":
                    chunked = "chunked" in value
                elif name == "connection":
                    conn.close = "close" in value
            conn.need = end + 4 + length
            if chunked:
                self._chunk_at[key] = end + 4
            else:
                self._chunk_at.pop(key, None)
        at = self._chunk_at.get(key)
        if at is None:
            return len(conn.buf) >= conn.need
        while True:
            eol = conn.buf.find(b"\r\n", at)
            if eol < 0:
                break
            size = int(bytes(conn.buf[at:eol]).split(b";")[0], 16)
            if size == 0:  # the last chunk; no trailers expected: the blank line ends the answer
                if len(conn.buf) >= eol + 4:
                    del self._chunk_at[key]
                    return True
                break
            if len(conn.buf) < eol + 2 + size + 2:
                break
            at = eol + 2 + size + 2
        self._chunk_at[key] = at
        return False

    def run(self, requests: Callable[[int], Request], seconds: float, rate: float | None = None,
            drain: float = 10.0) -> LoadResult:
        """Send ``requests(k)`` for ``seconds`` (closed loop, or ``rate`` per second); wait up to
        ``drain`` seconds for the answers still out. Latencies in ms."""
        latencies: list[float] = []
        raw: list[float] = []
        late: list[float] = []
        by_label: dict[str, list[float]] = {}
        errors = 0
        idle: deque[_Conn] = deque(self.conns)
        busy: set[int] = set()
        k = 0
        gc_was = gc.isenabled()
        gc.disable()  # no client-side pauses inside the measurement
        cpu0 = time.process_time()
        start = time.perf_counter() + 0.05
        stop = start + seconds
        interval = 1.0 / rate if rate else 0.0
        try:
            while True:
                now = time.perf_counter()
                sending = now < stop
                if sending:
                    if rate:
                        while idle and start + k * interval <= now:
                            due = start + k * interval
                            label, req = requests(k)
                            conn = self._send(idle.popleft(), label, req, due)
                            busy.add(id(conn))
                            late.append((conn.sent - due) * 1000)
                            k += 1
                    else:
                        if now >= start:
                            while idle:
                                label, req = requests(k)
                                conn = self._send(idle.popleft(), label, req, now)
                                busy.add(id(conn))
                                k += 1
                elif not busy or now > stop + drain:
                    break
                if rate and sending:
                    timeout = max(0.0, start + k * interval - time.perf_counter()) if idle else 0.5
                else:
                    timeout = max(0.0, start - now) if not busy else 0.5
                for key, _ in self.selector.select(min(timeout, 0.5)):
                    conn = key.data
                    done = self._receive(conn)
                    if done is None:  # closed by the server (keep-alive timeout): resend on a new one
                        if id(conn) in busy:
                            busy.discard(id(conn))
                            new = self._send(self._replace(conn), conn.label, conn.request, conn.due)
                            busy.add(id(new))
                        else:
                            idle.remove(conn)
                            idle.append(self._replace(conn))
                        continue
                    if not done:
                        continue
                    t = time.perf_counter()
                    ms = (t - conn.due) * 1000
                    latencies.append(ms)
                    raw.append((t - conn.sent) * 1000)
                    by_label.setdefault(conn.label, []).append(ms)
                    if conn.status != 200:
                        errors += 1
                    busy.discard(id(conn))
                    if conn.close:
                        conn.close = False
                        conn = self._replace(conn)
                    idle.append(conn)
        finally:
            cpu = time.process_time() - cpu0
            if gc_was:
                gc.enable()
        elapsed = min(time.perf_counter(), stop + drain) - start
        return LoadResult(
            requests=len(latencies), seconds=seconds, rps=len(latencies) / seconds, target_rps=rate,
            sent=k, unanswered=k - len(latencies), errors=errors, reconnects=self.reconnects,
            p50_ms=pct(latencies, 50), p90_ms=pct(latencies, 90), p99_ms=pct(latencies, 99),
            p999_ms=pct(latencies, 99.9), max_ms=max(latencies, default=float("nan")),
            over_50ms=sum(1 for x in latencies if x > 50.0), p99_raw_ms=pct(raw, 99),
            late_p99_ms=pct(late, 99) if rate else None, late_max_ms=max(late, default=0.0) if rate else None,
            client_cpu_s=cpu, client_cpu_cores=cpu / elapsed if elapsed > 0 else float("nan"),
            by_interaction={name: {"n": len(v), "p50_ms": pct(v, 50), "p99_ms": pct(v, 99)}
                            for name, v in sorted(by_label.items())},
        )


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]
