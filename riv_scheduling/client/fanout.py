"""First free times over many producers: one concurrent search, a deadline per producer, one merge.

Like the national aggregating services, every producer gets a status (answered, timeout, fault
with its text, refused), so a partial result is visible as partial, and no producer can hold up
the others beyond its deadline. One httpx.AsyncClient carries all calls, so each producer's
connection is reused for its units.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx

from riv_scheduling.contract import INTERACTIONS

from . import envelopes
from .envelopes import Slot, SoapFault
from .producers import ProducerEntry

DEFAULT_DEADLINE = 5.0  # seconds per producer


class Status(enum.StrEnum):
    ANSWERED = "answered"
    TIMEOUT = "timeout"
    FAULT = "fault"  # a SOAP Fault, resultCode ERROR, or an answer that is no SOAP answer
    REFUSED = "refused"  # nothing listens (connection refused or the host unreachable)


@dataclass(frozen=True)
class Need:
    """What to search for: a time type or a care service (SNOMED CT), in a date window."""

    time_type_code: str | None = None
    healthcare_service_code: str | None = None
    start: date = field(default_factory=date.today)
    days: int = 14

    def __post_init__(self) -> None:
        if (self.time_type_code is None) == (self.healthcare_service_code is None):
            raise ValueError("give a time type or a care service, not both")  # TKB 2.0 §7.7, §7.8
        if self.days < 1:
            raise ValueError("days must be at least 1")

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)


@dataclass(frozen=True)
class FreeTime:
    """A free time at a unit of a producer (FirstFree.how_to_book says how to book it)."""

    producer: str
    unit: str
    slot: Slot


@dataclass(frozen=True)
class ProducerReport:
    name: str
    status: Status
    seconds: float  # wall time until the producer's answer (or its deadline)
    units: tuple[str, ...] = ()  # the units asked
    found: int = 0  # free times it gave
    text: str | None = None  # why not answered (fault text, error)


@dataclass(frozen=True)
class FirstFree:
    times: list[FreeTime]  # ordered by start, at most the limit asked for
    producers: list[ProducerReport]  # in the order of the producers file
    seconds: float
    urls: dict[str, str]  # producer name -> base URL

    @property
    def partial(self) -> bool:
        return any(p.status is not Status.ANSWERED for p in self.producers)

    def how_to_book(self, t: FreeTime) -> dict[str, str]:
        return {
            "interaction": "MakeAppointment",
            "endpoint": self.urls[t.producer] + INTERACTIONS["MakeAppointment"].path,
            "logical_address": t.unit,
            "timeslot_id": t.slot.timeslot_id,
        }


Progress = Callable[[ProducerReport, int, int], None]  # (report, done, total)


async def call(client: httpx.AsyncClient, base_url: str, interaction: str, unit: str,
               fields: list[tuple[str, object]]) -> envelopes.Answer:
    """One SOAP call; SoapFault for a fault, resultCode ERROR, or a non-SOAP answer."""
    i = INTERACTIONS[interaction]
    response = await client.post(
        base_url + i.path,
        content=envelopes.request(interaction, unit, fields),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{i.soap_action}"'},
    )
    result = envelopes.answer(interaction, response.status_code, response.content)
    if result.result_code == "ERROR":
        raise SoapFault(f"{interaction} at {unit}: ERROR {result.result_text or ''}".strip())
    return result


def _need_fields(need: Need) -> list[tuple[str, object]]:
    return [("timeTypeCode", need.time_type_code), ("healthcareServiceCode", need.healthcare_service_code)]


async def _units(client: httpx.AsyncClient, producer: ProducerEntry, need: Need) -> list[str]:
    units = list(producer.units)
    if producer.catalogue is not None:  # TKB 2.0 §7.8: the catalogue unit answers for others
        listed = await call(client, producer.url, "GetHealthcareFacilities", producer.catalogue, _need_fields(need))
        units += [u for u in envelopes.facilities(listed) if u.lower() not in {x.lower() for x in units}]
    return units


async def _search_unit(client: httpx.AsyncClient, producer: ProducerEntry, unit: str, need: Need) -> list[Slot]:
    fields: list[tuple[str, object]] = [
        ("startDateInclusive", envelopes.wire_date(need.start)),
        ("endDateInclusive", envelopes.wire_date(need.end)),
        *_need_fields(need),
    ]
    found = await call(client, producer.url, "GetAvailableTimeslots", unit, fields)
    return envelopes.slots(found)


async def _search_producer(client: httpx.AsyncClient, producer: ProducerEntry, need: Need,
                           deadline: float) -> tuple[ProducerReport, list[FreeTime]]:
    began = time.monotonic()
    units: list[str] = []
    found: list[FreeTime] = []

    def report(status: Status, text: str | None = None) -> ProducerReport:
        return ProducerReport(producer.name, status, time.monotonic() - began, tuple(units), len(found), text)

    try:
        async with asyncio.timeout(producer.deadline or deadline):
            units = await _units(client, producer, need)
            results = await asyncio.gather(*(_search_unit(client, producer, u, need) for u in units),
                                           return_exceptions=True)
    except TimeoutError:
        return report(Status.TIMEOUT, f"no answer within {producer.deadline or deadline:g} s"), []
    except SoapFault as exc:
        return report(Status.FAULT, str(exc)), []
    except httpx.ConnectError as exc:
        return report(Status.REFUSED, str(exc) or "connection refused"), []
    except httpx.HTTPError as exc:
        return report(Status.FAULT, f"{type(exc).__name__}: {exc}"), []
    problems: list[str] = []
    refused = False
    for unit, result in zip(units, results, strict=True):
        if isinstance(result, BaseException):
            refused = refused or isinstance(result, httpx.ConnectError)
            problems.append(f"{unit}: {result}" if not isinstance(result, SoapFault) else str(result))
        else:
            found.extend(FreeTime(producer.name, s.unit or unit, s) for s in result)
    if not problems:
        return report(Status.ANSWERED), found
    # Units that answered still count: the report says what is missing.
    return report(Status.REFUSED if refused else Status.FAULT, "; ".join(problems)), found


def order_key(t: FreeTime) -> tuple[object, ...]:
    return (t.slot.start, t.producer, t.unit.lower(), t.slot.timeslot_id)


async def search(producers: Sequence[ProducerEntry], need: Need, limit: int = 10,
                 deadline: float = DEFAULT_DEADLINE, progress: Progress | None = None,
                 client: httpx.AsyncClient | None = None) -> FirstFree:
    """Ask every producer at once; the first `limit` free times over all of them, by start."""
    began = time.monotonic()
    own = client is None
    http = client or httpx.AsyncClient(timeout=httpx.Timeout(None, connect=deadline),
                                       limits=httpx.Limits(max_connections=200, max_keepalive_connections=100))
    try:
        tasks = [asyncio.ensure_future(_search_producer(http, p, need, deadline)) for p in producers]
        done = 0
        for next_done in asyncio.as_completed(tasks):
            report, _ = await next_done
            done += 1
            if progress is not None:
                progress(report, done, len(tasks))
        results = [t.result() for t in tasks]
    finally:
        if own:
            await http.aclose()
    times = sorted((t for _, found in results for t in found), key=order_key)[:limit]
    return FirstFree(times, [r for r, _ in results], time.monotonic() - began, {p.name: p.url for p in producers})


def first_free(producers: Sequence[ProducerEntry], need: Need, limit: int = 10,
               deadline: float = DEFAULT_DEADLINE, progress: Progress | None = None) -> FirstFree:
    """`search` for callers without an event loop."""
    return asyncio.run(search(producers, need, limit, deadline, progress))
