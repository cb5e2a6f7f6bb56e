"""Reading and checking the admin forms; every message is Swedish and names the field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from riv_scheduling.clinic.config import ConfigError, parse_duration

MAX_HEADER = 200
MAX_DESCRIPTION = 2000
MAX_LINK = 500
MAX_ROWS = 20
_TAG = re.compile(r"<\s*/?\s*[A-Za-z!?]")  # the start of an HTML tag, comment or declaration


@dataclass
class Errors:
    fields: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.fields)


def _text(form: Mapping[str, str], name: str, label: str, limit: int, errors: Errors) -> str:
    value = (form.get(name) or "").strip()
    if len(value) > limit:
        errors.add(name, f"{label} är för lång: {len(value)} tecken, högst {limit}.")
    elif _TAG.search(value):
        errors.add(name, f"{label} får inte innehålla HTML-taggar som <script>; skriv ren text.")
    return value


def infos(form: Mapping[str, str], prefix: str, errors: Errors) -> list[dict[str, str]]:
    """Rows `prefix-N-header|description|link` (N < `prefix-count`) as the file's information
    tables; a row left empty is dropped."""
    try:
        count = min(int(form.get(f"{prefix}-count", "0")), MAX_ROWS)
    except ValueError:
        count = 0
    rows = []
    for n in range(count):
        name = f"{prefix}-{n}"
        header = _text(form, f"{name}-header", "Rubriken", MAX_HEADER, errors)
        description = _text(form, f"{name}-description", "Beskrivningen", MAX_DESCRIPTION, errors)
        link = _text(form, f"{name}-link", "Länken", MAX_LINK, errors)
        if link and not re.match(r"^https?://[^\s<>\"]+$", link):
            errors.add(f"{name}-link", "Länken måste vara en webbadress som börjar med https:// eller http://.")
        if not (header or description or link):
            continue
        if not header:
            errors.add(f"{name}-header", "Rubrik krävs när beskrivning eller länk är ifylld.")
        row = {"header": header}
        if description:
            row["description"] = description
        if link:
            row["link"] = link
        rows.append(row)
    return rows


def notice(form: Mapping[str, str], name: str, label: str, errors: Errors) -> str:
    value = (form.get(name) or "").strip() or "0"
    try:
        parse_duration(value, label)
    except ConfigError:
        errors.add(name, f"{label}: \"{value}\" är inte en tid. Ange till exempel 0, 30m, 24h, 2d eller 1h30m "
                         "(inga negativa tider).")
    return value


def checkbox(form: Mapping[str, str], name: str) -> bool:
    return form.get(name) == "on"


def choice(form: Mapping[str, str], name: str, allowed: tuple[str, ...], label: str, errors: Errors) -> str:
    value = form.get(name, "")
    if value not in allowed:
        errors.add(name, f"{label}: välj ett av alternativen.")
        return allowed[0]
    return value


def reason_codes(form: Mapping[str, str], name: str, errors: Errors) -> list[dict[str, Any]]:
    """One code a line: `kod;kodsystem;visningsnamn` (the display name may be left out)."""
    codes = []
    for number, line in enumerate((form.get(name) or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(";")]
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            errors.add(name, f"Rad {number}: skriv kod;kodsystem;visningsnamn.")
            continue
        for p in parts:
            if len(p) > MAX_HEADER or _TAG.search(p):
                errors.add(name, f"Rad {number}: för lång eller innehåller HTML-taggar.")
        code = {"code": parts[0], "code_system": parts[1]}
        if len(parts) == 3 and parts[2]:
            code["display_name"] = parts[2]
        codes.append(code)
    return codes


def codes_text(codes: list[dict[str, Any]] | None) -> str:
    return "\n".join(";".join(filter(None, (c["code"], c["code_system"], c.get("display_name")))) for c in codes or [])
