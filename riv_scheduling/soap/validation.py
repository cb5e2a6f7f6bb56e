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
from functools import cache
from pathlib import Path

from lxml import etree

from riv_scheduling.contract import SCHEDULING_DOMAIN, Interaction

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
            self.prepare(interaction)

    def prepare(self, interaction: Interaction) -> None:
        """Compile the interaction's schema now (before serving), unless one is pooled already."""
        with self._lock:
            if self._pools.get(_key(interaction)):
                return
        schema = compile_schema(self.schema_dir / interaction.xsd)
        with self._lock:
            self._pools.setdefault(_key(interaction), []).append(schema)

    @contextmanager
    def _borrow(self, interaction: Interaction) -> Iterator[etree.XMLSchema]:
        with self._lock:
            pool = self._pools.setdefault(_key(interaction), [])
            schema = pool.pop() if pool else None
        if schema is None:
            schema = compile_schema(self.schema_dir / interaction.xsd)
        try:
            yield schema
        finally:
            with self._lock:
                self._pools[_key(interaction)].append(schema)

    def validate(self, interaction: Interaction, element: etree._Element) -> None:
        with self._borrow(interaction) as schema:
            if schema.validate(element):
                return
            errors = "; ".join(
                f"line {e.line}: {_shorten(e.message)}" for e in list(schema.error_log)[:MAX_ERRORS]
            )
        raise SchemaViolation(f"Schema validation failed: {errors}")


@cache  # Interaction.xsd builds Paths: four times per request otherwise
def _key(interaction: Interaction) -> str:
    """Pools are per schema file: GetAvailableDates exists in 2.0 and in crm:scheduling 1.1."""
    return interaction.xsd.as_posix()


def _shorten(text: str, size: int = MAX_ERROR_CHARS) -> str:
    return text if len(text) <= size else text[:size] + f"... ({len(text)} characters)"


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
