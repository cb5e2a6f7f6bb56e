"""Rebook an appointment to the next free timeslot of the same time type.

    python examples/rebook.py --appointment ID [--url URL] [--unit HSA-ID] [--person PNR]
"""

from __future__ import annotations

import sys
from datetime import date, timedelta

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

    today = date.today()
    found = producer.call(
        "GetAvailableTimeslots",
        actor=producer.actor,
        originalAppointmentId=args.appointment,
        personId=producer.person,
        startDateInclusive=wire_date(today),
        endDateInclusive=wire_date(today + timedelta(days=28)),
    )
    print(f"GetAvailableTimeslots (rebooking): {found.resultCode}, {len(found.timeslot)} slots")
    if not found.timeslot:
        return 1
    target = found.timeslot[-1]

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
