"""Prove that the authored schema set in ``schemas/`` is equivalent to the official files.

Three kinds of evidence are checked:

* our own files: complete, well formed, loadable by lxml and zeep (no external data needed);
* the 17 official files recovered under ``../shared/spec/scheduling-2.0/official``: the XSDs are
  compared component by component (xmlschema), the WSDLs structure by structure (lxml);
* the TKB tables that were generated from the official schemas (including the ones that could not
  be recovered): TKB 6.10 (domain types), 6.9 (code systems) and chapter 7 "Fältregler enligt
  schema (XSD)" (full element tree of every request and response).

``../shared`` is the sibling of the repository root; set ``RIV_SHARED_DIR`` to point elsewhere.
Tests that need it are skipped when it is absent.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import xmlschema
import zeep
from lxml import etree

from riv_scheduling.contract.schemas import SCHEMA_PACKAGES

# --------------------------------------------------------------------------- locations

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = REPO_ROOT / "schemas"
SHARED = Path(os.environ.get("RIV_SHARED_DIR") or REPO_ROOT.parent / "shared")
SPEC = SHARED / "spec" / "scheduling-2.0"
OFFICIAL = SPEC / "official"
TKB = SPEC / "tkb"
NO_SHARED = "../shared not present: official-schema equivalence not checked"

# --------------------------------------------------------------------------- namespaces

XS = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
DOMAIN_NS = "urn:riv:supportprocess:logistics:scheduling:2"
NS_PREFIX = "urn:riv:supportprocess:logistics:scheduling"
LOGICAL_ADDRESS = "{urn:riv:itintegration:registry:1}LogicalAddress"
DOMAIN_XSD = SCHEMAS / "core_components" / "supportprocess_logistics_scheduling_2.0.xsd"
CORE_FILES = (
    "supportprocess_logistics_scheduling_2.0.xsd",
    "itintegration_registry_1.0.xsd",
    "interoperability_headers_1.0.xsd",
)

# The twelve interactions of the 2.0 package: (name, major, minor).
INTERACTIONS: list[tuple[str, int, int]] = [
    ("CancelAppointment", 2, 0),
    ("ConfirmAppointment", 1, 0),
    ("GetAppointment", 2, 0),
    ("GetAppointments", 2, 0),
    ("GetTimeTypes", 2, 0),
    ("GetAvailableDates", 2, 0),
    ("GetAvailableTimeslots", 2, 0),
    ("GetHealthcareFacilities", 2, 0),
    ("GetHealthcareFacility", 2, 0),
    ("GetPractitioners", 2, 0),
    ("MakeAppointment", 2, 0),
    ("UpdateAppointment", 2, 0),
]
INTERACTION_IDS = [name for name, _, _ in INTERACTIONS]


def our_xsd(name: str, major: int, minor: int) -> Path:
    return SCHEMAS / "interactions" / f"{name}Interaction" / f"{name}Responder_{major}.{minor}.xsd"


def our_wsdl(name: str, major: int, minor: int) -> Path:
    folder = SCHEMAS / "interactions" / f"{name}Interaction"
    return folder / f"{name}Interaction_{major}.{minor}_RIVTABP21.wsdl"


def expected_files() -> set[str]:
    """Relative paths of every file that schemas/ must hold."""
    files = {f"core_components/{f}" for f in CORE_FILES} | {"README.md"}
    for name, major, minor in INTERACTIONS:
        files.add(our_xsd(name, major, minor).relative_to(SCHEMAS).as_posix())
        files.add(our_wsdl(name, major, minor).relative_to(SCHEMAS).as_posix())
    return files


def official_params(suffix: str) -> list[Any]:
    """One pytest param per official file; a single skipping param when ../shared is absent."""
    if not OFFICIAL.is_dir():
        return [pytest.param(None, id="no-shared", marks=pytest.mark.skip(reason=NO_SHARED))]
    return [
        pytest.param(p, id=p.relative_to(OFFICIAL).as_posix())
        for p in sorted(OFFICIAL.rglob(f"*.{suffix}"))
    ]


def need_shared(path: Path) -> None:
    if not path.exists():
        pytest.skip(NO_SHARED)


# =========================================================================== our files


def test_schema_file_inventory() -> None:
    """schemas/ holds exactly the standard RIV-TA layout for the 12 interactions (other contract
    packages live in their own tree below it: tests/schemas/test_crm_equivalence.py)."""
    present = {
        p.relative_to(SCHEMAS).as_posix() for p in SCHEMAS.rglob("*")
        if p.is_file() and p.relative_to(SCHEMAS).parts[0] not in SCHEMA_PACKAGES
    }
    assert present == expected_files()


@pytest.mark.parametrize(("name", "major", "minor"), INTERACTIONS, ids=INTERACTION_IDS)
def test_interaction_has_both_files(name: str, major: int, minor: int) -> None:
    assert our_xsd(name, major, minor).is_file()
    assert our_wsdl(name, major, minor).is_file()


OUR_FILES = sorted(SCHEMAS.rglob("*.xsd")) + sorted(SCHEMAS.rglob("*.wsdl"))


@pytest.mark.parametrize(
    "path", OUR_FILES, ids=[p.relative_to(SCHEMAS).as_posix() for p in OUR_FILES]
)
def test_our_file_well_formed_and_loadable(path: Path) -> None:
    doc = etree.parse(str(path))  # raises on malformed XML
    head = path.read_text(encoding="utf-8")[:1500]
    assert "riv-scheduling project" in head and "NOT an official" in head, (
        "provenance header missing"
    )
    if path.suffix == ".xsd":
        etree.XMLSchema(doc)  # imports resolved relative to the file
        return
    # WSDL: the embedded xs:schema (which only imports) must load too
    embedded = doc.findall(f"{{{WSDL}}}types/{{{XS}}}schema")
    assert len(embedded) == 1
    etree.XMLSchema(embedded[0])


def test_domain_schema_shape() -> None:
    """Domain schema: types only, qualified, an extension point ending every complex type."""
    root = etree.parse(str(DOMAIN_XSD)).getroot()
    assert root.get("targetNamespace") == DOMAIN_NS
    assert root.get("elementFormDefault") == "qualified"
    assert root.findall(f"{{{XS}}}element") == []
    complex_types = root.findall(f"{{{XS}}}complexType")
    assert len(complex_types) == 18
    for ct in complex_types:
        last = ct.find(f"{{{XS}}}sequence")[-1]
        assert last.tag == f"{{{XS}}}any", ct.get("name")
        assert (last.get("namespace"), last.get("processContents")) == ("##other", "lax")
        assert (last.get("minOccurs"), last.get("maxOccurs")) == ("0", "unbounded")


# Instance documents for the facets that the specification leaves to the implementer.
PERSON = "<ma:personId><c:root>{root}</c:root><c:extension>191212121212</c:extension></ma:personId>"
ACTOR = (
    "<ma:actor><c:actorId><c:root>1.2.752.129.2.1.3.1</c:root></c:actorId>"
    "<c:actorType><c:code>116154003</c:code><c:codeSystem>{cs}</c:codeSystem></c:actorType></ma:actor>"
)


def make_appointment(
    uuid: str, root: str = "1.2.752.129.2.1.3.1", cs: str = "1.2.752.116.2.1.1"
) -> str:
    return (
        f'<ma:MakeAppointment xmlns:ma="{NS_PREFIX}:MakeAppointmentResponder:2"'
        f' xmlns:c="{DOMAIN_NS}">'
        f"{ACTOR.format(cs=cs)}{PERSON.format(root=root)}<ma:timeslotId>{uuid}</ma:timeslotId>"
        "</ma:MakeAppointment>"
    )


def get_appointments(from_date: str) -> str:
    return (
        f'<ga:GetAppointments xmlns:ga="{NS_PREFIX}:GetAppointmentsResponder:2"'
        f' xmlns:c="{DOMAIN_NS}">'
        + ACTOR.format(cs="1.2.752.116.2.1.1").replace("ma:", "ga:")
        + PERSON.format(root="1.2.752.129.2.1.3.3").replace("ma:", "ga:")
        + f"<ga:fromDate>{from_date}</ga:fromDate></ga:GetAppointments>"
    )


@pytest.mark.parametrize(
    ("xml", "valid"),
    [
        (make_appointment("1b4e28ba-2fa1-11d2-883f-0016d3cca427"), True),
        (make_appointment("1B4E28BA-2FA1-11D2-883F-0016D3CCA427"), True),
        (make_appointment("1b4e28ba2fa111d2883f0016d3cca427"), False),
        (make_appointment("{1b4e28ba-2fa1-11d2-883f-0016d3cca427}"), False),
        (
            make_appointment("1b4e28ba-2fa1-11d2-883f-0016d3cca427", root="1.2.752.129.2.1.4.1"),
            False,
        ),
        (
            make_appointment("1b4e28ba-2fa1-11d2-883f-0016d3cca427", cs="2.16.840.1.113883.6.96"),
            False,
        ),
        (get_appointments("20240131"), True),
        (get_appointments("20241301"), False),
        (get_appointments("2024-01-31"), False),
    ],
    ids=[
        "uuid-lower",
        "uuid-upper",
        "uuid-no-dashes",
        "uuid-braces",
        "personid-hsa-oid",
        "snomed-wrong-system",
        "dt-ok",
        "dt-month-13",
        "dt-iso-dashes",
    ],
)
def test_domain_facets(xml: str, valid: bool) -> None:
    """uuidType, DT, PersonIdType.root and SnomedCtType.codeSystem restrict what they should."""
    name = "MakeAppointment" if "MakeAppointment" in xml else "GetAppointments"
    schema = etree.XMLSchema(etree.parse(str(our_xsd(name, 2, 0))))
    assert schema.validate(etree.fromstring(xml)) is valid, schema.error_log


def test_ts_pattern() -> None:
    schema = xmlschema.XMLSchema(str(DOMAIN_XSD))
    ts = schema.types["TS"]
    assert ts.is_valid("20240131235959")
    for bad in ("20240131240000", "2024013123595", "20240131T235959", "20240131235959+0100"):
        assert not ts.is_valid(bad), bad


@pytest.mark.parametrize(("name", "major", "minor"), INTERACTIONS, ids=INTERACTION_IDS)
def test_zeep_loads_our_wsdl(name: str, major: int, minor: int) -> None:
    client = zeep.Client(str(our_wsdl(name, major, minor)))
    services = list(client.wsdl.services.values())
    assert [s.name for s in services] == [f"{name}ResponderService"]
    ports = list(services[0].ports.values())
    assert [p.name for p in ports] == [f"{name}ResponderPort"]
    binding = ports[0].binding
    assert list(binding.all()) == [name]  # exactly one operation, named <I>
    op = binding.get(name)
    tjsr = f"{NS_PREFIX}:{name}Responder:{major}"
    assert op.soapaction == f"{tjsr}:{name}"
    assert [e.qname.text for _, e in op.input.header.type.elements] == [LOGICAL_ADDRESS]
    assert op.input.body.qname.text == f"{{{tjsr}}}{name}"
    assert op.output.body.qname.text == f"{{{tjsr}}}{name}Response"
    assert list(op.output.header.type.elements) == []


# =========================================================================== XSD components

Sig = Any  # nested tuples describing a schema component


def type_ref(t: Any) -> Sig:
    """A named type is referred to by its qualified name; an anonymous one is described inline."""
    return t.name if t.name is not None else type_sig(t)


def particle_sig(p: Any) -> Sig:
    if isinstance(p, xmlschema.validators.XsdAnyElement):
        return (
            "any",
            tuple(sorted(p.namespace)),
            tuple(sorted(p.not_namespace)),
            p.process_contents,
            p.min_occurs,
            p.max_occurs,
        )
    if isinstance(p, xmlschema.validators.XsdGroup):
        return ("group", p.model, p.min_occurs, p.max_occurs, tuple(particle_sig(c) for c in p))
    return element_sig(p)


def element_sig(e: Any) -> Sig:
    return (
        "element",
        e.name,
        e.ref is not None,
        type_ref(e.type),
        e.min_occurs,
        e.max_occurs,
        e.nillable,
        e.default,
        e.fixed,
        e.abstract,
    )


def attributes_sig(attrs: Any) -> Sig:
    out = []
    for key, a in attrs.items():
        if key is None:  # xs:anyAttribute
            out.append(("anyAttribute", tuple(sorted(a.namespace)), a.process_contents))
        else:
            out.append(("attribute", a.name, type_ref(a.type), a.use, a.default, a.fixed))
    return tuple(sorted(out, key=repr))


def type_sig(t: Any) -> Sig:
    if t.is_complex():
        content = type_ref(t.content) if t.has_simple_content() else particle_sig(t.content)
        base = t.base_type.name if t.base_type is not None else None
        return (
            "complex",
            t.name,
            t.derivation,
            base,
            t.mixed,
            t.abstract,
            content,
            attributes_sig(t.attributes),
        )
    if isinstance(t, xmlschema.validators.XsdAtomicBuiltin):
        return ("builtin", t.name)
    if isinstance(t, xmlschema.validators.XsdList):
        return ("list", t.name, type_ref(t.item_type))
    if isinstance(t, xmlschema.validators.XsdUnion):
        return ("union", t.name, tuple(type_ref(m) for m in t.member_types))
    facets = []
    for key, facet in t.facets.items():
        if key == f"{{{XS}}}enumeration":
            facets.append(("enumeration", tuple(facet.enumeration)))
        elif key == f"{{{XS}}}pattern":
            facets.append(("pattern", tuple(facet.regexps)))
        elif key is not None:
            facets.append((key, getattr(facet, "value", None)))
    return ("simple", t.name, type_ref(t.base_type), tuple(sorted(facets, key=repr)))


@pytest.fixture(scope="session")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A package tree with OUR core_components, into which official Responder XSDs are copied."""
    root = tmp_path_factory.mktemp("official-mirror")
    shutil.copytree(SCHEMAS / "core_components", root / "core_components")
    return root


