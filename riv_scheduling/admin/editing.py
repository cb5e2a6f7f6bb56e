"""Configuration changes from the admin tool, through the same code as `riv-scheduling load`.

A change is made on the configuration document (export.definitions: the stored configuration in
the file's format), validated by the file parser (clinic.parse_config: the same rules, the same
messages) and applied by the loader (clinic.apply_definitions), in one transaction with its audit
event (who, when, what, value before and after). The store's triggers raise the configuration
version, so the next SOAP answer of every worker shows the change.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from riv_scheduling.clinic import ConfigError, Summary, apply_definitions, parse_config
from riv_scheduling.domain import AuditAction, AuditEvent, ResultCode, UnitOfWork, stockholm_now

from .export import Doc, definitions
from .staff import Staff


class EditError(ValueError):
    """The change is refused; the message is for the form (Swedish)."""


@dataclass(frozen=True)
class Edit:
    """Set one key of one table of the document: `section` ("unit", "time_type", "care_service"),
    the table's key (HSA-id or code), and the key's path inside it ("information", or for a
    time type's rule ("rule", "NYBOKNING", "condition_to_confirm")). None or [] removes the key."""

    section: str
    key: str
    path: tuple[str, ...]
    value: Any

    @property
    def what(self) -> str:
        return f"{self.section} {self.key}: {'.'.join(self.path)}"


_KEYS = {"unit": "hsa_id", "time_type": "code", "care_service": "code"}


def find(doc: Doc, section: str, key: str) -> Doc:
    for table in doc.get(section, ()):
        if str(table[_KEYS[section]]).lower() == key.lower():
            return table
    raise EditError(f"{key} finns inte")


def _target(table: Doc, path: tuple[str, ...], create: bool) -> tuple[Doc | None, str]:
    """The table holding the last key of `path` (a rule is found, or made, by its process)."""
    if path[0] == "rule" and len(path) == 3:
        rules = table.setdefault("rule", []) if create else table.get("rule", [])
        rule = next((r for r in rules if r["process"] == path[1]), None)
        if rule is None and create:
            rule = {"process": path[1]}
            rules.append(rule)
        return rule, path[2]
    return table, path[0]


def apply_edit(doc: Doc, edit: Edit) -> tuple[Any, Any]:
    """Change `doc` in place; returns (before, after)."""
    table = find(doc, edit.section, edit.key)
    holder, name = _target(table, edit.path, create=True)
    assert holder is not None
    before = copy.deepcopy(holder.get(name))
    if edit.value is None or edit.value == []:
        holder.pop(name, None)
    else:
        holder[name] = copy.deepcopy(edit.value)
    return before, copy.deepcopy(holder.get(name))


def current(doc: Doc, section: str, key: str, path: tuple[str, ...]) -> Any:
    holder, name = _target(find(doc, section, key), path, create=False)
    return None if holder is None else holder.get(name)


class ConfigEditor:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Callable[[], Any] = stockholm_now) -> None:
        self._uow = uow_factory
        self._clock = clock

    def document(self) -> Doc:
        with self._uow() as uow:
            return definitions(uow)

    def change(self, staff: Staff, unit_hsa_id: str, edits: list[Edit]) -> Summary:
        """Apply the edits in one transaction; each edit that changes a value is audited at the unit."""
        with self._uow().writing() as uow:
            doc = definitions(uow)
            had_rules = {(t["code"], r["process"]) for t in doc["time_type"] for r in t.get("rule", [])}
            changes = []
            for edit in edits:
                before, after = apply_edit(doc, edit)
                if before != after:
                    changes.append((edit, before, after))
            for t in doc["time_type"]:  # a rule the edits made but left empty is no rule
                t["rule"] = [r for r in t.get("rule", []) if len(r) > 1 or (t["code"], r["process"]) in had_rules]
                if not t["rule"]:
                    del t["rule"]
            try:
                config = parse_config(doc, "admin")
            except ConfigError as exc:
                raise EditError(f"Ogiltig konfiguration: {exc}") from None
            summary = apply_definitions(uow, config)
            now = self._clock()
            for edit, before, after in changes:
                uow.audit.append(
                    AuditEvent(
                        at=now,
                        interaction="admin",
                        action=AuditAction.CONFIGURED,
                        result_code=ResultCode.OK,
                        facility_hsa_id=unit_hsa_id,
                        person_id=None,
                        actor=staff.actor,
                        consumer_hsa_id=None,
                        detail=json.dumps(
                            {"what": edit.what, "before": before, "after": after}, ensure_ascii=False, default=str
                        ),
                    )
                )
            uow.commit()
        return summary
