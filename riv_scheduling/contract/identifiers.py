"""Code systems, OIDs and the time zone of the contract's values (TKB 2.0 §5 and the core schema)."""

from __future__ import annotations

# core:PersonIdType roots: personnummer and samordningsnummer (Skatteverket).
PERSONNUMMER_OID = "1.2.752.129.2.1.3.1"
SAMORDNINGSNUMMER_OID = "1.2.752.129.2.1.3.3"
PERSON_ID_ROOTS = frozenset({PERSONNUMMER_OID, SAMORDNINGSNUMMER_OID})
# HSA-id, the root of actorId for a professional and of every unit and practitioner id.
HSA_ID_OID = "1.2.752.129.2.1.4.1"
# SNOMED CT, Swedish edition: care services and actor types (core:SnomedCtType).
SNOMED_CT_OID = "1.2.752.116.2.1.1"
# actorType for a citizen acting for themself (SNOMED CT 116154003 "patient").
CITIZEN_ACTOR_CODE = "116154003"
# Wire times are Swedish local wall-clock time without a zone (core:TimeStampType, core:DateType).
TIME_ZONE = "Europe/Stockholm"
