"""The Engagemangsindex (EI) contract's facts as this domain uses them: itintegration:engagementindex
Update 1.0 (RIVTABP21), and the field values the scheduling TKB 2.0 §3.5 prescribes.

Pure data. The domain decides which index posts exist (domain/engagement_index.py); the adapter
riv_scheduling/engagement_index builds and sends the Update requests.
"""

from __future__ import annotations

# -- The interaction (UpdateInteraction_1.0_RIVTABP21.wsdl, UpdateResponder_1.0.xsd) -----------
UPDATE_RESPONDER_NS = "urn:riv:itintegration:engagementindex:UpdateResponder:1"
ENGAGEMENT_INDEX_NS = "urn:riv:itintegration:engagementindex:1"  # the record's elements (qualified)
REGISTRY_NS = "urn:riv:itintegration:registry:1"  # <LogicalAddress> in the SOAP header
UPDATE_SOAP_ACTION = "urn:riv:itintegration:engagementindex:UpdateResponder:1:Update"
UPDATE_WSDL_NS = "urn:riv:itintegration:engagementindex:Update:1:rivtabp21"

# UpdateResponse/ResultCode (note the capital R in the element name).
RESULT_OK = "OK"
RESULT_INFO = "INFO"
RESULT_ERROR = "ERROR"

# EI-TKB kR3: "För den nationella instansen är max antal poster satt till 1000."
MAX_TRANSACTIONS_PER_UPDATE = 1000

# The national EI's logical address (Inera's organisation number). Scheduling TKB 2.0 §3.4
# "Ineras HSA-id: 5565594230"; confirm it per environment in TAK.
NATIONAL_EI_LOGICAL_ADDRESS = "5565594230"

# -- Field values for supportprocess:logistics:scheduling (TKB 2.0 §3.5.1, §3.5.5) ----------------
# §3.5.1: "Värdet ska vara ”riv:supportprocess:logistics:scheduling”" (the §3.5.10 XML examples'
# riv:crm:scheduling is a version 1 leftover; the tables rule).
SERVICE_DOMAIN = "riv:supportprocess:logistics:scheduling"
# §3.5.1: "Värdet ska vara ”NA”. - Ändring fr.o.m. version 1.1.2."
CATEGORIZATION = "NA"
# §3.5.5: "Värdet ska vara "NA”."
CLINICAL_PROCESS_INTEREST_ID = "NA"

# TS, Swedish local time without zone (EI-TKB "Tidszon för tidpunkter"): YYYYMMDDhhmmss.
TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"

# skltp/ei's length limits (EI004): a longer value is refused by the national EI.
FIELD_MAX_LENGTH = {
    "registeredResidentIdentification": 32,
    "logicalAddress": 64,
    "businessObjectInstanceIdentifier": 128,
    "sourceSystem": 64,
    "dataController": 64,
}
