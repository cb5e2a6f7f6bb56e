"""The deliverer reaches the EI over mutual TLS: its client certificate and key (--ei-cert,
--ei-key) and the CA of the endpoint (--ei-ca); without a certificate the handshake fails and the
entries wait for a later attempt."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ei_clinic import EIClinic
from ei_receiver import NO_SCHEMAS, UPDATE_XSD, Receiver

from riv_scheduling.engagement_index.client import EndpointConfig, UpdateClient
from riv_scheduling.engagement_index.delivery import Deliverer, DeliveryPolicy
from riv_scheduling.server import server_tls_context
from riv_scheduling.store import outbox

sys.path.append(str(Path(__file__).resolve().parents[1] / "security"))
from pki import CA, have_openssl  # noqa: E402


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[Receiver, str, CA, Path, Path]]:
    if not UPDATE_XSD.is_file():
        pytest.skip(NO_SCHEMAS)
    if not have_openssl():
        pytest.skip("no openssl command to make the test certificates")
    ca = CA(tmp_path, "platform-ca")
    server = ca.issue("ei", "/O=Test/CN=localhost", server=True)
    client = ca.issue("producer", "/O=Test/serialNumber=SE2321000016-84GX/CN=producer")
    receiver = Receiver()
    url = receiver.start(server_tls_context(str(server.cert), str(server.key), str(ca.cert)))
    yield receiver, url, ca, client.cert, client.key
    receiver.stop()


def test_delivery_over_mutual_tls(tls_receiver: tuple[Receiver, str, CA, Path, Path], tmp_path: Path) -> None:
    receiver, url, ca, cert, key = tls_receiver
    clinic = EIClinic(f"sqlite:///{tmp_path / 'tls.db'}")
    try:
        booked = clinic.book(24)
        policy = DeliveryPolicy(backoff_base_s=0.0)
        anonymous = UpdateClient(EndpointConfig(url, ca_file=str(ca.cert), timeout=5))
        assert Deliverer(clinic.store, anonymous, policy).run_once().failed == 1  # no client certificate
        assert receiver.state.requests == 0
        assert outbox.entries(clinic.store)[0].last_error  # the TLS failure, worded as the ssl module words it
        client = UpdateClient(EndpointConfig(url, client_cert=str(cert), client_key=str(key), ca_file=str(ca.cert),
                                             timeout=5))
        assert Deliverer(clinic.store, client, policy).run_once().sent == 1
        assert set(receiver.posts_by_booking()) == {str(booked)}
    finally:
        clinic.close()
