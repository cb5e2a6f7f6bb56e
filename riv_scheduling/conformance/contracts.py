"""Which contract the kit tests: riv.supportprocess.logistics.scheduling 2.0 (the default) or
riv.crm.scheduling 1.1 (``riv-scheduling conformance --contract crm-scheduling-1.1``).

The kit names interactions by name (``call = "MakeBooking"``); the two generations share two names
(GetAvailableDates, GetAvailableTimeslots), so a run uses one contract at a time, chosen here for the
duration of the run (``using``). A 1.1 request carries the Actor SOAP header (TKB crm:scheduling 1.1
§3.5): a scenario gives it as the request value ``actor``, which the client sends as the header.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from riv_scheduling.contract import CORE_NS, INTERACTIONS, Interaction
from riv_scheduling.contract.crm_scheduling import CRM_CORE_NS, CRM_INTERACTIONS

SCHEDULING_2_0 = "scheduling-2.0"
CRM_SCHEDULING_1_1 = "crm-scheduling-1.1"
CONTRACTS: dict[str, dict[str, Interaction]] = {SCHEDULING_2_0: INTERACTIONS, CRM_SCHEDULING_1_1: CRM_INTERACTIONS}
# The core (domain types) namespace of each contract.
_CORE = {SCHEDULING_2_0: CORE_NS, CRM_SCHEDULING_1_1: CRM_CORE_NS}
# SOAP header parts (besides LogicalAddress) a scenario gives among the request values.
_HEADERS: dict[str, tuple[str, ...]] = {SCHEDULING_2_0: (), CRM_SCHEDULING_1_1: ("actor",)}

_active: ContextVar[str] = ContextVar("riv_scheduling_conformance_contract", default=SCHEDULING_2_0)


def current() -> str:
    return _active.get()


def interactions() -> dict[str, Interaction]:
    return CONTRACTS[_active.get()]


def interaction(name: str) -> Interaction:
    return interactions()[name]


def core_ns() -> str:
    return _CORE[_active.get()]


def header_parts() -> tuple[str, ...]:
    return _HEADERS[_active.get()]


@contextmanager
def using(contract: str) -> Iterator[None]:
    """Run with ``contract``'s interactions (a KeyError names an unknown contract)."""
    CONTRACTS[contract]  # noqa: B018 - refuse an unknown name up front
    token = _active.set(contract)
    try:
        yield
    finally:
        _active.reset(token)


def scenarios_dir(base: Path, contract: str) -> Path:
    """The contract's scenario folder: ``contracts/`` for 2.0, ``contracts/<contract>/`` otherwise."""
    return base if contract == SCHEDULING_2_0 else base / contract
