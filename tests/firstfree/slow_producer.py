"""A real producer (riv_scheduling.wsgi.create_app) that answers every SOAP call `DELAY` seconds late.

    python slow_producer.py DB_URL DELAY

Prints `serving on http://127.0.0.1:PORT` once it listens (a free port). A test harness for the
first-free fan-out: a producer that is slow but right, not a stand-in for one.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from riv_scheduling.wsgi import create_app


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


def main() -> None:
    url, delay = sys.argv[1], float(sys.argv[2])
    producer = create_app(url)

    def slow(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "POST":  # the WSDL comes at once, the answers late
            time.sleep(delay)
        return producer(environ, start_response)

    server = make_server("127.0.0.1", 0, slow, server_class=_Server, handler_class=_Quiet)
    print(f"serving on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
