"""Response writers generated from schemas/ by ``python -m riv_scheduling.codegen``.

Do not edit: regenerate. One module per 2.0 scheduling schema file."""