def load_official_xsd(path: Path, mirror_root: Path) -> xmlschema.XMLSchema:
    rel = path.relative_to(OFFICIAL)
    if rel.parts[0] != "interactions":
        return xmlschema.XMLSchema(str(path))  # core components import nothing
    # Responder XSDs import the unpublished domain schema: resolve it to ours.
    dest = mirror_root / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, dest)
    return xmlschema.XMLSchema(str(dest))


def test_official_dir_has_files() -> None:
    need_shared(OFFICIAL)
    assert len(list(OFFICIAL.rglob("*.xsd"))) >= 1
    assert len(list(OFFICIAL.rglob("*.wsdl"))) >= 1


@pytest.mark.parametrize("official", official_params("xsd"))
def test_official_xsd_equivalent(official: Path, mirror: Path) -> None:
    ours_path = SCHEMAS / official.relative_to(OFFICIAL)
    assert ours_path.is_file(), f"no counterpart for {official.name}"
    theirs = load_official_xsd(official, mirror)
    ours = xmlschema.XMLSchema(str(ours_path))

    assert ours.target_namespace == theirs.target_namespace
    assert ours.element_form_default == theirs.element_form_default
    assert ours.attribute_form_default == theirs.attribute_form_default

    # the same global components, by qualified name
    assert {e.name for e in ours.elements.values()} == {e.name for e in theirs.elements.values()}
    assert {t.name for t in ours.types.values()} == {t.name for t in theirs.types.values()}
    assert set(ours.groups) == set(theirs.groups)
    assert set(ours.attributes) == set(theirs.attributes)

    # each component tree: children, namespaces, types, occurs, order, wildcards, facets
    for key, element in theirs.elements.items():
        assert element_sig(ours.elements[key]) == element_sig(element), key
    for key, xsd_type in theirs.types.items():
        assert type_sig(ours.types[key]) == type_sig(xsd_type), key


