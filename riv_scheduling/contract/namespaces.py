"""XML namespaces of the contract and of the standards it rides on (RIV-TA Basic Profile 2.1)."""

from __future__ import annotations

# riv.supportprocess.logistics.scheduling 2.0 (TKB 2.0 §6: namespace per schema).
SCHEDULING_DOMAIN = "urn:riv:supportprocess:logistics:scheduling"
CORE_NS = f"{SCHEDULING_DOMAIN}:2"
# The LogicalAddress SOAP header (itintegration registry 1.0, RIV-TA BP 2.1 §6.3).
LOGICAL_ADDRESS_NS = "urn:riv:itintegration:registry:1"

SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
