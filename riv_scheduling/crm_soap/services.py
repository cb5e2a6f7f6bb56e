"""One Spyne application per riv.crm.scheduling 1.1 interaction, on soap/'s dispatch machinery.

Every refusal of the domain becomes ``resultCode=ERROR`` with the domain's Swedish text, which a
citizen can act on (TKB crm:scheduling 1.1 §3.8: OK, INFO and ERROR only; 1177 shows the text as it
is), in the three changing interactions; the queries have no resultCode, so there it is a Client
Fault with that text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spyne.model.fault import Fault
from spyne.server.wsgi import WsgiApplication

from riv_scheduling.access import CONSUMER_HSA_ID_KEY
from riv_scheduling.contract import Interaction
from riv_scheduling.contract.crm_scheduling import WITH_RESULT_CODE, CrmResultCode
from riv_scheduling.domain import DomainError, Scheduling
from riv_scheduling.soap.interactions import element
from riv_scheduling.soap.services import ENVELOPE_KEY, LOGICAL_ADDRESS_KEY, spyne_application

from .actor import CrmActor, actor_of
from .handlers import CrmCall


def actor_header(env: dict[str, Any]) -> CrmActor:
    """1.1 (RIVTABP21): the Actor SOAP header."""
    return actor_of(env[ENVELOPE_KEY])


def build_application(
    interaction: Interaction,
    handler: Callable[[CrmCall, Any], Any],
    scheduling: Scheduling,
    actor: Callable[[dict[str, Any]], CrmActor] = actor_header,
) -> WsgiApplication:
    """``actor`` says who acts, from the WSGI environment (the envelope, the consumer)."""
    response_cls = element(interaction, f"{interaction.name}Response")
    with_result_code = interaction.name in WITH_RESULT_CODE

    def invoke(env: dict[str, Any], request: Any) -> Any:
        call = CrmCall(scheduling, env[LOGICAL_ADDRESS_KEY], actor(env), env.get(CONSUMER_HSA_ID_KEY))
        try:
            return handler(call, request)
        except DomainError as exc:
            if with_result_code:
                return response_cls(resultCode=CrmResultCode.ERROR.value, resultText=exc.text)
            raise Fault("Client", exc.text) from None

    return spyne_application(interaction, invoke)
