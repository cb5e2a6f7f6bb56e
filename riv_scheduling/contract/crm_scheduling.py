"""riv.crm.scheduling 1.1 ("Tidbokning" 1.x, TD_SCHEDULING_1_1_1_R): the facts of the earlier contract
generation that 1177 and the regions' booking systems use, served beside 2.0 from the same booking book.

TKB crm:scheduling 1.1.5 §2 (namespaces, RIVTABP21), §3.5 (Actor), §3.8 (ResultCodeEnum) and §4
(the eleven interactions). Responder namespaces stay at major version 1 in 1.0 and 1.1, so the
SOAPAction and the body element names are the same in both (only the WS profile differs).
"""

from __future__ import annotations

import enum

from .interactions import Interaction
from .schemas import CRM_SCHEDULING_1_0, CRM_SCHEDULING_1_1

CRM_DOMAIN = "urn:riv:crm:scheduling"
CRM_CORE_NS = f"{CRM_DOMAIN}:1"
# 1.1 additions to 1.0 types: the names in SubjectOfCareType, isInvitation in TimeslotType.
CRM_EXT_NS = f"{CRM_DOMAIN}:1.1"
# The Actor request header (interoperability:headers 1.0, TKB §3.5).
HEADERS_NS = "urn:riv:interoperability:headers:1"
ACTOR_TAG = f"{{{HEADERS_NS}}}Actor"
# National aggregation of GetSubjectOfCareSchedule addresses Inera, not a unit (TKB §3.3).
INERA_AGGREGATOR = "5565594230"


class CrmResultCode(enum.StrEnum):
    """`core:ResultCodeEnum` of 1.1 (TKB §3.8): only MakeBooking, UpdateBooking and CancelBooking
    answer with one; ERROR = not done for a logical reason, INFO = done, but show resultText."""

    OK = "OK"
    ERROR = "ERROR"
    INFO = "INFO"


class ActorType(enum.StrEnum):
    """`ih:ActorTypeEnum` (TKB §3.5)."""

    SUBJECT_OF_CARE = "subject_of_care"  # the citizen; actorId is the personnummer
    SUBJECT_OF_CARE_AGENT = "subject_of_care_agent"  # staff acting for the citizen; actorId is an HSA-id


def crm_interaction(name: str) -> Interaction:
    return Interaction(name, 1, 1, domain=CRM_DOMAIN, package=CRM_SCHEDULING_1_1)


CRM_INTERACTIONS: dict[str, Interaction] = {
    name: crm_interaction(name)
    for name in (
        "CancelBooking",
        "GetAllCareTypes",
        "GetAllHealthcareFacilities",
        "GetAllPerformers",
        "GetAllTimeTypes",
        "GetAvailableDates",
        "GetAvailableTimeslots",
        "GetBookingDetails",
        "GetSubjectOfCareSchedule",
        "MakeBooking",
        "UpdateBooking",
    )
}

# riv.crm.scheduling 1.0 (RIVTABP20, release 1.0.4) for the consumers that still send it: the logical
# address in the WS-Addressing To header, no Actor, the 1.0 request shapes. Same responder
# namespaces and SOAPActions as 1.1 (TKB 1.1.5 §2.1.3); the endpoints are /<Interaction>/1/rivtabp20.
# GetCancelledAndRebooked (1.0 only, withdrawn in 1.1) is not served: it is a feed of the changes the
# clinic made, which this producer does not keep (docs/crm-scheduling-1.1.md, "1.0 consumers").
WSA_NS = "http://www.w3.org/2005/08/addressing"
WSA_TO_TAG = f"{{{WSA_NS}}}To"


def crm_1_0_interaction(name: str) -> Interaction:
    return Interaction(name, 1, 0, domain=CRM_DOMAIN, package=CRM_SCHEDULING_1_0, profile="rivtabp20")


CRM_1_0_INTERACTIONS: dict[str, Interaction] = {
    name: crm_1_0_interaction(name)
    for name in (
        "CancelBooking",
        "GetAllTimeTypes",
        "GetAvailableDates",
        "GetAvailableTimeslots",
        "GetBookingDetails",
        "GetSubjectOfCareSchedule",
        "MakeBooking",
        "UpdateBooking",
    )
}

# The changing interactions: the only ones whose responses carry a resultCode (TKB §4.3.1).
WITH_RESULT_CODE = frozenset({"MakeBooking", "UpdateBooking", "CancelBooking"})
