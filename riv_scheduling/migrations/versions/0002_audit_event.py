"""The audit trail: append-only audit_event, refused UPDATE/DELETE (and TRUNCATE) by triggers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here; riv_scheduling/store/tables.py has the same statements for create_schema().
APPEND_ONLY_POSTGRESQL = (
    """CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'audit_event is append-only: ' || TG_OP || ' refused';
END
$$""",
    """CREATE TRIGGER audit_event_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
)
APPEND_ONLY_SQLITE = (
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END""",
)


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at_utc", sa.DateTime(), nullable=False),
        sa.Column("interaction", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("result_code", sa.String(length=40), nullable=False),
        sa.Column("facility_hsa_id", sa.String(length=64), nullable=False),
        sa.Column("person_root", sa.String(length=64), nullable=True),
        sa.Column("person_extension", sa.String(length=64), nullable=True),
        sa.Column("actor_root", sa.String(length=64), nullable=True),
        sa.Column("actor_extension", sa.String(length=64), nullable=True),
        sa.Column("actor_type", sa.String(length=64), nullable=True),
        sa.Column("consumer_hsa_id", sa.String(length=64), nullable=True),
        sa.Column("appointment_id", sa.String(length=36), nullable=True),
        sa.Column("new_appointment_id", sa.String(length=36), nullable=True),
        sa.Column("timeslot_id", sa.String(length=36), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index("ix_audit_event_appointment", "audit_event", ["appointment_id"], unique=False)
    op.create_index("ix_audit_event_new_appointment", "audit_event", ["new_appointment_id"], unique=False)
    op.create_index("ix_audit_event_person", "audit_event", ["person_extension", "person_root"], unique=False)
    dialect = op.get_bind().dialect.name
    statements = {"postgresql": APPEND_ONLY_POSTGRESQL, "sqlite": APPEND_ONLY_SQLITE}.get(dialect, ())
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER audit_event_no_update_or_delete ON audit_event")
        op.execute("DROP FUNCTION audit_event_append_only()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER audit_event_no_delete")
        op.execute("DROP TRIGGER audit_event_no_update")
    for index in ("ix_audit_event_person", "ix_audit_event_new_appointment", "ix_audit_event_appointment"):
        op.drop_index(index, table_name="audit_event")
    op.drop_table("audit_event")
