"""What the contract says, as data the kit checks against (TKB 2.0 §2.1.2, §3.1, §3.7, §7).

Every automatic check cites its rule from here; scenario files cite their own.
"""

from __future__ import annotations

from riv_scheduling.conformance import contracts
from riv_scheduling.contract import (  # noqa: F401  (the kit's modules read these through rules)
    CORE_NS,
    INTERACTIONS,
    LOGICAL_ADDRESS_NS,
    SCHEDULING_DOMAIN,
    SOAP11_NS,
    SOAP12_NS,
    SPECIFIC_CODES,
    WITHOUT_RESULT_CODE,
    WSDL_NS,
    WSDL_SOAP_NS,
    Interaction,
    allowed_result_codes,
)

CONTRACT_PREFIX = f"{SCHEDULING_DOMAIN}:"

# TKB 2.0 chapter 7 (the contracts; TKB chapter 6 in the .docx, same order) per interaction:
# (TKB contract section, TKB "Fältregler enligt schema (XSD)" subsection).
SECTIONS: dict[str, tuple[str, str]] = {
    "CancelAppointment": ("7.1", "7.1.6"),
    "ConfirmAppointment": ("7.2", "7.2.6"),
    "GetAppointment": ("7.3", "7.3.6"),
    "GetAppointments": ("7.4", "7.4.6"),
    "GetTimeTypes": ("7.5", "7.5.6"),
    "GetAvailableDates": ("7.6", "7.6.5"),
    "GetAvailableTimeslots": ("7.7", "7.7.5"),
    "GetHealthcareFacilities": ("7.8", "7.8.5"),
    "GetHealthcareFacility": ("7.9", "7.9.5"),
    "GetPractitioners": ("7.10", "7.10.5"),
    "MakeAppointment": ("7.11", "7.11.6"),
    "UpdateAppointment": ("7.12", "7.12.6"),
}

# The kit's test citizens: Skatteverket's test personnummer 19121212-1212 (Tolvan Tolvansson) and
# 19811218-9876, the example number Skatteverket uses for personnummer (both with valid check digits).
DEFAULT_PERSON = "191212121212"
DEFAULT_PERSON2 = "198112189876"

# Every producer must serve these (TKB 2.0 §3.1).
MANDATORY = ("GetAppointment", "GetAppointments")

# Version 1 (riv.crm.scheduling) names and their 2.0 successors (TKB 2.0 §2.1.2).
V1_DOMAIN = "urn:riv:crm:scheduling"
V1_TO_V2 = {
    "CancelBooking": "CancelAppointment",
    "GetAllCareTypes": None,
    "GetAllHealthcareFacilities": "GetHealthcareFacilities",
    "GetAllPerformers": "GetPractitioners",
    "GetAllTimeTypes": "GetTimeTypes",
    "GetAvailableDates": "GetAvailableDates",
    "GetAvailableTimeslots": "GetAvailableTimeslots",
    "GetBookingDetails": "GetAppointment",
    "GetSubjectOfCareSchedule": "GetAppointments",
    "MakeBooking": "MakeAppointment",
    "UpdateBooking": "UpdateAppointment",
    "GetCancelledAndRebooked": None,
}


def interaction(name: str) -> Interaction:
    return INTERACTIONS[name]


def ref(name: str) -> str:
    """'TKB 2.0 §7.7' for an interaction."""
    tkb, _ = SECTIONS[name]
    return f"TKB 2.0 §{tkb}"


def schema_rule(name: str) -> str:
    if contracts.current() == contracts.CRM_SCHEDULING_1_1:
        c = contracts.interaction(name)
        return (f"TKB crm:scheduling 1.1 §4, {c.wsdl.name}: a normal response is HTTP 200 with one "
                f"{name}Response element, valid against {c.xsd.name}")
    i = INTERACTIONS[name]
    _, table = SECTIONS[name]
    return (f"TKB 2.0 §{table}, {i.wsdl.name}: a normal response is HTTP 200 with one "
            f"{name}Response element, valid against {i.xsd.name}")


def namespace_rule(name: str) -> str:
    i = INTERACTIONS[name]
    return (f"{i.xsd.name} (elementFormDefault qualified): {name}Response and its direct "
            f"children in {i.responder_ns}, children of domain types in {CORE_NS}, SOAP 1.1 envelope")


def result_code_rule(name: str) -> str:
    codes = allowed_result_codes(name) or ()
    tkb = "§3.7" if name in SPECIFIC_CODES else f"§3.7, §{SECTIONS[name][0]}.4 (OK, INFO, ERROR only)"
    return f"TKB 2.0 {tkb}: resultCode present and one of {', '.join(codes)}"


def wsdl_rule(name: str) -> str:
    return (f"TKB 2.0 §{SECTIONS[name][0]}, {INTERACTIONS[name].wsdl.name}: {name} is served at "
            f"<base>{INTERACTIONS[name].path} and its ?wsdl is the contract's (target namespace, operation, "
            "SOAPAction, LogicalAddress soap:header)")


def wsdl_address_rule(name: str) -> str:
    return (f"TKB 2.0 §{SECTIONS[name][0]}, {INTERACTIONS[name].wsdl.name} (WSDL 1.1 §3.8 soap:address): the "
            "served WSDL's soap:address is the endpoint that was called, so a consumer built from it calls "
            "the producer")


def mandatory_rule(name: str) -> str:
    return f"TKB 2.0 §3.1: every producer must serve {name}"


def is_contract_namespace(ns: str | None) -> bool:
    return ns is not None and (ns == CORE_NS or ns.startswith(CONTRACT_PREFIX))
