"""Make spyne 2.14.0 importable on Python 3.12 and 3.13.

spyne 2.14.0 (its last release) vendors six 1.11 as ``spyne.util.six``. That copy's
``six.moves`` importer implements only ``find_module``, which Python 3.12 removed, so
``import spyne`` fails with ``No module named 'spyne.util.six.moves'`` (arskom/spyne
#700, #708, #711; fixed in spyne master but never released).

The measure: before spyne is imported, load the maintained ``six`` package (>= 1.16,
which implements ``find_spec``) a second time under the name ``spyne.util.six`` and add
``get_function_name``, the one helper spyne added to its copy. spyne's own files are not
touched. It is applied on every Python version, so the same code path is tested on
3.11 to 3.13. On 3.13 spyne also imports the removed ``cgi`` module, which the
``legacy-cgi`` dependency provides.

Import this module before anything imports spyne: ``riv_scheduling.soap`` does.
"""

from __future__ import annotations

import importlib.util
import operator
import sys

_NAME = "spyne.util.six"


def install() -> None:
    """Register the maintained six as ``spyne.util.six`` (idempotent)."""
    if _NAME in sys.modules:
        if not hasattr(sys.modules[_NAME], "get_function_name"):
            raise RuntimeError("spyne was imported before riv_scheduling.spyne_compat")
        return
    import six  # the maintained package, a declared dependency

    spec = importlib.util.spec_from_file_location(_NAME, six.__file__)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load six from {six.__file__}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[_NAME] = module
    spec.loader.exec_module(module)
    module.get_function_name = operator.attrgetter("__name__")  # type: ignore[attr-defined]


install()
