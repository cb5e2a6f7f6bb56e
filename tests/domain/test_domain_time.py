"""Swedish wall-clock time: contract times carry no zone; the domain stays exact over DST."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from riv_scheduling.domain import STOCKHOLM, Timeslot, from_local, local_date, to_local, to_utc


def test_local_contract_time_round_trips_through_aware_stockholm_time() -> None:
    local = datetime(2025, 7, 1, 8, 20)
    aware = from_local(local)
    assert aware.utcoffset() == timedelta(hours=2)
    assert to_local(aware) == local


def test_ambiguous_autumn_hour_resolves_to_first_occurrence() -> None:
    aware = from_local(datetime(2025, 10, 26, 2, 30))
    assert to_utc(aware) == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)


def test_length_minutes_is_real_time_across_the_spring_dst_change() -> None:
    start = datetime(2025, 3, 30, 1, 30, tzinfo=STOCKHOLM)
    end = datetime(2025, 3, 30, 3, 30, tzinfo=STOCKHOLM)  # 02:00 -> 03:00 is skipped
    slot = Timeslot(uuid.uuid4(), "SE2321000016-A1B2", "LAKARBESOK", start, end)
    assert slot.length_minutes == 60


def test_local_date_is_the_swedish_date() -> None:
    assert local_date(datetime(2025, 3, 9, 23, 30, tzinfo=UTC)) == datetime(2025, 3, 10).date()


def test_timeslot_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        Timeslot(uuid.uuid4(), "X", "T", datetime(2025, 3, 10, 8), datetime(2025, 3, 10, 9))


def test_timeslot_must_end_after_it_starts() -> None:
    start = datetime(2025, 3, 10, 8, tzinfo=STOCKHOLM)
    with pytest.raises(ValueError):
        Timeslot(uuid.uuid4(), "X", "T", start, start)
