"""The booking path's statements, run straight on the DB-API cursor (issue 16, "a lean booking path").

A MakeAppointment sends about ten statements. Through `Connection.execute` each costs some 30 µs of
Python (execution context, parameter and result processing, events, the compiled-cache look-up) on
top of the database's own work: together as much as the rest of the booking. A `DriverStatement` is
a Core statement compiled once per dialect, with SQLAlchemy's own bind and result processors for its
types, so it sends the same SQL with the same values as `Connection.execute` would; it runs on the
unit of work's DB-API connection, in its transaction. A database error is raised as SQLAlchemy
raises it (a `sqlalchemy.exc.DBAPIError` subclass, without the parameters, which may hold identity
numbers), and a lost connection is invalidated, as `Connection.execute` does.

The engine's `before_cursor_execute` listeners still see each statement (the reading unit of work's
refusal to write, engine.py, is one; tests count statements with it), and the refusal is also
checked here. Left out: `after_cursor_execute`, and SQLAlchemy's statement logging (echo).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

READ_ONLY = "riv_scheduling_read_only"  # execution option: a reading unit of work (refuses to write)


class ReadingUnitOfWorkWrites(RuntimeError):
    """A unit of work entered without `writing()` tried to change the database."""


Processor = Callable[[Any], Any] | None
_MAX_DIALECTS = 8


class _Compiled:
    """The statement for one dialect: its SQL, how to lay out the parameters, how to read the rows."""

    def __init__(self, statement: ClauseElement, dialect: Dialect, columns: Sequence[str] | None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(columns) if columns is not None else None)
        if not isinstance(compiled, SQLCompiler):
            raise TypeError(f"not a SQL statement: {statement!r}")
        self.sql = compiled.string
        processors: dict[str, Processor] = {}
        self.fixed: dict[str, Any] = {}  # values the statement itself carries (literals, `booked + 1`)
        for bind, name in compiled.bind_names.items():
            processors[name] = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if not bind.required:
                self.fixed[name] = bind.effective_value
        # positional drivers (sqlite3: "?") take a tuple in this order, the others a dict by name
        self.order: list[tuple[str, Processor]] | None = None
        if compiled.positional:
            self.order = [(name, processors[name]) for name in compiled.positiontup or ()]
        self.named = list(processors.items())
        selected = None if getattr(statement, "is_dml", False) else getattr(statement, "selected_columns", None)
        self.results: list[Processor] = []
        self.row: Any = None
        if selected is not None:
            names = [c.key for c in selected]
            self.results = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in selected]
            self.row = _row_type(names)

    def parameters(self, given: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = {**self.fixed, **given} if self.fixed else given
        if self.order is not None:
            return tuple([p(values[n]) if p else values[n] for n, p in self.order])  # a list: faster than a generator
        return {n: p(values[n]) if p else values[n] for n, p in self.named}


def _row_type(names: list[str]) -> Any:
    """Rows read like SQLAlchemy's: by attribute, and as `_mapping`."""
    # rename: a join's repeated or unusual column names become _<position> instead of an error
    base = namedtuple("DriverRow", names, rename=True)  # type: ignore[misc]  # noqa: PYI024 - names known at run time
    return type("DriverRow", (base,), {"__slots__": (), "_mapping": property(lambda r: r._asdict())})


class DriverStatement:
    """A Core statement compiled once per dialect and run on the connection's DB-API cursor.

    `columns`: the columns an INSERT sets (the parameters must name exactly these)."""

    def __init__(self, statement: Executable, columns: Iterable[str] | None = None) -> None:
        if not isinstance(statement, ClauseElement):
            raise TypeError("a Core statement is needed")
        self._statement = statement
        self._columns = tuple(columns) if columns is not None else None
        self._writes = bool(getattr(statement, "is_dml", False))
        # By the dialect (an engine keeps its own); the entry holds the dialect, so that its id is not
        # given to another engine's dialect (a test's SQLite after a PostgreSQL) while the entry lives.
        self._compiled: dict[int, tuple[Dialect, _Compiled]] = {}

    def _for(self, conn: Connection) -> _Compiled:
        dialect = conn.dialect
        found = self._compiled.get(id(dialect))
        if found is None or found[0] is not dialect:
            if len(self._compiled) >= _MAX_DIALECTS:  # engines come and go (tests): keep a few
                self._compiled.clear()
            found = self._compiled[id(dialect)] = (dialect, _Compiled(self._statement, dialect, self._columns))
        return found[1]

    def _run(self, conn: Connection, compiled: _Compiled, parameters: Sequence[Mapping[str, Any]]) -> Any:
        if self._writes and conn.get_execution_options().get(READ_ONLY):  # whatever listeners there are
            raise ReadingUnitOfWorkWrites(" ".join(compiled.sql.split(None, 3)[:3]))
        pooled = conn.connection  # the unit of work's connection, in its transaction
        cursor = pooled.driver_connection.cursor()  # type: ignore[union-attr]
        many = len(parameters) != 1
        values = [compiled.parameters(p) for p in parameters] if many else compiled.parameters(parameters[0])
        try:
            for listener in conn.dispatch.before_cursor_execute:  # as Connection.execute does
                listener(conn, cursor, compiled.sql, values, None, many)
            if many:
                cursor.executemany(compiled.sql, values)
            else:
                cursor.execute(compiled.sql, values)
        except conn.dialect.loaded_dbapi.Error as e:
            cursor.close()
            lost = conn.dialect.is_disconnect(e, pooled.dbapi_connection, cursor)
            if lost:
                conn.invalidate(e)  # not back into the pool; the unit of work's rollback still works
            raise exc.DBAPIError.instance(
                compiled.sql, None, e, conn.dialect.loaded_dbapi.Error, hide_parameters=True,
                connection_invalidated=lost, dialect=conn.dialect,
            ) from e
        return cursor

    def execute(self, conn: Connection, *parameters: Mapping[str, Any]) -> int:
        """Run a writing statement once per mapping of parameters (none: once without any); the
        number of rows it touched."""
        cursor = self._run(conn, self._for(conn), parameters or ({},))
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def rows(self, conn: Connection, parameters: Mapping[str, Any]) -> list[Any]:
        """Run a SELECT; its rows, values converted as SQLAlchemy converts them."""
        compiled = self._for(conn)
        cursor = self._run(conn, compiled, (parameters,))
        try:
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        row, results = compiled.row, compiled.results
        if not any(results):
            return [row(*r) for r in fetched]
        return [row(*[p(v) if p else v for p, v in zip(results, r, strict=True)]) for r in fetched]
