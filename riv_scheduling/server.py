"""HTTP serving of the producer: waitress, hardened for the national platform (docs/security.md).

waitress reads and parses requests in one event loop (poll), and hands a request to a worker
thread only once it has arrived *whole*, headers and body: a slow or idle client holds a
connection slot, never a thread. On top of waitress this module adds what it lacks:

- a **request deadline**: once the first byte of a request has arrived, the whole request
  (headers and body) must arrive within ``request_timeout`` seconds, however it trickles;
  otherwise it is answered with a Client fault and the connection closed;
- a **keep-alive limit**: a connection with no request in progress is closed after
  ``keep_alive`` seconds of silence (a new connection, before its first byte, too);
- a **connection limit with a clean refusal**: past ``max_connections`` open connections a new
  one gets an immediate ``503`` and is closed (waitress alone stops accepting, which leaves
  new clients waiting in the kernel's backlog); the close lingers (``_Refusal``), so that the
  client reads the 503 rather than a reset;
- **mutual TLS** in the same event loop (non-blocking handshake, the peer certificate in the
  WSGI environ: ``riv.peer_cert``, ``riv.client_hsa_id``), so the TLS port has the same
  protection; the handshake must finish within ``request_timeout`` of the connect;
- errors waitress detects itself (a body over the limit, broken chunked encoding, headers too
  large) answered with the producer's SOAP fault (``render_fault``) instead of waitress's text;
- an access log line per request through the masking formatter, and no ``Server`` header;
- waitress's warning for each request that waits for a thread (with one thread per process,
  every request under load) replaced by one line a minute at most (``_QueueLog``), and refused
  connections logged as one line per ten seconds at most, with their count (``_Summary``).

``serve --workers N`` runs the same server in each of gunicorn's worker processes
(``waitress_worker``): gunicorn manages the processes, waitress serves in each.

``TrustedProxies`` applies ``X-Forwarded-Proto``/``X-Forwarded-Host`` and a TLS-terminating
proxy's verified client certificate (``X-Client-Verify``/``X-Client-Subject-DN``) only when
the peer address is a configured proxy; from anyone else these headers are removed.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher, WSGITask
from waitress.utilities import BadRequest, RequestEntityTooLarge

from riv_scheduling.access import (
    ARRIVED_KEY,
    CLIENT_HSA_ID_KEY,
    PEER_CERT_KEY,
    hsa_id_from_cert,
    hsa_id_from_subject_dn,
)

log = logging.getLogger("riv_scheduling.http")

DEFAULT_REQUEST_TIMEOUT = 30.0  # seconds for a whole request (or a TLS handshake) to arrive
DEFAULT_KEEP_ALIVE = 5.0  # seconds an idle connection is kept open
DEFAULT_MAX_CONNECTIONS = 1000  # open connections per process; more are refused with 503
DEFAULT_THREADS = 4  # threads per server object (they only ever see whole requests); `serve` passes its own (1)
DEFAULT_MAX_BODY = 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
DRAIN = 8 * 1024 * 1024  # body bytes past max_body still read (and thrown away) before refusing
_REFUSAL = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
REFUSAL_LINGER_S = 2.0  # a refused connection's request is read and dropped this long at most
MAX_LINGERING_REFUSALS = 64  # past this many at once, a refused connection is closed at once
QUEUE_LOG_INTERVAL_S = 60.0  # at most one "calls waiting for a thread" line this often
REFUSAL_LOG_INTERVAL_S = 10.0  # at most one "connections refused" line this often

FaultRenderer = Callable[[str, str], bytes]  # (faultcode without prefix, faultstring) -> SOAP envelope


@dataclass(frozen=True)
class HttpLimits:
    """What one server process allows its clients (each one a ``serve`` option)."""

    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    keep_alive: float = DEFAULT_KEEP_ALIVE
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    threads: int = DEFAULT_THREADS
    max_body: int = DEFAULT_MAX_BODY

    def adjustments(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            # ours refuses first (cleanly); waitress counts the lingering refusals too
            "connection_limit": self.max_connections + MAX_LINGERING_REFUSALS + 16,
            "channel_timeout": int(max(self.request_timeout, self.keep_alive)) + 2,  # a backstop; ours act first
            "cleanup_interval": 1,  # deadlines are checked every second
            "max_request_header_size": MAX_HEADER_BYTES,
            # The application refuses a body over max_body with a fault; waitress reads up to DRAIN more
            # (spooled to a temporary file past 512 KiB), so an honest client that sent a body too
            # large has finished sending and reads its fault instead of a reset connection.
            "max_request_body_size": self.max_body + DRAIN,
            "asyncore_use_poll": True,  # select() cannot watch more than 1024 descriptors
            "ident": "",  # no Server header, no version
            "clear_untrusted_proxy_headers": False,  # TrustedProxies decides
            "expose_tracebacks": False,
            "backlog": 1024,
        }


# -- waitress, with deadlines, a clean refusal, TLS and SOAP faults ------------------------------


class _Request(HTTPRequestParser):
    """waitress's request parser, noting when the request had arrived whole (``ARRIVED_KEY``)."""

    arrived: float | None = None

    def received(self, data: bytes) -> int:
        used: int = super().received(data)
        if self.completed and self.arrived is None:
            self.arrived = time.monotonic()
        return used


