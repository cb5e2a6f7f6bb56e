"""Prove that our riv.crm.scheduling 1.1 schema set (``schemas/crm-scheduling-1.1``) is equivalent to
every official file of TD_SCHEDULING_1_1_1_R, with exactly one deliberate difference.

The difference: the published ``SubjectOfCareIdType`` pattern is ``^[0-9]{8}[0-9pPtTfF][0-9]{3}$``.
XSD patterns are implicitly anchored and ``^``/``$`` are literal characters there, so strict
validation rejects every real personal identity number; ours is the intended
``[0-9]{8}[0-9pPtTfF][0-9]{3}``. Everything else (global components, sequences, occurrences,
namespaces, wildcards, facets; WSDL messages, bindings, SOAPActions, headers, services) is equal.

The official files are read from ``../shared/spec/crm-scheduling-1/official`` (or
``$RIV_SHARED_DIR``); the tests that need them skip, saying so, when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import xmlschema
import zeep
from lxml import etree
from test_official_equivalence import element_sig, type_sig, wsdl_structure

from riv_scheduling.contract.crm_scheduling import CRM_INTERACTIONS
from riv_scheduling.contract.schemas import CRM_SCHEDULING_1_1

REPO_ROOT = Path(__file__).resolve().parents[2]
OURS = REPO_ROOT / "schemas" / CRM_SCHEDULING_1_1
SHARED = Path(os.environ.get("RIV_SHARED_DIR") or REPO_ROOT.parent / "shared")
OFFICIAL = SHARED / "spec" / "crm-scheduling-1" / "official"
NO_SHARED = "../shared not present: riv.crm.scheduling 1.1 official-schema equivalence not checked"

SUBJECT_OF_CARE_ID = "SubjectOfCareIdType"  # xmlschema keys local types by local name
PUBLISHED_PATTERN = "^[0-9]{8}[0-9pPtTfF][0-9]{3}$"
OUR_PATTERN = "[0-9]{8}[0-9pPtTfF][0-9]{3}"


def official(suffix: str) -> list[Any]:
    if not OFFICIAL.is_dir():
        return [pytest.param(None, id="no-shared", marks=pytest.mark.skip(reason=NO_SHARED))]
    return [pytest.param(p, id=p.relative_to(OFFICIAL).as_posix()) for p in sorted(OFFICIAL.rglob(f"*.{suffix}"))]


def test_inventory_one_responder_and_one_wsdl_per_interaction() -> None:
    present = {p.relative_to(OURS).as_posix() for p in OURS.rglob("*") if p.is_file()}
    core = {f"core_components/{f}" for f in (
        "crm_scheduling_1.1.xsd", "crm_scheduling_1.1_ext.xsd",
        "interoperability_headers_1.0.xsd", "itintegration_registry_1.0.xsd",
    )}
    interactions = {i.xsd.as_posix() for i in CRM_INTERACTIONS.values()}
    interactions |= {i.wsdl.as_posix() for i in CRM_INTERACTIONS.values()}
    ext = {
        f"interactions/{n}Interaction/{n}Responder_1.1_ext.xsd"
        for n in ("GetAllTimeTypes", "GetAvailableDates", "GetAvailableTimeslots")
    }
    prefix = f"{CRM_SCHEDULING_1_1}/"
    assert present == core | ext | {p.removeprefix(prefix) for p in interactions}


@pytest.mark.parametrize("path", sorted(OURS.rglob("*.xsd")), ids=lambda p: p.name)
def test_our_xsd_loads_and_says_it_is_ours(path: Path) -> None:
    head = path.read_text(encoding="utf-8")[:1500]
    assert "riv-scheduling project" in head and "NOT an official" in head
    etree.XMLSchema(etree.parse(str(path)))


@pytest.mark.parametrize("name", sorted(CRM_INTERACTIONS))
def test_zeep_loads_our_wsdl_with_both_headers(name: str) -> None:
    interaction = CRM_INTERACTIONS[name]
    client = zeep.Client(str(REPO_ROOT / "schemas" / interaction.wsdl))
    port = next(iter(next(iter(client.wsdl.services.values())).ports.values()))
    op = port.binding.get(name)
    assert op.soapaction == f"urn:riv:crm:scheduling:{name}Responder:1:{name}"
    headers = {e.qname.text for _, e in op.input.header.type.elements}
    assert headers == {"{urn:riv:itintegration:registry:1}LogicalAddress", "{urn:riv:interoperability:headers:1}Actor"}
    assert op.input.body.qname.text == interaction.request_tag


@pytest.mark.parametrize("official_path", official("xsd"))
def test_official_xsd_equivalent_but_for_the_subject_of_care_pattern(official_path: Path) -> None:
    rel = official_path.relative_to(OFFICIAL)
    ours = xmlschema.XMLSchema(str(OURS / rel))
    theirs = xmlschema.XMLSchema(str(official_path))
    assert ours.target_namespace == theirs.target_namespace
    assert ours.element_form_default == theirs.element_form_default
    assert set(ours.elements) == set(theirs.elements)
    assert set(ours.types) == set(theirs.types)
    for key, element in theirs.elements.items():
        assert element_sig(ours.elements[key]) == element_sig(element), key
    differences = [key for key, t in theirs.types.items() if type_sig(ours.types[key]) != type_sig(t)]
    if rel.name == "crm_scheduling_1.1.xsd":
        assert differences == [SUBJECT_OF_CARE_ID]
        assert theirs.types[SUBJECT_OF_CARE_ID].patterns.regexps == [PUBLISHED_PATTERN]
        assert ours.types[SUBJECT_OF_CARE_ID].patterns.regexps == [OUR_PATTERN]
    else:
        assert differences == []


@pytest.mark.parametrize("official_path", official("wsdl"))
def test_official_wsdl_equivalent(official_path: Path) -> None:
    theirs = wsdl_structure(official_path)
    ours = wsdl_structure(OURS / official_path.relative_to(OFFICIAL))
    assert theirs["bindings"]
    for key in theirs:
        assert ours[key] == theirs[key], key


def test_the_published_pattern_rejects_every_real_number_and_ours_accepts_them() -> None:
    """Why the one difference exists: with the published pattern no personnummer validates."""
    if not OFFICIAL.is_dir():
        pytest.skip(NO_SHARED)
    theirs = xmlschema.XMLSchema(str(OFFICIAL / "core_components" / "crm_scheduling_1.1.xsd"))
    ours = xmlschema.XMLSchema(str(OURS / "core_components" / "crm_scheduling_1.1.xsd"))
    for number in ("191212121212", "19121212T212"):
        assert not theirs.types[SUBJECT_OF_CARE_ID].is_valid(number)
        assert ours.types[SUBJECT_OF_CARE_ID].is_valid(number)
    assert not ours.types[SUBJECT_OF_CARE_ID].is_valid("1212121212")