def test_component_comparison_detects_differences(mirror: Path) -> None:
    """Guard against a comparison that is trivially true: a changed cardinality must show."""
    need_shared(OFFICIAL)
    official = (
        OFFICIAL
        / "interactions"
        / "MakeAppointmentInteraction"
        / "MakeAppointmentResponder_2.0.xsd"
    )
    need_shared(official)
    theirs = load_official_xsd(official, mirror)
    text = official.read_text(encoding="utf-8").replace(
        '<xs:element name="reasonText" type="xs:string" minOccurs="0" />',
        '<xs:element name="reasonText" type="xs:string" minOccurs="1" />',
    )
    assert text != official.read_text(encoding="utf-8")
    changed_path = mirror / "interactions" / "MakeAppointmentInteraction" / "Changed.xsd"
    changed_path.write_text(text, encoding="utf-8")
    changed = xmlschema.XMLSchema(str(changed_path))
    name = "MakeAppointmentType"
    assert type_sig(changed.types[name]) != type_sig(theirs.types[name])


# =========================================================================== WSDL structure


def qname(node: Any, value: str | None) -> str | None:
    """Resolve a prefixed QName attribute value against the element's namespace map."""
    if value is None:
        return None
    prefix, _, local = value.rpartition(":")
    return f"{{{node.nsmap[prefix or None]}}}{local}"


