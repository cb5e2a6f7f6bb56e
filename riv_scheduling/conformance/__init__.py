"""Conformance kit: tests ANY riv.supportprocess.logistics.scheduling 2.0 producer against the contract.

- ``contracts/*.toml``: the scenarios, one per contract flow (format: ``docs/conformance.md``);
- :mod:`.runner`: runs them with zeep clients built from this project's ``schemas/``;
- :mod:`.report`: terminal summary, JUnit XML and a self-contained HTML report (identity numbers masked);
- :mod:`.validate`: validation of recorded SOAP messages;
- :mod:`.commands`: ``register(subparsers)`` for the ``conformance`` and ``validate`` commands.

The names below are imported on first use, so that importing :mod:`.commands` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "RunOptions": "runner",
    "RunResult": "runner",
    "Runner": "runner",
    "Scenario": "scenario",
    "ScenarioError": "scenario",
    "default_contracts_dir": "scenario",
    "load": "scenario",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
