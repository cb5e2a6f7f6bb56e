"""Validation of request and response bodies against the Responder XSDs in ``schemas/``."""

from __future__ import annotations

import threading
from pathlib import Path

from lxml import etree

from riv_scheduling.contract import CORE_NS, SCHEDULING_DOMAIN, Interaction

# Namespaces the contract defines; children in any other namespace are xs:any extensions.
CONTRACT_PREFIX = f"{SCHEDULING_DOMAIN}:"


class SchemaViolation(Exception):
    """A message that the schema rejects; the text is the validator's message."""


class Validator:
    """lxml XMLSchema per interaction, one set per thread (lxml validators are not shared)."""

    def __init__(self, schema_dir: Path) -> None:
        self.schema_dir = schema_dir
        self._local = threading.local()

    def _schema(self, interaction: Interaction) -> etree.XMLSchema:
        cache: dict[str, etree.XMLSchema] = self._local.__dict__.setdefault("schemas", {})
        schema = cache.get(interaction.name)
        if schema is None:
            parser = etree.XMLParser(no_network=True, resolve_entities=False)
            doc = etree.parse(str(self.schema_dir / interaction.xsd), parser)
            schema = cache[interaction.name] = etree.XMLSchema(doc)
        return schema

    def validate(self, interaction: Interaction, element: etree._Element) -> None:
        schema = self._schema(interaction)
        if not schema.validate(element):
            errors = "; ".join(
                f"line {e.line}: {e.message}" for e in list(schema.error_log)[:5]
            )
            raise SchemaViolation(f"Schema validation failed: {errors}")


def strip_extensions(element: etree._Element) -> None:
    """Remove xs:any extension elements (namespaces outside the contract) before binding.

    They passed lax validation; the contract says a producer ignores them. Removing them
    keeps them from being mistaken for a contract element with the same local name.
    """
    for child in list(element):
        if not isinstance(child.tag, str):
            continue
        ns = etree.QName(child).namespace or ""
        if ns != CORE_NS and not ns.startswith(CONTRACT_PREFIX):
            element.remove(child)
        else:
            strip_extensions(child)
