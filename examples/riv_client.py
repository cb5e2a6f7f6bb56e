"""Shared set-up for the example consumer scripts: a zeep client per interaction.

Each interaction has its own endpoint and WSDL: ``<base>/<Interaction>/<major>/rivtabp21?wsdl``.
The LogicalAddress SOAP header (the care unit's HSA-id) goes with every call.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime
from typing import Any

import zeep

MAJOR = {"ConfirmAppointment": 1}  # every other interaction is version 2
PERSONNUMMER = "1.2.752.129.2.1.3.1"
CITIZEN = "116154003"  # SNOMED CT: the citizen is the actor
SNOMED = "1.2.752.116.2.1.1"


def arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="producer base URL")
    parser.add_argument("--unit", default="SE2321000016-A1B2", help="care unit HSA-id")
    parser.add_argument("--person", default="191212121212", help="the patient's personnummer")
    return parser


class Producer:
    """Calls one producer on behalf of one citizen at one care unit."""

    def __init__(self, url: str, unit: str, person: str) -> None:
        self.url = url.rstrip("/")
        self.unit = unit
        self.person = {"root": PERSONNUMMER, "extension": person}
        self.actor = {
            "actorId": {"root": PERSONNUMMER, "extension": person},
            "actorType": {"code": CITIZEN, "codeSystem": SNOMED},
        }
        self._services: dict[str, Any] = {}

    def call(self, interaction: str, **body: Any) -> Any:
        service = self._services.get(interaction)
        if service is None:
            wsdl = f"{self.url}/{interaction}/{MAJOR.get(interaction, 2)}/rivtabp21?wsdl"
            service = self._services[interaction] = zeep.Client(wsdl).service
        return getattr(service, interaction)(_soapheaders={"LogicalAddress": self.unit}, **body)


def wire_date(day: date) -> str:
    return day.strftime("%Y%m%d")


def show_time(ts: str) -> str:
    return datetime.strptime(ts, "%Y%m%d%H%M%S").strftime("%Y-%m-%d %H:%M")
