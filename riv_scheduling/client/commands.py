"""`riv-scheduling first-free`: the first free times by need over the producers of a file.

A progress line on stderr while producers answer; a table (or JSON) on stdout at the end. Exit code
0 when times were found (even from a partial answer, which the report shows), 1 when none were or
`--book` booked nothing, 2 for a bad producers file or arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date
from typing import Any, TextIO

from riv_scheduling.contract.personal_identity import InvalidPersonalIdentity, from_text

from .booking import Booked, book_first, masked
from .fanout import DEFAULT_DEADLINE, FirstFree, Need, ProducerReport, Status, search
from .producers import ProducersFileError, load_producers


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "first-free",
        help="first free times by time type or care service over many producers (and book one)",
        description="Ask every producer of FILE at once (GetAvailableTimeslots per unit, GetHealthcareFacilities "
        "for a catalogue unit) with a deadline per producer; print the first free times by start and how each "
        "producer answered (docs/first-free.md).",
    )
    p.add_argument("--producers", required=True, metavar="FILE", help="producers file (TOML)")
    need = p.add_mutually_exclusive_group(required=True)
    need.add_argument("--care-service", metavar="CODE", help="care service (SNOMED CT code)")
    need.add_argument("--time-type", metavar="CODE", help="time type code")
    p.add_argument("--from", dest="start", type=date.fromisoformat, default=None, metavar="DATE",
                   help="first day, YYYY-MM-DD (default today)")
    p.add_argument("--days", type=int, default=14, metavar="N", help="days to search (default 14)")
    p.add_argument("--limit", type=int, default=10, metavar="K", help="free times to show (default 10)")
    p.add_argument("--deadline", type=float, default=DEFAULT_DEADLINE, metavar="SECONDS",
                   help=f"how long to wait for each producer (default {DEFAULT_DEADLINE:g}; a producer's own "
                   "`deadline` in the file wins)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--book", action="store_true", help="book the first time still free (needs --person)")
    p.add_argument("--person", metavar="PNR", help="the citizen's personnummer or samordningsnummer (12 digits)")
    p.set_defaults(func=cmd_first_free)


def _progress(stream: TextIO) -> Any:
    answered: dict[Status, int] = {}

    def show(report: ProducerReport, done: int, total: int) -> None:
        answered[report.status] = answered.get(report.status, 0) + 1
        counts = ", ".join(f"{n} {s.value}" for s, n in sorted(answered.items()))
        end = "\n" if done == total else ""
        if stream.isatty():
            stream.write(f"\r\033[Kproducers {done}/{total}: {counts}{end}")
        elif done == total:
            stream.write(f"producers {done}/{total}: {counts}\n")
        stream.flush()

    return show


def _as_json(found: FirstFree, booked: Booked | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "partial": found.partial,
        "seconds": round(found.seconds, 3),
        "times": [
            {"start": t.slot.start.isoformat(), "end": t.slot.end.isoformat() if t.slot.end else None,
             "producer": t.producer, "unit": t.unit, "time_type": t.slot.time_type_code,
             "book": found.how_to_book(t)}
            for t in found.times
        ],
        "producers": [
            {"name": r.name, "status": r.status.value, "seconds": round(r.seconds, 3), "units": list(r.units),
             "found": r.found, "text": r.text}
            for r in found.producers
        ],
    }
    if booked is not None:
        out["booking"] = {
            "appointment_id": booked.appointment_id,
            "time": booked.time.slot.start.isoformat() if booked.time else None,
            "unit": booked.time.unit if booked.time else None,
            "attempts": [{"unit": a.time.unit, "timeslot_id": a.time.slot.timeslot_id, "result_code": a.result_code,
                          "result_text": a.result_text} for a in booked.attempts],
        }
    return out


def _table(found: FirstFree, out: TextIO) -> None:
    out.write(f"{'start':<17} {'end':<5} {'unit':<22} {'time type':<12} {'producer':<20} timeslot id\n")
    for t in found.times:
        end = f"{t.slot.end:%H:%M}" if t.slot.end else ""
        out.write(f"{t.slot.start:%Y-%m-%d %H:%M} {end:<5} {t.unit:<22} {t.slot.time_type_code:<12} "
                  f"{t.producer:<20} {t.slot.timeslot_id}\n")
    if not found.times:
        out.write("(no free times)\n")
    out.write(f"\nproducers ({found.seconds:.2f} s{', PARTIAL' if found.partial else ''}):\n")
    for r in found.producers:
        text = f"  {r.text}" if r.text else ""
        out.write(f"  {r.name:<20} {r.status.value:<8} {r.seconds:6.2f} s  {r.found:4d} free{text}\n")
    if found.times:
        first = found.how_to_book(found.times[0])
        out.write(f"\nto book the first: MakeAppointment at {first['endpoint']}, LogicalAddress "
                  f"{first['logical_address']}, timeslotId {first['timeslot_id']}\n")


async def _run(args: argparse.Namespace, need: Need, pnr: str | None) -> tuple[FirstFree, Booked | None]:
    producers = load_producers(args.producers)
    found = await search(producers, need, args.limit, args.deadline, _progress(sys.stderr))
    booked = await book_first(found, pnr) if pnr is not None else None
    return found, booked


def cmd_first_free(args: argparse.Namespace) -> int:
    pnr: str | None = None
    if args.book:
        if not args.person:
            print("riv-scheduling first-free: --book needs --person", file=sys.stderr)
            return 2
        try:
            pnr = from_text(args.person).extension
        except InvalidPersonalIdentity as exc:
            print(f"riv-scheduling first-free: --person: {exc.reason}", file=sys.stderr)
            return 2
    try:
        need = Need(args.time_type, args.care_service, args.start or date.today(), args.days)
        found, booked = asyncio.run(_run(args, need, pnr))
    except (ProducersFileError, ValueError) as exc:
        print(f"riv-scheduling first-free: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(_as_json(found, booked), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        _table(found, sys.stdout)
    if booked is not None:
        if not args.json:
            for a in booked.attempts:
                print(f"MakeAppointment {a.time.unit} {a.time.slot.start:%Y-%m-%d %H:%M}: {a.result_code}"
                      f"{' ' + a.result_text if a.result_text else ''}")
            if booked.time is not None:
                print(f"booked for {masked(pnr or '')}: {booked.time.slot.start:%Y-%m-%d %H:%M} at {booked.time.unit} "
                      f"({booked.time.producer}), appointment id {booked.appointment_id}")
        return 0 if booked.appointment_id else 1
    return 0 if found.times else 1
