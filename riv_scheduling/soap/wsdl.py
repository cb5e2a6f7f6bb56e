"""Serving the contract's own WSDL and XSD files (Spyne's generated WSDL is wrong for RIV-TA).

The WSDL of an endpoint is the file from ``schemas/`` with two changes: ``soap:address``
points at the endpoint actually called, and every ``schemaLocation`` is an absolute URL
under ``/schemas/``, where the XSDs are served as they are (their relative imports then
resolve to the same tree).
"""

from __future__ import annotations

import posixpath
from functools import lru_cache
from pathlib import Path

from lxml import etree

from riv_scheduling.contract import WSDL_SOAP_NS, XSD_NS, Interaction

SCHEMAS_PREFIX = "/schemas/"


class WsdlPublisher:
    def __init__(self, schema_dir: Path) -> None:
        self.schema_dir = schema_dir.resolve()
        self.wsdl = lru_cache(maxsize=256)(self._wsdl)

    def _wsdl(self, interaction: Interaction, base_url: str) -> bytes:
        """The interaction's WSDL for a producer reachable at ``base_url`` (no trailing /)."""
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        tree = etree.parse(str(self.schema_dir / interaction.wsdl), parser)
        folder = interaction.wsdl.parent.as_posix()
        for imp in tree.iter(f"{{{XSD_NS}}}import"):
            location = imp.get("schemaLocation")
            if location:
                target = posixpath.normpath(posixpath.join(folder, location))
                imp.set("schemaLocation", f"{base_url}{SCHEMAS_PREFIX}{target}")
        for address in tree.iter(f"{{{WSDL_SOAP_NS}}}address"):
            address.set("location", base_url + interaction.path)
        return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")

    def schema_file(self, url_path: str) -> bytes | None:
        """The bytes of ``/schemas/<relative path>``, or None if there is no such file."""
        relative = url_path[len(SCHEMAS_PREFIX) :]
        if not relative.endswith((".xsd", ".wsdl")):
            return None
        candidate = (self.schema_dir / relative).resolve()
        if not candidate.is_relative_to(self.schema_dir) or not candidate.is_file():
            return None
        return candidate.read_bytes()
