"""The Spyne runtime as the producer configures it (see riv_scheduling/spyne_compat.py)."""

from __future__ import annotations

import importlib
import sys

import six

import riv_scheduling.soap  # noqa: F401  (applies the compatibility measure, imports spyne)


def test_spyne_uses_the_maintained_six_whose_moves_import_on_this_python() -> None:
    vendored = sys.modules["spyne.util.six"]
    assert vendored.__version__ == six.__version__
    assert tuple(int(p) for p in six.__version__.split(".")[:2]) >= (1, 16)
    moves = importlib.import_module("spyne.util.six.moves")
    assert moves.collections_abc.MutableSet is not None
    assert vendored.get_function_name(test_spyne_uses_the_maintained_six_whose_moves_import_on_this_python) == (
        "test_spyne_uses_the_maintained_six_whose_moves_import_on_this_python"
    )


def test_spyne_gc_collect_in_the_request_path_is_switched_off() -> None:
    import spyne.const

    assert spyne.const.MIN_GC_INTERVAL == float("inf")