class _Task(WSGITask):
    channel: _Channel

    def get_environment(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environment()
        environ[ARRIVED_KEY] = getattr(self.request, "arrived", None)
        environ.setdefault(PEER_CERT_KEY, None)
        environ.setdefault(CLIENT_HSA_ID_KEY, None)
        environ.update(self.channel.tls_environ)
        return environ

    def service(self) -> None:
        try:
            super().service()
        finally:
            _access_log(self)


class _ErrorTask(ErrorTask):
    """An error waitress found in the request itself, as the producer's SOAP fault."""

    channel: _Channel

    def execute(self) -> None:
        render: FaultRenderer | None = getattr(self.channel.server, "render_fault", None)
        error = self.request.error
        if render is None:
            super().execute()
            return
        if isinstance(error, RequestEntityTooLarge):
            text = f"Request body larger than {self.channel.server.limits.max_body} bytes"
        else:
            text = f"{error.reason}: {error.body}"
        body = render("Server" if error.code >= 500 else "Client", _shorten(text, 300))
        self.status = "500 Internal Server Error"
        self.response_headers.extend([("Content-Type", "text/xml; charset=utf-8"),
                                      ("Content-Length", str(len(body)))])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)

    def service(self) -> None:
        try:
            super().service()
        finally:
            _access_log(self)


def _access_log(task: Any) -> None:
    channel = task.channel
    extra: dict[str, Any] = {"peer": _peer(channel.addr), "request": _shorten(_first_line(task.request), 300),
                             "status": (task.status or "").split(" ", 1)[0], "bytes": str(task.content_bytes_written)}
    client = channel.tls_environ.get(CLIENT_HSA_ID_KEY)
    if client:
        extra["tls_client"] = client
    log.info("request", extra=extra)


def _first_line(request: Any) -> str:
    line = getattr(request, "first_line", b"") or b""
    return line.decode("latin-1") if isinstance(line, bytes) else str(line)


def _peer(addr: Any) -> str:
    if isinstance(addr, tuple) and len(addr) >= 2:
        return f"{addr[0]}:{addr[1]}"
    return str(addr)


