from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ei_receiver import NO_SCHEMAS, UPDATE_XSD, Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    if not UPDATE_XSD.is_file():
        pytest.skip(NO_SCHEMAS)
    r = Receiver()
    r.url = r.start()  # type: ignore[attr-defined]
    yield r
    r.stop()


sys.path.append(str(Path(__file__).resolve().parents[1] / "store"))  # store_pg


@pytest.fixture(params=("sqlite", "postgresql"))
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    from store_pg import database_url

    with database_url(str(request.param), tmp_path, request) as url:
        yield url
