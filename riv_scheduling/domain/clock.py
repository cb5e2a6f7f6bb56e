"""Swedish wall-clock time and the default clock.

The contract carries Stockholm local time with no zone (TKB 2.0 §5.1.2-5.1.3). Inside the domain all datetimes are
timezone-aware; arithmetic and comparisons go through UTC so that DST changes are exact.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from riv_scheduling.contract import TIME_ZONE

STOCKHOLM = ZoneInfo(TIME_ZONE)

Clock = Callable[[], datetime]  # returns an aware datetime


def stockholm_now() -> datetime:
    """The default clock: now, aware, in Europe/Stockholm."""
    return datetime.now(STOCKHOLM)


def to_utc(dt: datetime) -> datetime:
    """Aware UTC; refuses naive datetimes (they have no defined instant)."""
    tz = dt.tzinfo
    if tz is UTC:  # already an instant in UTC: a search compares hundreds of these
        return dt
    if tz is STOCKHOLM:  # aware by construction: no need to ask for its offset first
        return dt.astimezone(UTC)
    if tz is None or dt.utcoffset() is None:
        raise ValueError("naive datetime; use from_local() for contract times")
    return dt.astimezone(UTC)


def to_stockholm(dt: datetime) -> datetime:
    return to_utc(dt).astimezone(STOCKHOLM)


def from_local(local: datetime) -> datetime:
    """Contract TS (naive Swedish local time) -> aware Stockholm datetime.

    An ambiguous autumn hour resolves to the first occurrence (fold=0), a non-existent spring
    hour is shifted forward by zoneinfo's usual rule.
    """
    if local.tzinfo is not None:
        return to_stockholm(local)
    return to_stockholm(local.replace(tzinfo=STOCKHOLM))


def to_local(dt: datetime) -> datetime:
    """Aware datetime -> naive Swedish local time, as the contract carries it."""
    return to_stockholm(dt).replace(tzinfo=None)


def local_date(dt: datetime) -> date:
    """The Swedish calendar date of an instant."""
    return to_stockholm(dt).date()


# Dates from the wire may be extreme (00010101, 99991231); clamp so arithmetic cannot overflow.
MIN_DAY = date(1900, 1, 1)
MAX_DAY = date(9999, 12, 30)


def start_of_day(d: date) -> datetime:
    """Midnight Stockholm time (always exists: Swedish DST switches at 02:00/03:00)."""
    return datetime.combine(min(max(d, MIN_DAY), MAX_DAY), time(0), tzinfo=STOCKHOLM)


def end_of_day(d: date) -> datetime:
    """Midnight after `d` (exclusive bound)."""
    return start_of_day(min(max(d, MIN_DAY), MAX_DAY) + timedelta(days=1))
