"""Hostile XML and HTTP: each attack gets a prompt SOAP 1.1 Fault, nothing is fetched or read
from outside, and a normal call succeeds right after it."""

from __future__ import annotations

import time

import pytest
from hostile import LISTENER, Attack, attacks
from secwire import Running, fault_of

ATTACKS = attacks()


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_attack_is_refused_with_a_fault_and_the_producer_keeps_serving(producer: Running, attack: Attack) -> None:
    started = time.monotonic()
    status, data = attack.send(producer)
    elapsed = time.monotonic() - started
    code, text = fault_of(status, data)
    assert code == attack.code, text
    assert any(part.lower() in text.lower() for part in attack.says.split("|")), text
    for secret in attack.forbidden:
        assert secret not in data
    # Promptly: the slow client waits for the 2 s request timeout of this producer.
    assert elapsed < 5, f"{attack.name} took {elapsed:.1f} s"
    assert LISTENER.connections == 0, "the producer fetched something from the network"
    producer.still_serving()
