"""The kit's power, proven on every change: run it against our producer with one defect switched on
at a time (``defects.py``); every defect must be detected (mutation score 100 %), by a check that
covers it.

Each case runs only the scenarios that meet the defect (the defect is on the wire of those
interactions); ``caught_by`` names the checks of which at least one must fail. A defect that makes
no check fail, or only unrelated ones, fails its case, named by the parametrize id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import defects
import pytest
from kit_helpers import PERSON, PERSON2, UNIT, explain_failures, failing, run_kit

# Four citizens race for one slot in the concurrent booking (Luhn-valid test numbers).
RACERS = (PERSON, PERSON2, "191212120016", "191212120024")


@dataclass(frozen=True)
class Defect:
    name: str
    make: Callable[[], Any]
    scenarios: tuple[str, ...]
    caught_by: frozenset[str]  # at least one of these checks must fail (or be blocked)


def d(name: str, make: Callable[[], Any], scenarios: str, *caught_by: str) -> Defect:
    return Defect(name, make, tuple(scenarios.split()), frozenset(caught_by))


DEFECTS = [
    # What the kit caught before issue #12.
    d("past-slot-yesterday", defects.past_slot_returned, "queries", "queries/timeslots/no-past-slot"),
    d("double-booking-allowed", defects.double_booking_allowed, "new-booking",
      "new-booking/double-booking/already-reserved"),
    d("wrong-namespace", defects.wrong_namespace, "new-booking", "new-booking/get/namespaces"),
    d("wrong-result-code", defects.wrong_result_code, "cancellation", "cancellation/cancel-unknown/does-not-exist"),
    d("invalid-response", defects.missing_required_element, "new-booking", "new-booking/get/schema-valid"),
    d("faults-with-http-200", defects.faults_with_http_200, "soap-faults", "soap-faults/malformed-xml/fault"),
    d("reused-id-not-moved", defects.ReusedIdNotMoved, "rebooking", "rebooking/get-new/shows-booking"),
    d("cancel-frees-nothing", defects.CancelFreesNothing, "cancellation",
      "cancellation/search-after/slot-offered-again"),
    d("no-release-on-rebooking", defects.NoReleaseOnRebooking, "rebooking",
      "rebooking/search-after-update/original-slot-free-again"),
    d("appointment-leaked", defects.AppointmentLeaked, "new-booking", "new-booking/get-other-person/not-revealed"),
    d("missing-logical-address-accepted", lambda: defects.MissingLogicalAddressAccepted(UNIT), "soap-faults",
      "soap-faults/no-logical-address/fault"),
    # What issue #12 found missed.
    d("lost-lock", defects.LostLock, "concurrent-booking", "concurrent-booking/race/exactly-one-booked"),
    d("letter-case", lambda: defects.LetterCase(UNIT), "queries new-booking",
      "queries/timeslots-other-case/schema-valid", "new-booking/list-other-case/schema-valid"),
    d("dtd-accepted", defects.DtdAccepted, "soap-faults", "soap-faults/doctype/fault"),
    d("server-fault-for-client-error", defects.ServerFaultForClientError, "soap-faults",
      "soap-faults/schema-invalid/client-fault", "soap-faults/no-logical-address/client-fault"),
    d("wrong-wsdl-address", defects.WrongWsdlAddress, "service-discovery",
      "service-discovery/get-appointments/wsdl-address"),
    d("repeated-cancel-ok", lambda: defects.RepeatedCancelOk(release=False), "cancellation",
      "cancellation/cancel-again/already-cancelled"),
    d("double-release-on-repeated-cancel", lambda: defects.RepeatedCancelOk(release=True), "cancellation",
      "cancellation/search-after-cancel-again/picture-unchanged",
      "cancellation/book-after-cancel-again/still-reserved"),
    d("reused-id-related-to-itself", defects.ReusedIdRelatedToItself, "rebooking",
      "rebooking/get-new/not-related-to-itself"),
    d("past-slot-earlier-today", defects.PastSlotEarlierToday, "queries",
      "queries/timeslots-yesterday-today/no-past-slot"),
    d("past-date-yesterday", lambda: defects.PastSlotEarlierToday(slots=False, dates=True), "queries",
      "queries/dates-yesterday-today/no-past-date"),
    d("must-understand-ignored", defects.MustUnderstandIgnored, "soap-faults", "soap-faults/must-understand/fault"),
    d("dies-on-malformed-xml", defects.DiesOnMalformedXml, "soap-faults queries",
      "soap-faults/malformed-xml/fault", "soap-faults/still-serving-after-malformed/served"),
]


def test_the_defects_are_distinct_and_enough() -> None:
    names = [x.name for x in DEFECTS]
    assert len(names) == len(set(names)) >= 23


@pytest.mark.parametrize("defect", DEFECTS, ids=[x.name for x in DEFECTS])
def test_the_kit_detects(producer, defect: Defect) -> None:  # noqa: ANN001 - the fixture
    running = producer(defect.make())
    result = run_kit(running, only=list(defect.scenarios), concurrent_persons=RACERS)
    caught = failing(result) & defect.caught_by
    assert caught, (f"defect {defect.name!r} went UNDETECTED by {sorted(defect.caught_by)}; "
                    f"failing: {sorted(failing(result))}\n{explain_failures(result)}")
