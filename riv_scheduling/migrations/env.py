"""Alembic environment of riv-scheduling.

Used by `riv-scheduling db upgrade` (riv_scheduling.store.Store.upgrade), which passes an open
connection inside a transaction holding the schema lock. The `alembic` command line works too,
for developers writing a migration: `alembic -c riv_scheduling/migrations/alembic.ini -x db=URL ...`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from riv_scheduling.store.tables import metadata

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    )


def run_offline() -> None:
    url = context.get_x_argument(as_dictionary=True).get("db") or config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():  # the caller's transaction when it has one
            context.run_migrations()
        return
    from riv_scheduling.store import open_store

    url = context.get_x_argument(as_dictionary=True).get("db") or config.get_main_option("sqlalchemy.url")
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        store.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
