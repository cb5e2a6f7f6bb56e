"""Spyne bindings generated from schemas/ by ``python -m riv_scheduling.codegen``.

Do not edit: regenerate. One module per schema file."""

from riv_scheduling import spyne_compat  # noqa: F401  (must precede spyne)