class _Channel(HTTPChannel):
    parser_class = _Request
    task_class = _Task
    error_task_class = _ErrorTask
    request: Any  # waitress: the request being received (None between requests)
    requests: list[Any]  # waitress: whole requests waiting for or in a worker thread
    will_close: bool
    close_when_flushed: bool
    total_outbufs_len: int
    request_started: float | None = None  # time.time() of the first byte of the request being received
    tls_environ: dict[str, Any] = {}  # replaced per TLS channel, never mutated

    def received(self, data: bytes) -> bool:
        if self.request is None and data:
            self.request_started = time.time()
        result: bool = super().received(data)
        if self.request is None:
            self.request_started = None
        return result

    def deadline_passed(self, now: float, limits: HttpLimits) -> None:
        """Called every second from the event loop: enforce the request and keep-alive deadlines."""
        if self.requests or self.will_close or self.close_when_flushed:
            return  # being answered (the application has its own deadline), or closing anyway
        if self.request is not None and self.request_started is not None:
            if now - self.request_started > limits.request_timeout:
                self._time_out(limits)
        elif self.total_outbufs_len:  # an answer still being sent: the client must read within the timeout
            if now - self.last_activity > limits.request_timeout:
                self.will_close = True
        elif now - self.last_activity > limits.keep_alive:
            self.will_close = True

    def _time_out(self, limits: HttpLimits) -> None:
        request = self.request
        request.error = BadRequest(
            f"Timed out: the request did not arrive whole within {limits.request_timeout:g} s")
        request.completed = True
        request.empty = False
        with self.requests_lock:
            self.request = None
            self.request_started = None
            self.requests.append(request)
            if len(self.requests) == 1:
                self.server.add_task(self)
        log.warning("request timed out", extra={"peer": _peer(self.addr)})


