"""A small threaded HTTP server for the producer (one thread per connection).

Good for a single process, tests and demos. For several worker processes put the WSGI
application (``riv_scheduling.wsgi:application``) behind any WSGI server.

Hardening (see docs/security.md): optional mutual TLS (the handshake runs in the connection's
thread, the peer certificate goes into the WSGI environ), a timeout on every socket read, a
bound on concurrent connections, request bodies framed by Content-Length or chunked
encoding (never read past their end), and errors logged through the masking formatter
instead of printed to stderr.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from riv_scheduling.access import CLIENT_HSA_ID_KEY, PEER_CERT_KEY, hsa_id_from_cert

log = logging.getLogger("riv_scheduling.http")

DEFAULT_REQUEST_TIMEOUT = 30.0  # seconds a connection may stay silent (TLS handshake, headers, body)
DEFAULT_MAX_CONNECTIONS = 256  # connections served at once; more are closed at once
DRAIN_MAX = 8 * 1024 * 1024  # unread request bytes discarded (not kept) so a refused client reads its Fault
DRAIN_SECONDS = 5.0
_CHUNK = 64 * 1024


class BodyError(ValueError):
    """A request body that does not follow its own framing (chunked encoding)."""


class RequestBody:
    """``wsgi.input`` for one request: ends where the request's body ends.

    With ``Content-Length`` it returns at most that many bytes; with
    ``Transfer-Encoding: chunked`` it decodes the chunks. Reading past the end returns b"",
    so the application may read until it has enough (``wsgi.input_terminated``).
    """

    def __init__(self, rfile: Any, length: int | None, chunked: bool) -> None:
        self._rfile = rfile
        self._chunked = chunked
        self._left = 0 if chunked else max(length or 0, 0)  # bytes left in the body / current chunk
        self._done = not chunked and self._left == 0
        self.consumed = 0

    @property
    def remaining(self) -> int | None:
        """Bytes of the body not read yet (None: unknown, chunked)."""
        if self._done:
            return 0
        return None if self._chunked else self._left

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while (size < 0 or len(out) < size) and not self._done:
            if self._chunked and self._left == 0:
                self._next_chunk()
                continue
            want = self._left if size < 0 else min(self._left, size - len(out))
            data = self._rfile.read(min(want, _CHUNK))
            if not data:
                if self._chunked:
                    raise BodyError("the chunked request body ended early")
                self._done = True  # shorter than Content-Length: the caller sees fewer bytes
                break
            out += data
            self._left -= len(data)
            self.consumed += len(data)
            if self._left == 0:
                if self._chunked:
                    if self._rfile.readline(3) not in (b"\r\n", b"\n"):
                        raise BodyError("a chunk of the chunked request body is not followed by CRLF")
                else:
                    self._done = True
        return bytes(out)

    def _next_chunk(self) -> None:
        line = self._rfile.readline(1026)
        if not line.endswith(b"\n"):
            raise BodyError("bad chunk size line in the chunked request body")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BodyError("bad chunk size in the chunked request body") from None
        if size < 0:
            raise BodyError("bad chunk size in the chunked request body")
        if size == 0:
            for _ in range(64):  # trailer fields, then an empty line
                if self._rfile.readline(8192) in (b"\r\n", b"\n", b""):
                    break
            self._done = True
        self._left = size

    def readline(self, size: int = -1) -> bytes:
        # Only for WSGI completeness; the producer reads with read().
        out = bytearray()
        while size < 0 or len(out) < size:
            b = self.read(1)
            if not b:
                break
            out += b
            if b == b"\n":
                break
        return bytes(out)

    def readlines(self, hint: int = -1) -> list[bytes]:
        return list(iter(self.readline, b""))

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def drain(self, max_bytes: int, seconds: float) -> bool:
        """Discard the unread rest if it is at most ``max_bytes``; True when the body was read to its end."""
        remaining = self.remaining
        if remaining == 0:
            return True
        if remaining is not None and remaining > max_bytes:
            return False
        deadline = time.monotonic() + seconds
        dropped = 0
        try:
            while dropped <= max_bytes and time.monotonic() < deadline:
                data = self.read(_CHUNK)
                if not data:
                    return True
                dropped += len(data)
        except (OSError, ValueError):
            pass
        return False


class _ServerHandler(ServerHandler):
    def log_exception(self, exc_info: Any) -> None:
        # wsgiref prints to stderr; keep it in the (masking) log instead.
        log.error("unhandled error in the WSGI application", exc_info=exc_info)


class _Handler(WSGIRequestHandler):
    server: ThreadingWSGIServer

    def setup(self) -> None:
        self.timeout = self.server.request_timeout  # type: ignore[misc]  # socketserver reads it per handler
        super().setup()

    def handle(self) -> None:
        """One request (as wsgiref, HTTP/1.0 style), with a framed body and a drain afterwards."""
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            return
        if not self.raw_requestline or not self.parse_request():
            return
        environ = self.get_environ()
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        length: int | None = None
        if chunked:
            environ.pop("CONTENT_LENGTH", None)  # chunked framing wins (no request smuggling)
        else:
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0  # the application answers "Invalid Content-Length"
        body = RequestBody(self.rfile, length, chunked)
        environ["wsgi.input_terminated"] = True
        handler = _ServerHandler(body, self.wfile, self.get_stderr(), environ, multithread=True)  # type: ignore[arg-type]
        handler.request_handler = self  # type: ignore[attr-defined]  # backpointer for logging
        handler.run(self.server.get_app())  # type: ignore[arg-type]  # set before serving
        if not body.drain(self.server.drain_max, DRAIN_SECONDS):
            self.close_connection = True

    def get_environ(self) -> dict[str, Any]:
        env = super().get_environ()
        env[PEER_CERT_KEY] = None
        env[CLIENT_HSA_ID_KEY] = None
        if isinstance(self.connection, ssl.SSLSocket):
            cert = self.connection.getpeercert()
            env["HTTPS"] = "on"
            env[PEER_CERT_KEY] = cert
            env[CLIENT_HSA_ID_KEY] = hsa_id_from_cert(cert)
        return env

    def _peer(self) -> dict[str, Any]:
        peer: dict[str, Any] = {"peer": f"{self.client_address[0]}:{self.client_address[1]}"}
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                peer["tls_client"] = hsa_id_from_cert(self.connection.getpeercert())
            except (ValueError, OSError):
                pass
        return peer

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        log.info("request", extra={**self._peer(), "request": getattr(self, "requestline", ""),
                                   "status": str(code), "bytes": str(size)})

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        log.info(format % args, extra=self._peer())


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    ssl_context: ssl.SSLContext | None = None
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    drain_max: int = DRAIN_MAX

    def __init__(self, *args: Any, max_connections: int = DEFAULT_MAX_CONNECTIONS, **kwargs: Any) -> None:
        self._slots = threading.BoundedSemaphore(max_connections)
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            log.warning("connection refused: too many connections", extra={"peer": client_address[0]})
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        # The handshake runs here, in the connection's own thread, under the request timeout.
        request.settimeout(self.request_timeout)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.warning("TLS handshake failed", extra={"peer": client_address[0], "error": str(exc)})
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)  # type: ignore[arg-type]
        finally:
            try:
                tls.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver prints tracebacks to stderr; keep them in the (masking) log instead.
        log.warning("error serving a connection", extra={"peer": client_address[0]}, exc_info=True)


def server_tls_context(cert: str, key: str, client_ca: str) -> ssl.SSLContext:
    """Mutual TLS: TLS 1.2 or later, a client certificate signed by ``client_ca`` required."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
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
) -> WSGIServer:
    server = ThreadingWSGIServer((host, port), _Handler, max_connections=max_connections)
    server.ssl_context = ssl_context
    server.request_timeout = request_timeout
    server.set_app(app)
    return server
