"""Where the contract schemas (``schemas/`` at the project root) are found."""

from __future__ import annotations

import os
import re
from pathlib import Path


def _locate() -> Path:
    env = os.environ.get("RIV_SCHEDULING_SCHEMAS")
    if env:
        return Path(env)
    # A source checkout or an editable install: schemas/ beside the package.
    return Path(__file__).resolve().parent.parent / "schemas"


SCHEMA_DIR = _locate()


def module_name(path: Path) -> str:
    """Name of the generated binding module of a schema file.

    ``MakeAppointmentResponder_2.0.xsd`` -> ``make_appointment_responder_2_0``.
    """
    stem = path.stem.replace(".", "_")
    stem = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", stem)
    return re.sub(r"_+", "_", stem).lower()
