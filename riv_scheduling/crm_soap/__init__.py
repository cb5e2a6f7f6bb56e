"""The riv.crm.scheduling 1.1 adapter: MakeBooking, UpdateBooking, CancelBooking and the rest,
served beside the 2.0 adapter (riv_scheduling.soap) over the SAME domain use cases and store.

It reuses soap/'s envelope parsing, validation, WSDL serving and Spyne dispatch (riv_scheduling.soap.app
takes its endpoints from the composition root); what is its own is the 1.1 vocabulary: the Actor
header (actor.py), the tolerance of real traffic (tolerance.py), the wire <-> domain mapping
(mapping.py) and one handler per interaction (handlers.py); rivtabp20.py serves 1.0 consumers
through the same handlers. docs/crm-scheduling-1.1.md says how
slots, bookings and result codes of 1.1 map to the domain.
"""

from __future__ import annotations

from riv_scheduling.contract.crm_scheduling import ACTOR_TAG, CRM_INTERACTIONS
from riv_scheduling.domain import Scheduling
from riv_scheduling.soap.app import Endpoint

from . import rivtabp20
from .handlers import HANDLERS
from .services import build_application
from .tolerance import tolerate


def endpoints(scheduling: Scheduling) -> list[Endpoint]:
    """The eleven ``/<Interaction>/1/rivtabp21`` endpoints and, for 1.0 consumers, the eight
    ``/<Interaction>/1/rivtabp20`` ones (pass as ``Producer(adapters=[endpoints])``)."""
    return [
        Endpoint(CRM_INTERACTIONS[name], build_application(CRM_INTERACTIONS[name], handler, scheduling), tolerate,
                 headers=frozenset({ACTOR_TAG}))
        for name, handler in HANDLERS.items()
    ] + rivtabp20.endpoints(scheduling)
