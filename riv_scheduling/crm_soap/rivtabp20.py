"""riv.crm.scheduling 1.0 consumers (RIVTABP20): ``/<Interaction>/1/rivtabp20``.

Real adapters still send 1.0 (CONTRACTS.md of the contract package; TKB crm:scheduling 1.1.5
§2.1.3 lists what 1.1 changed). A 1.0 request differs from 1.1 in three ways, and this module is
only those differences; everything else is the 1.1 handler of the same interaction (handlers.py),
over the same use cases:

- the logical address (the unit's HSA-id) is the WS-Addressing ``To`` header
  (``{http://www.w3.org/2005/08/addressing}To``, RIV-TA Basic Profile 2.0), not ``LogicalAddress``;
- there is no Actor header: the consumer system acts for the citizen its request names
  (actor.rivtabp20_actor); a request naming only a booking acts for that booking's citizen;
- the 1.0 shapes (no ``subject_of_care`` in the queries, no names in ``subject_of_care_info``,
  a TimeslotType that ends in an extension point instead of ``isInvitation``). The request binding
  is recast into the 1.1 one (fields 1.0 lacks are absent) and the 1.1 answer into the 1.0 one
  (``isInvitation`` is left out; an open invitation, which has no time, cannot be shown in 1.0: a
  Client Fault says so). Both are validated against our 1.0 schemas (schemas/crm-scheduling-1.0).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree
from spyne.model.complex import ComplexModelBase
from spyne.model.fault import Fault

from riv_scheduling.access import CONSUMER_HSA_ID_KEY
from riv_scheduling.contract.crm_scheduling import CRM_1_0_INTERACTIONS, CRM_INTERACTIONS, WSA_NS, WSA_TO_TAG
from riv_scheduling.domain import Scheduling
from riv_scheduling.soap.app import Endpoint
from riv_scheduling.soap.envelope import SOAP11_NS, EnvelopeError
from riv_scheduling.soap.interactions import element

from .actor import CrmActor, rivtabp20_actor
from .handlers import HANDLERS, CrmCall
from .services import build_application
from .tolerance import tolerate

EXTENSION = "any_"  # the generated name of an xs:any particle
# A 1.0 timeslot always has a start and an end (1.1 made them optional for open invitations).
OPEN_INVITATION = ("This booking is an open invitation without a time yet, which riv.crm.scheduling 1.0 "
                   "cannot show: use the 1.1 endpoint (rivtabp21)")


def addressed_to(root: etree._Element) -> str:
    """The logical address of a RIVTABP20 request: its one WS-Addressing To header."""
    header = root.find(f"{{{SOAP11_NS}}}Header")
    found = [] if header is None else header.findall(WSA_TO_TAG)
    if len(found) > 1:
        raise EnvelopeError("More than one WS-Addressing To header")
    address = (found[0].text or "").strip() if found else ""
    if not address:
        raise EnvelopeError(
            "The WS-Addressing To header ({http://www.w3.org/2005/08/addressing}To) is required in "
            "RIVTABP20: the HSA-id of the care unit"
        )
    return address


def recast(value: Any, target: Any) -> Any:
    """``value`` (a binding of one generation) as the binding class ``target`` of the other: the
    fields both have, recursively; a field only ``target`` has stays absent; extension points
    (xs:any) are not carried over."""
    if value is None or not (isinstance(target, type) and issubclass(target, ComplexModelBase)):
        return value
    if isinstance(value, list | tuple):
        return [recast(item, target) for item in value]
    target = getattr(target, "__orig__", None) or target  # a field's customized class: its original
    out = target()
    fields: dict[str, Any] = getattr(target, "_type_info")  # noqa: B009 (Spyne class attribute)
    for name, field_type in fields.items():
        if name != EXTENSION:
            setattr(out, name, recast(getattr(value, name, None), field_type))
    return out


def _actor(env: dict[str, Any]) -> CrmActor:
    return rivtabp20_actor(env.get(CONSUMER_HSA_ID_KEY))


def _as_1_0(name: str) -> Callable[[CrmCall, Any], Any]:
    """The 1.1 handler of ``name`` behind 1.0 bindings."""
    request_1_1 = element(CRM_INTERACTIONS[name], name)
    response_1_0 = element(CRM_1_0_INTERACTIONS[name], f"{name}Response")
    handler = HANDLERS[name]

    def handle(call: CrmCall, request: Any) -> Any:
        answer = handler(call, recast(request, request_1_1))
        details = getattr(answer, "timeslotDetail", None)
        for detail in details if isinstance(details, list) else [details]:
            if detail is not None and detail.startTimeInclusive is None:
                raise Fault("Client", OPEN_INVITATION)
        return recast(answer, response_1_0)

    handle.__name__ = f"{name}_rivtabp20"
    return handle


def endpoints(scheduling: Scheduling) -> list[Endpoint]:
    """The eight ``/<Interaction>/1/rivtabp20`` endpoints."""
    return [
        Endpoint(interaction, build_application(interaction, _as_1_0(name), scheduling, actor=_actor),
                 tolerate, addressed_to, headers=frozenset({WSA_TO_TAG, f"{{{WSA_NS}}}Action"}))
        for name, interaction in CRM_1_0_INTERACTIONS.items()
    ]
