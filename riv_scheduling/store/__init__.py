"""The SQLAlchemy store: tables, repositories, migrations and the UnitOfWork the domain runs in."""

from .engine import DEFAULT_URL, DatabaseMissing, SqlUnitOfWork, Store, open_store
from .schema import SchemaAhead, SchemaBehind, SchemaError, SchemaStatus
from .tables import metadata

__all__ = [
    "DEFAULT_URL",
    "SchemaAhead",
    "SchemaBehind",
    "SchemaError",
    "DatabaseMissing",
    "SchemaStatus",
    "SqlUnitOfWork",
    "Store",
    "metadata",
    "open_store",
]
