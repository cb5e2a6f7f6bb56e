"""The generated Spyne bindings of each interaction (the contract's facts are in riv_scheduling.contract)."""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType
from typing import Any

from riv_scheduling.contract import SCHEMA_DIR, Interaction, module_name
from riv_scheduling.contract.schemas import binding_package


@cache
def bindings(interaction: Interaction) -> ModuleType:
    """The generated module of the interaction's Responder XSD (a subpackage per schema package)."""
    package = binding_package(interaction.package)
    prefix = f"riv_scheduling.bindings.{package}." if package else "riv_scheduling.bindings."
    return importlib.import_module(prefix + module_name(SCHEMA_DIR / interaction.xsd))


def element(interaction: Interaction, name: str) -> Any:
    """A global element's binding class, e.g. ``element(i, "MakeAppointmentResponse")``."""
    cls = bindings(interaction).ELEMENTS[name]
    return cls


@cache
def writers(interaction: Interaction) -> ModuleType:
    """The generated response writers of a 2.0 interaction's Responder XSD (soap/render.py)."""
    if interaction.package:
        raise ValueError(f"{interaction.name} {interaction.package}: writers are generated for the 2.0 schemas only")
    return importlib.import_module("riv_scheduling.bindings.writers." + module_name(SCHEMA_DIR / interaction.xsd))
