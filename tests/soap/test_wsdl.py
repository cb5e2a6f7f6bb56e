"""The served WSDL is the contract's own, pointing at the endpoint actually called."""

from __future__ import annotations

import pytest
import zeep
from lxml import etree
from soapwire import Wire

from riv_scheduling.contract import INTERACTIONS
from riv_scheduling.soap.handlers import HANDLERS

WSDL = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
XS = "http://www.w3.org/2001/XMLSchema"


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_wsdl_has_the_endpoint_address_and_reachable_imports(wire: Wire, name: str) -> None:
    interaction = INTERACTIONS[name]
    status, data = wire.get(f"{interaction.path}?wsdl")
    assert status == 200
    doc = etree.fromstring(data)
    addresses = [a.get("location") for a in doc.iter(f"{{{WSDL_SOAP}}}address")]
    assert addresses == [wire.base_url + interaction.path]
    operation = doc.find(f"{{{WSDL}}}binding/{{{WSDL}}}operation/{{{WSDL_SOAP}}}operation")
    assert operation.get("soapAction") == interaction.soap_action
    imports = [i.get("schemaLocation") for i in doc.iter(f"{{{XS}}}import")]
    assert len(imports) >= 3
    for location in imports:
        assert location.startswith(wire.base_url)
        status, xsd = wire.get(location[len(wire.base_url):])
        assert status == 200 and etree.fromstring(xsd).tag == f"{{{XS}}}schema"


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_zeep_builds_the_riv_operation_from_the_served_wsdl(wire: Wire, name: str) -> None:
    interaction = INTERACTIONS[name]
    client = zeep.Client(f"{wire.base_url}{interaction.path}?wsdl")
    service = client.wsdl.services[f"{name}ResponderService"]
    port = service.ports[f"{name}ResponderPort"]
    operation = port.binding._operations[name]
    assert operation.soapaction == interaction.soap_action
    assert port.binding_options["address"] == wire.base_url + interaction.path
    header_elements = [name for name, _ in operation.input.header.type.elements]
    assert header_elements == ["LogicalAddress"]


def test_all_twelve_interactions_have_an_endpoint_and_a_wsdl(wire: Wire) -> None:
    assert set(HANDLERS) == set(INTERACTIONS)
    for interaction in INTERACTIONS.values():
        assert wire.get(interaction.path + "?wsdl")[0] == 200
    assert wire.get("/ConfirmAppointment/1/rivtabp21?wsdl")[0] == 200  # version 1 of the contract
