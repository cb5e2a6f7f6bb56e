"""Statements compiled once per dialect and run as the driver's own SQL.

A search runs the same few SELECTs on every call. Built with SQLAlchemy Core on each call, such a
statement cost more Python than the database spent on it: building and coercing the expression,
its cache key, the execution context and the processing of each row (a third of a one-day search).
A `Prepared` statement is a Core statement compiled once per dialect; a call passes the values
through the bind processors SQLAlchemy would apply, and the rows through the result processors it
would apply, so the values are the same. It runs through `Connection.exec_driver_sql`, so the
engine's events (a reading unit of work refuses writes) and error handling (hide_parameters) still
apply; the SQL text is the same on every call, which psycopg turns into a server-side prepared
statement after a few executions on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Select

Processor = Callable[[Any], Any]


def _row_type(keys: list[str]) -> Any:
    return namedtuple("PreparedRow", keys, rename=True)


class _Compiled:
    """One statement's SQL for one dialect, with its parameter order and value processors."""

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        binds = compiled.binds
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ()) if dialect.positional else tuple(binds)
        self.positional = bool(dialect.positional)
        # Literal values in the statement (`column == 1`) are bound parameters too: their default.
        self.defaults = {name: binds[name].effective_value for name in self.names if not binds[name].required}
        self.bind: dict[str, Processor | None] = {
            name: binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.names
        }
        # Rows with attribute access by column key, as SQLAlchemy's (`named`).
        self.row = _row_type([str(c.key) for c in statement.selected_columns])
        self.result: list[tuple[int, Processor]] = []
        for i, column in enumerate(statement.selected_columns):
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                self.result.append((i, process))

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        bind, defaults = self.bind, self.defaults
        processed = {}
        for name in self.names:
            value = values[name] if name in values else defaults[name]  # KeyError: a value not given
            process = bind[name]
            processed[name] = value if process is None else process(value)
        return tuple(processed[name] for name in self.names) if self.positional else processed

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
        if not self.result:
            return list(raw)
        out: list[Sequence[Any]] = []
        for row in raw:
            values = list(row)
            for i, process in self.result:
                values[i] = process(values[i])
            out.append(values)
        return out


class Prepared:
    """A SELECT built once (by `build`), compiled once per dialect, run with named values."""

    def __init__(self, build: Callable[[], Select[Any]]) -> None:
        self._build = build
        self._statement: Select[Any] | None = None
        self._compiled: dict[tuple[str, str, str], _Compiled] = {}
        self._lock = threading.Lock()

    def _for(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver, dialect.paramstyle)
        found = self._compiled.get(key)
        if found is None:
            with self._lock:
                if self._statement is None:
                    self._statement = self._build()
                found = self._compiled[key] = _Compiled(self._statement, dialect)
        return found

    def sql(self, dialect: Dialect) -> str:
        return self._for(dialect).sql

    def all(self, conn: Connection, values: Mapping[str, Any]) -> list[Sequence[Any]]:
        """The rows as tuples (lists) of processed values, in the statement's column order."""
        compiled = self._for(conn.dialect)
        raw = conn.exec_driver_sql(compiled.sql, compiled.parameters(values)).fetchall()
        return compiled.rows(raw)

    def named(self, conn: Connection, values: Mapping[str, Any]) -> list[Any]:
        """The rows as named tuples: `row.column_key`, or by position."""
        compiled = self._for(conn.dialect)
        make = compiled.row._make
        return [make(row) for row in self.all(conn, values)]

    def scalar(self, conn: Connection, values: Mapping[str, Any]) -> Any:
        """The first column of the first row, or None."""
        rows = self.all(conn, values)
        return rows[0][0] if rows else None
