"""Hostile requests: each sends something a producer must refuse, and says what refusal it expects.

Shared by test_hostile_input.py (each attack, then a normal call) and test_memory.py (all of
them against a producer in its own process, measuring its peak memory).
"""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from secwire import SOAP, TOLVAN, envelope, read_http_response, request_body

PATH = "/GetAppointments/2/rivtabp21"
MAX_BODY = 1024 * 1024


class Listener:
    """A local TCP port that records every connection made to it (nothing may be fetched)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


LISTENER = Listener()


def normal_body(extra: str = "") -> str:
    body = request_body("GetAppointments", TOLVAN)
    return body.replace("</r:GetAppointments>", f"{extra}</r:GetAppointments>")


def ext(content: str) -> str:
    """An xs:any extension element (lax: the schema lets it through, the size guards must not)."""
    return f'<x:ext xmlns:x="urn:example:ext">{content}</x:ext>'


def _doc(prolog: str, body: str | None = None) -> bytes:
    return prolog.encode() + envelope(body or normal_body())


LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                    for i in range(1, 10))
          + "]>")


@dataclass(frozen=True)
class Attack:
    name: str
    send: Callable[[Any], tuple[int, bytes]]
    code: str = "soap:Client"
    says: str = ""  # part of the faultstring (case-insensitive; a|b: one of them)
    forbidden: tuple[bytes, ...] = ()  # must not appear in the answer


def post(data: bytes, content_type: str = "text/xml; charset=utf-8",
         headers: dict[str, str] | None = None) -> Callable[[Any], tuple[int, bytes]]:
    return lambda p: p.post(PATH, data, content_type, headers)


def raw(head: str, body: bytes) -> Callable[[Any], tuple[int, bytes]]:
    return lambda p: p.raw(head.replace("{host}", f"{p.host}:{p.port}").encode() + body)


def chunked(total: int) -> Callable[[Any], tuple[int, bytes]]:
    def send(p: Any) -> tuple[int, bytes]:
        def chunks() -> Iterator[bytes]:
            block = b"<x>" + b"a" * 65530 + b"</x>"
            sent = 0
            while sent < total:
                yield block
                sent += len(block)
        conn = http.client.HTTPConnection(p.host, p.port, timeout=30)
        try:
            conn.request("POST", PATH, body=chunks(), encode_chunked=True,
                         headers={"Content-Type": "text/xml; charset=utf-8"})
            r = conn.getresponse()
            return r.status, r.read()
        except (BrokenPipeError, ConnectionResetError):
            return 0, b""
        finally:
            conn.close()
    return send


def slow_body(p: Any) -> tuple[int, bytes]:
    """Content-Length promises more than is sent; the producer must give up after its timeout."""
    with socket.create_connection((p.host, p.port), timeout=30) as sock:
        sock.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
                     f"Content-Length: 5000\r\n\r\n".encode() + envelope(normal_body())[:100])
        return read_http_response(sock)


def many(tag: str, n: int) -> str:
    return f"<x:{tag}/>" * n


SOAP12 = envelope(normal_body()).replace(SOAP.encode(), b"http://www.w3.org/2003/05/soap-envelope")


def attacks() -> list[Attack]:
    http_port = LISTENER.port
    head = "POST " + PATH + " HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/xml; charset=utf-8\r\n"
    small = envelope(normal_body())
    return [
        Attack("billion laughs", post(_doc(LAUGHS, normal_body(ext("&lol9;")))), says="DTD",
               forbidden=(b"lollollol",)),
        Attack("external entity (file)",
               post(_doc('<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', normal_body(ext("&xxe;")))),
               says="DTD", forbidden=(b"root:",)),
        Attack("external entity (network)",
               post(_doc(f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "http://127.0.0.1:{http_port}/x">]>',
                         normal_body(ext("&xxe;")))), says="DTD"),
        Attack("external DTD (network)",
               post(_doc(f'<!DOCTYPE x SYSTEM "http://127.0.0.1:{http_port}/x.dtd">')), says="DTD"),
        Attack("external DTD (closed port)",
               post(_doc(f'<!DOCTYPE x SYSTEM "http://127.0.0.1:{closed_port()}/x.dtd">')), says="DTD"),
        Attack("external parameter entity",
               post(_doc(f'<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:{http_port}/p"> %p;]>')),
               says="DTD"),
        Attack("100 000 levels deep",
               post(envelope(normal_body(ext("<a>" * 100_000 + "</a>" * 100_000)))), says="deep|elements"),
        Attack("100 000 levels deep, unclosed", post(envelope(normal_body(ext("<a>" * 100_000)))),
               says="deep|elements|Malformed"),
        Attack("1 000 levels deep", post(envelope(normal_body(ext("<a>" * 1000 + "</a>" * 1000)))),
               says="deep|depth"),
        Attack("200 levels deep (under libxml2's limit)",
               post(envelope(normal_body(ext("<x:a>" * 200 + "</x:a>" * 200)))), says="deep"),
        Attack("10 000 SOAP header elements",
               post(envelope(normal_body(), headers='<h:h xmlns:h="urn:h"/>' * 10_000)), says="header|elements"),
        Attack("1 000 SOAP header elements",
               post(envelope(normal_body(), headers='<h:h xmlns:h="urn:h"/>' * 1_000)), says="header"),
        Attack("100 000 elements", post(envelope(normal_body(ext(many("e", 100_000))))), says="elements"),
        Attack("huge text", post(envelope(normal_body(ext("a" * 900_000)))), says="text"),
        Attack("huge attribute",
               post(envelope(normal_body(f'<x:ext xmlns:x="urn:x" v="{"a" * 900_000}"/>'))), says="attribute"),
        Attack("many attributes",
               post(envelope(normal_body('<x:ext xmlns:x="urn:x" '
                                         + " ".join(f'a{i}="1"' for i in range(2000)) + "/>"))),
               says="attributes"),
        Attack("body over the limit", post(envelope(normal_body(ext("a" * (MAX_BODY + 10))))),
               says="larger than"),
        Attack("body over the limit, chunked", chunked(3 * MAX_BODY), says="larger than"),
        Attack("Content-Length of a terabyte", raw(head + "Content-Length: 1000000000000\r\n\r\n", small[:50]),
               says="larger than"),
        Attack("Content-Length shorter than the body", raw(head + "Content-Length: 100\r\n\r\n", small),
               says="Malformed XML"),
        Attack("Content-Length longer than the body (slow client)", slow_body, says="Timed out"),
        Attack("no Content-Length", raw(head + "\r\n", small), says="Empty request body"),
        Attack("invalid Content-Length", raw(head + "Content-Length: abc\r\n\r\n", small), says="Content-Length"),
        Attack("negative Content-Length", raw(head + "Content-Length: -5\r\n\r\n", small), says="Content-Length"),
        Attack("broken chunked encoding", raw(head + "Transfer-Encoding: chunked\r\n\r\n", b"zz\r\n" + small),
               says="chunk"),
        Attack("application/json", post(b'{"GetAppointments": {}}', "application/json"), says="Content-Type"),
        Attack("multipart", post(b"--b\r\n\r\n" + small + b"\r\n--b--", "multipart/related; boundary=b"),
               says="Content-Type"),
        Attack("charset Latin-1", post(small, "text/xml; charset=iso-8859-1"), says="UTF-8"),
        Attack("Latin-1 bytes declared as UTF-8",
               post(b'<?xml version="1.0" encoding="UTF-8"?>'
                    + envelope(normal_body(ext("Träd"))).decode().encode("latin-1")), says="UTF-8"),
        Attack("UTF-16 with BOM", post(small.decode().encode("utf-16")), says="UTF-8"),
        Attack("UTF-16 without BOM", post(small.decode().encode("utf-16-le")), says="UTF-8"),
        Attack("declaration says ISO-8859-1", post(b'<?xml version="1.0" encoding="ISO-8859-1"?>' + small),
               says="UTF-8"),
        Attack("SOAP 1.2 by content type", post(small, "application/soap+xml; charset=utf-8"),
               code="soap:VersionMismatch"),
        Attack("SOAP 1.2 by namespace", post(SOAP12), code="soap:VersionMismatch"),
        Attack("empty body", post(b""), says="Empty"),
        Attack("not XML", post(b"\x00\xff" * 1000), says="UTF-8"),
    ]
