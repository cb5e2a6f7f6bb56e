"""A small threaded HTTP server for the producer (one thread per connection).

Good for a single process, tests and demos. For several worker processes put the WSGI
application (``riv_scheduling.wsgi:application``) behind any WSGI server.
"""

from __future__ import annotations

import logging
import socketserver
from collections.abc import Callable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

log = logging.getLogger("riv_scheduling.http")


class _Handler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        log.info("%s %s", self.address_string(), format % args)


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def make_server(app: Callable[..., Any], host: str = "127.0.0.1", port: int = 8080) -> WSGIServer:
    server = ThreadingWSGIServer((host, port), _Handler)
    server.set_app(app)
    return server
