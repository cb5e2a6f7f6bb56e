"""Validation of request and response bodies against the Responder XSDs in ``schemas/``.

Thread safety (issue #11): libxml2 races when several threads compile schemas at the same time
for the first time in a process (``XMLSchemaParseError: Internal error: xmlSchemaPValAttrNodeValue,
the given type is not a built-in type``), and a compiled ``lxml.etree.XMLSchema`` keeps its error
log on the object, so one instance must not validate in two threads at once. Therefore:

- every compile in the process runs under one lock (``_COMPILE_LOCK``);
- ``Validator(schema_dir)`` compiles one schema per interaction in its constructor, i.e. before
  the server that serves the producer accepts its first connection;
- a validation borrows a compiled schema from a per-interaction pool and returns it afterwards;
  only when every pooled instance is in use by other threads is another one compiled (under the
  lock), so the pool grows to the largest number of simultaneous validations of an interaction.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from lxml import etree

from riv_scheduling.contract import CORE_NS, SCHEDULING_DOMAIN, Interaction

# Namespaces the contract defines; children in any other namespace are xs:any extensions.
CONTRACT_PREFIX = f"{SCHEDULING_DOMAIN}:"
MAX_ERRORS = 5  # validator messages quoted in a fault
MAX_ERROR_CHARS = 200  # characters of one validator message (it may quote the client's text)

_COMPILE_LOCK = threading.Lock()


class SchemaViolation(Exception):
    """A message that the schema rejects; the text is the validator's message."""


def compile_schema(path: Path) -> etree.XMLSchema:
    """A compiled XSD; every compile of the process runs under one lock (libxml2 is not safe otherwise)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    with _COMPILE_LOCK:
        return etree.XMLSchema(etree.parse(str(path), parser))


class Validator:
    """Compiled Responder XSDs, compiled at construction and shared safely by all threads."""

    def __init__(self, schema_dir: Path, interactions: Iterable[Interaction] = ()) -> None:
        self.schema_dir = schema_dir
        self._pools: dict[str, list[etree.XMLSchema]] = {}
        self._lock = threading.Lock()
        for interaction in interactions:
            self._pools[interaction.name] = [compile_schema(schema_dir / interaction.xsd)]

    @contextmanager
    def _borrow(self, interaction: Interaction) -> Iterator[etree.XMLSchema]:
        with self._lock:
            pool = self._pools.setdefault(interaction.name, [])
            schema = pool.pop() if pool else None
        if schema is None:
            schema = compile_schema(self.schema_dir / interaction.xsd)
        try:
            yield schema
        finally:
            with self._lock:
                self._pools[interaction.name].append(schema)

    def validate(self, interaction: Interaction, element: etree._Element) -> None:
        with self._borrow(interaction) as schema:
            if schema.validate(element):
                return
            errors = "; ".join(
                f"line {e.line}: {_shorten(e.message)}" for e in list(schema.error_log)[:MAX_ERRORS]
            )
        raise SchemaViolation(f"Schema validation failed: {errors}")


def _shorten(text: str, size: int = MAX_ERROR_CHARS) -> str:
    return text if len(text) <= size else text[:size] + f"... ({len(text)} characters)"


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
