"""The SQLAlchemy store: tables, repositories and the UnitOfWork the domain runs in."""

from .engine import DEFAULT_URL, SqlUnitOfWork, Store, open_store
from .tables import metadata

__all__ = ["DEFAULT_URL", "SqlUnitOfWork", "Store", "metadata", "open_store"]
