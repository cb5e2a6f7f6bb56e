"""A riv.crm.scheduling 1.1 consumer (as 1177 calls a unit): list, book, rebook and cancel.

    python examples/crm_booking.py list   [--url URL] [--unit HSA-ID] [--person PNR]
    python examples/crm_booking.py book   --time-type SSKBESOK
    python examples/crm_booking.py rebook --booking ID
    python examples/crm_booking.py cancel --booking ID [--message TEXT]

zeep clients are built from the WSDLs the producer serves at /<Interaction>/1/rivtabp21?wsdl; every
call carries the LogicalAddress (the unit) and the Actor (the citizen) headers (TKB crm:scheduling
1.1 §3.5). The timeslot GetAvailableTimeslots returns is sent back whole in MakeBooking/UpdateBooking.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from typing import Any

import zeep
from riv_client import arguments


class CrmConsumer:
    def __init__(self, url: str, unit: str, person: str) -> None:
        self.url, self.unit, self.person = url.rstrip("/"), unit, person
        self.clients: dict[str, Any] = {}

    def call(self, interaction: str, **body: Any) -> Any:
        if interaction not in self.clients:
            self.clients[interaction] = zeep.Client(f"{self.url}/{interaction}/1/rivtabp21?wsdl").service
        headers = {"LogicalAddress": self.unit, "actor": {"actorId": self.person, "actorType": "subject_of_care"}}
        return getattr(self.clients[interaction], interaction)(_soapheaders=headers, **body)

    def free(self, time_type: str | None = None, booking: str | None = None) -> list[Any]:
        today = date.today()
        answer = self.call("GetAvailableTimeslots", healthcare_facility=self.unit, bookingId=booking,
                           startDateInclusive=today.strftime("%Y%m%d"),
                           endDateInclusive=(today + timedelta(days=28)).strftime("%Y%m%d"),
                           timeTypeID=time_type, subject_of_care=self.person)
        return list(answer.timeslotDetail or [])


def result(name: str, answer: Any) -> int:
    print(f"{name}: {answer.resultCode}" + (f": {answer.resultText}" if answer.resultText else ""))
    return 0 if answer.resultCode in ("OK", "INFO") else 1


def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("action", choices=("list", "book", "rebook", "cancel"))
    parser.add_argument("--time-type", default="SSKBESOK", help="timeTypeID to book")
    parser.add_argument("--booking", help="bookingId to rebook or cancel")
    parser.add_argument("--message", help="a message with the cancellation")
    args = parser.parse_args()
    consumer = CrmConsumer(args.url, args.unit, args.person)

    if args.action == "list":
        answer = consumer.call("GetSubjectOfCareSchedule", healthcare_facility=args.unit, subject_of_care=args.person)
        for slot in answer.timeslotDetail or []:
            print(f"{slot.bookingId}  {slot.startTimeInclusive}  {slot.timeTypeName}"
                  f"  cancel={slot.cancel_booking_allowed} rebook={slot.rebooking_allowed}")
        return 0
    if args.action == "book":
        slot = consumer.free(args.time_type)[0]
        slot.subject_of_care = args.person
        answer = consumer.call("MakeBooking", healthcare_facility_med=args.unit, requestedTimeslot=slot,
                               subject_of_care_info={"firstName": "Tolvan", "lastName": "Tolvansson"})
        status = result("MakeBooking", answer)
        if answer.bookingId:
            print(answer.bookingId)
        return status
    if not args.booking:
        parser.error("--booking is required")
    details = consumer.call("GetBookingDetails", healthcare_facility=args.unit, bookingId=args.booking).timeslotDetail
    if args.action == "rebook":
        if not details.rebooking_allowed:
            print("rebooking is not allowed for this booking")
            return 1
        slot = consumer.free(booking=args.booking)[-1]
        slot.bookingId, slot.subject_of_care = args.booking, args.person
        print(f"from {details.startTimeInclusive} to {slot.startTimeInclusive}")
        return result("UpdateBooking", consumer.call("UpdateBooking", requestedTimeslot=slot))
    if not details.cancel_booking_allowed:
        print("cancelling is not allowed for this booking")
        return 1
    message = args.message if details.message_allowed else None
    return result("CancelBooking", consumer.call("CancelBooking", healthcare_facility=args.unit,
                                                 bookingId=args.booking, message=message))


if __name__ == "__main__":
    sys.exit(main())
