"""Fixtures of the security tests (helpers in secwire.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from secwire import Running, running


@pytest.fixture(scope="module")
def producer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A plain-HTTP producer with a short request timeout (for the slow-client tests)."""
    with running(tmp_path_factory.mktemp("sec") / "producer.db", request_timeout=2.0) as p:
        yield p
