"""The ``producer`` fixture: ``producer(middleware=None)`` starts our producer on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kit_helpers import Producers


@pytest.fixture
def producer(tmp_path: Path) -> Iterator[Producers]:
    producers = Producers(tmp_path)
    yield producers
    producers.stop()
