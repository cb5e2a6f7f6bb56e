"""The twelve interactions of the contract: names, versions, namespaces, files and paths."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType

from riv_scheduling.schemas import SCHEMA_DIR, module_name

DOMAIN = "urn:riv:supportprocess:logistics:scheduling"
CORE_NS = f"{DOMAIN}:2"
LOGICAL_ADDRESS_NS = "urn:riv:itintegration:registry:1"


@dataclass(frozen=True)
class Interaction:
    name: str
    major: int
    minor: int = 0

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def responder_ns(self) -> str:
        return f"{DOMAIN}:{self.name}Responder:{self.major}"

    @property
    def wsdl_ns(self) -> str:
        return f"{DOMAIN}:{self.name}:{self.major}:rivtabp21"

    @property
    def soap_action(self) -> str:
        return f"{self.responder_ns}:{self.name}"

    @property
    def path(self) -> str:
        """The endpoint path: ``/<Interaction>/<major>/rivtabp21``."""
        return f"/{self.name}/{self.major}/rivtabp21"

    @property
    def folder(self) -> Path:
        return Path("interactions") / f"{self.name}Interaction"

    @property
    def xsd(self) -> Path:
        """Responder XSD, relative to ``schemas/``."""
        return self.folder / f"{self.name}Responder_{self.version}.xsd"

    @property
    def wsdl(self) -> Path:
        """Interaction WSDL, relative to ``schemas/``."""
        return self.folder / f"{self.name}Interaction_{self.version}_RIVTABP21.wsdl"

    @property
    def request_tag(self) -> str:
        return f"{{{self.responder_ns}}}{self.name}"

    @property
    def response_tag(self) -> str:
        return f"{{{self.responder_ns}}}{self.name}Response"

    @cached_property
    def bindings(self) -> ModuleType:
        """The generated Spyne module of this interaction's Responder XSD."""
        return importlib.import_module(
            f"riv_scheduling.bindings.{module_name(SCHEMA_DIR / self.xsd)}"
        )


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
