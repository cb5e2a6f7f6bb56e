from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from store_world import build_clinic, fixed_clock

from riv_scheduling.domain import ClinicSetup, Scheduling
from riv_scheduling.store import Store, open_store


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'scheduling.db'}"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = open_store(db_url)
    yield store
    store.dispose()


@pytest.fixture
def setup(store: Store) -> ClinicSetup:
    return build_clinic(store)


@pytest.fixture
def scheduling(store: Store, setup: ClinicSetup) -> Scheduling:
    return Scheduling(store.uow, clock=fixed_clock)