def soap_io(node: Any) -> Sig:
    """Headers and body of a binding input/output."""
    if node is None:
        return None
    headers = tuple(
        (qname(h, h.get("message")), h.get("part"), h.get("use"))
        for h in node.findall(f"{{{SOAP}}}header")
    )
    body = node.find(f"{{{SOAP}}}body")
    body_sig = None if body is None else (body.get("parts"), body.get("use"), body.get("namespace"))
    return (headers, body_sig)


def wsdl_structure(path: Path) -> dict[str, Sig]:
    root = etree.parse(str(path)).getroot()
    w = f"{{{WSDL}}}"
    s = f"{{{SOAP}}}"
    out: dict[str, Sig] = {
        "definitions": (root.get("name"), root.get("targetNamespace")),
        "imports": tuple(
            sorted(
                (i.get("namespace"), i.get("schemaLocation"))
                for i in root.iterfind(f"{w}types/{{{XS}}}schema/{{{XS}}}import")
            )
        ),
        "messages": tuple(
            (
                m.get("name"),
                tuple(
                    (p.get("name"), qname(p, p.get("element")), qname(p, p.get("type")))
                    for p in m.findall(f"{w}part")
                ),
            )
            for m in root.findall(f"{w}message")
        ),
        "portTypes": tuple(
            (
                pt.get("name"),
                tuple(
                    (
                        op.get("name"),
                        tuple(qname(io, io.get("message")) for io in op.findall(f"{w}input")),
                        tuple(qname(io, io.get("message")) for io in op.findall(f"{w}output")),
                        tuple(qname(io, io.get("message")) for io in op.findall(f"{w}fault")),
                    )
                    for op in pt.findall(f"{w}operation")
                ),
            )
            for pt in root.findall(f"{w}portType")
        ),
    }
    bindings = []
    for b in root.findall(f"{w}binding"):
        sb = b.find(f"{s}binding")
        ops = []
        for op in b.findall(f"{w}operation"):
            so = op.find(f"{s}operation")
            ops.append(
                (
                    op.get("name"),
                    None if so is None else (so.get("soapAction"), so.get("style")),
                    soap_io(op.find(f"{w}input")),
                    soap_io(op.find(f"{w}output")),
                    tuple(f.get("name") for f in op.findall(f"{w}fault")),
                )
            )
        bindings.append(
            (
                b.get("name"),
                qname(b, b.get("type")),
                None if sb is None else (sb.get("style"), sb.get("transport")),
                tuple(ops),
            )
        )
    out["bindings"] = tuple(bindings)
    out["services"] = tuple(
        (
            svc.get("name"),
            tuple(
                (
                    port.get("name"),
                    qname(port, port.get("binding")),
                    tuple(a.get("location") for a in port.findall(f"{s}address")),
                )
                for port in svc.findall(f"{w}port")
            ),
        )
        for svc in root.findall(f"{w}service")
    )
    return out


