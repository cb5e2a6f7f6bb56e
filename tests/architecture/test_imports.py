"""The package's import structure: no cycles, and a conformance kit that loads none of the producer.

The layer rule itself is checked by import-linter (`lint-imports`, contracts in pyproject.toml),
run by .ci/run; these tests cover what its contracts do not say.
"""

from __future__ import annotations

import subprocess
import sys

import grimp


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root) & modules)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child) & modules))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for name in ("p.a", "p.b", "p.c", "p.d"):
        graph.add_module(name)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.c")
    graph.add_import(importer="p.c", imported="p.a")
    graph.add_import(importer="p.c", imported="p.d")
    assert _cycles(graph, set(graph.modules)) == [["p.a", "p.b", "p.c"]]


def test_no_import_cycle_inside_the_package() -> None:
    """Every import counts, also those inside functions and under TYPE_CHECKING."""
    graph = grimp.build_graph("riv_scheduling")
    modules = {m for m in graph.modules if m.startswith("riv_scheduling")}
    assert len(modules) > 50
    assert _cycles(graph, modules) == []


def test_the_conformance_kit_loads_no_spyne_and_none_of_the_producer() -> None:
    code = (
        "import sys\n"
        "import riv_scheduling.conformance.runner, riv_scheduling.conformance.report\n"
        "import riv_scheduling.conformance.validate, riv_scheduling.conformance.commands\n"
        "def loaded(*prefixes):\n"
        "    return sorted(m for m in sys.modules if m == 'spyne' or m.startswith(('spyne.',) + prefixes))\n"
        "print('KIT', loaded('riv_scheduling.soap', 'riv_scheduling.bindings', 'riv_scheduling.server',"
        " 'riv_scheduling.store', 'riv_scheduling.domain'))\n"
        "from riv_scheduling.cli import main\n"
        "assert main(['conformance', '--list']) == 0\n"
        "print('COMMAND', loaded('riv_scheduling.soap', 'riv_scheduling.bindings', 'riv_scheduling.server'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # The kit's own modules: nothing of the producer at all.
    assert "KIT []" in done.stdout, done.stdout[-2000:]
    # `riv-scheduling conformance`: the command line also registers the producer's commands, but
    # loads no Spyne and nothing of the SOAP adapter.
    assert "COMMAND []" in done.stdout, done.stdout[-2000:]
