"""The envelope parser and the body reader on their own (no server): limits and reading bounds."""

from __future__ import annotations

import io
import time
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from secwire import TOLVAN, envelope, request_body

from riv_scheduling.soap import envelope as env_mod
from riv_scheduling.soap.app import Producer

NO_COUNT = env_mod.Limits(max_elements=10**8)


def test_libxml2_refuses_100000_levels_quickly_even_without_the_element_count_guard() -> None:
    deep = envelope(request_body("GetAppointments").replace(
        "</r:GetAppointments>", "<a>" * 100_000 + "</a>" * 100_000 + "</r:GetAppointments>"))
    started = time.monotonic()
    with pytest.raises(env_mod.EnvelopeError, match="depth|deep"):
        env_mod.parse(deep, NO_COUNT)
    assert time.monotonic() - started < 1


def test_entities_are_never_expanded_by_the_parser_itself() -> None:
    """Even if the byte check were bypassed, lxml is configured not to expand or load anything."""
    doc = (b'<!DOCTYPE x [<!ENTITY a "AAAAAAAAAA"><!ENTITY b SYSTEM "file:///etc/passwd">]>'
           b"<x>&a;&b;</x>")
    from lxml import etree

    root = etree.fromstring(doc, env_mod._parser())
    text = etree.tostring(root)
    assert b"AAAAAAAAAA" not in text and b"root:" not in text


def test_a_normal_envelope_passes_the_limits() -> None:
    parsed = env_mod.parse(envelope(request_body("MakeAppointment")))
    assert parsed.logical_address and parsed.body.tag.endswith("}MakeAppointment")


@pytest.mark.parametrize("limits, body, says", [
    (env_mod.Limits(max_depth=5), request_body("GetAppointments"), "deep"),
    (env_mod.Limits(max_elements=10), request_body("GetAppointments"), "elements"),
    (env_mod.Limits(max_value=5), request_body("GetAppointments"), "text"),
    (env_mod.Limits(max_header_elements=0), request_body("GetAppointments"), "header"),
])
def test_each_limit_is_enforced(limits: env_mod.Limits, body: str, says: str) -> None:
    with pytest.raises(env_mod.EnvelopeError, match=says):
        env_mod.parse(envelope(body), limits)


def test_a_fault_survives_characters_xml_cannot_carry() -> None:
    data = env_mod.fault("Client", "bad \x00\x1b header " + "x" * 10_000)
    assert b"<faultstring>bad ?? header" in data and len(data) < 3000


class Endless(io.RawIOBase):
    """An input that never ends and counts what was read from it."""

    def __init__(self, chunk: bytes = b"<" * 4096) -> None:
        self.read_bytes = 0
        self.chunk = chunk

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            raise AssertionError("the producer must never read without a size")
        data = (self.chunk * (size // len(self.chunk) + 1))[:size]
        self.read_bytes += len(data)
        return data


@pytest.fixture(scope="module")
def bare_producer() -> Producer:
    import tempfile
    from pathlib import Path

    from secwire import world

    _, _, scheduling = world(Path(tempfile.mkdtemp()) / "bare.db")
    return Producer(scheduling, max_body=10_000)


def call(producer: Producer, stream: Any, **environ: str) -> tuple[str, bytes]:
    got: dict[str, str] = {}
    base = {"REQUEST_METHOD": "POST", "PATH_INFO": "/GetAppointments/2/rivtabp21",
            "CONTENT_TYPE": "text/xml; charset=utf-8", "wsgi.input": stream}
    full = {**base, **environ}
    setup_testing_defaults(full)
    body = b"".join(producer(full, lambda status, headers, *a: got.update(status=status)))
    return got["status"], body


@pytest.mark.parametrize("environ", [
    {"wsgi.input_terminated": True},  # no Content-Length, input ends when the body ends
    {"HTTP_TRANSFER_ENCODING": "chunked"},
    {"HTTP_TRANSFER_ENCODING": "chunked", "CONTENT_LENGTH": "50"},  # chunked wins
], ids=["no length", "chunked", "chunked and a length"])
def test_without_a_trustworthy_length_at_most_limit_plus_one_bytes_are_read(
        bare_producer: Producer, environ: dict[str, Any]) -> None:
    stream = Endless()
    status, body = call(bare_producer, stream, **environ)
    assert status.startswith("500") and b"larger than 10000 bytes" in body
    assert stream.read_bytes == bare_producer.max_body + 1


def test_a_length_over_the_limit_reads_nothing(bare_producer: Producer) -> None:
    stream = Endless()
    status, body = call(bare_producer, stream, CONTENT_LENGTH=str(10**12))
    assert status.startswith("500") and b"larger than" in body
    assert stream.read_bytes == 0


def test_a_lying_small_length_reads_only_that_many_bytes(bare_producer: Producer) -> None:
    stream = Endless()
    status, body = call(bare_producer, stream, CONTENT_LENGTH="300")
    assert status.startswith("500")
    assert stream.read_bytes == 300


def test_without_length_and_without_end_marker_nothing_is_read(bare_producer: Producer) -> None:
    stream = Endless()
    status, body = call(bare_producer, stream)
    assert status.startswith("500") and b"Empty request body" in body
    assert stream.read_bytes == 0


def test_a_normal_request_through_the_bare_wsgi_app(bare_producer: Producer) -> None:
    data = envelope(request_body("GetAppointments", TOLVAN))
    status, body = call(bare_producer, io.BytesIO(data), CONTENT_LENGTH=str(len(data)))
    assert status.startswith("200"), body[:300]
