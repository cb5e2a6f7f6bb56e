"""The contract's own facts, shared by every adapter, the store, the clinic tools and the conformance kit.

Namespaces, the interaction table, OIDs and code systems, result codes, personal identity numbers
and where the schemas are. Pure data and pure functions: this package imports nothing else of
riv_scheduling, so anything may import it (the layer rule is in pyproject.toml, [tool.importlinter]).
"""

from .identifiers import (
    CITIZEN_ACTOR_CODE,
    HSA_ID_OID,
    PERSON_ID_ROOTS,
    PERSONNUMMER_OID,
    SAMORDNINGSNUMMER_OID,
    SNOMED_CT_OID,
    TIME_ZONE,
)
from .interactions import INTERACTIONS, Interaction
from .namespaces import (
    CORE_NS,
    LOGICAL_ADDRESS_NS,
    SCHEDULING_DOMAIN,
    SOAP11_NS,
    SOAP12_NS,
    WSDL_NS,
    WSDL_SOAP_NS,
    XSD_NS,
)
from .result_codes import SPECIFIC_CODES, WITHOUT_RESULT_CODE, ResultCode, allowed_result_codes
from .schemas import RESOURCES, SCHEMA_DIR, module_name

__all__ = [
    "CITIZEN_ACTOR_CODE",
    "CORE_NS",
    "HSA_ID_OID",
    "INTERACTIONS",
    "LOGICAL_ADDRESS_NS",
    "PERSONNUMMER_OID",
    "PERSON_ID_ROOTS",
    "RESOURCES",
    "SAMORDNINGSNUMMER_OID",
    "SCHEDULING_DOMAIN",
    "SCHEMA_DIR",
    "SNOMED_CT_OID",
    "SOAP11_NS",
    "SOAP12_NS",
    "SPECIFIC_CODES",
    "TIME_ZONE",
    "WITHOUT_RESULT_CODE",
    "WSDL_NS",
    "WSDL_SOAP_NS",
    "XSD_NS",
    "Interaction",
    "ResultCode",
    "allowed_result_codes",
    "module_name",
]
