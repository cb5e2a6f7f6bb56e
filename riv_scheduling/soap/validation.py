"""Validation of request and response bodies against the Responder XSDs in ``schemas/``."""

from __future__ import annotations

import threading
from pathlib import Path

from lxml import etree

from riv_scheduling.contract import SCHEDULING_DOMAIN, Interaction


class SchemaViolation(Exception):
    """A message that the schema rejects; the text is the validator's message."""


class Validator:
    """lxml XMLSchema per interaction, one set per thread (lxml validators are not shared)."""

    def __init__(self, schema_dir: Path) -> None:
        self.schema_dir = schema_dir
        self._local = threading.local()

    def _schema(self, interaction: Interaction) -> etree.XMLSchema:
        cache: dict[str, etree.XMLSchema] = self._local.__dict__.setdefault("schemas", {})
        key = interaction.xsd.as_posix()  # GetAvailableDates exists in 2.0 and in crm:scheduling 1.1
        schema = cache.get(key)
        if schema is None:
            parser = etree.XMLParser(no_network=True, resolve_entities=False)
            doc = etree.parse(str(self.schema_dir / interaction.xsd), parser)
            schema = cache[key] = etree.XMLSchema(doc)
        return schema

    def validate(self, interaction: Interaction, element: etree._Element) -> None:
        schema = self._schema(interaction)
        if not schema.validate(element):
            errors = "; ".join(
                f"line {e.line}: {e.message}" for e in list(schema.error_log)[:5]
            )
            raise SchemaViolation(f"Schema validation failed: {errors}")


def strip_extensions(element: etree._Element, domain: str = SCHEDULING_DOMAIN) -> None:
    """Remove xs:any extension elements (namespaces outside the contract's domain) before binding.

    They passed lax validation; the contract says a producer ignores them. Removing them
    keeps them from being mistaken for a contract element with the same local name.
    """
    prefix = f"{domain}:"  # every namespace of a domain starts so (core, Responder, 1.1 extensions)
    for child in list(element):
        if not isinstance(child.tag, str):
            continue
        ns = etree.QName(child).namespace or ""
        if not ns.startswith(prefix):
            element.remove(child)
        else:
            strip_extensions(child, domain)
