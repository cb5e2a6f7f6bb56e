"""Book the first free timeslot at a care unit, then read the booking back.

    python examples/book_first_free_slot.py [--url URL] [--unit HSA-ID] [--person PNR]
                                            [--time-type CODE]
"""

from __future__ import annotations

import sys
from datetime import date, timedelta

from riv_client import Producer, arguments, show_time, wire_date


def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--time-type", default=None, help="time type code, e.g. LAKARBESOK")
    args = parser.parse_args()
    producer = Producer(args.url, args.unit, args.person)

    today = date.today()
    found = producer.call(
        "GetAvailableTimeslots",
        actor=producer.actor,
        personId=producer.person,
        startDateInclusive=wire_date(today),
        endDateInclusive=wire_date(today + timedelta(days=28)),
        timeTypeCode=args.time_type,
    )
    print(f"GetAvailableTimeslots: {found.resultCode}, {len(found.timeslot)} free slots")
    if not found.timeslot:
        return 1
    slot = found.timeslot[0]
    print(f"  first: {show_time(slot.startTime)} {slot.timeType.code} id={slot.timeslotId}")

    made = producer.call(
        "MakeAppointment",
        actor=producer.actor,
        personId=producer.person,
        timeslotId=slot.timeslotId,
        reasonText="Bokad från exempelskriptet",
    )
    print(f"MakeAppointment: {made.resultCode} appointmentId={made.appointmentId}")
    if made.resultCode != "OK":
        print(f"  {made.resultText}")
        return 1

    got = producer.call(
        "GetAppointment", actor=producer.actor, appointmentId=made.appointmentId,
        personId=producer.person,
    )
    a = got.appointment
    print(f"GetAppointment: {got.resultCode} status={a.status} "
          f"start={show_time(a.timeslot.startTime)} unit={a.timeslot.healthcareFacilityHSAId.extension}")
    print(made.appointmentId)
    return 0


if __name__ == "__main__":
    sys.exit(main())
