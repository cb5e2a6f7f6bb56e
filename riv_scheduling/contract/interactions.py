"""The twelve interactions of the contract: names, versions, namespaces, files and endpoint paths.

TKB 2.0 §7 defines one interaction per operation; RIV-TA BP 2.1 names the namespaces
(``<domain>:<Interaction>Responder:<major>``) and the files (``<Interaction>Interaction_<version>_RIVTABP21.wsdl``).
The same class describes the riv.crm.scheduling 1.1 interactions (contract/crm_scheduling.py): their
domain, their schema package below ``schemas/`` and their WS profile are fields, not special cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .namespaces import SCHEDULING_DOMAIN


@dataclass(frozen=True)
class Interaction:
    name: str
    major: int
    minor: int = 0
    domain: str = SCHEDULING_DOMAIN
    # The schema package below schemas/ ("" = the 2.0 set at the top) and the RIV-TA WS profile.
    package: str = ""
    profile: str = "rivtabp21"

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def responder_ns(self) -> str:
        return f"{self.domain}:{self.name}Responder:{self.major}"

    @property
    def wsdl_ns(self) -> str:
        return f"{self.domain}:{self.name}:{self.major}:{self.profile}"

    @property
    def soap_action(self) -> str:
        return f"{self.responder_ns}:{self.name}"

    @property
    def path(self) -> str:
        """The endpoint path: ``/<Interaction>/<major>/<profile>``, e.g. ``/MakeBooking/1/rivtabp21``."""
        return f"/{self.name}/{self.major}/{self.profile}"

    @property
    def access_name(self) -> str:
        """The name an access allowlist gives the endpoint: the interaction's name, and for another WS
        profile than RIVTABP21 the profile too (``MakeBooking/rivtabp20``: a 1.0 consumer's endpoint)."""
        return self.name if self.profile == "rivtabp21" else f"{self.name}/{self.profile}"

    @property
    def folder(self) -> Path:
        return Path(self.package) / "interactions" / f"{self.name}Interaction"

    @property
    def xsd(self) -> Path:
        """Responder XSD, relative to ``schemas/``."""
        return self.folder / f"{self.name}Responder_{self.version}.xsd"

    @property
    def wsdl(self) -> Path:
        """Interaction WSDL, relative to ``schemas/``."""
        return self.folder / f"{self.name}Interaction_{self.version}_{self.profile.upper()}.wsdl"

    @property
    def request_tag(self) -> str:
        return f"{{{self.responder_ns}}}{self.name}"

    @property
    def response_tag(self) -> str:
        return f"{{{self.responder_ns}}}{self.name}Response"


INTERACTIONS: dict[str, Interaction] = {
    i.name: i
    for i in (
        Interaction("CancelAppointment", 2),
        Interaction("ConfirmAppointment", 1),
        Interaction("GetAppointment", 2),
        Interaction("GetAppointments", 2),
        Interaction("GetAvailableDates", 2),
        Interaction("GetAvailableTimeslots", 2),
        Interaction("GetHealthcareFacilities", 2),
        Interaction("GetHealthcareFacility", 2),
        Interaction("GetPractitioners", 2),
        Interaction("GetTimeTypes", 2),
        Interaction("MakeAppointment", 2),
        Interaction("UpdateAppointment", 2),
    )
}
