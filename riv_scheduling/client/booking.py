"""Booking the first free time that is still free, for `first-free --book`.

Between the search and the booking another citizen may take a time: REQUESTED_TIME_IS_ALREADY_RESERVED
moves on to the next one (TKB 2.0 §7.11); any other answer ends the attempt with that answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from . import envelopes
from .envelopes import SoapFault
from .fanout import FirstFree, FreeTime, call

TAKEN = "REQUESTED_TIME_IS_ALREADY_RESERVED"


@dataclass(frozen=True)
class Attempt:
    time: FreeTime
    result_code: str
    result_text: str | None = None


@dataclass(frozen=True)
class Booked:
    appointment_id: str | None  # None: nothing was booked (see attempts)
    time: FreeTime | None
    attempts: list[Attempt]


def masked(pnr: str) -> str:
    """For output: the birth date only (identity numbers are never printed in clear)."""
    return pnr[:8] + "*" * max(len(pnr) - 8, 0)


async def book_first(found: FirstFree, pnr: str, reason_text: str | None = None,
                     client: httpx.AsyncClient | None = None) -> Booked:
    attempts: list[Attempt] = []
    own = client is None
    http = client or httpx.AsyncClient(timeout=30)
    try:
        for t in found.times:
            fields: list[tuple[str, object]] = [
                ("actor", envelopes.citizen(pnr)),
                ("personId", envelopes.person(pnr)),
                ("timeslotId", t.slot.timeslot_id),
                ("reasonText", reason_text),
            ]
            try:
                made = await call(http, found.urls[t.producer], "MakeAppointment", t.unit, fields)
            except (SoapFault, httpx.HTTPError) as exc:
                attempts.append(Attempt(t, "FAULT", str(exc)))
                return Booked(None, None, attempts)
            attempts.append(Attempt(t, made.result_code, made.result_text))
            if made.result_code in ("OK", "INFO"):
                return Booked(envelopes.appointment_id(made), t, attempts)
            if made.result_code != TAKEN:
                return Booked(None, None, attempts)
        return Booked(None, None, attempts)
    finally:
        if own:
            await http.aclose()
