"""Where the contract schemas (``schemas/`` at the project root) are found."""

from __future__ import annotations

import os
import re
from pathlib import Path

# Files the package needs at run time: links to the top-level schemas/, contracts/ and
# examples/demo-clinic.toml in a checkout, copies of them in a wheel (pyproject's package-data).
RESOURCES = Path(__file__).parent.parent / "resources"


def _locate() -> Path:
    env = os.environ.get("RIV_SCHEDULING_SCHEMAS")
    if env:
        return Path(env)
    # resources/schemas: a link to the top-level schemas/ in a checkout, a copy in a wheel.
    return (RESOURCES / "schemas").resolve()


SCHEMA_DIR = _locate()

# Contract packages kept in their own RIV-TA tree below schemas/ (the 2.0 set is at the top level).
CRM_SCHEDULING_1_0 = "crm-scheduling-1.0"
CRM_SCHEDULING_1_1 = "crm-scheduling-1.1"
SCHEMA_PACKAGES = (CRM_SCHEDULING_1_0, CRM_SCHEDULING_1_1)


def binding_package(package: str) -> str:
    """The Python subpackage of ``riv_scheduling.bindings`` generated from a schema package:
    ``crm-scheduling-1.1`` -> ``crm_scheduling_1_1``; "" for the top-level set."""
    return re.sub(r"[^0-9a-zA-Z]+", "_", package).strip("_").lower()


def module_name(path: Path) -> str:
    """Name of the generated binding module of a schema file.

    ``MakeAppointmentResponder_2.0.xsd`` -> ``make_appointment_responder_2_0``.
    """
    stem = re.sub(r"[^0-9A-Za-z]", "_", path.stem)  # ws-addressing-1.0 -> ws_addressing_1_0
    stem = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", stem)
    return re.sub(r"_+", "_", stem).lower()