class _TlsChannel(_Channel):
    """A channel over a non-blocking ``ssl.SSLSocket``: the handshake runs in the event loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._tls_ready = False
        self._tls_wants_write = False
        super().__init__(*args, **kwargs)

    def readable(self) -> bool:
        return True if not self._tls_ready else bool(super().readable())

    def writable(self) -> bool:
        if not self._tls_ready:
            return self._tls_wants_write or self.will_close
        return bool(super().writable())

    def _handshake(self) -> bool:
        try:
            self.socket.do_handshake()
        except ssl.SSLWantReadError:
            self._tls_wants_write = False
            return False
        except ssl.SSLWantWriteError:
            self._tls_wants_write = True
            return False
        except (ssl.SSLError, OSError) as exc:
            log.warning("TLS handshake failed", extra={"peer": _peer(self.addr), "error": _shorten(str(exc), 200)})
            self.handle_close()
            return False
        self._tls_ready = True
        cert = self.socket.getpeercert()
        self.tls_environ = {"HTTPS": "on", "wsgi.url_scheme": "https", PEER_CERT_KEY: cert,
                            CLIENT_HSA_ID_KEY: hsa_id_from_cert(cert)}
        return True

    def handle_read(self) -> None:
        if not self._tls_ready and not self._handshake():
            return
        while self.connected:
            try:
                data = self.socket.recv(self.adj.recv_bytes)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                return
            except (ssl.SSLError, OSError):
                self.handle_close()
                return
            if not data:
                self.handle_close()
                return
            self.last_activity = time.time()
            self.received(data)

    def handle_write(self) -> None:
        if not self._tls_ready:
            if self.will_close:
                self.handle_close()
            else:
                self._handshake()
            return
        super().handle_write()

    def send(self, data: bytes, do_close: bool = True) -> int:
        try:
            return int(self.socket.send(data))
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            return 0
        except (ssl.SSLError, OSError):
            if do_close:
                self.handle_close()
            return 0

    def deadline_passed(self, now: float, limits: HttpLimits) -> None:
        if not self._tls_ready:
            if now - self.creation_time > limits.request_timeout:
                self.will_close = True
            return
        super().deadline_passed(now, limits)


class _Refusal(wasyncore.dispatcher):
    """A connection past the limit, closed lingering (as nginx and Apache do): the 503 is written,
    our side shut for writing, and what the client sends is read and dropped until it closes or
    ``REFUSAL_LINGER_S`` pass. Closed at once, a socket with the client's request unread makes the
    kernel answer with a reset, and the client may see that instead of the 503 (or fail sending)."""

    def __init__(self, server: _Server, conn: socket.socket) -> None:
        super().__init__(conn, map=server._map)
        self._server = server
        self._out = _REFUSAL
        self._until = time.monotonic() + REFUSAL_LINGER_S
        server.refusals.add(self)

    def readable(self) -> bool:
        if time.monotonic() >= self._until:
            self.handle_close()
            return False
        return True

    def writable(self) -> bool:
        return bool(self._out)

    def handle_write(self) -> None:
        sent = self.send(self._out)  # a disconnected client: handle_close, then 0
        if not self.connected:
            return
        self._out = self._out[sent:]
        if not self._out:
            try:
                self.socket.shutdown(socket.SHUT_WR)
            except OSError:
                self.handle_close()

    def handle_read(self) -> None:
        self.recv(65536)  # dropped; the end of the stream (or an error) closes through handle_close

    def handle_close(self) -> None:
        self._out = b""
        self._server.refusals.discard(self)
        self.close()


class _Server(TcpWSGIServer):
    channel_class = _Channel
    limits: HttpLimits = HttpLimits()
    render_fault: FaultRenderer | None = None
    ssl_context: ssl.SSLContext | None = None
    refusals: set[_Refusal]
    refusal_log: _Summary
    summaries: tuple[_Summary, ...] = ()

    def readable(self) -> bool:
        super().readable()  # maintenance
        return bool(self.accepting)  # always accept: over the limit, refuse cleanly below

    def handle_accept(self) -> None:
        try:
            accepted = self.accept()
            if accepted is None:
                return
            conn, addr = accepted
            self.set_socket_options(conn)
        except OSError:
            return
        if len(self.active_channels) >= self.limits.max_connections:
            self.refusal_log.note(refused=1, peer=_peer(addr))
            if len(self.refusals) < MAX_LINGERING_REFUSALS:
                _Refusal(self, conn)
                return
            try:
                conn.setblocking(False)
                conn.send(_REFUSAL)
            except OSError:
                pass
            conn.close()
            return
        if self.ssl_context is not None:
            try:
                conn = self.ssl_context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
            except (ssl.SSLError, OSError):
                conn.close()
                return
            _TlsChannel(self, conn, addr, self.adj, map=self._map)
            return
        self.channel_class(self, conn, addr, self.adj, map=self._map)

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        for channel in list(self.active_channels.values()):
            channel.deadline_passed(now, self.limits)
        for summary in self.summaries:
            summary.flush()


class _Summary:
    """A warning for events that come in floods exactly when the server is busiest (requests waiting
    for a thread, connections refused past the limit). The first is written at once; the ones after
    it are folded into one line per ``interval`` at most, which the event loop's once-a-second
    maintenance writes when it is due (so a burst's last line is not held back until the next event).
    A line each would cost the event loop its time, and fill the log, when it can least afford either."""

    def __init__(self, message: str, interval: float,
                 fold: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]) -> None:
        self.message = message
        self.interval = interval
        self._fold = fold  # (pending fields, this event's fields) -> the new pending fields
        self._pending: dict[str, Any] | None = None
        self._next_line = 0.0  # time.monotonic() from which a line may be written again
        self._lock = threading.Lock()  # the event loop and the call threads both report

    def note(self, **event: Any) -> None:
        with self._lock:
            self._pending = event if self._pending is None else self._fold(self._pending, event)
            self._write_if_due()

    def flush(self) -> None:
        with self._lock:
            if self._pending is not None:
                self._write_if_due()

    def _write_if_due(self) -> None:
        now = time.monotonic()
        if now < self._next_line or self._pending is None:
            return
        log.warning(self.message, extra={**self._pending, "line_interval_s": self.interval})
        self._pending = None
        self._next_line = now + self.interval


class _QueueLog(_Summary):
    """Stands in for waitress's queue logger, which warns "Task queue depth is N" each time a
    request has to wait for a thread. With one thread per process (``serve``'s default) that is
    every request under load: a log line per call (about 27 µs of CPU each). Here: one line per
    ``interval`` at most, with the deepest queue since the last line."""

    def __init__(self, interval: float = QUEUE_LOG_INTERVAL_S) -> None:
        super().__init__("calls waiting for a thread", interval,
                         lambda pending, event: {"queue_depth": max(pending["queue_depth"], event["queue_depth"])})

    def warning(self, message: str, depth: int) -> None:  # waitress's call
        self.note(queue_depth=depth)


def _refusal_log(interval: float) -> _Summary:
    """Connections refused past --max-connections: how many since the last line, and the last peer."""
    return _Summary("connections refused: too many connections", interval,
                    lambda pending, event: {"refused": pending["refused"] + 1, "peer": event["peer"]})


class Server:
    """One listening socket served by waitress; ``serve_forever()`` in one thread, ``shutdown()``
    from another (the interface of ``socketserver`` the tests and the command line use)."""

    def __init__(self, app: Callable[..., Any], *, host: str = "127.0.0.1", port: int = 8080,
                 sock: socket.socket | None = None, limits: HttpLimits = HttpLimits(),
                 ssl_context: ssl.SSLContext | None = None, render_fault: FaultRenderer | None = None) -> None:
        adj = Adjustments(**limits.adjustments(), **({"sockets": [sock]} if sock is not None
                                                     else {"host": host, "port": port}))
        self._map: dict[int, Any] = {}
        self._dispatcher = ThreadedTaskDispatcher()
        queue_log = _QueueLog(QUEUE_LOG_INTERVAL_S)
        self._dispatcher.queue_logger = queue_log
        self._dispatcher.set_thread_count(limits.threads)
        sockinfo = (sock.family, sock.type, sock.proto, sock.getsockname()) if sock is not None else None
        server = _Server(app, self._map, True, sock, dispatcher=self._dispatcher, adj=adj,
                         bind_socket=sock is None, sockinfo=sockinfo or adj.listen[0])
        server.limits = limits
        server.refusals = set()
        server.refusal_log = _refusal_log(REFUSAL_LOG_INTERVAL_S)
        server.summaries = (queue_log, server.refusal_log)
        server.render_fault = render_fault
        server.ssl_context = ssl_context
        self._server = server
        self._stop = threading.Event()
        self._stopped = threading.Event()
        self._stopped.set()
        self.server_address: tuple[str, int] = (str(server.effective_host), int(server.effective_port))

    def serve_forever(self) -> None:
        self._stopped.clear()
        try:
            while not self._stop.is_set() and self._map:
                wasyncore.loop(timeout=1.0, use_poll=True, map=self._map, count=1)
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        self._stop.set()
        try:
            self._server.pull_trigger()
        except OSError:
            pass
        self._stopped.wait(10)

    @property
    def lingering_refusals(self) -> int:
        """Refused connections still being read and dropped (``_Refusal``)."""
        return len(self._server.refusals)

    def server_close(self, drain: float = 5.0) -> None:
        """Closes every connection, then waits up to ``drain`` seconds for calls still running."""
        for channel in list(self._map.values()):
            try:
                channel.close()
            except OSError:
                pass
        self._map.clear()
        self._dispatcher.shutdown(cancel_pending=True, timeout=drain)


def server_tls_context(cert: str, key: str, client_ca: str) -> ssl.SSLContext:
    """Mutual TLS: TLS 1.2 or later, a client certificate signed by ``client_ca`` required."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.options |= getattr(ssl, "OP_NO_RENEGOTIATION", 0)
    context.load_cert_chain(cert, key)
    context.load_verify_locations(cafile=client_ca)
    return context


def make_server(
    app: Callable[..., Any],
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    ssl_context: ssl.SSLContext | None = None,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    limits: HttpLimits | None = None,
    render_fault: FaultRenderer | None = None,
) -> Server:
    """A server for ``app`` on ``host:port`` (port 0: a free one, see ``server_address``).
    ``render_fault`` defaults to the application's own ``render_fault`` attribute, if it has one."""
    if limits is None:
        limits = HttpLimits(request_timeout=request_timeout, max_connections=max_connections)
    if render_fault is None:
        render_fault = getattr(app, "render_fault", None)
    max_body = getattr(app, "max_body", None)
    if isinstance(max_body, int) and max_body != limits.max_body:
        limits = HttpLimits(**{**limits.__dict__, "max_body": max_body})
    return Server(app, host=host, port=port, limits=limits, ssl_context=ssl_context, render_fault=render_fault)


# -- gunicorn: the process manager for serve --workers ------------------------------------------


def waitress_worker(limits: HttpLimits, render_fault: FaultRenderer | None,
                    wrap: Callable[[Any], Any] = lambda app: app) -> type:
    """A gunicorn worker class that serves gunicorn's listening sockets with waitress (``Server``)."""
    from gunicorn.workers.base import Worker

    class WaitressWorker(Worker):
        def handle_exit(self, sig: int, frame: Any) -> None:  # SIGTERM: stop serving, finish what runs
            self.alive = False
            raise SystemExit(0)

        def run(self) -> None:
            app = wrap(self.wsgi)
            fault = render_fault or getattr(app, "render_fault", None)
            servers = [Server(app, sock=listener.sock, limits=limits, render_fault=fault)
                       for listener in self.sockets]
            parent = self.ppid

            def heartbeat() -> None:
                while self.alive:
                    self.notify()
                    if os.getppid() != parent:
                        self.alive = False
                        os.kill(os.getpid(), 15)
                        return
                    time.sleep(max(0.5, self.timeout / 4))

            threading.Thread(target=heartbeat, name="heartbeat", daemon=True).start()
            try:
                for server in servers[1:]:
                    threading.Thread(target=server.serve_forever, daemon=True).start()
                servers[0].serve_forever()
            except SystemExit:
                pass
            finally:
                for server in servers:
                    server.server_close()

    return WaitressWorker


# -- trusted proxies -------------------------------------------------------------------------

FORWARDED_PROTO = "HTTP_X_FORWARDED_PROTO"
FORWARDED_HOST = "HTTP_X_FORWARDED_HOST"
CLIENT_VERIFY = "HTTP_X_CLIENT_VERIFY"  # nginx: $ssl_client_verify (SUCCESS when verified)
CLIENT_SUBJECT = "HTTP_X_CLIENT_SUBJECT_DN"  # nginx: $ssl_client_s_dn (RFC 2253)
PROXY_HEADERS = (FORWARDED_PROTO, FORWARDED_HOST, CLIENT_VERIFY, CLIENT_SUBJECT, "HTTP_X_FORWARDED_FOR")
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}(:\d{1,5})?|\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(values: Iterable[str]) -> tuple[Network, ...]:
    """``--trusted-proxy`` values: addresses or networks (``127.0.0.1``, ``10.0.0.0/8``, ``::1``)."""
    out = []
    for value in values:
        for part in value.split(","):
            if part.strip():
                out.append(ipaddress.ip_network(part.strip(), strict=False))
    return tuple(out)


class TrustedProxies:
    """WSGI middleware: a proxy's forwarding headers count only when the peer is a trusted proxy.

    From a trusted proxy: ``X-Forwarded-Proto`` (http/https) sets ``wsgi.url_scheme``,
    ``X-Forwarded-Host`` the ``Host``, and with ``tls_identity``, a client certificate the proxy
    verified (``X-Client-Verify: SUCCESS`` and ``X-Client-Subject-DN``) sets ``riv.client_hsa_id``
    (its subject serialNumber) as mutual TLS does in the single process. From anyone else all of
    these headers are removed before the application sees them.
    """

    def __init__(self, app: Callable[..., Any], proxies: Iterable[Network], tls_identity: bool = False) -> None:
        self.app = app
        self.proxies = tuple(proxies)
        self.tls_identity = tls_identity
        for name in ("render_fault", "max_body", "endpoints", "store"):
            if hasattr(app, name):
                setattr(self, name, getattr(app, name))

    def trusted(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address((address or "").split("%", 1)[0])
        except ValueError:
            return False
        return any(ip in network for network in self.proxies)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        headers = {name: environ.pop(name) for name in PROXY_HEADERS if name in environ}
        if self.trusted(environ.get("REMOTE_ADDR")):
            proto = headers.get(FORWARDED_PROTO, "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
                environ["HTTPS"] = "on" if proto == "https" else "off"
            host = headers.get(FORWARDED_HOST, "").split(",")[-1].strip()
            if host and _HOST.fullmatch(host):
                environ["HTTP_HOST"] = host
            if self.tls_identity:
                environ[PEER_CERT_KEY] = None
                environ[CLIENT_HSA_ID_KEY] = None
                if headers.get(CLIENT_VERIFY, "").strip() == "SUCCESS":
                    environ[CLIENT_HSA_ID_KEY] = hsa_id_from_subject_dn(headers.get(CLIENT_SUBJECT, ""))
        return self.app(environ, start_response)


def _shorten(text: str, size: int) -> str:
    return text if len(text) <= size else text[:size] + f"... ({len(text)} characters)"
