"""Rebook an appointment to the earliest free timeslot after its current one (same time type).

    python examples/rebook.py --appointment ID [--url URL] [--unit HSA-ID] [--person PNR]

The producer offers the slots valid for rebooking this appointment (GetAvailableTimeslots with
originalAppointmentId); the script looks up to 28 days past the current appointment's day.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta

from riv_client import Producer, arguments, show_time, wire_date


def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--appointment", required=True, help="appointment id to rebook")
    args = parser.parse_args()
    producer = Producer(args.url, args.unit, args.person)

    got = producer.call(
        "GetAppointment", actor=producer.actor, appointmentId=args.appointment,
        personId=producer.person,
    )
    if got.appointment is None:
        print(f"GetAppointment: {got.resultCode}: no such appointment for this person")
        return 1
    original = got.appointment
    print(f"GetAppointment: {show_time(original.timeslot.startTime)} "
          f"updateAppointmentAllowed={original.timeslot.timeType.updateAppointmentAllowed}")

    current = original.timeslot.startTime  # YYYYMMDDhhmmss: compares in time order as text
    first_day = max(date.today(), datetime.strptime(current[:8], "%Y%m%d").date())
    found = producer.call(
        "GetAvailableTimeslots",
        actor=producer.actor,
        originalAppointmentId=args.appointment,
        personId=producer.person,
        startDateInclusive=wire_date(first_day),
        endDateInclusive=wire_date(first_day + timedelta(days=28)),
    )
    later = [slot for slot in found.timeslot if slot.startTime > current]
    print(f"GetAvailableTimeslots (rebooking): {found.resultCode}, {len(found.timeslot)} slots, "
          f"{len(later)} after the current one")
    if not later:
        return 1
    target = min(later, key=lambda slot: slot.startTime)

    updated = producer.call(
        "UpdateAppointment",
        actor=producer.actor,
        originalAppointmentId=args.appointment,
        timeslotId=target.timeslotId,
        personId=producer.person,
        reasonText="Ombokad från exempelskriptet",
    )
    print(f"UpdateAppointment: {updated.resultCode} to {show_time(target.startTime)}, "
          f"new appointmentId={updated.appointmentId}")
    if updated.resultCode != "OK":
        print(f"  {updated.resultText}")
        return 1
    print(updated.appointmentId)
    return 0


if __name__ == "__main__":
    sys.exit(main())
