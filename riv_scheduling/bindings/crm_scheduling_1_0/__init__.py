"""Spyne bindings generated from schemas/crm-scheduling-1.0/ by ``python -m riv_scheduling.codegen``.

Do not edit: regenerate. One module per schema file."""
