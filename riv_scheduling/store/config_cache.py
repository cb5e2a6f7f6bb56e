"""A worker's cache of the clinic configuration, kept valid by the database's config_version.

Units, time types (with rules and care services) and practitioners change rarely and are read by
almost every call. Triggers in the database raise `config_version.version` in the same transaction
as any change to those tables (tables.CONFIG_TABLES), whoever makes it: this process, another
worker, `riv-scheduling load`, or SQL typed by an operator. A unit of work reads the counter once,
on its first cached read, and uses only entries stored under that value; so what it reads is never
older than the committed configuration it would have read from the tables themselves (the counter
is read first, and a transaction sees commits in order). After a unit of work changes the
configuration itself, it reads the tables for the rest of its transaction. A raised counter is at
least the current time in microseconds, so a database restored from backup or made anew never
reaches a value again that stood for other contents.

Entries are immutable domain objects (frozen dataclasses, tuples); lists are copied on the way out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Connection, select

from .prepared import Prepared
from .tables import config_version

T = TypeVar("T")
MISSING: Any = object()
MAX_ENTRIES = 20_000  # units x (facility + time types) + practitioners, with room to spare
# Read by nearly every call: compiled once (prepared.py).
_VERSION = Prepared(lambda: select(config_version.c.version).where(config_version.c.id == 1))


class ConfigCache:
    """Per Store (so per worker process): key -> (version, value). Thread-safe."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: dict[Hashable, tuple[int, Any]] = {}
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, version: int, key: Hashable) -> Any:
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] == version else MISSING

    def put(self, version: int, key: Hashable, value: Any) -> None:
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()  # rare: a configuration larger than the cache; start again
            current = self._entries.get(key)
            if current is None or current[0] <= version:
                self._entries[key] = (version, value)

    def __len__(self) -> int:
        return len(self._entries)


class ConfigReads:
    """One unit of work's view of the cache (its connection, the counter's value it read)."""

    def __init__(self, cache: ConfigCache, conn: Connection) -> None:
        self._cache = cache
        self._conn = conn
        self._version: int | None = MISSING
        self._bypass = False

    def _current(self) -> int | None:
        if self._version is MISSING:
            # None: a database without the counter row; nothing is cached then.
            self._version = _VERSION.scalar(self._conn, {})
        return self._version

    def read(self, key: Hashable, load: Callable[[], T]) -> T:
        """The cached value of `key` for this transaction, or `load()` (then cached)."""
        if self._bypass:
            return load()
        version = self._current()
        if version is None:
            return load()
        found = self._cache.get(version, key)
        if found is not MISSING:
            return found
        value = load()
        self._cache.put(version, key, value)
        return value

    def peek(self, key: Hashable) -> Any:
        """The cached value of `key` for this transaction, or MISSING (nothing is loaded)."""
        if self._bypass:
            return MISSING
        version = self._current()
        return MISSING if version is None else self._cache.get(version, key)

    def store(self, key: Hashable, value: Any) -> None:
        if not self._bypass and (version := self._current()) is not None:
            self._cache.put(version, key, value)

    def changed(self) -> None:
        """This unit of work changed the configuration: read the tables from now on."""
        self._bypass = True
