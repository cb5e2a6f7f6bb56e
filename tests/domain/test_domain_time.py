"""Swedish wall-clock time: contract times carry no zone; the domain stays exact over DST."""

from __future__ import annotations

import inspect
import uuid
from dataclasses import MISSING, fields, replace
from datetime import UTC, datetime, timedelta

import pytest

from riv_scheduling.domain import STOCKHOLM, Timeslot, from_local, local_date, to_local, to_utc
from riv_scheduling.domain.views import in_stockholm


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


def test_to_utc_keeps_a_utc_instant_and_still_refuses_naive_datetimes() -> None:
    moment = datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    assert to_utc(moment) is moment
    with pytest.raises(ValueError):
        to_utc(datetime(2025, 3, 30, 1, 30))


def _slot(start: datetime, end: datetime) -> Timeslot:
    return Timeslot(uuid.uuid4(), "SE2321000016-A1B2", "LAKARBESOK", start, end)


def test_a_slot_in_stockholm_time_is_shown_as_it_is_and_others_in_stockholm_time() -> None:
    # What the store gives (views.in_stockholm keeps it, no copy per slot of a search).
    stored = _slot(datetime(2025, 7, 1, 6, tzinfo=UTC).astimezone(STOCKHOLM),
                   datetime(2025, 7, 1, 7, tzinfo=UTC).astimezone(STOCKHOLM))
    assert in_stockholm(stored) is stored
    in_utc = _slot(datetime(2025, 7, 1, 6, tzinfo=UTC), datetime(2025, 7, 1, 7, tzinfo=UTC))
    shown = in_stockholm(in_utc)
    assert shown.start.tzinfo is STOCKHOLM and (shown.start.hour, shown.end.hour) == (8, 9)
    assert (to_utc(shown.start), to_utc(shown.end)) == (in_utc.start, in_utc.end)


def test_a_wall_time_that_is_not_stockholm_time_is_still_shown_as_the_instant_it_stands_for() -> None:
    # 02:30 on the spring DST day does not exist: shown as the instant (03:30), as before.
    gap = _slot(datetime(2025, 3, 30, 2, 30, tzinfo=STOCKHOLM), datetime(2025, 3, 30, 4, 0, tzinfo=STOCKHOLM))
    shown = in_stockholm(gap)
    assert shown is not gap and (shown.start.hour, shown.start.minute) == (3, 30)
    # fold=1 on an hour that occurs once is the same instant with fold=0.
    folded = _slot(datetime(2025, 7, 1, 8, tzinfo=STOCKHOLM, fold=1), datetime(2025, 7, 1, 9, tzinfo=STOCKHOLM))
    assert in_stockholm(folded).start.fold == 0
    # The second 02:30 of the autumn day is a time of its own: kept.
    second = _slot(datetime(2025, 10, 26, 2, 30, tzinfo=STOCKHOLM, fold=1),
                   datetime(2025, 10, 26, 3, 30, tzinfo=STOCKHOLM))
    assert in_stockholm(second) is second


def test_a_slots_utc_instants_follow_a_replaced_start_and_do_not_take_part_in_equality() -> None:
    # Timeslot.start_utc / end_utc are converted once in __init__: a copy with other times
    # (dataclasses.replace, as views.in_stockholm and a rebooking search make) must get its own.
    slot = _slot(datetime(2025, 10, 26, 2, 30, tzinfo=STOCKHOLM, fold=1),  # the second 02:30 of the autumn day
                 datetime(2025, 10, 26, 3, 30, tzinfo=STOCKHOLM))
    assert (slot.start_utc, slot.end_utc) == (datetime(2025, 10, 26, 1, 30, tzinfo=UTC),
                                              datetime(2025, 10, 26, 2, 30, tzinfo=UTC))
    later = replace(slot, start=datetime(2025, 10, 26, 3, 0, tzinfo=STOCKHOLM))
    assert later.start_utc == datetime(2025, 10, 26, 2, 0, tzinfo=UTC) and later.end_utc == slot.end_utc
    assert later.length_minutes == 30
    with pytest.raises(ValueError):
        replace(slot, end=slot.start)
    # The instants are derived, not fields of the slot's identity: a copy is equal, with an equal hash.
    assert replace(slot) == slot and hash(replace(slot)) == hash(slot)
    assert "start_utc" not in repr(slot)


def test_timeslots_own_init_takes_the_dataclass_fields_in_their_order_with_their_defaults() -> None:
    # Timeslot.__init__ is written by hand (speed): it must stay the one dataclass would generate.
    declared = [(f.name, f.default) for f in fields(Timeslot) if f.init]
    parameters = list(inspect.signature(Timeslot.__init__).parameters.values())[1:]
    assert [(p.name, p.default) for p in parameters] == [
        (name, inspect.Parameter.empty if default is MISSING else default) for name, default in declared
    ]
    assert all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in parameters)
    slot = _slot(datetime(2025, 7, 1, 8, tzinfo=STOCKHOLM), datetime(2025, 7, 1, 9, tzinfo=STOCKHOLM))
    assert set(vars(slot)) == {f.name for f in fields(Timeslot)}
