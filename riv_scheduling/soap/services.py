"""Thin Spyne services: one Spyne application per interaction, bound to the generated types.

Spyne is the runtime only: envelopes arrive parsed and validated against ``schemas/``
(see ``riv_scheduling.soap.app``), and its WSDL generation is not used.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import spyne.const
from spyne import Application, ServiceBase, rpc
from spyne.model.fault import Fault
from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication

from riv_scheduling.access import CONSUMER_HSA_ID_KEY
from riv_scheduling.bindings import itintegration_registry_1_0 as registry
from riv_scheduling.contract import Interaction
from riv_scheduling.domain import DomainError, Scheduling, UnknownHealthcareFacility
from riv_scheduling.soap import render
from riv_scheduling.soap.codec import FastSoap11
from riv_scheduling.soap.envelope import shorten
from riv_scheduling.soap.handlers import Call
from riv_scheduling.soap.interactions import element
from riv_scheduling.soap.mapping import RequestError, to_actor

# Spyne runs gc.collect() when a request context closes (at most once a second), which
# costs tens of milliseconds in the request path. Python's own collector is enough.
spyne.const.MIN_GC_INTERVAL = float("inf")
# Spyne logs every client fault at ERROR, with its whole text (a client's input, unbounded): the
# producer logs its faults itself (soap/app.py), bounded.
logging.getLogger("spyne.application.client").setLevel(logging.CRITICAL)

ENVELOPE_KEY = "riv.envelope"
LOGICAL_ADDRESS_KEY = "riv.logical_address"

log = logging.getLogger("riv_scheduling.soap")


class PreparsedSoap11(Soap11):
    """Soap11 that takes the envelope already parsed and validated by the dispatcher."""

    def create_in_document(self, ctx: Any, charset: str | None = None) -> None:
        ctx.in_document = (ctx.transport.req_env[ENVELOPE_KEY], {})


def _has_result_code(interaction: Interaction) -> bool:
    response = element(interaction, f"{interaction.name}Response")
    return "resultCode" in response._type_info


def _result_only(interaction: Interaction) -> bool:
    """Whether resultCode and resultText alone make a complete response (GetHealthcareFacility's
    also needs its unit: there the binding stays, and the schema check withholds it as before)."""
    response = element(interaction, f"{interaction.name}Response")
    return all(t.Attributes.min_occurs == 0 for name, t in response._type_info.items() if name != "resultCode")


def build_application(
    interaction: Interaction,
    handler: Callable[[Call, Any], Any],
    scheduling: Scheduling,
) -> WsgiApplication:
    """The Spyne WSGI application that serves one 2.0 interaction."""
    with_result_code = _has_result_code(interaction)
    response_cls = element(interaction, f"{interaction.name}Response")
    rendered_result = _result_only(interaction)

    def invoke(env: dict[str, Any], request: Any) -> Any:
        call = Call(scheduling, env[LOGICAL_ADDRESS_KEY], env.get(CONSUMER_HSA_ID_KEY))
        try:
            if getattr(request, "actor", None) is not None:
                to_actor(request.actor)  # every interaction's actor, used or not, must fit its type
            return handler(call, request)
        except DomainError as exc:
            if with_result_code and rendered_result:
                return render.response(interaction.name, resultCode=exc.code.value, resultText=exc.text)
            if with_result_code:
                return response_cls(resultCode=exc.code.value, resultText=exc.text)
            raise Fault("Client", exc.text) from None

    return spyne_application(interaction, invoke)


def unknown_unit_fault(exc: UnknownHealthcareFacility) -> Fault:
    return Fault(
        "Client",
        f"LogicalAddress '{shorten(exc.logical_address, 64)}' is not a care unit served by this "
        "producer (the HSA-id is compared case-insensitively)",
    )


def spyne_application(interaction: Interaction, invoke: Callable[[dict[str, Any], Any], Any]) -> WsgiApplication:
    """A Spyne WSGI application for one interaction of any contract: ``invoke(environ, request)``
    answers the request binding with a response binding. An unknown unit and an unusable value
    become Client Faults, anything unexpected a Server Fault with a reference for the logs."""
    request_cls = element(interaction, interaction.name)
    response_cls = element(interaction, f"{interaction.name}Response")

    def operation(ctx: Any, request: Any) -> Any:
        try:
            return invoke(ctx.transport.req_env, request)
        except UnknownHealthcareFacility as exc:
            raise unknown_unit_fault(exc) from None
        except RequestError as exc:
            raise Fault("Client", str(exc)) from None
        except Fault:
            raise
        except Exception:
            reference = uuid.uuid4()
            log.exception("technical error in %s (reference %s)", interaction.name, reference)
            raise Fault(
                "Server", f"Technical error in the producer (reference {reference})"
            ) from None

    operation.__name__ = interaction.name
    method = rpc(
        request_cls,
        _body_style="bare",
        _in_message_name=interaction.request_tag,
        _out_message_name=interaction.response_tag,
        _in_header=(registry.LogicalAddress,),
        _returns=response_cls,
    )(operation)
    service = type(f"{interaction.name}Service", (ServiceBase,), {interaction.name: method})
    app = Application(
        [service],
        tns=interaction.wsdl_ns,
        name=f"{interaction.name}ResponderService",
        in_protocol=PreparsedSoap11(validator=None),
        out_protocol=FastSoap11(),  # Spyne's Soap11 with a precompiled response writer
    )
    # Spyne dispatches on {app tns}name; RIV bodies are in the Responder namespace.
    methods = app.interface.service_method_map
    for key in list(methods):
        methods.setdefault(interaction.request_tag, methods[key])
    return WsgiApplication(app)