@pytest.mark.parametrize("official", official_params("wsdl"))
def test_official_wsdl_equivalent(official: Path) -> None:
    ours_path = SCHEMAS / official.relative_to(OFFICIAL)
    assert ours_path.is_file(), f"no counterpart for {official.name}"
    theirs = wsdl_structure(official)
    ours = wsdl_structure(ours_path)
    assert theirs["bindings"], "official WSDL parsed to nothing"
    for key in theirs:  # one assert per section, so a failure names the section
        assert ours[key] == theirs[key], key


# =========================================================================== TKB tables

# a four-column markdown table row: | Namn | Typ | Beskrivning | Kardinalitet |
ROW = re.compile(
    r"^\|"
    + "".join(rf"\s*(?P<{c}>[^|]*?)\s*\|" for c in ("name", "type", "desc", "card"))
    + r"\s*$"
)
ALLOWED = re.compile(r"Tillåtna värden: (.*?)\.\s*$")
Row = tuple[int, str, str, str, tuple[str, ...]]  # depth, name, type, cardinality, allowed values


def tkb_page(number: int) -> str:
    need_shared(TKB)
    pages = sorted(TKB.glob(f"{number}-*.md"))
    if not pages:
        pytest.skip(NO_SHARED)
    return pages[0].read_text(encoding="utf-8")


