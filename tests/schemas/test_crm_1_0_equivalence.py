"""Prove that our riv.crm.scheduling 1.0 schema set (``schemas/crm-scheduling-1.0``, RIVTABP20) is
equivalent to the official files of release 1.0.4, with the differences named here and nothing else:

- ``SubjectOfCareIdType``: the published pattern ``^[0-9]{8}[0-9pPtTfF][0-9]{3}$`` matches no real
  number (``^``/``$`` are literal characters in XSD); ours is the intended one, as in our 1.1 set;
- ``ws-addressing-1.0.xsd``: ours declares only what RIVTABP20 uses (the ``To`` element and its type
  ``AttributedURIType``), each exactly as the W3C schema declares it;
- GetCancelledAndRebooked (1.0 only, withdrawn in 1.1) is not served, so we have no schema for it;
- the official GetAllTimeTypes WSDL's ``soap:address`` is a region's test server instead of the
  ``http://tempuri.org`` placeholder of the others (the served WSDL names the endpoint called anyway).

The official files are read from ``../shared/spec/crm-scheduling-1/legacy-1.0.4`` (or
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

from riv_scheduling.contract.crm_scheduling import CRM_1_0_INTERACTIONS
from riv_scheduling.contract.schemas import CRM_SCHEDULING_1_0

REPO_ROOT = Path(__file__).resolve().parents[2]
OURS = REPO_ROOT / "schemas" / CRM_SCHEDULING_1_0
SHARED = Path(os.environ.get("RIV_SHARED_DIR") or REPO_ROOT.parent / "shared")
LEGACY = SHARED / "spec" / "crm-scheduling-1" / "legacy-1.0.4"
NO_SHARED = "../shared not present: riv.crm.scheduling 1.0 (legacy 1.0.4) schema equivalence not checked"

NOT_SERVED = "GetCancelledAndRebookedInteraction"
ADDRESSING = "ws-addressing-1.0.xsd"
SUBJECT_OF_CARE_ID = "SubjectOfCareIdType"
PUBLISHED_PATTERN = "^[0-9]{8}[0-9pPtTfF][0-9]{3}$"
OUR_PATTERN = "[0-9]{8}[0-9pPtTfF][0-9]{3}"


def legacy(suffix: str) -> list[Any]:
    if not LEGACY.is_dir():
        return [pytest.param(None, id="no-shared", marks=pytest.mark.skip(reason=NO_SHARED))]
    return [
        pytest.param(p, id=p.relative_to(LEGACY).as_posix())
        for p in sorted(LEGACY.rglob(f"*.{suffix}"))
        if NOT_SERVED not in p.parts
    ]


def ours_for(official: Path) -> Path:
    """Our file for an official one (our WSDL names spell the profile RIVTABP20, as the 1.1 set does)."""
    rel = official.relative_to(LEGACY).as_posix().replace("_rivtabp20.wsdl", "_RIVTABP20.wsdl")
    return OURS / rel


def test_inventory_one_responder_and_one_wsdl_per_served_interaction() -> None:
    present = {p.relative_to(OURS).as_posix() for p in OURS.rglob("*") if p.is_file()}
    core = {"core_components/crm_scheduling_1.0.xsd", f"core_components/{ADDRESSING}"}
    prefix = f"{CRM_SCHEDULING_1_0}/"
    files = {i.xsd.as_posix().removeprefix(prefix) for i in CRM_1_0_INTERACTIONS.values()}
    files |= {i.wsdl.as_posix().removeprefix(prefix) for i in CRM_1_0_INTERACTIONS.values()}
    assert present == core | files
    assert len(CRM_1_0_INTERACTIONS) == 8


def test_every_legacy_interaction_but_the_withdrawn_one_is_ours() -> None:
    if not LEGACY.is_dir():
        pytest.skip(NO_SHARED)
    theirs = {p.name.removesuffix("Interaction") for p in (LEGACY / "interactions").iterdir()}
    assert theirs - set(CRM_1_0_INTERACTIONS) == {"GetCancelledAndRebooked"}


@pytest.mark.parametrize("path", sorted(OURS.rglob("*.xsd")), ids=lambda p: p.name)
def test_our_xsd_loads_and_says_it_is_ours(path: Path) -> None:
    head = path.read_text(encoding="utf-8")[:1500]
    assert "riv-scheduling project" in head and "NOT" in head
    etree.XMLSchema(etree.parse(str(path)))


@pytest.mark.parametrize("name", sorted(CRM_1_0_INTERACTIONS))
def test_zeep_loads_our_wsdl_with_the_wsa_to_header(name: str) -> None:
    interaction = CRM_1_0_INTERACTIONS[name]
    client = zeep.Client(str(REPO_ROOT / "schemas" / interaction.wsdl))
    port = next(iter(next(iter(client.wsdl.services.values())).ports.values()))
    op = port.binding.get(name)
    assert op.soapaction == f"urn:riv:crm:scheduling:{name}Responder:1:{name}"
    headers = {e.qname.text for _, e in op.input.header.type.elements}
    assert headers == {"{http://www.w3.org/2005/08/addressing}To"}
    assert op.input.body.qname.text == interaction.request_tag


@pytest.mark.parametrize("official_path", legacy("xsd"))
def test_legacy_xsd_equivalent_but_for_the_named_differences(official_path: Path) -> None:
    ours = xmlschema.XMLSchema(str(ours_for(official_path)))
    theirs = xmlschema.XMLSchema(str(official_path))
    assert ours.target_namespace == theirs.target_namespace
    assert ours.element_form_default == theirs.element_form_default
    if official_path.name == ADDRESSING:  # ours: the subset RIVTABP20 uses, each part as W3C has it
        assert set(ours.elements) == {"To"}  # xmlschema keys local components by local name
        assert set(ours.elements) <= set(theirs.elements) and set(ours.types) <= set(theirs.types)
        for key, element in ours.elements.items():
            assert element_sig(element) == element_sig(theirs.elements[key]), key
        for key, t in ours.types.items():
            assert type_sig(t) == type_sig(theirs.types[key]), key
        return
    assert set(ours.elements) == set(theirs.elements)
    assert set(ours.types) == set(theirs.types)
    for key, element in theirs.elements.items():
        assert element_sig(ours.elements[key]) == element_sig(element), key
    differences = [key for key, t in theirs.types.items() if type_sig(ours.types[key]) != type_sig(t)]
    if official_path.name == "crm_scheduling_1.0.xsd":
        assert differences == [SUBJECT_OF_CARE_ID]
        assert theirs.types[SUBJECT_OF_CARE_ID].patterns.regexps == [PUBLISHED_PATTERN]
        assert ours.types[SUBJECT_OF_CARE_ID].patterns.regexps == [OUR_PATTERN]
    else:
        assert differences == []


@pytest.mark.parametrize("official_path", legacy("wsdl"))
def test_legacy_wsdl_equivalent(official_path: Path) -> None:
    theirs = wsdl_structure(official_path)
    ours = wsdl_structure(ours_for(official_path))
    assert theirs["bindings"]
    for key in theirs:
        if key == "services":  # compared without the address (see the module's docstring)
            assert _without_address(ours[key]) == _without_address(theirs[key])
        else:
            assert ours[key] == theirs[key], key
    assert _addresses(ours["services"]) == ["http://tempuri.org"]


def _without_address(services: Any) -> Any:
    return [(name, [(port, binding) for port, binding, _ in ports]) for name, ports in services]


def _addresses(services: Any) -> list[str]:
    return [address for _, ports in services for _, _, (address,) in ports]


def test_a_1_1_booking_request_is_no_1_0_request_and_back() -> None:
    """Why 1.0 has its own set: the same element names with other content (TKB 1.1.5 §2.1.3)."""
    make_1_0 = etree.XMLSchema(etree.parse(str(REPO_ROOT / "schemas" / CRM_1_0_INTERACTIONS["MakeBooking"].xsd)))
    ns, core = "urn:riv:crm:scheduling:MakeBookingResponder:1", "urn:riv:crm:scheduling:1"
    request = etree.fromstring(
        f'<MakeBooking xmlns="{ns}" xmlns:c="{core}"><healthcare_facility_med>SE1</healthcare_facility_med>'
        "<requestedTimeslot><c:healthcare_facility>SE1</c:healthcare_facility></requestedTimeslot></MakeBooking>"
    )
    assert not make_1_0.validate(request)  # 1.0: a timeslot has a start and an end
