"""The database schema's version: alembic migrations in `riv_scheduling/migrations`.

- `status(conn)`: "empty" (no tables of ours), "current" (at the newest migration), "behind"
  (an older migration, or tables made before migrations existed) or "ahead" (a migration this
  version does not know: the database was upgraded by a newer riv-scheduling).
- `upgrade(conn)`: bring any database to the newest migration (`riv-scheduling db upgrade`).
- `create(conn)`: an empty database straight from `metadata` (tests), stamped as current.

All run inside a transaction the caller began, holding the schema lock (PostgreSQL: an advisory
lock; SQLite: the write lock of `BEGIN IMMEDIATE`), so workers that start together do it once.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import Connection, inspect, text

from .tables import metadata

SCRIPT_LOCATION = "riv_scheduling:migrations"
# Databases that `create_schema()` made before there were migrations have exactly this revision's tables.
BASELINE_REVISION = "0001"
VERSION_TABLE = "alembic_version"
_SCHEMA_LOCK_KEY = 0x5249565F53434845  # "RIV_SCHE": pg_advisory_xact_lock(bigint)

SchemaStatus = Literal["empty", "current", "behind", "ahead"]

# alembic narrates every context it opens; `riv-scheduling db upgrade` prints its own summary.
logging.getLogger("alembic").setLevel(logging.WARNING)


class SchemaError(Exception):
    """The database's schema does not match this version of riv-scheduling."""


class SchemaBehind(SchemaError):
    """The database needs `riv-scheduling db upgrade` before it can be served."""

    def __init__(self, url: str, revision: str | None, head: str) -> None:
        self.url = url
        self.revision = revision
        self.head = head
        at = f"at revision {revision}" if revision else "made before migrations existed"
        super().__init__(
            f"the database schema is behind this version of riv-scheduling ({at}, needed: {head}); "
            f"run `riv-scheduling db upgrade --db {url}` first"
        )


class SchemaAhead(SchemaError):
    """The database was upgraded by a newer riv-scheduling than this one."""

    def __init__(self, url: str, revision: str | None, head: str) -> None:
        self.url = url
        self.revision = revision
        self.head = head
        super().__init__(
            f"the database schema at {url} is at revision {revision}, which this version of riv-scheduling "
            f"does not know (its newest is {head}): use the newer riv-scheduling that upgraded it"
        )


def alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def script_directory() -> Any:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None
    return str(head)


def lock(conn: Connection) -> None:
    """Hold the schema lock until the transaction ends (SQLite: BEGIN IMMEDIATE already does)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})


def current_revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    heads = MigrationContext.configure(conn).get_current_heads()
    return heads[0] if heads else None


def status(conn: Connection) -> tuple[SchemaStatus, str | None]:
    """The schema status and the database's revision (None when it has none)."""
    tables = set(inspect(conn).get_table_names())
    revision = current_revision(conn) if VERSION_TABLE in tables else None
    if revision is None:
        return ("behind" if tables & set(metadata.tables) else "empty"), None
    if revision == head_revision():
        return "current", revision
    try:
        known = script_directory().get_revision(revision) is not None
    except Exception:  # alembic: "Can't locate revision ..."
        known = False
    return ("behind" if known else "ahead"), revision


def upgrade(conn: Connection, url: str) -> tuple[str | None, str]:
    """Migrate to the newest revision; returns (revision before, revision after)."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    lock(conn)
    state, revision = status(conn)
    if state == "ahead":
        raise SchemaAhead(url, revision, head_revision())
    if state == "behind" and revision is None:
        # Tables from create_schema() before migrations existed: they are the baseline's.
        MigrationContext.configure(conn).stamp(script_directory(), BASELINE_REVISION)
    command.upgrade(alembic_config(conn), "head")
    return revision, head_revision()


def create(conn: Connection, url: str) -> None:
    """An empty database gets the tables from `metadata` and is stamped current; a current one is
    left as it is; one behind or ahead raises SchemaBehind / SchemaAhead."""
    from alembic.runtime.migration import MigrationContext

    lock(conn)
    state, revision = status(conn)
    if state == "empty":
        metadata.create_all(conn)
        MigrationContext.configure(conn).stamp(script_directory(), "head")
    elif state == "behind":
        raise SchemaBehind(url, revision, head_revision())
    elif state == "ahead":
        raise SchemaAhead(url, revision, head_revision())