def parse_row(line: str) -> Row | None:
    m = ROW.match(line)
    if not m or m["name"] in ("Namn", ":---") or m["name"].startswith("**"):
        return None
    name = m["name"]
    depth = name.count("../")
    allowed = ALLOWED.search(m["desc"])
    values = tuple(v.strip() for v in allowed.group(1).split(",")) if allowed else ()
    return (depth, name.replace("../", ""), m["type"], m["card"], values)


def local(name: str | None) -> str:
    return "" if name is None else name.rpartition("}")[2]


def card(e: Any) -> str:
    return f"{e.min_occurs}..{'*' if e.max_occurs is None else e.max_occurs}"


def display_type(t: Any) -> tuple[str, tuple[str, ...]]:
    """Type as the TKB generator shows it: the name, or the base of an anonymous restriction."""
    if t.name is not None:
        return local(t.name), ()
    return local(t.base_type.name), tuple(t.enumeration or ())


def expand(xsd_type: Any, depth: int) -> list[Row]:
    """Depth-first rows of a complex type's element tree (wildcards are not in the TKB)."""
    rows: list[Row] = []
    if not xsd_type.is_complex() or xsd_type.has_simple_content():
        return rows
    for e in xsd_type.content.iter_elements():
        if isinstance(e, xmlschema.validators.XsdAnyElement):
            continue
        type_name, values = display_type(e.type)
        rows.append((depth, local(e.name), type_name, card(e), values))
        rows.extend(expand(e.type, depth + 1))
    return rows


def field_tables(page: str, interaction: str) -> tuple[list[Row], list[Row]]:
    """Request and response rows of an interaction's "Fältregler enligt schema (XSD)" table."""
    section = re.split(r"^### ", page, flags=re.M)
    body = next(s for s in section if s.split("\n", 1)[0].strip() == interaction)
    table = body.split("Fältregler enligt schema (XSD)", 1)[1].split("\n####", 1)[0]
    request: list[Row] = []
    response: list[Row] = []
    current = request
    for line in table.splitlines():
        if line.startswith("| **Svar**"):
            current = response
        row = parse_row(line)
        if row is not None:
            current.append(row)
    return request, response


@pytest.mark.parametrize(("name", "major", "minor"), INTERACTIONS, ids=INTERACTION_IDS)
def test_responder_matches_tkb_field_table(name: str, major: int, minor: int) -> None:
    """Full request/response trees equal the TKB ch. 7 tables (generated from the official XSDs)."""
    request, response = field_tables(tkb_page(7), name)
    assert request or response
    schema = xmlschema.XMLSchema(str(our_xsd(name, major, minor)))
    assert expand(schema.elements[name].type, 0) == request
    assert expand(schema.elements[f"{name}Response"].type, 0) == response


def test_domain_types_match_tkb_type_tables() -> None:
    """Every complex type of the domain schema equals its TKB 6.10 table (one level deep)."""
    page = tkb_page(6)
    part = page.split("### 6.10", 1)[1]
    tables: dict[str, list[Row]] = {}
    for block in re.split(r"^#### ", part, flags=re.M)[1:]:
        title, _, rest = block.partition("\n")
        tables[title.strip()] = [r for r in map(parse_row, rest.splitlines()) if r is not None]
    schema = xmlschema.XMLSchema(str(DOMAIN_XSD))
    complex_types = {local(t.name): t for t in schema.types.values() if t.is_complex()}
    assert set(complex_types) == set(tables)
    for type_name, rows in tables.items():
        ours = [r for r in expand(complex_types[type_name], 0) if r[0] == 0]
        assert ours == rows, type_name


def test_enumerations_match_tkb_code_systems() -> None:
    """The four enumerations carry the TKB 6.9 code-system values, in schema order."""
    page = tkb_page(6)
    found: dict[str, list[str]] = {}
    for line in page.splitlines():
        m = re.match(r"^\| [^|]*\(`(\w+Enum)`\) \| ([^|]+) \|", line)
        if m:
            found[m[1]] = [v.strip() for v in m[2].split(",")]
    assert set(found) == {
        "AppointmentStatusEnum",
        "ProcessEnum",
        "ReasonRequiredEnum",
        "ResultCodeEnum",
    }
    schema = xmlschema.XMLSchema(str(DOMAIN_XSD))
    for enum, values in found.items():
        assert schema.types[enum].enumeration == values, enum
    assert len(found["ResultCodeEnum"]) == 19
