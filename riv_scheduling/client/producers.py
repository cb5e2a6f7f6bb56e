"""The producers file of `riv-scheduling first-free`: which producers to ask, at which units.

    [[producer]]
    name = "Region Demo, vårdcentralerna"   # for people; unique in the file
    url = "https://scheduling.region.example:8443"   # base URL: /<Interaction>/2/rivtabp21 is added
    contract = "2.0"                         # only riv.supportprocess.logistics.scheduling 2.0 so far
    units = ["SE2321000016-A1B2"]            # LogicalAddresses to search at, and/or
    catalogue = "SE2321000016-VIRT"          # a unit whose GetHealthcareFacilities lists the units
    deadline = 3.0                           # seconds, overrides --deadline for this producer

docs/first-free.md describes the format and how a region runs it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONTRACTS = ("2.0",)
_KEYS = {"name", "url", "contract", "units", "catalogue", "deadline"}


class ProducersFileError(ValueError):
    """The producers file is not valid; the message names the place."""


@dataclass(frozen=True)
class ProducerEntry:
    name: str
    url: str  # base URL without a trailing slash
    units: tuple[str, ...] = ()
    catalogue: str | None = None
    contract: str = "2.0"
    deadline: float | None = None  # seconds; None: the caller's default


def parse_producers(data: dict[str, Any], source: str = "producers") -> list[ProducerEntry]:
    tables = data.get("producer")
    unknown = sorted(set(data) - {"producer"})
    if unknown:
        raise ProducersFileError(f"{source}: unknown key(s) {', '.join(map(repr, unknown))}")
    if not isinstance(tables, list) or not tables:
        raise ProducersFileError(f"{source}: no [[producer]] tables")
    entries: list[ProducerEntry] = []
    for i, t in enumerate(tables):
        where = f"{source}.producer[{i}]"
        if not isinstance(t, dict):
            raise ProducersFileError(f"{where}: expected a table")
        extra = sorted(set(t) - _KEYS)
        if extra:
            raise ProducersFileError(f"{where}: unknown key(s) {', '.join(map(repr, extra))}")
        url, name = t.get("url"), t.get("name", t.get("url"))
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ProducersFileError(f"{where}.url: an http:// or https:// base URL is required")
        if not isinstance(name, str) or not name.strip():
            raise ProducersFileError(f"{where}.name: expected a non-empty string")
        units = t.get("units", [])
        if not isinstance(units, list) or not all(isinstance(u, str) and u.strip() for u in units):
            raise ProducersFileError(f"{where}.units: expected a list of HSA-ids")
        catalogue = t.get("catalogue")
        if catalogue is not None and (not isinstance(catalogue, str) or not catalogue.strip()):
            raise ProducersFileError(f"{where}.catalogue: expected an HSA-id")
        if not units and catalogue is None:
            raise ProducersFileError(f"{where}: give units, a catalogue unit, or both")
        contract = t.get("contract", "2.0")
        if contract not in CONTRACTS:
            raise ProducersFileError(f"{where}.contract: {contract!r} is not supported (supported: 2.0)")
        deadline = t.get("deadline")
        if deadline is not None and (isinstance(deadline, bool) or not isinstance(deadline, int | float)
                                     or deadline <= 0):
            raise ProducersFileError(f"{where}.deadline: expected a positive number of seconds")
        if any(e.name == name for e in entries):
            raise ProducersFileError(f"{where}.name: {name!r} is used twice")
        entries.append(ProducerEntry(
            name=name, url=url.rstrip("/"), units=tuple(u.strip() for u in units),
            catalogue=catalogue.strip() if catalogue else None, contract=contract,
            deadline=float(deadline) if deadline is not None else None,
        ))
    return entries


def load_producers(path: str | Path) -> list[ProducerEntry]:
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise ProducersFileError(f"{path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProducersFileError(f"{path}: not valid TOML: {exc}") from None
    return parse_producers(data, path.name)
