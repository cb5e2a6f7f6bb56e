"""What real riv.crm.scheduling 1.x traffic sends that the schema refuses, made acceptable where that
is safe (TKB crm:scheduling 1.1 §3.7 and the traffic seen from 1177, the national platform and the
TakeCare adapter). Applied to the request body before schema validation:

- whitespace around values is trimmed (``<healthcare_facility>SE... \\n</healthcare_facility>``);
- an empty element (``<performer/>``, ``<bookingId></bookingId>``) counts as absent, as TKB §3.7 says
  consumers should read it: it is removed; a mandatory one is then reported missing;
- a 12-digit timestamp ``YYYYMMDDhhmm`` in startTimeInclusive / endTimeExclusive gets ``00`` seconds.

Not tolerated (the schema answers with a Client Fault): anything that changes meaning, e.g. a
14-digit value where a date is expected, a missing mandatory element, an element the interaction
does not have (UpdateBooking's healthcare_facility_med), 1.0 requests without subject_of_care.
"""

from __future__ import annotations

import re

from lxml import etree

from riv_scheduling.contract.crm_scheduling import CRM_CORE_NS

_TIMES = {f"{{{CRM_CORE_NS}}}startTimeInclusive", f"{{{CRM_CORE_NS}}}endTimeExclusive"}
_MINUTES = re.compile(r"[0-9]{12}")


def tolerate(body: etree._Element) -> None:
    for el in list(body.iter()):
        if el is body or not isinstance(el.tag, str) or len(el):
            continue
        value = (el.text or "").strip()
        if not value and not el.attrib:
            parent = el.getparent()
            if parent is not None:
                parent.remove(el)
            continue
        if el.tag in _TIMES and _MINUTES.fullmatch(value):
            value += "00"
        el.text = value
