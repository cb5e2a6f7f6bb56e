"""The configuration's version: config_version (one row), raised by triggers on every change to
units, time types, care services and practitioners, so workers know when their cache is stale.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here; riv_scheduling/store/tables.py has the same statements for create_schema()
# (tests/store/test_store_migrations.py compares the triggers both give).
TABLES = (
    "healthcare_facility",
    "time_type",
    "healthcare_service",
    "time_type_service",
    "practitioner",
    "facility_practitioner",
)
POSTGRESQL = (
    """CREATE FUNCTION config_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE config_version
    SET version = GREATEST(version + 1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
    WHERE id = 1;
    RETURN NULL;
END
$$""",
    *(
        f"""CREATE TRIGGER {table}_bumps_config_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION config_version_bump()"""
        for table in TABLES
    ),
)
SQLITE = tuple(
    f"""CREATE TRIGGER {table}_{op_.lower()}_bumps_config_version AFTER {op_} ON {table}
BEGIN UPDATE config_version
    SET version = MAX(version + 1, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)) WHERE id = 1;
END"""
    for table in TABLES
    for op_ in ("INSERT", "UPDATE", "DELETE")
)


def upgrade() -> None:
    op.create_table(
        "config_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_config_version_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_version")),
    )
    op.execute("INSERT INTO config_version (id, version) VALUES (1, 0)")
    dialect = op.get_bind().dialect.name
    for statement in {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(dialect, ()):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_bumps_config_version ON {table}")
        op.execute("DROP FUNCTION config_version_bump()")
    elif dialect == "sqlite":
        for table in TABLES:
            for op_ in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_{op_}_bumps_config_version")
    op.drop_table("config_version")
