"""The Actor SOAP header of riv.crm.scheduling 1.1 (TKB crm:scheduling 1.1 §3.5): who acts, and
for whom. Mandatory in every 1.1 request; the body's subject_of_care must be the citizen's own.

Tolerated, because real consumers send them and the meaning is unambiguous: actorType in any
letter case (``SUBJECT_OF_CARE``), and the personnummer/samordningsnummer OID as actorType (it says
the actorId is a citizen's number). Anything else is a Client Fault naming the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree
from spyne.model.fault import Fault

from riv_scheduling.contract import CITIZEN_ACTOR_CODE, HSA_ID_OID, PERSON_ID_ROOTS
from riv_scheduling.contract.crm_scheduling import ACTOR_TAG, HEADERS_NS, ActorType
from riv_scheduling.contract.personal_identity import root_of
from riv_scheduling.domain import Actor, PersonId
from riv_scheduling.soap.envelope import SOAP11_NS

# The audit trail's actor type for a riv.crm.scheduling 1.0 consumer system (RIVTABP20 has no Actor).
RIVTABP20_CONSUMER = "rivtabp20_consumer"


@dataclass(frozen=True)
class CrmActor:
    actor_type: ActorType
    actor_id: str
    # A riv.crm.scheduling 1.0 (RIVTABP20) consumer system: no Actor header exists there, so the
    # consumer acts for the citizen its request names (TKB 1.0.4 trusts the consumer's login).
    system: bool = False

    @property
    def is_citizen(self) -> bool:
        return self.actor_type is ActorType.SUBJECT_OF_CARE

    def domain_actor(self) -> Actor:
        """The actor for the domain's audit trail."""
        if self.is_citizen:
            return Actor(root_of(self.actor_id), self.actor_id, CITIZEN_ACTOR_CODE)
        if self.system:
            return Actor(HSA_ID_OID, self.actor_id, RIVTABP20_CONSUMER)
        return Actor(HSA_ID_OID, self.actor_id, self.actor_type.value)

    def __repr__(self) -> str:  # the actorId of a citizen is a personal identity number
        shown = self.actor_id[:8] + "****" if self.is_citizen else self.actor_id
        return f"CrmActor({self.actor_type.value}, {shown})"


def actor_of(envelope: etree._Element) -> CrmActor:
    """The Actor header of the request envelope, or a Client Fault."""
    header = envelope.find(f"{{{SOAP11_NS}}}Header")
    found = [] if header is None else header.findall(ACTOR_TAG)
    if len(found) != 1:
        raise Fault("Client", "The Actor header ({urn:riv:interoperability:headers:1}Actor) is required, once, "
                              "in every riv.crm.scheduling 1.1 request (TKB 3.5): actorId and actorType")
    actor_id = (found[0].findtext(f"{{{HEADERS_NS}}}actorId") or "").strip()
    raw_type = (found[0].findtext(f"{{{HEADERS_NS}}}actorType") or "").strip()
    if raw_type in PERSON_ID_ROOTS:
        actor_type = ActorType.SUBJECT_OF_CARE
    else:
        try:
            actor_type = ActorType(raw_type.lower())
        except ValueError:
            raise Fault("Client", f"Actor/actorType {raw_type[:40]!r} is not subject_of_care or "
                                  "subject_of_care_agent (TKB 3.5)") from None
    if not actor_id:
        raise Fault("Client", "Actor/actorId is empty (TKB 3.5)")
    if actor_type is ActorType.SUBJECT_OF_CARE and not (len(actor_id) == 12 and actor_id[:8].isdigit()):
        raise Fault("Client", "Actor/actorId of a subject_of_care is the citizen's personnummer or "
                              "samordningsnummer, 12 characters (TKB 3.5)")
    return CrmActor(actor_type, actor_id)


def rivtabp20_actor(consumer_hsa_id: str | None) -> CrmActor:
    """The actor of a 1.0 request: the consumer system (its HSA-id from the TLS certificate, when
    known), acting for the citizen the request names."""
    return CrmActor(ActorType.SUBJECT_OF_CARE_AGENT, consumer_hsa_id or "RIVTABP20", system=True)


def person_of(actor: CrmActor, subject_of_care: str | None) -> PersonId:
    """The citizen a request is about: the body's subject_of_care, which for a citizen must be the
    citizen's own number, else the citizen actor. A staff actor must name the citizen in the body."""
    if subject_of_care:
        if actor.is_citizen and subject_of_care != actor.actor_id:
            raise Fault("Client", "subject_of_care is not the Actor's own personnummer: a citizen acts "
                                  "only for themself (TKB 3.5)")
        return PersonId(root_of(subject_of_care), subject_of_care)
    if actor.system:
        raise Fault("Client", "This riv.crm.scheduling 1.0 request names no subject_of_care")
    if not actor.is_citizen:
        raise Fault("Client", "A subject_of_care_agent may only make new bookings (TKB 3.5): this "
                              "request names no subject_of_care")
    return PersonId(root_of(actor.actor_id), actor.actor_id)


def selection_person(actor: CrmActor, subject_of_care: str | None) -> PersonId | None:
    """Whose history may steer a query's selection: only the citizen's own (TKB 3.5 forbids
    selection on subject_of_care when staff ask)."""
    return person_of(actor, subject_of_care) if actor.is_citizen else None
