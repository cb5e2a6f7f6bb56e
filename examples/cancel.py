"""Cancel an appointment.

    python examples/cancel.py --appointment ID [--url URL] [--unit HSA-ID] [--person PNR]
"""

from __future__ import annotations

import sys

from riv_client import Producer, arguments


def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--appointment", required=True, help="appointment id to cancel")
    parser.add_argument("--reason", default=None, help="free-text reason")
    args = parser.parse_args()
    producer = Producer(args.url, args.unit, args.person)

    result = producer.call(
        "CancelAppointment",
        actor=producer.actor,
        appointmentId=args.appointment,
        personId=producer.person,
        reasonText=args.reason,
    )
    print(f"CancelAppointment: {result.resultCode}"
          + (f": {result.resultText}" if result.resultText else ""))
    return 0 if result.resultCode == "OK" else 1


if __name__ == "__main__":
    sys.exit(main())
