"""Column times (naive UTC) come back as Stockholm time, exact across the DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from riv_scheduling.domain import STOCKHOLM
from riv_scheduling.store.repositories import from_db, to_db


def test_from_db_is_astimezone_to_stockholm_around_both_dst_changes() -> None:
    for day in (datetime(2025, 3, 30), datetime(2025, 10, 26)):
        moment = day - timedelta(hours=2)
        while moment < day + timedelta(hours=4):
            got, expected = from_db(moment), moment.replace(tzinfo=UTC).astimezone(STOCKHOLM)
            assert (got, got.fold, got.tzinfo) == (expected, expected.fold, expected.tzinfo)
            assert got.replace(tzinfo=None) == expected.replace(tzinfo=None)
            assert to_db(got) == moment
            moment += timedelta(minutes=10, microseconds=7)
