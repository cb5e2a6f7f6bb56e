"""The committed bindings are exactly what the generator makes from schemas/ today."""

from __future__ import annotations

from pathlib import Path

from riv_scheduling.codegen import BINDINGS_DIR, generate_all, write
from riv_scheduling.contract.schemas import SCHEMA_DIR


def test_regenerated_bindings_match_the_committed_ones(tmp_path: Path) -> None:
    for package, files in generate_all(SCHEMA_DIR).items():
        write(files, tmp_path / package)
        fresh = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / package).glob("*.py")}
        committed = {p.name: p.read_text(encoding="utf-8") for p in (BINDINGS_DIR / package).glob("*.py")}
        assert sorted(fresh) == sorted(committed), f"bindings/{package}: run python -m riv_scheduling.codegen"
        stale = [name for name in fresh if fresh[name] != committed[name]]
        assert not stale, f"bindings/{package} out of date: {stale}; run python -m riv_scheduling.codegen"


def test_every_responder_schema_has_a_binding_module_with_its_two_elements() -> None:
    from riv_scheduling.contract import INTERACTIONS
    from riv_scheduling.contract.crm_scheduling import CRM_1_0_INTERACTIONS, CRM_INTERACTIONS
    from riv_scheduling.soap.interactions import bindings

    assert len(INTERACTIONS) == 12
    assert len(CRM_INTERACTIONS) == 11
    assert len(CRM_1_0_INTERACTIONS) == 8
    for interaction in [*INTERACTIONS.values(), *CRM_INTERACTIONS.values(), *CRM_1_0_INTERACTIONS.values()]:
        elements = bindings(interaction).ELEMENTS
        assert set(elements) == {interaction.name, f"{interaction.name}Response"}
        request = elements[interaction.name]
        assert request.__namespace__ == interaction.responder_ns


def test_the_writers_are_generated_too_with_one_function_per_2_0_response_element() -> None:
    import importlib

    from riv_scheduling.codegen import WRITERS_PACKAGE
    from riv_scheduling.contract import INTERACTIONS, module_name

    generated = generate_all(SCHEMA_DIR)
    assert WRITERS_PACKAGE in generated  # so the drift check above covers bindings/writers/ as well
    for interaction in INTERACTIONS.values():
        module = importlib.import_module(f"riv_scheduling.bindings.writers.{module_name(SCHEMA_DIR / interaction.xsd)}")
        assert callable(getattr(module, f"{interaction.name}Response"))
