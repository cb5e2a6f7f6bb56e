"""Fixtures of the admin tests; the helpers are in adminweb.py (a module name no other test
folder uses, so `pytest tests/` imports the right one)."""

from adminweb import browser, page, world

__all__ = ["browser", "page", "world"]
